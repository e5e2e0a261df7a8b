//! Per-call options (`client.with_options(CallOptions)`), typed, taken by every call kind: a
//! unary call, a server stream and a bidi stream each send the options' deadline, metadata and
//! credentials (with their `user_app_id`), and a unary call follows the options' retry policy.
//! (The V2 API has no client-streaming rpc; `client_streaming` resolves its metadata and
//! credentials through the same code as the bidi path, `ClarifaiClient::outgoing`.)

use std::time::Duration;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::{MockV2, RecordedCall};
use clarifai_tonic::{CallOptions, Credentials, Error, StreamExt, retry::RetryPolicy, rpc, stream};

use crate::support::fixture::{Fixture, grpc_timeout, outputs};

fn options() -> CallOptions {
    CallOptions::new()
        .timeout(Duration::from_secs(7))
        .credentials(Credentials::pat("per-call-pat", "other-user", "other-app").unwrap())
        .metadata("x-team", "search")
        .unwrap()
}

/// The options' headers, as the server saw them.
fn assert_sent(call: &RecordedCall, with_deadline: bool) {
    assert_eq!(call.header("x-team"), Some("search"), "{}", call.rpc);
    assert_eq!(
        call.header("authorization"),
        Some("Key per-call-pat"),
        "{}",
        call.rpc
    );
    if with_deadline {
        let timeout = grpc_timeout(call.header("grpc-timeout").expect("a deadline"));
        assert!(
            timeout <= Duration::from_secs(7) && timeout > Duration::from_secs(6),
            "{timeout:?}"
        );
    }
}

fn owner(ids: Option<&api::UserAppIdSet>) -> (&str, &str) {
    let ids = ids.expect("user_app_id is filled");
    (ids.user_id.as_str(), ids.app_id.as_str())
}

async fn served() -> (MockV2, clarifai_tonic::ClarifaiClient) {
    let (mock, client) = Fixture::fast().start().await;
    mock.respond::<rpc::PostModelOutputs>(outputs(&["a"], StatusCode::Success));
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
        stream::iter([Ok(outputs(&["a"], StatusCode::Success))])
    });
    mock.on_bidi::<rpc::StreamModelOutputs, _, _>(|request| {
        request
            .into_inner()
            .map(|item| item.map(|_| outputs(&["a"], StatusCode::Success)))
    });
    (mock, client)
}

#[tokio::test]
async fn a_unary_call_takes_the_options() {
    let (mock, client) = served().await;
    let quick = client.with_options(options());
    quick
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    let call = &mock.calls_to::<rpc::PostModelOutputs>()[0];
    assert_sent(call, true);
    let sent: api::PostModelOutputsRequest = call.request().unwrap();
    assert_eq!(
        owner(sent.user_app_id.as_ref()),
        ("other-user", "other-app")
    );

    // The client itself is unchanged.
    mock.clear_calls();
    client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    let call = &mock.calls_to::<rpc::PostModelOutputs>()[0];
    assert_eq!(call.header("authorization"), Some("Key pat"));
    assert_eq!(call.header("x-team"), None);
}

#[tokio::test]
async fn a_unary_call_follows_the_options_retry_policy() {
    let (mock, client) = Fixture::fast().start().await;
    mock.on::<rpc::PostModelOutputs, _, _>(|_| async { Err(tonic::Status::unavailable("down")) });
    let once = client.with_options(CallOptions::new().retry(RetryPolicy::none()));
    once.post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(mock.call_count(), 1);
    mock.clear_calls();
    client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(mock.call_count(), 5, "the client's own policy: 5 attempts");
}

#[tokio::test]
async fn a_server_stream_takes_the_options() {
    let (mock, client) = served().await;
    let items: Vec<_> = client
        .with_options(options())
        .generate_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    let call = &mock.calls_to::<rpc::GenerateModelOutputs>()[0];
    assert_sent(call, false);
    let sent: api::PostModelOutputsRequest = call.request().unwrap();
    assert_eq!(
        owner(sent.user_app_id.as_ref()),
        ("other-user", "other-app")
    );
}

#[tokio::test]
async fn a_bidi_stream_takes_the_options() {
    let (mock, client) = served().await;
    let requests = vec![api::PostModelOutputsRequest::default(); 2];
    let items: Vec<_> = client
        .with_options(options())
        .stream_model_outputs(stream::iter(requests))
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 2, "{items:?}");
    let call = &mock.calls_to::<rpc::StreamModelOutputs>()[0];
    assert_sent(call, false);
    for sent in call.messages::<api::PostModelOutputsRequest>() {
        assert_eq!(
            owner(sent.user_app_id.as_ref()),
            ("other-user", "other-app")
        );
    }
}

#[tokio::test]
async fn a_callers_own_authorization_wins_on_every_kind() {
    let (mock, client) = served().await;
    let mine = client.with_options(
        CallOptions::new()
            .credentials(Credentials::api_key("unused-key").unwrap())
            .metadata("authorization", "Key callers-own")
            .unwrap(),
    );
    mine.post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    let _: Vec<_> = mine
        .stream_model_outputs(stream::iter([api::PostModelOutputsRequest::default()]))
        .await
        .unwrap()
        .collect()
        .await;
    for call in mock.calls() {
        assert_eq!(
            call.header("authorization"),
            Some("Key callers-own"),
            "{}",
            call.rpc
        );
    }
    assert_eq!(mock.call_count(), 2);
}

#[tokio::test]
async fn bad_metadata_is_refused_without_showing_the_value() {
    let e = CallOptions::new()
        .metadata("x-key", "secret\nvalue")
        .unwrap_err();
    assert!(matches!(e, Error::InvalidMetadata { .. }), "{e:?}");
    assert!(!e.to_string().contains("secret"), "{e}");
    let e = CallOptions::new().metadata("bad name", "v").unwrap_err();
    assert!(e.to_string().contains("bad name"), "{e}");
}
