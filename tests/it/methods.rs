//! Model methods against MockV2: discovery (GetModel, GetModelVersion, the `_GET_SIGNATURES`
//! fallback, the cache, an old-style model), bad calls refused before anything is sent, a typed
//! answer, deployment and nodepool targeting, and the warm-up on the paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clarifai_tonic::api::model_type_field::DataType;
use clarifai_tonic::api::status::StatusCode;
use clarifai_tonic::api::{self, Input, MethodSignature, ModelTypeField, RunnerMethodType};
use clarifai_tonic::methods::{MethodError, MethodKind};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{Error, TryStreamExt, Value, rpc, stream};

use crate::fixture::{Fixture, status, success};

fn field(name: &str, ty: DataType, default: Option<&str>) -> ModelTypeField {
    ModelTypeField {
        name: name.into(),
        r#type: ty as i32,
        required: default.is_none(),
        default: default.unwrap_or_default().into(),
        ..Default::default()
    }
}

fn method(
    name: &str,
    kind: RunnerMethodType,
    inputs: Vec<ModelTypeField>,
    ret: DataType,
) -> MethodSignature {
    let mut output = field("return", ret, None);
    output.required = false;
    output.iterator = kind != RunnerMethodType::UnaryUnary;
    MethodSignature {
        name: name.into(),
        method_type: kind as i32,
        input_fields: inputs,
        output_fields: vec![output],
        ..Default::default()
    }
}

pub fn llm() -> Vec<MethodSignature> {
    let mut chunks = field("chunks", DataType::Str, None);
    chunks.iterator = true;
    vec![
        method(
            "predict",
            RunnerMethodType::UnaryUnary,
            vec![
                field("prompt", DataType::Str, None),
                field("temperature", DataType::Float, Some("0.7")),
            ],
            DataType::Str,
        ),
        method(
            "generate",
            RunnerMethodType::UnaryStreaming,
            vec![field("prompt", DataType::Str, None)],
            DataType::Str,
        ),
        method(
            "stream",
            RunnerMethodType::StreamingStreaming,
            vec![chunks],
            DataType::Str,
        ),
    ]
}

/// GetModel lists `signatures`; GetModelVersion too.
pub fn serve_signatures(mock: &MockV2, signatures: Vec<MethodSignature>) {
    let version = api::ModelVersion {
        id: "v1".into(),
        method_signatures: signatures,
        ..Default::default()
    };
    mock.respond::<rpc::GetModel>(api::SingleModelResponse {
        status: success(),
        model: Some(Box::new(api::Model {
            id: "llm".into(),
            model_version: Some(Box::new(version.clone())),
            ..Default::default()
        })),
        ..Default::default()
    });
    mock.respond::<rpc::GetModelVersion>(api::SingleModelVersionResponse {
        status: success(),
        model_version: Some(Box::new(version)),
    });
}

