//! A model written in Rust (feature `runner`): its declared signatures are exactly what the SDK's
//! `build_function_signature` writes for the same Python methods (tests/fixtures/methods/sdk.json);
//! served on a port, this crate's client and the official SDK's own
//! `ModelClient.from_local_grpc(port)` list and call every method, and a handler's failure
//! answers FAILURE with its cause, as the SDK's model server does.

use std::process::Command;

use clarifai_tonic::api::{self, MethodSignature, status::StatusCode};
use clarifai_tonic::prost::Message;
use clarifai_tonic::runner::{Method, Type, serve};

use crate::support::classifier;
use crate::support::echo::echo;
use clarifai_tonic::{ClarifaiClient, TryStreamExt, Value, stream};

const FIXTURE: &str = include_str!("../fixtures/methods/sdk.json");

#[test]
fn signatures_are_what_the_sdk_writes_for_the_same_python_methods() {
    let doc: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    let sdk = |name: &str| -> MethodSignature {
        let entry = doc["methods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap();
        let hex = entry["method_hex"].as_str().unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        MethodSignature::decode(bytes.as_slice()).unwrap()
    };
    let ours = echo().signatures();
    let mut compared = 0;
    for name in ["predict", "scalars", "array", "named", "generate", "stream"] {
        let mine = ours.iter().find(|m| m.name == name).unwrap();
        assert_eq!(mine, &sdk(name), "{name}");
        compared += 1;
    }
    let json_doc = Method::predict("json_doc", |_| async { Ok(Value::None) })
        .arg("doc", Type::Json)
        .returns(Type::Json);
    assert_eq!(json_doc.signature(), sdk("json_doc"));
    let lists = Method::predict("lists", |_| async { Ok(Value::None) })
        .arg("words", Type::list(Type::Str))
        .arg("numbers", Type::list(Type::Int))
        .arg("nested", Type::list(Type::list(Type::Float)))
        .returns(Type::list(Type::Str));
    assert_eq!(lists.signature(), sdk("lists"));
    let messages = Method::predict("messages", |_| async { Ok(Value::None) })
        .arg("text", Type::Text)
        .arg("image", Type::Image)
        .arg("audio", Type::Audio)
        .arg("video", Type::Video)
        .returns(Type::Tuple(vec![Type::Text, Type::Image]));
    assert_eq!(messages.signature(), sdk("messages"));
    assert_eq!(compared, 6);
}

#[tokio::test]
async fn our_client_calls_every_kind_of_method_of_a_rust_model() {
    let server = serve(echo(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let model = ClarifaiClient::local(server.addr().port())
        .unwrap()
        .model("echo")
        .unwrap();
    let names: Vec<String> = model
        .methods()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names.len(), 15, "{names:?}");

    let answer = model
        .method("predict")
        .arg("prompt", "hi")
        .predict()
        .await
        .unwrap();
    assert_eq!(answer, Value::from("hi|0.7|16"));
    let pieces: Vec<Value> = model
        .method("generate")
        .arg("prompt", "a b")
        .arg("count", 1)
        .generate()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pieces, ["a", "b", "0"].map(Value::from));
    let echoes: Vec<Value> = model
        .method("stream")
        .arg("suffix", "!")
        .stream("chunks", stream::iter(["x", "y"]))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(echoes, ["x!", "y!"].map(Value::from));

    let e = model
        .method("fail")
        .arg("reason", "on purpose")
        .predict()
        .await
        .unwrap_err();
    let failure = e.clarifai().expect("an in-band failure");
    assert_eq!(failure.code, StatusCode::Failure);
    assert_eq!(failure.status.details, "on purpose");
    assert_eq!(failure.status.internal_details, "on purpose");
    let response: &api::MultiOutputResponse = e.response().unwrap();
    assert!(response.outputs.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdks_own_client_calls_every_method_of_a_rust_model() {
    let server = serve(echo(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let Some(got) = sdk_script("sdk_client.py", server.addr().port()).await else {
        return;
    };
    assert_eq!(got["methods"].as_array().map(Vec::len), Some(15), "{got}");
    assert_eq!(
        got["signature"],
        "def predict(prompt: str, temperature: float = 0.7, max_tokens: int = 16, loud: bool = False) -> str:"
    );
    assert_eq!(got["predict"], "hi|0.7|16");
    assert_eq!(got["predict_args"], "HI|1.0|5");
    assert_eq!(got["scalars"], serde_json::json!(["a!", 2, 5.0, false]));
    assert_eq!(got["array"], serde_json::json!([[0.0, 2.0], [4.0, 6.0]]));
    assert_eq!(
        got["json"],
        serde_json::json!({"got": {"a": 1.0, "b": [1.0, 2.0]}, "kind": "dict"})
    );
    assert_eq!(
        got["named"],
        serde_json::json!({"name": "x", "best": 3.0, "count": 2})
    );
    assert_eq!(got["generate"], serde_json::json!(["a", "b", "0", "1"]));
    assert_eq!(got["stream"], serde_json::json!(["x?", "y?"]));
    assert_eq!(
        got["fail_status"],
        serde_json::json!(["FAILURE", "on purpose"])
    );

    // The same calls to the Python twin, served by the SDK's own model server: the same answers.
    let Some(python) = crate::interop::python_or_skip("the SDK's model server") else {
        return;
    };
    let sdk_server = tokio::task::spawn_blocking(move || crate::interop::start(&python))
        .await
        .unwrap();
    let Some(sdk) = sdk_script("sdk_client.py", sdk_server.port).await else {
        return;
    };
    let compared = got
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "methods" && *k != "fail");
    for key in compared {
        assert_eq!(
            got[key], sdk[key],
            "{key}: the Rust model, then the Python one"
        );
    }
}

/// Runs a script of tests/interop with the venv's python against a local model server on
/// `port`, and returns the JSON it printed (None, with the reason printed, when there is no
/// venv and CI does not require one).
async fn sdk_script(script: &str, port: u16) -> Option<serde_json::Value> {
    let python = crate::interop::python_or_skip("the SDK's client against a Rust model")?;
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(script);
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .output()
    })
    .await
    .unwrap()
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the SDK's client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().last().unwrap_or_default();
    Some(serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdks_client_calls_every_method_of_the_runner_examples_model() {
    let server = serve(classifier::model(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let Some(got) = sdk_script("sdk_classifier.py", server.addr().port()).await else {
        return;
    };
    assert_eq!(
        got["methods"],
        serde_json::json!(["generate", "predict", "stream"])
    );
    assert_eq!(
        got["signatures"]["predict"],
        "def predict(text: str, top_k: int = 3) -> List[data_types.Concept]:"
    );
    assert_eq!(
        got["signatures"]["stream"],
        "def stream(texts: Iterator[str], prefix: str) -> Iterator[str]:"
    );
    // Two known words of five: positive 2/3, negative 0, neutral 1/3.
    assert_eq!(
        got["predict"],
        serde_json::json!([["positive", 0.6667], ["neutral", 0.3333], ["negative", 0.0]])
    );
    assert_eq!(got["predict_top1"], serde_json::json!(["negative"]));
    assert_eq!(
        got["generate"],
        serde_json::json!(["positive", "negative", "neutral"])
    );
    assert_eq!(
        got["stream"],
        serde_json::json!(["> positive", "> negative", "> neutral"])
    );
}
