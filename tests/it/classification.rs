//! Errors classified where they happen, never by a message's words: a server's status keeps its
//! code whatever it says ("quota exceeds" is rate limiting, not a size limit; "Timeout expired"
//! on CANCELLED is a cancellation, not a timeout), while the client's own encoder, decoder and
//! channel say what they saw by type (a response over the limit on a tonic channel too, and the
//! channel's own timeout).

use std::time::Duration;

use clarifai_tonic::api::{self, Input};
use clarifai_tonic::{ClarifaiClient, ClientBuilder, Credentials, Error, rpc};

use crate::support::fixture::{Fixture, fast_retries, in_memory_channel, no_env, outputs};

/// A server that answers every PostModelOutputs with the gRPC status `code` and `message`.
async fn answering(code: tonic::Code, message: &'static str) -> Error {
    let (mock, client) = Fixture::fast()
        .retry(fast_retries().max_attempts(1))
        .start()
        .await;
    mock.on::<rpc::PostModelOutputs, _, _>(move |_| async move {
        Err(tonic::Status::new(code, message))
    });
    client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_quota_that_exceeds_is_rate_limiting_not_a_size_limit() {
    let e = answering(
        tonic::Code::ResourceExhausted,
        "quota exceeds the hourly limit",
    )
    .await;
    assert!(!matches!(e, Error::MessageTooLarge { .. }), "{e:?}");
    assert!(e.is_rate_limited(), "{e:?}");
    assert_eq!(e.grpc_code(), Some(tonic::Code::ResourceExhausted));

    // Even the words of gRPC's own size error, from a server, are the server's status.
    let e = answering(
        tonic::Code::OutOfRange,
        "Error, decoded message length too large: found 9 bytes, the limit is: 1 bytes",
    )
    .await;
    assert!(matches!(e, Error::Grpc { .. }), "{e:?}");
}

#[tokio::test]
async fn a_servers_timeout_expired_on_another_code_is_not_a_timeout() {
    let e = answering(tonic::Code::Cancelled, "Timeout expired").await;
    assert!(!e.is_timeout(), "{e:?}");
    assert_eq!(e.grpc_code(), Some(tonic::Code::Cancelled));
    let e = answering(tonic::Code::DeadlineExceeded, "too slow").await;
    assert!(e.is_timeout(), "{e:?}");
}

#[tokio::test]
async fn a_response_over_the_limit_on_a_tonic_channel_is_too_large_by_type() {
    let (mock, _) = Fixture::fast().start().await;
    let big = outputs(&["a"; 64], api::status::StatusCode::Success);
    mock.respond::<rpc::PostModelOutputs>(big);
    let builder = ClientBuilder::default()
        .env_lookup(no_env)
        .credentials(Credentials::pat("pat", "me", "app").unwrap())
        .max_decoding_message_size(100);
    let client = ClarifaiClient::from_channel_with(in_memory_channel(&mock), builder).unwrap();
    let e = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::MessageTooLarge { .. }), "{e:?}");
    assert!(e.to_string().contains("the limit is: 100 bytes"), "{e}");

    // A request over the limit is refused by the client, whichever transport.
    let builder = ClientBuilder::default()
        .env_lookup(no_env)
        .credentials(Credentials::pat("pat", "me", "app").unwrap())
        .max_encoding_message_size(10);
    let client = ClarifaiClient::from_channel_with(in_memory_channel(&mock), builder).unwrap();
    let request = api::PostModelOutputsRequest {
        inputs: vec![Input::from_text("a sentence well over ten bytes")],
        ..Default::default()
    };
    let e = client.post_model_outputs(request).await.unwrap_err();
    assert!(matches!(e, Error::MessageTooLarge { .. }), "{e:?}");
}

#[tokio::test]
async fn a_channels_own_timeout_is_a_timeout() {
    let (mock, _) = Fixture::fast().start().await;
    let (_hold, never) = tokio::sync::oneshot::channel::<()>();
    let never = std::sync::Arc::new(tokio::sync::Mutex::new(Some(never)));
    mock.on::<rpc::PostModelOutputs, _, _>(move |_| {
        let never = never.clone();
        async move {
            // Never answers: the sender is held by the test until it ends.
            let rx = never.lock().await.take();
            if let Some(rx) = rx {
                let _ = rx.await;
            }
            Ok(api::MultiOutputResponse::default())
        }
    });
    let url = mock.url();
    let channel = tonic::transport::Endpoint::from_shared(url)
        .unwrap()
        .timeout(Duration::from_millis(200))
        .connect_lazy();
    let builder = ClientBuilder::default()
        .env_lookup(no_env)
        .credentials(Credentials::pat("pat", "me", "app").unwrap())
        .retry_policy(fast_retries().max_attempts(1))
        .no_timeout();
    let client = ClarifaiClient::from_channel_with(channel, builder).unwrap();
    let e = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
}
