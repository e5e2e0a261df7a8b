//! The blocking client (feature `blocking`) from plain `#[test]` threads, against MockV2 over a
//! real socket: unary calls and handles, a server stream and a bidi stream as iterators, an error
//! that keeps its response, the refusal inside a tokio runtime, and no thread left behind after
//! 1,000 calls or 8 threads sharing one client; a deadline fires while the calling thread waits.
//!
//! MockV2 needs a runtime: each test starts one for the mock alone, and calls the blocking client
//! from the test's own thread. The tests take [`SERIAL`] so that the thread counts see only their
//! own clients' threads.

use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::Duration;

use clarifai_tonic::api::{self, Input, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{Credentials, Error, blocking, rpc};
use futures_util::StreamExt;

use crate::support::fixture::{fast_retries, outputs};

/// One blocking test at a time: the thread counts must not see another test's client.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A MockV2 on a runtime of its own (kept alive with it), as a non-async program's test would.
struct Served {
    mock: MockV2,
    _runtime: tokio::runtime::Runtime,
}

fn served(setup: impl FnOnce(&MockV2)) -> Served {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mock = runtime.block_on(MockV2::start()).unwrap();
    setup(&mock);
    Served {
        mock,
        _runtime: runtime,
    }
}

fn builder(mock: &MockV2) -> blocking::ClientBuilder {
    // The blocking builder's own setters (the same list as the async builder's).
    blocking::ClarifaiClient::builder()
        .endpoint(mock.url())
        .credentials(Credentials::pat("blocking-secret-pat", "me", "app").unwrap())
        .retry_policy(fast_retries())
        .timeout(Duration::from_secs(10))
}

fn client(mock: &MockV2) -> blocking::ClarifaiClient {
    builder(mock).build().expect("the blocking client builds")
}

/// The threads the blocking client starts (its runtime thread and the runtime's blocking
/// threads are all named `clarifai-block`), from `/proc/self/task`.
fn blocking_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task (Linux)")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "clarifai-block")
        .count()
}

/// Asserts that `expected` blocking-client threads are left. A joined thread has finished, but
/// the kernel removes its `/proc/self/task` entry a moment after `join` returns: that removal
/// (only) is waited for, up to 2 s.
fn assert_threads(expected: usize, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    let mut now = blocking_threads();
    while now != expected && std::time::Instant::now() < deadline {
        std::thread::yield_now();
        now = blocking_threads();
    }
    assert_eq!(now, expected, "{what}");
}

#[test]
fn unary_calls_and_handles_answer_on_a_plain_thread() {
    let _serial = serial();
    let served = served(|mock| {
        mock.model(
            "general-image-recognition",
            &[("train", 0.99), ("rail", 0.9)],
        );
        let models = (0..7)
            .map(|i| api::Model {
                id: format!("m{i}"),
                ..Default::default()
            })
            .collect();
        mock.respond_pages::<rpc::ListModels>(models, 3);
    });
    let client = client(&served.mock);

    let response = client
        .post_model_outputs(api::PostModelOutputsRequest {
            model_id: "general-image-recognition".into(),
            inputs: vec![Input::image_url(
                "https://samples.clarifai.com/metro-north.jpg",
            )],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(response.outputs[0].concepts()[0].id, "train");

    let model = client
        .model("clarifai/main/general-image-recognition")
        .unwrap()
        .max_concepts(1);
    let outputs = model.predict(Input::from_text("a")).unwrap();
    assert_eq!(outputs[0].concepts().len(), 1);
    let sent = served.mock.requests::<rpc::PostModelOutputs>();
    assert_eq!(sent[1].user_app_id.as_ref().unwrap().user_id, "clarifai");

    let ids: Vec<String> = client
        .list_models_stream(api::ListModelsRequest::default())
        .map(|m| m.unwrap().id)
        .collect();
    assert_eq!(ids, ["m0", "m1", "m2", "m3", "m4", "m5", "m6"]);
    let from_app = client.app("clarifai/main").unwrap().list_models().count();
    assert_eq!(from_app, 7);
}

#[test]
fn a_server_stream_is_an_iterator_and_dropping_it_cancels_the_stream() {
    let _serial = serial();
    let served = served(|mock| {
        mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
            futures_util::stream::iter(
                ["a", "b", "c"].map(|id| Ok(outputs(&[id], StatusCode::Success))),
            )
        });
    });
    let client = client(&served.mock);

    let pieces = client
        .generate_model_outputs(api::PostModelOutputsRequest::default())
        .unwrap();
    let ids: Vec<String> = pieces.map(|r| r.unwrap().outputs[0].id.clone()).collect();
    assert_eq!(ids, ["a", "b", "c"]);

    let mut outputs = client
        .model("me/app/gpt")
        .unwrap()
        .generate(Input::from_text("hi"))
        .unwrap();
    assert_eq!(outputs.next().unwrap().unwrap().id, "a");
    drop(outputs); // cancels the rest; the client goes on
    let again: Vec<_> = client
        .model("me/app/gpt")
        .unwrap()
        .generate(Input::from_text("hi"))
        .unwrap()
        .collect();
    assert_eq!(again.len(), 3);
}

