//! The `clarifai.call` span: one per call, unary and streaming alike, with OpenTelemetry's RPC
//! fields, as a subscriber sees them when the span closes.

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::rpc;
use futures_util::StreamExt;

use crate::support::fixture::{Fixture, stream_all, traced};

fn output(id: &str) -> api::MultiOutputResponse {
    api::MultiOutputResponse {
        status: Some(api::status::Status {
            code: StatusCode::Success as i32,
            req_id: format!("req-{id}"),
            ..Default::default()
        }),
        outputs: vec![api::Output {
            id: id.into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// The closing lines of the `clarifai.call` spans, one per call, in the order they closed.
fn closed_call_spans(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.contains("clarifai.call") && l.contains("close"))
        .collect()
}

#[test]
fn every_kind_of_call_has_a_span_with_the_rpc_fields() {
    let text = traced(tracing::Level::DEBUG, true, || async {
        let (mock, client) = Fixture::new().start().await;
        mock.respond::<rpc::PostModelOutputs>(output("unary"));
        mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
            futures_util::stream::iter(vec![Ok(output("server")), Ok(output("server"))])
        });
        mock.on_bidi::<rpc::StreamModelOutputs, _, _>(|req| {
            req.into_inner().map(|m| m.map(|_| output("bidi")))
        });
        mock.on::<rpc::GetModel, _, _>(|_| async { Err(tonic::Status::not_found("no model")) });

        client
            .post_model_outputs(api::PostModelOutputsRequest::default())
            .await
            .unwrap();
        let items: Vec<_> = client
            .generate_model_outputs(api::PostModelOutputsRequest::default())
            .await
            .unwrap()
            .collect()
            .await;
        assert_eq!(items.len(), 2);
        let items = stream_all(&client, vec![api::PostModelOutputsRequest::default()]).await;
        assert_eq!(items.len(), 1);
        client
            .get_model(api::GetModelRequest::default())
            .await
            .unwrap_err();
    });
    let spans = closed_call_spans(&text);
    assert_eq!(spans.len(), 4, "one span per call:\n{text}");
    for (span, method) in spans.iter().zip([
        "PostModelOutputs",
        "GenerateModelOutputs",
        "StreamModelOutputs",
        "GetModel",
    ]) {
        for field in [
            format!("otel.name=\"clarifai.api.V2/{method}\""),
            "otel.kind=\"client\"".to_owned(),
            "rpc.system=\"grpc\"".to_owned(),
            "rpc.service=\"clarifai.api.V2\"".to_owned(),
            format!("rpc.method=\"{method}\""),
        ] {
            assert!(span.contains(&field), "no {field} in {span}");
        }
    }
    // How each ended: OK with Clarifai's SUCCESS and req_id, or the gRPC code (NOT_FOUND = 5).
    assert!(spans[0].contains("rpc.grpc.status_code=0"), "{}", spans[0]);
    assert!(
        spans[0].contains("clarifai.status_code=10000"),
        "{}",
        spans[0]
    );
    assert!(spans[0].contains("req_id=\"req-unary\""), "{}", spans[0]);
    assert!(spans[0].contains("attempt=1"), "{}", spans[0]);
    assert!(spans[1].contains("req_id=\"req-server\""), "{}", spans[1]);
    assert!(spans[2].contains("rpc.grpc.status_code=0"), "{}", spans[2]);
    assert!(spans[3].contains("rpc.grpc.status_code=5"), "{}", spans[3]);
}
