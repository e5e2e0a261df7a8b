//! The client and its connection: clones share one connection (ten thousand concurrent calls
//! through it), an in-memory channel of your own, and TLS with a custom CA.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Credentials, Error, RetryPolicy, rpc};
use futures_util::StreamExt;

use crate::fixture::{Fixture, no_env, outputs};

#[test]
fn the_client_is_cheap_to_share() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    fn sendable<T: Send + Sync + 'static>() {}
    shareable::<ClarifaiClient>();
    shareable::<Credentials>();
    sendable::<Error>();
    // Handles only (channel, interceptor, settings behind an Arc): clones share the connection.
    assert!(
        std::mem::size_of::<ClarifaiClient>() <= 512,
        "{}",
        std::mem::size_of::<ClarifaiClient>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_calls_256_at_a_time_none_lost_or_duplicated() {
    let (mock, client) = Fixture::fast().start().await;
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    mock.on::<rpc::PostModelOutputs, _, _>(move |req| {
        counter.fetch_add(1, Ordering::Relaxed);
        let id = req.into_inner().model_id;
        async move { Ok(outputs(&[&id], StatusCode::Success)) }
    });
    let results: Vec<Result<String, Error>> = futures_util::stream::iter(0..10_000)
        .map(|i| {
            let client = client.clone();
            async move {
                let request = api::PostModelOutputsRequest {
                    model_id: format!("{i}"),
                    ..Default::default()
                };
                client
                    .post_model_outputs(request)
                    .await
                    .map(|r| r.outputs[0].id.clone())
            }
        })
        .buffer_unordered(256)
        .collect()
        .await;
    let mut ids: Vec<u32> = results
        .into_iter()
        .map(|r| r.unwrap().parse().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..10_000).collect::<Vec<_>>());
    assert_eq!(served.load(Ordering::Relaxed), 10_000);
    assert_eq!(mock.call_count(), 10_000);
}

#[tokio::test]
async fn the_client_works_over_an_in_memory_channel() {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(outputs(&["mem"], StatusCode::Success));
    let channel = crate::fixture::in_memory_channel(&mock);
    let client = ClarifaiClient::from_channel(channel, Credentials::api_key("mem-key").unwrap());
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "mem");
    assert_eq!(mock.calls()[0].header("authorization"), Some("Key mem-key"));
}

#[tokio::test]
async fn tls_with_a_custom_ca() {
    let mock = crate::fixture::tls_mock().await;
    mock.respond::<rpc::PostModelOutputs>(outputs(&["over tls"], StatusCode::Success));
    assert!(mock.url().starts_with("https://localhost:"));
    let client = ClarifaiClient::builder()
        .env_lookup(no_env)
        .endpoint(mock.url())
        .ca_certificate(include_bytes!("../fixtures/ca.pem"))
        .credentials(Credentials::api_key("tls-key").unwrap())
        .build()
        .unwrap();
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "over tls");
    assert_eq!(mock.calls()[0].header("authorization"), Some("Key tls-key"));

    // Without the CA the handshake fails: a typed error, and the key never reaches the server.
    let untrusted = ClarifaiClient::builder()
        .env_lookup(no_env)
        .endpoint(mock.url())
        .retry_policy(RetryPolicy::none())
        .credentials(Credentials::api_key("tls-key").unwrap())
        .build()
        .unwrap();
    let err = untrusted
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert!(err.grpc_status().is_some(), "{err:?}");
    let chain = std::iter::successors(Some(&err as &dyn std::error::Error), |e| e.source())
        .map(|e| format!("{e} / {e:?}"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        chain.contains("UnknownIssuer"),
        "not a certificate error: {chain}"
    );
    assert_eq!(mock.call_count(), 1);
}
