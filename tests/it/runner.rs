//! The runner (feature `runner`) against MockV2 acting as the API (`MockV2::runner_api`): the
//! handshake, each method kind, a failing handler, an output over the post limit, cancellation
//! through the control stream and RUNNER_NEEDS_RETRY. Its life (reconnects, budget, polls,
//! health, stop) is in runner_lifecycle.rs.

use std::sync::Arc;
use std::time::Duration;

use clarifai_tonic::api::status::StatusCode;
use clarifai_tonic::mock::{MockV2, Work};
use clarifai_tonic::runner::{Method, Model, Type};
use clarifai_tonic::{StreamExt, Value, rpc, stream};
use tokio::sync::Notify;

use crate::support::echo::echo;
use crate::support::runner::{
    PAT, code, config, handshakes, request, response, serving, start, values,
};

#[tokio::test]
async fn the_handshake_and_every_method_kind() {
    let model = echo();
    let (mock, api, runner) = serving(echo(), config()).await;

    api.push(Work::predict(
        "p",
        request(&model, "predict", vec![("prompt", "hi".into())]),
    ));
    api.push(Work::generate(
        "g",
        request(
            &model,
            "generate",
            vec![("prompt", "a b".into()), ("count", 1.into())],
        ),
    ));
    api.push(Work::stream(
        "s",
        request(&model, "stream", vec![("chunks", "x".into())]),
        ["y", "z"].map(|c| request(&model, "stream", vec![("chunks", c.into())])),
    ));
    let predicted = api.wait_done("p").await;
    assert_eq!(
        values(&model, "predict", &predicted),
        [Value::from("hi|0.7|16")]
    );
    let generated = api.wait_done("g").await;
    assert_eq!(
        values(&model, "generate", &generated),
        ["a", "b", "0"].map(Value::from)
    );
    let streamed = api.wait_done("s").await;
    assert_eq!(
        values(&model, "stream", &streamed),
        ["x?", "y?", "z?"].map(Value::from)
    );

    // Every post names the item, the runner, its nodepool and cluster, with SUCCESS.
    for post in api.posts("g") {
        assert_eq!(
            (
                post.runner_id.as_str(),
                post.nodepool_id.as_str(),
                post.compute_cluster_id.as_str()
            ),
            ("r1", "np", "cc")
        );
        assert_eq!(post.user_app_id.unwrap().user_id, "me");
        assert_eq!(post.status.unwrap().code, StatusCode::Success as i32);
    }
    // One stream per item: each opened with RUNNER_STREAM_START and the runner's ids.
    api.wait_waiting(1).await;
    let work = handshakes(&api, false);
    assert_eq!(work.len(), 4, "three items and the stream now waiting");
    for hello in &work {
        let status = hello.status.as_ref().unwrap();
        assert_eq!(status.code, StatusCode::RunnerStreamStart as i32);
        assert_eq!(hello.runner_replica_id, "replica-1");
        assert_eq!(
            (hello.runner_id.as_str(), hello.nodepool_id.as_str()),
            ("r1", "np")
        );
    }
    api.wait_controls(1).await;
    let control = handshakes(&api, true);
    assert_eq!(control.len(), 1);
    assert_eq!(control[0].runner_id, "control-r1");
    // With the runner's PAT.
    for call in mock.calls_to::<rpc::ProcessRunnerItems>() {
        assert_eq!(
            call.header("authorization"),
            Some(format!("Key {PAT}").as_str())
        );
    }
    runner.stop();
    runner.wait().await.unwrap();
}

#[tokio::test]
async fn a_failing_handler_posts_failure_with_its_cause() {
    let model = echo();
    let (_mock, api, runner) = serving(echo(), config()).await;
    api.push(Work::predict(
        "f",
        request(&model, "fail", vec![("reason", "no GPU today".into())]),
    ));
    let outputs = api.wait_done("f").await;
    let response = response(&outputs[0]);
    let status = response.status.as_ref().unwrap();
    assert_eq!(status.code, StatusCode::Failure as i32);
    assert_eq!(status.details, "no GPU today");
    // A method the model lacks is the same kind of failure, naming it.
    api.push(Work::predict(
        "u",
        request(&model, "predict", vec![("prompt", "x".into())]),
    ));
    let mut unknown = request(&model, "predict", vec![("prompt", "x".into())]);
    let data = unknown.inputs[0].data.as_mut().unwrap();
    data.metadata = Some(clarifai_tonic::prost_types::Struct {
        fields: [(
            "_method_name".to_owned(),
            clarifai_tonic::prost_types::Value {
                kind: Some(clarifai_tonic::prost_types::value::Kind::StringValue(
                    "nope".into(),
                )),
            },
        )]
        .into(),
    });
    api.push(Work::predict("n", unknown));
    api.wait_done("u").await;
    let outputs = api.wait_done("n").await;
    assert_eq!(code(&outputs[0]), StatusCode::Failure as i32);
    runner.stop();
    runner.wait().await.unwrap();
}

