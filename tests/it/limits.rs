//! Size limits: a response over `max_decoding_message_size` is a clear error the client recovers
//! from, a request over `max_encoding_message_size` never reaches the handler, the 1 GiB defaults
//! carry messages past tonic's 4 MiB, and small HTTP/2 flow-control windows still carry a large
//! message whole.

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::{Error, rpc};

use crate::support::fixture::{Fixture, outputs, success};

#[tokio::test]
async fn a_response_over_the_limit_is_a_clear_error_and_the_client_recovers() {
    let (mock, client) = Fixture::new()
        .with(|b| b.max_decoding_message_size(16 * 1024))
        .start()
        .await;
    mock.on::<rpc::PostModelOutputs, _, _>(|req| async move {
        let n = if req.get_ref().model_id == "big" {
            64 * 1024
        } else {
            1
        };
        Ok(outputs(&[&"x".repeat(n)], StatusCode::Success))
    });
    let big = api::PostModelOutputsRequest {
        model_id: "big".into(),
        ..Default::default()
    };
    let err = client.post_model_outputs(big).await.unwrap_err();
    assert!(matches!(err, Error::MessageTooLarge { .. }), "{err:?}");
    assert!(
        err.to_string().contains("max_decoding_message_size"),
        "{err}"
    );
    let small = api::PostModelOutputsRequest {
        model_id: "small".into(),
        ..Default::default()
    };
    client.post_model_outputs(small).await.unwrap();
}

/// A response many times the HTTP/2 windows still arrives whole and unchanged: flow control
/// with small windows is exercised end to end.
#[tokio::test]
async fn small_http2_windows_still_carry_a_large_response() {
    let (mock, client) = Fixture::new()
        .with(|b| {
            b.http2_stream_window(16 * 1024)
                .http2_connection_window(32 * 1024)
        })
        .start()
        .await;
    echo_inputs(&mock);
    let payload: bytes::Bytes = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
    let response = client
        .post_inputs(inputs_of(payload.clone()))
        .await
        .unwrap();
    let echoed = response.inputs[0].image().map(|i| i.base64.clone());
    assert_eq!(echoed, Some(payload));
}

/// The defaults are 1 GiB each way, far past tonic's own 4 MiB: a 6 MiB request and its 6 MiB
/// echo pass with no limit set.
#[tokio::test]
async fn the_default_limits_carry_messages_past_tonics_4_mib() {
    assert_eq!(clarifai_tonic::defaults::DEFAULT_MAX_MESSAGE_SIZE, 1 << 30);
    let (mock, client) = Fixture::new().start().await;
    echo_inputs(&mock);
    let payload = bytes::Bytes::from(vec![9u8; 6 << 20]);
    let response = client
        .post_inputs(inputs_of(payload.clone()))
        .await
        .unwrap();
    assert_eq!(
        response.inputs[0].image().map(|i| i.base64.clone()),
        Some(payload)
    );
}

/// `max_encoding_message_size`: a request over it is refused by the client, and the server's
/// handler never sees it; a request under it goes through.
#[tokio::test]
async fn a_request_over_max_encoding_message_size_never_reaches_the_handler() {
    let (mock, client) = Fixture::new()
        .with(|b| b.max_encoding_message_size(16 * 1024))
        .start()
        .await;
    echo_inputs(&mock);
    let err = client
        .post_inputs(inputs_of(vec![1u8; 64 * 1024].into()))
        .await
        .unwrap_err();
    // tonic resets its own stream, which says nothing of why; the client tells it.
    assert!(
        matches!(err, Error::MessageTooLarge { .. }) && !err.is_retryable(),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("over the 16384-byte limit"),
        "{err}"
    );
    assert_eq!(mock.call_count(), 0);
    client
        .post_inputs(inputs_of(vec![1u8; 1024].into()))
        .await
        .unwrap();
    assert_eq!(mock.call_count(), 1);
}

/// A PostInputs request of one image.
fn inputs_of(payload: bytes::Bytes) -> api::PostInputsRequest {
    api::PostInputsRequest {
        inputs: vec![api::Input::image_bytes(payload).with_id("big")],
        ..Default::default()
    }
}

/// PostInputs answers with the inputs it got.
fn echo_inputs(mock: &clarifai_tonic::mock::MockV2) {
    mock.on::<rpc::PostInputs, _, _>(|req| async move {
        Ok(api::MultiInputResponse {
            status: success(),
            inputs: req.into_inner().inputs,
            ..Default::default()
        })
    });
}
