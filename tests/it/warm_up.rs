//! The warm-up of a cold model, on the paused clock: MODEL_LOADING (and the other warm-up codes)
//! asked again with the SDK's pauses, within the warm-up budget and never past a deadline the
//! caller set, for predict, generate and stream (whose first requests are sent again).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clarifai_tonic::api::status::StatusCode;
use clarifai_tonic::api::{self, Input};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{TryStreamExt, Value, rpc, stream};

use crate::support::fixture::{Fixture, status};
use crate::support::methods::{answer, llm, serve_signatures};

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
