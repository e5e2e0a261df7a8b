//! Server streams through ClarifaiClient: retried before their first message, each item's in-band
//! status checked, a connection dropped mid-stream ends the stream with an error item, and a
//! stream that stalls after its first message ends with an idle error.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::{Error, rpc};
use futures_util::StreamExt;

use crate::support::faults::GUARD;
use crate::support::fixture::{Fixture, outputs};

#[tokio::test]
async fn a_connection_dropped_mid_stream_ends_the_stream_with_an_error() {
    let (mock, client) = Fixture::fast().start().await;
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
        futures_util::stream::iter([Ok(outputs(&["first"], StatusCode::Success))])
            .chain(futures_util::stream::pending())
    });
    mock.respond::<rpc::PostModelOutputs>(outputs(&["after"], StatusCode::Success));
    let mut stream = client
        .generate_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.outputs[0].id, "first");
    mock.drop_connections();
    let next = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("the stream hung");
    let err = next.expect("an error item, not a silent end").unwrap_err();
    assert_eq!(
        err.transport_fault(),
        Some(clarifai_tonic::error::TransportFault::ConnectionLost),
        "{err:?}"
    );
    assert!(stream.next().await.is_none(), "nothing after the error");
    // The next call reconnects.
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "after");
}

#[tokio::test]
async fn a_stream_is_retried_before_its_first_message() {
    let (mock, client) = Fixture::fast().start().await;
    let seen = Arc::new(AtomicUsize::new(0));
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(move |_| {
        let first_try = seen.fetch_add(1, Ordering::SeqCst) == 0;
        futures_util::stream::iter(if first_try {
            vec![Err(tonic::Status::unavailable("not yet"))]
        } else {
            vec![
                Ok(outputs(&["a"], StatusCode::Success)),
                Ok(outputs(&["b"], StatusCode::MixedStatus)),
            ]
        })
    });
    let items: Vec<_> = client
        .generate_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(mock.call_count(), 2);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().outputs[0].id, "a");
    // Each item's in-band status is checked.
    let err = items[1].as_ref().unwrap_err();
    assert_eq!(
        err.response::<api::MultiOutputResponse>().unwrap().outputs[0].id,
        "b"
    );
}

#[tokio::test]
async fn a_stream_that_stalls_after_its_first_message_ends_with_an_idle_error() {
    let (mock, client) = Fixture::fast()
        .with(|b| b.stream_idle_timeout(Duration::from_millis(200)))
        .start()
        .await;
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
        futures_util::stream::iter([Ok(outputs(&["first"], StatusCode::Success))])
            .chain(futures_util::stream::pending())
    });
    let mut stream = client
        .generate_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap().outputs[0].id, "first");
    let next = tokio::time::timeout(GUARD, stream.next())
        .await
        .expect("the idle timeout did not fire");
    let err = next.expect("an error item").unwrap_err();
    assert!(
        matches!(err, Error::StreamIdle { rpc: "GenerateModelOutputs", idle } if idle == Duration::from_millis(200)),
        "{err:?}"
    );
    assert!(err.is_timeout());
    assert!(stream.next().await.is_none(), "nothing after the error");
}
