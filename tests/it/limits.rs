//! Size limits: a response over `max_decoding_message_size` is a clear error the client recovers
//! from, and small HTTP/2 flow-control windows still carry a large message whole.

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::{Error, rpc};

use crate::fixture::{Fixture, outputs, success};

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
    mock.on::<rpc::PostInputs, _, _>(|req| async move {
        Ok(api::MultiInputResponse {
            status: success(),
            inputs: req.into_inner().inputs,
            ..Default::default()
        })
    });
    let payload: bytes::Bytes = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
    let request = api::PostInputsRequest {
        inputs: vec![api::Input::image_bytes(payload.clone()).with_id("big")],
        ..Default::default()
    };
    let response = client.post_inputs(request).await.unwrap();
    let echoed = response.inputs[0].image().map(|i| i.base64.clone());
    assert_eq!(echoed, Some(payload));
}
