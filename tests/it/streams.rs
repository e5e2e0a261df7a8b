//! Server streams through ClarifaiClient: retried before their first message, each item's in-band
//! status checked, and a connection dropped mid-stream ends the stream with an error item.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::rpc;
use futures_util::StreamExt;

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
        Some(clarifai_tonic::TransportFault::ConnectionLost),
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