#[test]
fn a_bidi_stream_takes_an_iterator_or_a_channel() {
    let _serial = serial();
    let served = served(|mock| {
        mock.on_bidi::<rpc::StreamModelOutputs, _, _>(|req| {
            req.into_inner()
                .map(|m| m.map(|m| outputs(&[&m.model_id], StatusCode::Success)))
        });
    });
    let client = client(&served.mock);

    let requests = ["x", "y"].map(|id| api::PostModelOutputsRequest {
        model_id: id.into(),
        ..Default::default()
    });
    let answers: Vec<String> = client
        .stream_model_outputs(requests)
        .unwrap()
        .map(|r| r.unwrap().outputs[0].id.clone())
        .collect();
    assert_eq!(answers, ["x", "y"]);

    // A channel: each request is sent after the previous answer came back.
    let (send, requests) = mpsc::channel();
    let mut answers = client.stream_model_outputs(requests).unwrap();
    for id in ["p", "q", "r"] {
        send.send(api::PostModelOutputsRequest {
            model_id: id.into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(answers.next().unwrap().unwrap().outputs[0].id, id);
    }
    drop(send);
    assert!(answers.next().is_none(), "the stream ends with the channel");

    // The handle's stream: batches of inputs, outputs back.
    let model = client.model("me/app/streamer").unwrap();
    let outputs: Vec<_> = model
        .stream(vec![
            vec![Input::from_text("1")],
            vec![Input::from_text("2")],
        ])
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(outputs.len(), 2);
    assert!(outputs.iter().all(|o| o.id == "streamer"));
}

#[test]
fn an_error_keeps_its_response() {
    let _serial = serial();
    let served = served(|mock| {
        mock.on::<rpc::PostModelOutputs, _, _>(|_| async {
            Ok(outputs(&["ok", "failed"], StatusCode::MixedStatus))
        });
    });
    let client = client(&served.mock);
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .unwrap_err();
    assert!(err.is_mixed_status(), "{err}");
    let partial = err
        .response::<api::MultiOutputResponse>()
        .expect("the response is kept");
    assert_eq!(partial.outputs.len(), 2);
    // The handle treats MIXED_STATUS as data, as the async one does.
    let outputs = client
        .model("me/app/m")
        .unwrap()
        .predict(Input::from_text("a"))
        .unwrap();
    assert_eq!(outputs.len(), 2);
}

#[test]
fn debug_shows_what_the_async_client_shows() {
    let _serial = serial();
    let served = served(|_| {});
    let client = client(&served.mock);
    let shown = format!("{client:?}");
    assert!(
        shown.starts_with("blocking::ClarifaiClient(ClarifaiClient {"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("{:?}", client.as_async())),
        "{shown}"
    );
    assert!(!shown.contains("blocking-secret-pat"), "{shown}");
    assert!(!format!("{:?}", builder(&served.mock)).contains("blocking-secret-pat"));
}

// Two workers: one serves the mock while the other waits for the helper threads below.
// The serial lock is held across the mock's start on purpose: no other task takes it.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_a_runtime_it_refuses_clearly_and_does_not_panic() {
    let _serial = serial();
    let mock = MockV2::start().await.unwrap();
    mock.model("m", &[("c", 1.0)]);
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
        futures_util::stream::iter([Ok(outputs(&["a"], StatusCode::Success))])
    });

    let err = builder(&mock).build().unwrap_err();
    assert!(
        matches!(
            err,
            Error::BlockingInAsync {
                method: "ClientBuilder::build"
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("inside a tokio runtime"), "{err}");

    // A client made on a thread of its own, then called here.
    let url_builder = builder(&mock);
    let client = std::thread::spawn(move || url_builder.build().unwrap())
        .join()
        .unwrap();
    let (client, stream) = std::thread::spawn(move || {
        let stream = client
            .generate_model_outputs(api::PostModelOutputsRequest::default())
            .unwrap();
        (client, stream)
    })
    .join()
    .unwrap();
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::BlockingInAsync {
                method: "post_model_outputs"
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("post_model_outputs"), "{err}");
    let err = client
        .model("m")
        .unwrap()
        .predict(Input::from_text("a"))
        .unwrap_err();
    assert!(
        matches!(err, Error::BlockingInAsync { method: "predict" }),
        "{err:?}"
    );
    let mut stream = stream;
    let err = stream.next().unwrap().unwrap_err();
    assert!(matches!(err, Error::BlockingInAsync { .. }), "{err:?}");
    assert!(stream.next().is_none(), "the refusal ends the iterator");
    let pumped = client.stream_model_outputs(Vec::new()).unwrap_err();
    assert!(
        matches!(pumped, Error::BlockingInAsync { .. }),
        "{pumped:?}"
    );
    assert_eq!(
        mock.requests::<rpc::PostModelOutputs>().len(),
        0,
        "nothing sent"
    );
    drop(client); // the last drop here stops the runtime thread without a panic
}

#[test]
fn a_thousand_calls_then_the_drop_leave_no_thread_behind() {
    let _serial = serial();
    let served = served(|mock| mock.model("m", &[("c", 1.0)]));
    // Every other test here drops its clients before it lets go of SERIAL.
    let before = 0;
    assert_threads(before, "no blocking client of another test is left");
    let client = client(&served.mock);
    assert_threads(before + 1, "one runtime thread");
    for _ in 0..1000 {
        client
            .post_model_outputs(api::PostModelOutputsRequest {
                model_id: "m".into(),
                ..Default::default()
            })
            .unwrap();
    }
    // A bidi stream borrows a blocking thread of the runtime; it goes with the runtime too.
    let answers = client
        .model("m")
        .unwrap()
        .stream(vec![vec![Input::from_text("1")]]);
    drop(answers);
    assert_eq!(served.mock.requests::<rpc::PostModelOutputs>().len(), 1000);
    drop(client);
    assert_threads(before, "the runtime thread is joined");
}

#[test]
fn eight_threads_share_one_client_and_leave_no_thread_behind() {
    let _serial = serial();
    let served = served(|mock| mock.model("m", &[("c", 1.0)]));
    // Every other test here drops its clients before it lets go of SERIAL.
    let before = 0;
    assert_threads(before, "no blocking client of another test is left");
    let client = client(&served.mock);
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let outputs = client
                        .model("m")
                        .unwrap()
                        .predict(Input::from_text("a"))
                        .unwrap();
                    assert_eq!(outputs[0].concepts()[0].id, "c");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(served.mock.requests::<rpc::PostModelOutputs>().len(), 400);
    let handle = client.model("m").unwrap();
    drop(client);
    assert_threads(before + 1, "a handle keeps the runtime");
    handle.predict(Input::from_text("still")).unwrap();
    drop(handle);
    assert_threads(before, "the last drop joins the runtime thread");
}

/// The client, its handles and iterators cross threads; the client is shared by reference too.
const _: fn() = || {
    fn shared<T: Clone + Send + Sync>() {}
    fn sent<T: Send>() {}
    shared::<blocking::ClarifaiClient>();
    shared::<blocking::ModelHandle>();
    shared::<blocking::AppHandle>();
    shared::<blocking::WorkflowHandle>();
    sent::<blocking::ResponseIter<api::Output>>();
};

#[test]
fn a_deadline_fires_while_the_call_waits_on_the_calling_thread() {
    let _serial = serial();
    let served = served(|mock| {
        mock.on::<rpc::PostModelOutputs, _, _>(|_| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(outputs(&["late"], StatusCode::Success))
        });
    });
    let client = client(&served.mock);
    let mut request = tonic::Request::new(api::PostModelOutputsRequest::default());
    request.set_timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let err = client.post_model_outputs(request).unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn model_methods_block_and_stream_as_iterators() {
    use clarifai_tonic::Value;
    let _serial = serial();
    let served = served(|mock| {
        crate::support::methods::serve_signatures(mock, crate::support::methods::llm());
        mock.respond::<rpc::PostModelOutputs>(crate::support::methods::answer("purr"));
        mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
            futures_util::stream::iter(["a", "b"].map(|t| Ok(crate::support::methods::answer(t))))
        });
        mock.on_bidi::<rpc::StreamModelOutputs, _, _>(|request| {
            request.into_inner().map(|request| {
                let request = request?;
                let data = request.inputs[0].data.as_ref().unwrap();
                let chunk = &data.parts[0].data.as_ref().unwrap().string_value;
                Ok(crate::support::methods::answer(&format!("{chunk}!")))
            })
        });
    });
    let client = client(&served.mock);
    let model = client.model("me/app/llm").unwrap();
    let names: Vec<String> = model
        .methods()
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["predict", "generate", "stream"]);
    let text = model
        .method("predict")
        .arg("prompt", "cat?")
        .predict()
        .unwrap();
    assert_eq!(text, Value::from("purr"));
    let pieces: Vec<Value> = model
        .method("generate")
        .arg("prompt", "x")
        .generate()
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(pieces, [Value::from("a"), Value::from("b")]);
    let echoes: Vec<Value> = model
        .method("stream")
        .stream("chunks", ["x", "y"])
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(echoes, [Value::from("x!"), Value::from("y!")]);
    let e = model.method("predict").predict().unwrap_err();
    assert!(
        e.to_string()
            .contains("missing required argument \"prompt\""),
        "{e}"
    );
}