/// A generate method and a stream method that answer once, then wait for ever; `dropped` is
/// notified when their work is dropped.
fn slow_model(dropped: Arc<Notify>) -> Model {
    struct OnDrop(Arc<Notify>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.notify_one();
        }
    }
    let then_wait = move |dropped: &Arc<Notify>| {
        let guard = OnDrop(dropped.clone());
        stream::once(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
            Ok(Value::None)
        })
    };
    let d = dropped.clone();
    Model::new()
        .method(
            Method::generate("generate", move |_args| {
                stream::once(async { Ok(Value::from("first")) }).chain(then_wait(&d))
            })
            .returns(Type::Str),
        )
        .method(
            Method::stream("stream", move |_args, chunks| {
                chunks.take(1).map(Ok).chain(then_wait(&dropped))
            })
            .stream_arg("chunks", Type::Str)
            .returns(Type::Str),
        )
}

#[tokio::test]
async fn a_cancellation_on_the_control_stream_drops_the_items_work() {
    let dropped = Arc::new(Notify::new());
    let model = slow_model(dropped.clone());
    let (_mock, api, runner) = serving(model.clone(), config()).await;
    api.wait_controls(1).await;
    let first = || vec![("chunks", Value::from("first"))];
    let items = [
        (
            "generate",
            Work::generate("slow-g", request(&model, "generate", vec![])),
        ),
        (
            "stream",
            Work::stream("slow-s", request(&model, "stream", first()), []),
        ),
    ];
    for (method, work) in items {
        let id = format!("slow-{}", &method[..1]);
        api.push(work);
        api.wait_posts(&id, 1).await;
        assert_eq!(api.cancel(&id), 1, "one control stream listens");
        dropped.notified().await; // the handler's work was dropped
        let outputs = api.wait_done(&id).await;
        assert_eq!(values(&model, method, &outputs), [Value::from("first")]);
    }
    // The runner goes on taking work.
    api.wait_waiting(1).await;
    runner.stop();
    runner.wait().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn runner_needs_retry_makes_it_ask_again_at_once() {
    let mock = MockV2::start().await.unwrap();
    let api = mock.runner_api();
    api.needs_retry(2);
    let model = echo();
    let runner = start(&mock, echo(), config()).await;
    let started = tokio::time::Instant::now();
    api.push(Work::predict(
        "p",
        request(&model, "predict", vec![("prompt", "again".into())]),
    ));
    let outputs = api.wait_done("p").await;
    assert_eq!(
        values(&model, "predict", &outputs),
        [Value::from("again|0.7|16")]
    );
    // Two streams answered RUNNER_NEEDS_RETRY, a third got the item; no backoff between them.
    assert_eq!(handshakes(&api, false).len(), 3);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    runner.stop();
    runner.wait().await.unwrap();
}

/// A subscriber that notifies `seen` at each event whose message contains `needle`: the
/// runner's own log line, as the signal that it has read a message.
struct OnEvent {
    needle: &'static str,
    seen: Arc<Notify>,
}

impl tracing::Subscriber for OnEvent {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, _: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{value:?} "));
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        if message.0.contains(self.needle) {
            self.seen.notify_one();
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn a_cancellation_read_before_its_item_comes_is_kept_for_it() {
    let read = Arc::new(Notify::new());
    let subscriber = OnEvent {
        needle: "item cancelled",
        seen: read.clone(),
    };
    // A current-thread runtime: the runner's tasks log through this subscriber too.
    let _guard = tracing::subscriber::set_default(subscriber);
    let dropped = Arc::new(Notify::new());
    let model = slow_model(dropped.clone());
    let (_mock, api, runner) = serving(model.clone(), config()).await;
    api.wait_controls(1).await;
    assert_eq!(api.cancel("early"), 1);
    read.notified().await; // the runner has read the cancellation; the item is not yet sent
    api.push(Work::generate("early", request(&model, "generate", vec![])));
    // Its work is dropped, not left waiting for ever (the bound only turns a hang into a failure).
    tokio::time::timeout(Duration::from_secs(60), dropped.notified())
        .await
        .expect("the item cancelled before it came was run anyway");
    api.wait_done("early").await;
    runner.stop();
    runner.wait().await.unwrap();
}

#[tokio::test]
async fn a_panicking_handler_is_a_failure_and_the_runner_goes_on() {
    let model = Model::new().method(
        Method::predict("predict", |args| async move {
            let index: i64 = args.take("index")?;
            let items = [1, 2, 3];
            Ok(Value::from(items[index as usize])) // panics past the end
        })
        .arg("index", Type::Int)
        .returns(Type::Int),
    );
    let (_mock, api, runner) = serving(model.clone(), config()).await;
    api.push(Work::predict(
        "bad",
        request(&model, "predict", vec![("index", 7.into())]),
    ));
    api.push(Work::predict(
        "good",
        request(&model, "predict", vec![("index", 1.into())]),
    ));
    let bad = api.wait_done("bad").await;
    assert_eq!(code(&bad[0]), StatusCode::Failure as i32);
    let response = response(&bad[0]);
    let details = &response.status.as_ref().unwrap().details;
    assert!(
        details.starts_with("the handler panicked: index out of bounds"),
        "{details}"
    );
    let good = api.wait_done("good").await;
    assert_eq!(values(&model, "predict", &good), [Value::from(2)]);
    runner.stop();
    runner.wait().await.unwrap();
}

#[tokio::test]
async fn an_output_over_the_post_limit_is_answered_failure_with_both_sizes() {
    let model = echo();
    let (_mock, api, runner) = serving(echo(), config().max_post_size(1024)).await;
    api.push(Work::predict(
        "big",
        request(&model, "predict", vec![("prompt", "x".repeat(4096).into())]),
    ));
    api.push(Work::predict(
        "small",
        request(&model, "predict", vec![("prompt", "hi".into())]),
    ));
    let big = api.wait_done("big").await;
    assert_eq!(big.len(), 1);
    let response = response(&big[0]);
    let status = response.status.as_ref().unwrap();
    assert_eq!(status.code, StatusCode::Failure as i32);
    assert!(
        status.details.starts_with("the model's output is ")
            && status
                .details
                .contains(" bytes encoded, over the 1024 bytes a runner may post"),
        "{}",
        status.details
    );
    assert!(
        response.outputs.is_empty(),
        "nothing of the output is posted"
    );
    // Under the limit, the next item is answered as usual on the same runner.
    let small = api.wait_done("small").await;
    assert_eq!(
        values(&model, "predict", &small),
        [Value::from("hi|0.7|16")]
    );
    runner.stop();
    runner.wait().await.unwrap();
}

#[tokio::test]
async fn a_generate_that_fails_and_would_go_on_ends_at_its_failure() {
    let model = Model::new().method(
        Method::generate("generate", |_| {
            stream::once(async { Err("out of memory".into()) })
                .chain(stream::pending::<Result<Value, _>>())
        })
        .returns(Type::Str),
    );
    let (_mock, api, runner) = serving(model.clone(), config()).await;
    api.push(Work::generate(
        "failing",
        request(&model, "generate", vec![]),
    ));
    let outputs = api.wait_done("failing").await;
    assert_eq!(outputs.len(), 1);
    assert_eq!(code(&outputs[0]), StatusCode::Failure as i32);
    runner.stop();
    runner.wait().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_stream_items_input_ends_after_chunk_idle_without_a_chunk() {
    let model = echo();
    let (_mock, api, runner) = serving(echo(), config().chunk_idle(Duration::from_secs(60))).await;
    let started = tokio::time::Instant::now();
    let chunk = |c: &str| request(&model, "stream", vec![("chunks", c.into())]);
    api.push(Work::stream("open", chunk("x"), [chunk("y")]).without_end());
    let outputs = api.wait_done("open").await;
    assert_eq!(
        values(&model, "stream", &outputs),
        ["x?", "y?"].map(Value::from)
    );
    assert!(
        started.elapsed() >= Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    runner.stop();
    runner.wait().await.unwrap();
}
