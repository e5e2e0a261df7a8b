//! Interop with the official SDK's own model server: `python -m clarifai.runners.server --grpc`
//! (from `clarifai` 12.5.0, in the venv `scripts/interop-venv` makes under `target/`) serving
//! tests/interop/echo, a `ModelClass` whose methods echo what they are given. Our client lists
//! its methods and calls each one, over a real socket, and checks what comes back.
//!
//! Skipped, with the reason printed, when python3 or the venv is missing; `.ci/run` sets
//! `CLARIFAI_INTEROP_REQUIRED=1`, which turns a skip into a failure.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use clarifai_tonic::api::{self, model_type_field::DataType};
use clarifai_tonic::methods::{MethodError, NdArray, python_signature};
use clarifai_tonic::{ClarifaiClient, Error, TryStreamExt, Value, handles::ModelHandle, stream};

/// The SDK's model server on a free port, killed when dropped.
pub struct SdkServer {
    child: Child,
    /// Its port.
    pub port: u16,
}

impl Drop for SdkServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's python, or why there is none (tests/it/serve.rs runs the SDK's client with it).
pub fn python() -> Result<PathBuf, String> {
    if Command::new("python3").arg("--version").output().is_err() {
        return Err("python3 is not installed".into());
    }
    let python = std::env::var_os("CLARIFAI_INTEROP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/interop-venv/bin/python"));
    if !python.exists() {
        return Err(format!(
            "{} is missing: run scripts/interop-venv to install the SDK (clarifai 12.5.0)",
            python.display()
        ));
    }
    Ok(python)
}

/// The venv's python; without one, `None` after printing why `what` is skipped, or a panic when
/// CI requires it (`CLARIFAI_INTEROP_REQUIRED`).
pub fn python_or_skip(what: &str) -> Option<PathBuf> {
    match python() {
        Ok(python) => Some(python),
        Err(reason) if std::env::var_os("CLARIFAI_INTEROP_REQUIRED").is_some() => {
            panic!("{what} cannot run, and CI requires it: {reason}")
        }
        Err(reason) => {
            eprintln!("SKIPPED {what}: {reason}");
            None
        }
    }
}

/// The SDK's model server serving tests/interop/echo.
pub fn start(python: &Path) -> SdkServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new(python)
        .args([
            "-m",
            "clarifai.runners.server",
            "--grpc",
            "--health_check_port",
            "0",
        ])
        .arg("--model_path")
        .arg(root().join("tests/interop/echo"))
        .args(["--port", &port.to_string()])
        .env("PYTHONUNBUFFERED", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the SDK's model server starts");
    // The signal: the server's own "Started server on port" line, on either stream.
    let (ready, started) = mpsc::channel();
    let streams: [Box<dyn std::io::Read + Send>; 2] = [
        Box::new(child.stdout.take().expect("stdout")),
        Box::new(child.stderr.take().expect("stderr")),
    ];
    for stream in streams {
        let ready = ready.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if line.contains("Started server on port") {
                    let _ = ready.send(Ok(()));
                }
                if std::env::var_os("INTEROP_SERVER_LOG").is_some() {
                    eprintln!("[sdk server] {line}");
                }
            }
            let _ = ready.send(Err(()));
        });
    }
    let server = SdkServer { child, port };
    for _ in 0..2 {
        match started.recv_timeout(Duration::from_secs(180)) {
            Ok(Ok(())) => return server,
            Ok(Err(())) => continue, // one stream closed; the other may still say it
            Err(e) => panic!("the SDK's model server did not start: {e}"),
        }
    }
    panic!("the SDK's model server exited before it started (INTEROP_SERVER_LOG=1 shows its log)");
}

/// The served model, through the twin of the SDK's `ModelClient.from_local_grpc(port)`.
fn model(server: &SdkServer) -> ModelHandle {
    ClarifaiClient::local(server.port)
        .unwrap()
        .model("echo")
        .unwrap()
}