/// A predict answer whose one output holds `text` in a `return` part.
pub fn answer(text: &str) -> api::MultiOutputResponse {
    let data = api::Data {
        parts: vec![api::Part {
            id: "return".into(),
            data: Some(Box::new(api::Data {
                string_value: text.into(),
                ..Default::default()
            })),
        }],
        ..Default::default()
    };
    api::MultiOutputResponse {
        status: success(),
        outputs: vec![api::Output {
            data: Some(Box::new(data)),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn method_error(e: &Error) -> &MethodError {
    match e {
        Error::Method(m) => m,
        other => panic!("expected a method error, got {other:?}"),
    }
}

#[tokio::test]
async fn signatures_come_from_get_model_once_per_handle() {
    let (mock, client) = Fixture::fast().start().await;
    serve_signatures(&mock, llm());
    let model = client.model("owner/app/llm").unwrap();
    let names: Vec<String> = model
        .methods()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["predict", "generate", "stream"]);
    model.clone().methods().await.unwrap(); // a clone shares the cache
    assert_eq!(mock.calls_to::<rpc::GetModel>().len(), 1);
    assert_eq!(mock.calls_to::<rpc::GetModelVersion>().len(), 0);

    // A pinned version asks GetModelVersion, for that version.
    let pinned = model.version("v1");
    pinned.methods().await.unwrap();
    let asked = &mock.requests::<rpc::GetModelVersion>()[0];
    assert_eq!(
        (asked.model_id.as_str(), asked.version_id.as_str()),
        ("llm", "v1")
    );
    assert_eq!(asked.user_app_id.as_ref().unwrap().app_id, "app");
}

#[tokio::test]
async fn without_listed_signatures_the_model_itself_is_asked() {
    let (mock, client) = Fixture::fast().start().await;
    mock.fail::<rpc::GetModel>(StatusCode::ModelDoesNotExist, "not here");
    let json = r#"{"predict": {"name": "predict", "methodType": "UNARY_UNARY",
        "inputFields": [{"name": "prompt", "type": "STR", "required": true}],
        "outputFields": [{"name": "return", "type": "STR"}]}}"#;
    mock.on::<rpc::PostModelOutputs, _, _>(move |request| {
        let asked = request.into_inner().inputs[0].data.clone().unwrap();
        let name = asked.metadata.unwrap().fields["_method_name"].clone();
        let mut response = answer("");
        let output = &mut response.outputs[0];
        output.data = Some(Box::new(api::Data {
            text: Some(Box::new(api::Text::raw(json))),
            ..Default::default()
        }));
        assert_eq!(
            name.kind,
            Some(prost_types::value::Kind::StringValue(
                "_GET_SIGNATURES".into()
            ))
        );
        assert_eq!(asked.parts.len(), 1, "one empty part, as the SDK sends");
        async move { Ok(response) }
    });
    let methods = client.model("me/app/llm").unwrap().methods().await.unwrap();
    assert_eq!(methods.len(), 1);
    assert_eq!(methods[0].input_fields[0].r#type, DataType::Str as i32);
    assert_eq!(MethodKind::of(&methods[0]), MethodKind::Predict);
}

#[tokio::test]
async fn a_model_without_signatures_is_an_old_style_model_that_still_predicts() {
    let (mock, client) = Fixture::fast().start().await;
    serve_signatures(&mock, vec![]);
    mock.on::<rpc::PostModelOutputs, _, _>(|request| {
        let data = request.into_inner().inputs[0]
            .data
            .clone()
            .unwrap_or_default();
        let asks = data
            .metadata
            .is_some_and(|m| m.fields.contains_key("_method_name"));
        async move {
            Ok(match asks {
                true => api::MultiOutputResponse {
                    status: status(StatusCode::InputUnsupportedFormat, "unsupported"),
                    ..Default::default()
                },
                false => answer("a cat"),
            })
        }
    });
    let model = client.model("me/app/classic").unwrap();
    let e = model.methods().await.unwrap_err();
    assert!(matches!(method_error(&e), MethodError::NoSignatures { model } if model == "classic"));
    assert!(e.to_string().contains("old-style model"), "{e}");
    let e = model
        .method("predict")
        .arg("prompt", "x")
        .predict()
        .await
        .unwrap_err();
    assert!(matches!(method_error(&e), MethodError::NoSignatures { .. }));
    let outputs = model.predict(Input::from_text("hi")).await.unwrap();
    assert_eq!(outputs.len(), 1);
}

#[tokio::test]
async fn bad_calls_are_refused_before_anything_is_sent() {
    let (mock, client) = Fixture::fast().start().await;
    serve_signatures(&mock, llm());
    mock.respond::<rpc::PostModelOutputs>(answer("never"));
    let model = client.model("me/app/llm").unwrap();

    let e = model
        .method("predict")
        .arg("temperature", 0.2)
        .predict()
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "predict: missing required argument \"prompt\"; the method is \
         `def predict(prompt: str, temperature: float = 0.7) -> str:`"
    );
    let e = model
        .method("predict")
        .arg("prompt", "x")
        .arg("top_k", 3)
        .predict()
        .await
        .unwrap_err();
    let MethodError::UnknownArgument {
        argument, accepted, ..
    } = method_error(&e)
    else {
        panic!("{e:?}")
    };
    assert_eq!(
        (argument.as_str(), accepted.clone()),
        ("top_k", vec!["prompt".into(), "temperature".into()])
    );
    let e = model
        .method("predict")
        .arg("prompt", "x")
        .arg("temperature", "hot")
        .predict()
        .await
        .unwrap_err();
    let MethodError::WrongType {
        argument,
        expected,
        given,
        ..
    } = method_error(&e)
    else {
        panic!("{e:?}")
    };
    assert_eq!(
        (argument.as_str(), expected.as_str(), given.as_str()),
        ("temperature", "float", "str")
    );
    let e = model.method("chat").predict().await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "model \"llm\" has no method \"chat\"; its methods: predict, generate, stream"
    );
    let e = model
        .method("predict")
        .arg("prompt", "x")
        .generate()
        .await
        .err()
        .unwrap();
    let MethodError::WrongKind { kind, called, .. } = method_error(&e) else {
        panic!("{e:?}")
    };
    assert_eq!((*kind, *called), (MethodKind::Predict, "generate"));
    let e = model
        .method("stream")
        .stream("chunk", stream::iter(["a"]))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(method_error(&e), MethodError::NotTheStreamArgument { expected, .. } if expected == "chunks")
    );
    let e = model
        .method("predict")
        .args(&[1, 2])
        .predict()
        .await
        .unwrap_err();
    assert!(
        matches!(method_error(&e), MethodError::BadArgs { .. }),
        "{e:?}"
    );

    assert!(
        mock.calls_to::<rpc::PostModelOutputs>().is_empty(),
        "nothing was sent"
    );
    assert!(mock.calls_to::<rpc::GenerateModelOutputs>().is_empty());
    assert!(mock.calls_to::<rpc::StreamModelOutputs>().is_empty());
}

