//! What carries the calls: the client's own HTTP/2 transport, or a tonic channel of your own (an
//! in-memory one here) that the client keeps and sends through with its credentials; and a
//! client stream sent message by message as the server reads it. (The raw generated client over
//! the client's own transport is in tls.rs, on a TLS connection.)

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Credentials, rpc};
use futures_util::StreamExt;

use crate::support::fixture::{Fixture, in_memory_channel, outputs, predict};

#[tokio::test]
async fn the_client_works_over_an_in_memory_channel() {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(outputs(&["mem"], StatusCode::Success));
    let channel = in_memory_channel(&mock);
    let client = ClarifaiClient::from_channel(channel, Credentials::api_key("mem-key").unwrap());
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "mem");
    assert_eq!(mock.calls()[0].header("authorization"), Some("Key mem-key"));
}

#[tokio::test]
async fn a_client_from_a_channel_keeps_it() {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(outputs(&["mem"], StatusCode::Success));
    let client = ClarifaiClient::from_channel(
        in_memory_channel(&mock),
        Credentials::api_key("mem-key").unwrap(),
    );
    assert!(client.transport().channel().is_some());
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "mem");
}

#[tokio::test]
async fn a_request_stream_is_sent_message_by_message() {
    let (mock, client) = Fixture::fast().start().await;
    // The handler answers once it has read every message, and says how many it read.
    mock.on_bidi::<rpc::StreamModelOutputs, _, _>(|request| {
        let mut requests = request.into_inner();
        futures_util::stream::once(async move {
            let mut n = 0;
            while let Some(Ok(_)) = requests.next().await {
                n += 1;
            }
            Ok(outputs(&[&n.to_string()], StatusCode::Success))
        })
    });
    // The messages come from a channel, one by one, so the body is not ready at once.
    let (tx, rx) = tokio::sync::mpsc::channel::<api::PostModelOutputsRequest>(1);
    let feeder = tokio::spawn(async move {
        for i in 0..50 {
            tx.send(predict(&i.to_string())).await.unwrap();
            tokio::task::yield_now().await;
        }
    });
    let responses: Vec<_> = client
        .stream_model_outputs(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .collect()
        .await;
    feeder.await.unwrap();
    assert_eq!(responses.len(), 1);
    let response = responses.into_iter().next().unwrap().unwrap();
    assert_eq!(response.outputs[0].id, "50");
    assert_eq!(response.status.unwrap().code, StatusCode::Success as i32);
}
