//! A model written in Rust (feature `serve`): its declared signatures are exactly what the SDK's
//! `build_function_signature` writes for the same Python methods (tests/fixtures/methods/sdk.json);
//! served on a port, this crate's client and the official SDK's own
//! `ModelClient.from_local_grpc(port)` list and call every method, and a handler's failure
//! answers MODEL_PREDICTION_FAILED with its cause.

use std::process::Command;

use clarifai_tonic::api::{self, MethodSignature, status::StatusCode};
use clarifai_tonic::methods::NdArray;
use clarifai_tonic::prost::Message;
use clarifai_tonic::serve::{Method, Model, Type, serve};
use clarifai_tonic::{ClarifaiClient, StreamExt, TryStreamExt, Value, stream};

const FIXTURE: &str = include_str!("../fixtures/methods/sdk.json");

fn upper(
    args: &clarifai_tonic::serve::Args,
) -> Result<String, clarifai_tonic::serve::HandlerError> {
    let prompt: String = args.take("prompt")?;
    let loud: bool = args.take("loud")?;
    let temperature: f64 = args.take("temperature")?;
    let max_tokens: i64 = args.take("max_tokens")?;
    let text = if loud { prompt.to_uppercase() } else { prompt };
    Ok(format!("{text}|{temperature:?}|{max_tokens}"))
}

/// The Rust twin of tests/interop/echo's Python model (and of the fixture's table).
fn echo() -> Model {
    Model::new()
        .method(
            Method::predict(
                "predict",
                |args| async move { Ok(Value::from(upper(&args)?)) },
            )
            .arg("prompt", Type::Str)
            .arg_default("temperature", Type::Float, 0.7)
            .arg_default("max_tokens", Type::Int, 16)
            .arg_default("loud", Type::Bool, false)
            .returns(Type::Str),
        )
        .method(
            Method::predict("scalars", |args| async move {
                let s: String = args.take("s")?;
                let mut b: Vec<u8> = args.take("b")?;
                b.push(b'!');
                let i: i64 = args.take("i")?;
                let f: f64 = args.take("f")?;
                let flag: bool = args.take("flag")?;
                Ok(Value::tuple([
                    Value::from(s + "!"),
                    Value::bytes(b),
                    Value::from(i + 1),
                    Value::from(f * 2.0),
                    Value::from(!flag),
                ]))
            })
            .arg("s", Type::Str)
            .arg("b", Type::Bytes)
            .arg("i", Type::Int)
            .arg("f", Type::Float)
            .arg("flag", Type::Bool)
            .returns(Type::Tuple(vec![
                Type::Str,
                Type::Bytes,
                Type::Int,
                Type::Float,
                Type::Bool,
            ])),
        )
        .method(
            Method::predict("array", |args| async move {
                let x: NdArray = args.take("x")?;
                let doubled: Vec<f32> = x.to_vec::<f32>()?.iter().map(|v| v * 2.0).collect();
                Ok(Value::NdArray(NdArray::new(x.shape().to_vec(), &doubled)?))
            })
            .arg("x", Type::NdArray)
            .returns(Type::NdArray),
        )
        .method(
            Method::predict("json", |args| async move {
                let doc: serde_json::Value = args.take("doc")?;
                let kind = if doc.is_array() { "list" } else { "dict" };
                Ok(Value::from(serde_json::json!({"got": doc, "kind": kind})))
            })
            .arg("doc", Type::Json)
            .returns(Type::Json),
        )
        .method(
            Method::predict("named", |args| async move {
                let name: String = args.take("name")?;
                let scores: Vec<f64> = args
                    .take::<Vec<Value>>("scores")?
                    .into_iter()
                    .map(f64::try_from)
                    .collect::<Result<_, _>>()?;
                let best = scores.iter().copied().fold(f64::MIN, f64::max);
                Ok(Value::named([
                    ("name", Value::from(name)),
                    ("best", Value::from(best)),
                    ("count", Value::from(scores.len() as i64)),
                ]))
            })
            .arg("name", Type::Str)
            .arg("scores", Type::list(Type::Float))
            .returns(Type::named([
                ("name", Type::Str),
                ("best", Type::Float),
                ("count", Type::Int),
            ])),
        )
        .method(
            Method::generate("generate", |args| {
                let prompt = args.take::<String>("prompt");
                let count = args.take::<i64>("count");
                let items: Vec<_> = match (prompt, count) {
                    (Ok(p), Ok(n)) => p
                        .split_whitespace()
                        .map(str::to_owned)
                        .chain((0..n).map(|i| i.to_string()))
                        .map(|s| Ok(Value::from(s)))
                        .collect(),
                    (Err(e), _) | (_, Err(e)) => vec![Err(e)],
                };
                stream::iter(items)
            })
            .arg("prompt", Type::Str)
            .arg_default("count", Type::Int, 3)
            .returns(Type::Str),
        )
        .method(
            Method::stream("stream", |args, chunks| {
                let suffix = args.take::<String>("suffix").unwrap_or_default();
                chunks.map(move |chunk| Ok(Value::from(format!("{chunk}{suffix}"))))
            })
            .stream_arg("chunks", Type::Str)
            .arg_default("suffix", Type::Str, "?")
            .returns(Type::Str),
        )
        .method(
            Method::predict("fail", |args| async move {
                let reason: String = args.take("reason")?;
                Err(reason.into())
            })
            .arg("reason", Type::Str)
            .returns(Type::Str),
        )
}

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
    assert_eq!(names.len(), 8, "{names:?}");

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
    assert_eq!(failure.code, StatusCode::ModelPredictionFailed);
    assert_eq!(failure.status.internal_details, "on purpose");
    let response: &api::MultiOutputResponse = e.response().unwrap();
    assert!(response.outputs.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdks_own_client_calls_every_method_of_a_rust_model() {
    let python = match crate::interop::python() {
        Ok(python) => python,
        Err(reason) => {
            assert!(
                std::env::var_os("CLARIFAI_INTEROP_REQUIRED").is_none(),
                "CI requires the SDK: {reason}"
            );
            eprintln!("SKIPPED the SDK's client against a Rust model: {reason}");
            return;
        }
    };
    let server = serve(echo(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let port = server.addr().port().to_string();
    let script =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/sdk_client.py");
    let out =
        tokio::task::spawn_blocking(move || Command::new(python).arg(script).arg(port).output())
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
    let got: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(got["methods"].as_array().map(Vec::len), Some(8), "{got}");
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
    assert!(
        got["fail"].as_str().unwrap().contains("on purpose"),
        "{got}"
    );
}