#[tokio::test]
async fn a_call_sends_its_arguments_and_reads_the_answer() {
    #[derive(serde::Serialize)]
    struct Ask<'a> {
        prompt: &'a str,
        temperature: Option<f64>,
    }
    let (mock, client) = Fixture::fast().start().await;
    serve_signatures(&mock, llm());
    mock.respond::<rpc::PostModelOutputs>(answer("purr"));
    let model = client.model("me/app/llm").unwrap().temperature(0.1);
    let text: String = model
        .method("predict")
        .arg("prompt", "cat?")
        .predict()
        .await
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(text, "purr");
    let typed: String = model
        .method("predict")
        .args(&Ask {
            prompt: "dog?",
            temperature: None,
        })
        .predict_as()
        .await
        .unwrap();
    assert_eq!(typed, "purr");

    let sent = mock.requests::<rpc::PostModelOutputs>();
    let data = sent[0].inputs[0].data.as_ref().unwrap();
    assert_eq!(data.parts.len(), 1, "the default temperature is not sent");
    assert_eq!(data.parts[0].id, "prompt");
    assert_eq!(
        data.metadata.as_ref().unwrap().fields["_method_name"].kind,
        Some(prost_types::value::Kind::StringValue("predict".into()))
    );
    assert!(sent[0].model.is_some(), "the handle's options still travel");
    let data = sent[1].inputs[0].data.as_ref().unwrap();
    assert_eq!(data.parts[0].data.as_ref().unwrap().string_value, "dog?");
    // An int where a str is wanted is refused by type, even through serde.
    let e = model
        .method("predict")
        .args(&serde_json::json!({"prompt": 3}))
        .predict()
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "predict: argument prompt expects str, got JSON (number)"
    );
}

