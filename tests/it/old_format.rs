//! Inputs in the old format (no parts: a plain text, concepts, a JSON string set on the `Data`
//! itself), sent as they are to the SDK's own model server (tests/interop/echo) and to ours (its
//! Rust twin): the same answers, message for message, for unary, generate and stream calls, and
//! the same failure for an argument the old format cannot carry.

use clarifai_tonic::api::{self, MultiOutputResponse, PostModelOutputsRequest};
use clarifai_tonic::runner::serve;
use clarifai_tonic::{ClarifaiClient, Error, StreamExt, TryStreamExt, stream};

use crate::support::echo::echo;

fn method(name: &str) -> prost_types::Struct {
    prost_types::Struct {
        fields: [(
            "_method_name".to_owned(),
            prost_types::Value {
                kind: Some(prost_types::value::Kind::StringValue(name.into())),
            },
        )]
        .into(),
    }
}

/// A request of one input whose data is `data`, naming `name` (or no method at all).
fn request(name: Option<&str>, data: api::Data) -> PostModelOutputsRequest {
    let data = api::Data {
        metadata: name.map(method),
        ..data
    };
    PostModelOutputsRequest {
        inputs: vec![api::Input::from_data(data)],
        ..Default::default()
    }
}

fn text(raw: &str) -> api::Data {
    api::Data {
        text: Some(Box::new(api::Text::raw(raw))),
        ..Default::default()
    }
}

/// The answer, failures included, without what only one side can say (Python's stack trace, our
/// `internal_details`).
fn comparable(answer: Result<MultiOutputResponse, Error>) -> MultiOutputResponse {
    let mut response = match answer {
        Ok(response) => response,
        Err(e) => e
            .into_response::<MultiOutputResponse>()
            .unwrap_or_else(|e| panic!("no response in the failure: {e}")),
    };
    if let Some(status) = response.status.as_mut() {
        status.stack_trace.clear();
        status.internal_details.clear();
    }
    response
}

fn cases() -> Vec<(&'static str, PostModelOutputsRequest)> {
    let concept = api::Concept {
        id: "c1".into(),
        name: "Golden dog".into(),
        value: 0.9,
        ..Default::default()
    };
    vec![
        (
            "a plain text, no method: predict",
            request(None, text("hi")),
        ),
        (
            "a plain text to predict",
            request(Some("predict"), text("hi")),
        ),
        (
            "no argument at all",
            request(Some("predict"), api::Data::default()),
        ),
        (
            "concepts on the data",
            request(
                Some("one_concept"),
                api::Data {
                    concepts: vec![concept],
                    ..Default::default()
                },
            ),
        ),
        (
            "a JSON object as a string",
            request(
                Some("json"),
                api::Data {
                    string_value: r#"{"a": 1, "b": [true]}"#.into(),
                    ..Default::default()
                },
            ),
        ),
        (
            "a list argument the old format cannot carry",
            request(Some("lists"), text("a")),
        ),
        (
            "a JSON string that is not an object",
            request(
                Some("json"),
                api::Data {
                    string_value: "[1, 2]".into(),
                    ..Default::default()
                },
            ),
        ),
    ]
}

async fn answers(client: &ClarifaiClient) -> Vec<MultiOutputResponse> {
    let mut all = Vec::new();
    for (_, request) in cases() {
        all.push(comparable(client.post_model_outputs(request).await));
    }
    let generated = client
        .generate_model_outputs(request(Some("generate"), text("a b")))
        .await
        .unwrap();
    all.extend(generated.try_collect::<Vec<_>>().await.unwrap());
    let first = request(Some("stream"), text("x"));
    let streamed = client
        .stream_model_outputs(stream::iter([first]))
        .await
        .unwrap();
    all.extend(streamed.try_collect::<Vec<_>>().await.unwrap());
    // A stream's later values inlined (no part): a string is read, a text alone is no value (the
    // SDK's KeyError, after the answers before it).
    let inlined = |s: &str| api::Data {
        string_value: s.into(),
        ..Default::default()
    };
    let later = [
        request(Some("stream"), text("x")),
        request(None, inlined("y")),
        request(None, text("z")),
        request(None, inlined("never read")),
    ];
    all.extend(collect(client.stream_model_outputs(stream::iter(later)).await).await);
    // Two inputs to a generate call.
    let mut two = request(Some("generate"), text("a"));
    two.inputs.push(two.inputs[0].clone());
    all.extend(collect(client.generate_model_outputs(two).await).await);
    all
}

/// Every answer of a stream, its failure (the last) included.
async fn collect(
    answers: Result<clarifai_tonic::ResponseStream<MultiOutputResponse>, Error>,
) -> Vec<MultiOutputResponse> {
    // A failure as the first answer comes back from the call itself.
    let mut answers = match answers {
        Ok(answers) => answers,
        Err(e) => return vec![comparable(Err(e))],
    };
    let mut all = Vec::new();
    while let Some(answer) = answers.next().await {
        let failed = answer.is_err();
        all.push(comparable(answer));
        if failed {
            break;
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_format_inputs_get_the_sdks_answers() {
    let Some(python) = crate::interop::python_or_skip("the old-format comparison") else {
        return;
    };
    let sdk_server = tokio::task::spawn_blocking(move || crate::interop::start(&python))
        .await
        .unwrap();
    let ours = serve(echo(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let theirs = answers(&ClarifaiClient::local(sdk_server.port).unwrap()).await;
    let mine = answers(&ClarifaiClient::local(ours.addr().port()).unwrap()).await;
    let names: Vec<&str> = cases().iter().map(|(n, _)| *n).collect();
    assert_eq!(mine.len(), theirs.len(), "{mine:#?}\n{theirs:#?}");
    for (i, (a, b)) in mine.iter().zip(&theirs).enumerate() {
        let name = names.get(i).copied().unwrap_or("generate / stream");
        assert_eq!(a, b, "{name}: ours, then the SDK's");
    }
    // What the answers are, so that both being wrong alike shows too.
    let details: Vec<&str> = mine
        .iter()
        .filter_map(|r| r.status.as_ref())
        .map(|s| s.details.as_str())
        .filter(|d| !d.is_empty())
        .collect();
    assert_eq!(
        details,
        [
            "Field prompt is required but not set",
            "Field words is required but not set",
            "'list' object has no attribute 'items'",
            "'chunks'",
            "Generate requires exactly one input"
        ]
    );
    let first = &mine[0].outputs[0].data.as_ref().unwrap();
    assert_eq!(first.string_value, "hi|0.7|16");
    assert_eq!(first.text.as_ref().unwrap().raw, "hi|0.7|16");
    assert!(first.parts.is_empty());
}