fn method_error(e: &Error) -> &MethodError {
    match e {
        Error::Method(m) => m,
        other => panic!("expected a method error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_of_an_sdk_model_server() {
    let Some(python) = python_or_skip("interop with the SDK's model server") else {
        return;
    };
    let server = start(&python);
    let model = model(&server);

    discovery(&model).await;
    scalars(&model).await;
    containers(&model).await;
    messages(&model).await;
    streaming(&model).await;
    bad_calls(&model).await;
}

async fn discovery(model: &ModelHandle) {
    let methods = model.methods().await.expect("the model lists its methods");
    let names: Vec<&str> = methods.iter().map(|m| m.name.as_str()).collect();
    for name in [
        "predict", "scalars", "array", "json", "messages", "concepts", "named", "generate",
        "stream",
    ] {
        assert!(names.contains(&name), "{name} is missing from {names:?}");
    }
    let predict = methods.iter().find(|m| m.name == "predict").unwrap();
    assert_eq!(
        python_signature(predict),
        "def predict(prompt: str, temperature: float = 0.7, max_tokens: int = 16, loud: bool = False) -> str:"
    );
    assert_eq!(predict.input_fields[0].r#type, DataType::Str as i32);
}

async fn scalars(model: &ModelHandle) {
    // Defaults filled by the model; an int given for a float; a bool.
    let text = model
        .method("predict")
        .arg("prompt", "hi")
        .predict()
        .await
        .unwrap();
    assert_eq!(String::try_from(text).unwrap(), "hi|0.7|16");
    let text = model
        .method("predict")
        .arg("prompt", "hi")
        .arg("temperature", 1)
        .arg("max_tokens", 5)
        .arg("loud", true)
        .predict()
        .await
        .unwrap();
    assert_eq!(String::try_from(text).unwrap(), "HI|1.0|5");

    let back = model
        .method("scalars")
        .arg("s", "é")
        .arg("b", Value::bytes(vec![0u8, 255]))
        .arg("i", -3i64)
        .arg("f", 2.5)
        .arg("flag", false)
        .predict()
        .await
        .unwrap();
    let items = Vec::<Value>::try_from(back).unwrap();
    assert_eq!(String::try_from(items[0].clone()).unwrap(), "é!");
    assert_eq!(
        Vec::<u8>::try_from(items[1].clone()).unwrap(),
        vec![0, 255, b'!']
    );
    assert_eq!(i64::try_from(items[2].clone()).unwrap(), -2);
    assert_eq!(f64::try_from(items[3].clone()).unwrap(), 5.0);
    assert!(bool::try_from(items[4].clone()).unwrap());

    let doubled = model
        .method("array")
        .arg("x", NdArray::new([2, 2], &[1.0f32, 2.0, 3.0, 4.0]).unwrap())
        .predict()
        .await
        .unwrap();
    let doubled = NdArray::try_from(doubled).unwrap();
    assert_eq!(doubled.shape(), [2, 2]);
    assert_eq!(doubled.to_vec::<f32>().unwrap(), [2.0, 4.0, 6.0, 8.0]);
}

async fn containers(model: &ModelHandle) {
    let doc = serde_json::json!({"a": 1, "b": [1, "x", null]});
    let back = model
        .method("json")
        .arg("doc", doc)
        .predict()
        .await
        .unwrap();
    let back = serde_json::Value::try_from(back).unwrap();
    // A Struct holds every number as a double.
    assert_eq!(
        back,
        serde_json::json!({"got": {"a": 1.0, "b": [1.0, "x", null]}, "kind": "dict"})
    );
    let back = model
        .method("json")
        .arg("doc", serde_json::json!([1, 2]))
        .predict()
        .await
        .unwrap();
    assert_eq!(
        serde_json::Value::try_from(back).unwrap(),
        serde_json::json!({"got": [1.0, 2.0], "kind": "list"})
    );

    let back = model
        .method("lists")
        .arg("words", vec!["a", "b"])
        .arg("numbers", vec![1, 2])
        .arg("nested", vec![vec![1.5], vec![2.5]])
        .predict()
        .await
        .unwrap();
    let words: Vec<String> = back.into_vec().unwrap();
    assert_eq!(words, ["2:3:4.0", "a", "b"]);

    let best = model
        .method("named")
        .arg("name", "x")
        .arg("scores", vec![1.0, 3.0])
        .predict()
        .await
        .unwrap();
    assert_eq!(best.get("name"), Some(&Value::from("x")));
    assert_eq!(best.get("best"), Some(&Value::Float(3.0)));
    assert_eq!(best.get("count"), Some(&Value::Int(2)));
}

async fn messages(model: &ModelHandle) {
    let image = api::Image::url("https://samples.clarifai.com/metro-north.jpg");
    let back = model
        .method("messages")
        .arg("text", api::Text::raw("hello"))
        .arg("image", image.clone())
        .arg(
            "audio",
            api::Audio::url("https://samples.clarifai.com/a.wav"),
        )
        .arg(
            "video",
            api::Video::url("https://samples.clarifai.com/v.mp4"),
        )
        .predict()
        .await
        .unwrap();
    let items = Vec::<Value>::try_from(back).unwrap();
    assert_eq!(api::Text::try_from(items[0].clone()).unwrap().raw, "hello!");
    assert_eq!(api::Image::try_from(items[1].clone()).unwrap(), image);
    assert_eq!(
        api::Audio::try_from(items[2].clone()).unwrap().url,
        "https://samples.clarifai.com/a.wav"
    );
    assert_eq!(
        api::Video::try_from(items[3].clone()).unwrap().url,
        "https://samples.clarifai.com/v.mp4"
    );

    let concepts = vec![
        api::Concept::new("dog").with_name("dog").with_value(0.8),
        api::Concept::new("cat").with_name("cat").with_value(0.5),
    ];
    let back = model
        .method("concepts")
        .arg("concepts", concepts)
        .predict()
        .await
        .unwrap();
    let halved: Vec<api::Concept> = back.into_vec().unwrap();
    assert_eq!(halved.len(), 2);
    assert_eq!((halved[0].id.as_str(), halved[0].value), ("dog", 0.4));
    let one = model
        .method("one_concept")
        .arg("concept", "sky")
        .predict()
        .await
        .unwrap();
    let one = api::Concept::try_from(one).unwrap();
    assert_eq!((one.name.as_str(), one.value), ("sky!", 0.25));

    let region = api::Region {
        id: "r1".into(),
        value: 0.5,
        ..Default::default()
    };
    let back = model
        .method("regions")
        .arg("regions", vec![region.clone()])
        .predict()
        .await
        .unwrap();
    // A List[Region] is a list, even of one (the SDK's ListSerializer).
    let regions: Vec<api::Region> = back.into_vec().unwrap();
    assert_eq!(regions, [region]);
    let frame = api::Frame {
        id: "f1".into(),
        ..Default::default()
    };
    let back = model
        .method("frames")
        .arg("frames", vec![frame.clone(), frame])
        .predict()
        .await
        .unwrap();
    let frames: Vec<api::Frame> = back.into_vec().unwrap();
    assert_eq!(frames.len(), 2);
}

async fn streaming(model: &ModelHandle) {
    let pieces: Vec<Value> = model
        .method("generate")
        .arg("prompt", "a b")
        .arg("count", 2)
        .generate()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pieces, ["a", "b", "0", "1"].map(Value::from));
    let defaulted: Vec<Value> = model
        .method("generate")
        .arg("prompt", "x")
        .generate()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(defaulted.len(), 4, "the default count is 3: {defaulted:?}");

    let echoes: Vec<Value> = model
        .method("stream")
        .stream("chunks", stream::iter(["x", "y", "z"]))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(echoes, ["x?", "y?", "z?"].map(Value::from));
    let echoes: Vec<Value> = model
        .method("stream")
        .arg("suffix", "!")
        .stream("chunks", stream::iter(vec!["one".to_owned()]))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(echoes, [Value::from("one!")]);
}

async fn bad_calls(model: &ModelHandle) {
    let e = model
        .method("predict")
        .arg("temperature", 0.1)
        .predict()
        .await
        .unwrap_err();
    assert!(
        matches!(method_error(&e), MethodError::MissingArgument { argument, .. } if argument == "prompt")
    );
    assert!(
        e.to_string()
            .contains("def predict(prompt: str, temperature: float = 0.7"),
        "{e}"
    );

    let e = model
        .method("predict")
        .arg("prompt", "x")
        .arg("temprature", 0.1)
        .predict()
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"predict: unknown argument "temprature"; it takes: prompt, temperature, max_tokens, loud"#
    );

    let e = model
        .method("predict")
        .arg("prompt", 5)
        .predict()
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "predict: argument prompt expects str, got int"
    );
    let e = model
        .method("lists")
        .arg("words", vec![Value::from("a"), Value::from(2)])
        .arg("numbers", vec![1])
        .arg("nested", Vec::<Value>::new())
        .predict()
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "lists: argument words[1] expects str, got int"
    );

    let e = model.method("predcit").predict().await.unwrap_err();
    let MethodError::UnknownMethod { available, .. } = method_error(&e) else {
        panic!("{e:?}")
    };
    assert!(available.iter().any(|m| m == "predict"), "{available:?}");

    let e = model
        .method("generate")
        .arg("prompt", "x")
        .predict()
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "generate is a generate (UNARY_STREAMING) method: call it with .generate()"
    );

    // A method that raises: the model's failure, with the server's whole response.
    let e = model
        .method("fail")
        .arg("reason", "on purpose")
        .predict()
        .await
        .unwrap_err();
    let failure = e.clarifai().expect("an in-band failure");
    let response: &api::MultiOutputResponse = e.response().expect("the response is kept");
    assert_eq!(failure.status.code, api::status::StatusCode::Failure as i32);
    assert_eq!(failure.status.details, "on purpose");
    assert_eq!(response.status.as_ref().unwrap().details, "on purpose");
}