#[tokio::test]
async fn a_deployment_or_a_nodepool_is_on_every_call() {
    let (mock, client) = Fixture::fast().start().await;
    serve_signatures(&mock, llm());
    mock.respond::<rpc::PostModelOutputs>(answer("ok"));
    let model = client.model("owner/app/llm").unwrap();

    model
        .clone()
        .deployment("dep")
        .method("predict")
        .arg("prompt", "x")
        .predict()
        .await
        .unwrap();
    model
        .clone()
        .deployment("dep")
        .deployment_user("team")
        .predict(Input::from_text("x"))
        .await
        .unwrap();
    model
        .clone()
        .nodepool("cc", "np")
        .method("predict")
        .arg("prompt", "x")
        .predict()
        .await
        .unwrap();
    let sent = mock.requests::<rpc::PostModelOutputs>();
    let deployment = sent[0]
        .runner_selector
        .as_ref()
        .unwrap()
        .deployment
        .as_ref()
        .unwrap();
    // The owner defaults to the credentials' user, as the SDK asks for the PAT's own user.
    assert_eq!(
        (deployment.id.as_str(), deployment.user_id.as_str()),
        ("dep", "me")
    );
    let deployment = sent[1]
        .runner_selector
        .as_ref()
        .unwrap()
        .deployment
        .as_ref()
        .unwrap();
    assert_eq!(deployment.user_id, "team");
    let nodepool = sent[2]
        .runner_selector
        .as_ref()
        .unwrap()
        .nodepool
        .as_ref()
        .unwrap();
    let cluster = nodepool.compute_cluster.as_ref().unwrap();
    assert_eq!(
        (
            nodepool.id.as_str(),
            cluster.id.as_str(),
            cluster.user_id.as_str()
        ),
        ("np", "cc", "me")
    );

    mock.clear_calls();
    let both = model.deployment("dep").nodepool("cc", "np");
    let e = both
        .method("predict")
        .arg("prompt", "x")
        .predict()
        .await
        .unwrap_err();
    assert!(
        matches!(method_error(&e), MethodError::DeploymentAndNodepool { .. }),
        "{e:?}"
    );
    let e = both.predict(Input::from_text("x")).await.unwrap_err();
    assert!(
        matches!(method_error(&e), MethodError::DeploymentAndNodepool { .. }),
        "{e:?}"
    );
    assert_eq!(mock.call_count(), 0, "nothing was sent");
}

/// PostModelOutputs answers MODEL_LOADING `loading` times, then `answer("warm")`.
fn warming(mock: &MockV2, loading: usize) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    mock.on::<rpc::PostModelOutputs, _, _>(move |_| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        async move {
            Ok(match n < loading {
                true => api::MultiOutputResponse {
                    status: status(StatusCode::ModelLoading, "loading"),
                    ..Default::default()
                },
                false => answer("warm"),
            })
        }
    });
    calls
}

#[tokio::test(start_paused = true)]
async fn a_loading_model_is_waited_for_with_the_sdks_pauses() {
    let (mock, client) = Fixture::new().start_in_memory().await;
    serve_signatures(&mock, llm());
    let calls = warming(&mock, 3);
    let model = client.model("me/app/llm").unwrap();
    let start = tokio::time::Instant::now();
    let text = model
        .method("predict")
        .arg("prompt", "x")
        .predict()
        .await
        .unwrap();
    assert_eq!(text, Value::from("warm"));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        4,
        "three MODEL_LOADING answers, then the answer"
    );
    // 0.1 s × 1.3^11, ^12, ^13: 1.792 + 2.330 + 3.029 s.
    let waited = start.elapsed().as_secs_f64();
    assert!((7.15..7.16).contains(&waited), "waited {waited} s");

    // Input predictions wait too.
    calls.store(0, Ordering::SeqCst);
    model.predict(Input::from_text("x")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test(start_paused = true)]
async fn the_warm_up_keeps_to_its_budget_and_to_the_callers_deadline() {
    let (mock, client) = Fixture::new().start_in_memory().await;
    serve_signatures(&mock, llm());
    let calls = warming(&mock, usize::MAX);
    let model = client.model("me/app/llm").unwrap();

    // A 3 s budget: tries at 0, 1.79 and 4.12 s, the last past the budget.
    let e = model
        .clone()
        .warm_up(Duration::from_secs(3))
        .predict(Input::from_text("x"))
        .await
        .unwrap_err();
    assert_eq!(
        e.status_code().and_then(|c| c.known()),
        Some(StatusCode::ModelLoading)
    );
    assert_eq!(calls.swap(0, Ordering::SeqCst), 3);

    // The default budget outlasts the client's default 120 s deadline per call...
    let start = tokio::time::Instant::now();
    model.predict(Input::from_text("x")).await.unwrap_err();
    assert!(
        start.elapsed() >= Duration::from_secs(600),
        "{:?}",
        start.elapsed()
    );
    assert!(
        start.elapsed() < Duration::from_secs(700),
        "{:?}",
        start.elapsed()
    );
    calls.store(0, Ordering::SeqCst);

    // ...but not a deadline the caller set.
    let start = tokio::time::Instant::now();
    let e = model
        .clone()
        .timeout(Duration::from_secs(5))
        .predict(Input::from_text("x"))
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        e.status_code().and_then(|c| c.known()),
        Some(StatusCode::ModelLoading)
    );
    assert_eq!(
        calls.swap(0, Ordering::SeqCst),
        3,
        "tries at 0, 1.79 and 4.12 s"
    );
}

#[tokio::test(start_paused = true)]
async fn a_client_timeout_bounds_the_warm_up_and_zero_turns_it_off() {
    let (mock, client) = Fixture::new()
        .timeout(Duration::from_secs(5))
        .start_in_memory()
        .await;
    serve_signatures(&mock, llm());
    let calls = warming(&mock, usize::MAX);
    let model = client.model("me/app/llm").unwrap();
    let start = tokio::time::Instant::now();
    model.predict(Input::from_text("x")).await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(calls.swap(0, Ordering::SeqCst), 3);
    model
        .warm_up(Duration::ZERO)
        .predict(Input::from_text("x"))
        .await
        .unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn generate_and_stream_wait_out_a_warm_up_too() {
    let (mock, client) = Fixture::new().start_in_memory().await;
    serve_signatures(&mock, llm());
    let tries = Arc::new(AtomicUsize::new(0));
    let seen = tries.clone();
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(move |_| {
        let first = seen.fetch_add(1, Ordering::SeqCst) == 0;
        let items = match first {
            true => vec![Ok(api::MultiOutputResponse {
                status: status(StatusCode::ModelDeploying, "deploying"),
                ..Default::default()
            })],
            false => vec![Ok(answer("a")), Ok(answer("b"))],
        };
        futures_util::stream::iter(items)
    });
    let model = client.model("me/app/llm").unwrap();
    let pieces: Vec<Value> = model
        .method("generate")
        .arg("prompt", "x")
        .generate()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pieces, [Value::from("a"), Value::from("b")]);
    assert_eq!(tries.load(Ordering::SeqCst), 2);

    // A stream's first attempt gets MODEL_BUSY_PLEASE_RETRY; the second gets every chunk,
    // those the first took included.
    let tries = Arc::new(AtomicUsize::new(0));
    let seen = tries.clone();
    mock.on_bidi::<rpc::StreamModelOutputs, _, _>(move |request| {
        let first = seen.fetch_add(1, Ordering::SeqCst) == 0;
        let incoming = request.into_inner();
        futures_util::stream::unfold((incoming, first), |(mut incoming, first)| async move {
            use futures_util::StreamExt;
            let request = incoming.next().await?.ok()?;
            if first {
                let busy = api::MultiOutputResponse {
                    status: status(StatusCode::ModelBusyPleaseRetry, "busy"),
                    ..Default::default()
                };
                return Some((Ok(busy), (incoming, false)));
            }
            let part = &request.inputs[0].data.as_ref()?.parts[0];
            let chunk = part.data.as_ref()?.string_value.clone();
            Some((Ok(answer(&format!("{chunk}!"))), (incoming, false)))
        })
    });
    let echoes: Vec<Value> = model
        .method("stream")
        .stream("chunks", stream::iter(["x", "y"]))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(echoes, [Value::from("x!"), Value::from("y!")]);
    assert_eq!(tries.load(Ordering::SeqCst), 2);
}
