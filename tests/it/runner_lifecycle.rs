//! The runner's life against MockV2 as its API: a dropped connection and the reconnect, the error
//! budget, a rejected PAT, parallel polls, no idle limit while waiting for work, the health
//! endpoints, the graceful stop (by `stop()` and by SIGTERM), the configuration from the SDK's
//! variables. Where time matters, on tokio's paused clock.

use std::sync::Arc;
use std::time::Duration;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::{MockV2, Work};
use clarifai_tonic::runner::{Method, Model, Runner, RunnerConfig, RunnerError, Type};
use clarifai_tonic::{ClarifaiClient, Credentials, Value, rpc, stream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Notify, Semaphore};

use crate::support::echo::echo;
use crate::support::runner::{PAT, config, handshakes, request, serving, start, values, within};

#[tokio::test(start_paused = true)]
async fn a_dropped_connection_is_reconnected_with_backoff() {
    let model = echo();
    let (mock, api, runner) = serving(echo(), config()).await;
    api.wait_waiting(1).await;
    api.wait_controls(1).await;
    let before = mock.calls_to::<rpc::ProcessRunnerItems>().len();

    mock.drop_connections();
    api.push(Work::predict(
        "after",
        request(&model, "predict", vec![("prompt", "back".into())]),
    ));
    let outputs = api.wait_done("after").await;
    assert_eq!(
        values(&model, "predict", &outputs),
        [Value::from("back|0.7|16")]
    );
    // New streams, the control one included.
    api.wait_controls(1).await;
    assert!(mock.calls_to::<rpc::ProcessRunnerItems>().len() > before);
    runner.stop();
    runner.wait().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_api_spends_the_error_budget() {
    // A port nothing listens on: every stream fails to connect.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = ClarifaiClient::builder()
        .env_lookup(|_| None)
        .endpoint(format!("http://127.0.0.1:{port}"))
        .credentials(Credentials::pat(PAT, "me", "").unwrap())
        .build()
        .unwrap();
    let config = config()
        .polls(2)
        .error_budget(5, Duration::from_secs(3600))
        .backoff(Duration::from_secs(1), Duration::from_secs(4));
    let runner = Runner::new(echo(), client, config).start().await.unwrap();
    let started = tokio::time::Instant::now();
    let ended = runner.wait().await;
    let Err(RunnerError::ErrorBudget { errors, last, .. }) = ended else {
        panic!("expected the error budget to end it: {ended:?}");
    };
    assert_eq!(errors, 5);
    assert!(last.is_retryable(), "{last}");
    // Backoff between tries: 1, 2, 4, 4 s for a poll; two polls share the budget.
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(!format!("{last:?}").contains(PAT));
}

#[tokio::test(start_paused = true)]
async fn a_rejected_pat_stops_the_runner_at_once() {
    let mock = MockV2::start().await.unwrap();
    mock.on_bidi::<rpc::ProcessRunnerItems, _, _>(|_| {
        stream::once(async { Err(tonic::Status::unauthenticated("API key not found")) })
    });
    let runner = start(&mock, echo(), config().polls(3)).await;
    let started = tokio::time::Instant::now();
    match runner.wait().await {
        Err(RunnerError::Client(e)) => assert!(e.is_auth(), "{e}"),
        other => panic!("expected an auth failure: {other:?}"),
    }
    // Not retried: no backoff pause came first.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        mock.calls_to::<rpc::ProcessRunnerItems>().len(),
        4,
        "3 polls and the control"
    );
}

#[tokio::test]
async fn a_runner_the_api_does_not_know_stops() {
    let mock = MockV2::start().await.unwrap();
    mock.on_bidi::<rpc::ProcessRunnerItems, _, _>(|_| {
        let gone = api::MultiRunnerItemResponse {
            status: Some(api::status::Status {
                code: StatusCode::ConnDoesNotExist as i32,
                ..Default::default()
            }),
            ..Default::default()
        };
        stream::once(async move { Ok(gone) })
    });
    let runner = start(&mock, echo(), config().control_stream(false)).await;
    match runner.wait().await {
        Err(RunnerError::Client(e)) => assert_eq!(
            e.clarifai().map(|c| c.code),
            Some(StatusCode::ConnDoesNotExist.into())
        ),
        other => panic!("expected CONN_DOES_NOT_EXIST: {other:?}"),
    }
}

#[tokio::test]
async fn four_polls_by_default_each_with_an_item_in_hand() {
    let config = RunnerConfig::new("me", "cc", "np", "r1").health_port(None);
    // Each handler holds a permit until all four are in hand together.
    let gate = Arc::new(Semaphore::new(0));
    let arrived = Arc::new(Semaphore::new(0));
    let (g, a) = (gate.clone(), arrived.clone());
    let model = Model::new().method(
        Method::predict("predict", move |_| {
            let (gate, arrived) = (g.clone(), a.clone());
            async move {
                arrived.add_permits(1);
                let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
                Ok(Value::from("done"))
            }
        })
        .returns(Type::Str),
    );
    let (_mock, api, runner) = serving(model.clone(), config).await;
    api.wait_waiting(4).await;
    for i in 0..4 {
        api.push(Work::predict(
            &format!("i{i}"),
            request(&model, "predict", vec![]),
        ));
    }
    let all = arrived.acquire_many(4).await.unwrap();
    all.forget();
    gate.add_permits(4);
    for i in 0..4 {
        api.wait_done(&format!("i{i}")).await;
    }
    runner.stop();
    runner.wait().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_stream_waiting_for_work_has_no_idle_limit() {
    let mock = MockV2::start().await.unwrap();
    let api = mock.runner_api();
    let client = ClarifaiClient::builder()
        .env_lookup(|_| None)
        .endpoint(mock.url())
        .credentials(Credentials::pat(PAT, "me", "").unwrap())
        .stream_idle_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let model = echo();
    let runner = Runner::new(echo(), client, config().control_stream(false))
        .start()
        .await
        .unwrap();
    api.wait_waiting(1).await;
    tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
    api.push(Work::predict(
        "late",
        request(&model, "predict", vec![("prompt", "late".into())]),
    ));
    api.wait_done("late").await;
    // The item came on the stream opened three hours before.
    assert_eq!(handshakes(&api, false).len(), 1);
    runner.stop();
    runner.wait().await.unwrap();
}

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut io = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n");
    io.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    io.read_to_string(&mut answer).await.unwrap();
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn health_endpoints_and_a_graceful_stop() {
    let (started, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let (s, r) = (started.clone(), release.clone());
    let model = Model::new().method(
        Method::predict("predict", move |_| {
            let (started, release) = (s.clone(), r.clone());
            async move {
                started.notify_one();
                release.notified().await;
                Ok(Value::from("finished"))
            }
        })
        .returns(Type::Str),
    );
    let config = config().health_addr(Some("127.0.0.1:0".parse().unwrap()));
    let (_mock, api, runner) = serving(model.clone(), config).await;
    let health = runner.health_addr().unwrap();
    for path in [
        "/healthz/liveness",
        "/healthz/readiness",
        "/healthz/startup",
    ] {
        assert_eq!(get(health, path).await, "HTTP/1.1 200 OK", "{path}");
    }
    assert_eq!(get(health, "/other").await, "HTTP/1.1 404 Not Found");

    api.push(Work::predict("in-hand", request(&model, "predict", vec![])));
    started.notified().await; // the item is in hand
    runner.stop();
    // Stopping: no longer ready, still alive.
    assert_eq!(
        get(health, "/healthz/readiness").await,
        "HTTP/1.1 503 Service Unavailable"
    );
    assert_eq!(get(health, "/healthz/liveness").await, "HTTP/1.1 200 OK");
    api.push(Work::predict(
        "after-stop",
        request(&model, "predict", vec![]),
    ));
    release.notify_one();
    runner.wait().await.unwrap();
    // The item in hand was finished and posted; none was taken after the stop.
    let outputs = api.outputs("in-hand");
    assert_eq!(
        values(&model, "predict", &outputs),
        [Value::from("finished")]
    );
    assert!(api.posts("after-stop").is_empty());
    assert_eq!(api.waiting(), 0);
}

#[tokio::test]
async fn the_configuration_comes_from_the_sdks_variables() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    match RunnerConfig::from_lookup(env(&[("CLARIFAI_USER_ID", "me")])) {
        Err(e @ RunnerError::MissingConfig { .. }) => assert_eq!(
            e.to_string(),
            "the runner needs CLARIFAI_COMPUTE_CLUSTER_ID, CLARIFAI_NODEPOOL_ID, \
             CLARIFAI_RUNNER_ID: set them in the environment"
        ),
        other => panic!("{other:?}"),
    }
    const FULL: &[(&str, &str)] = &[
        ("CLARIFAI_USER_ID", "me"),
        ("CLARIFAI_COMPUTE_CLUSTER_ID", "cc"),
        ("CLARIFAI_NODEPOOL_ID", "np"),
        ("CLARIFAI_RUNNER_ID", "r9"),
        ("CLARIFAI_RUNNER_REPLICA_ID", "rep"),
        ("CLARIFAI_NUM_THREADS", "many"),
    ];
    match RunnerConfig::from_lookup(env(FULL)) {
        Err(e @ RunnerError::InvalidConfig { .. }) => assert_eq!(
            e.to_string(),
            "CLARIFAI_NUM_THREADS=\"many\" is not a whole number above 0"
        ),
        other => panic!("{other:?}"),
    }
    const NO_CONTROL: &[(&str, &str)] = &[
        ("CLARIFAI_USER_ID", "me"),
        ("CLARIFAI_COMPUTE_CLUSTER_ID", "cc"),
        ("CLARIFAI_NODEPOOL_ID", "np"),
        ("CLARIFAI_RUNNER_ID", "r9"),
        ("CLARIFAI_CONTROL_CHANNEL_ENABLE", "maybe"),
    ];
    match RunnerConfig::from_lookup(env(NO_CONTROL)) {
        Err(e @ RunnerError::InvalidConfig { .. }) => assert_eq!(
            e.to_string(),
            "CLARIFAI_CONTROL_CHANNEL_ENABLE=\"maybe\" is not true or false"
        ),
        other => panic!("{other:?}"),
    }
    let config = RunnerConfig::from_lookup(env(&FULL[..5])).unwrap();
    assert_eq!((config.runner_id(), config.replica_id()), ("r9", "rep"));
    // A runner's Debug shows its ids, never its PAT.
    let client = ClarifaiClient::builder()
        .env_lookup(|_| None)
        .credentials(Credentials::pat(PAT, "me", "").unwrap())
        .build()
        .unwrap();
    let runner = Runner::new(echo(), client, config);
    let shown = format!("{runner:?}");
    assert!(shown.contains("r9") && !shown.contains(PAT), "{shown}");
}

/// The runner example, built by `cargo test` next to this test binary.
#[cfg(unix)]
fn example_runner() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("examples").join("runner");
    path.exists().then_some(path)
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_runs_from_the_environment_and_stops_on_sigterm() {
    let Some(example) = example_runner() else {
        assert!(
            std::env::var_os("CLARIFAI_INTEROP_REQUIRED").is_none(),
            "cargo test builds examples/runner.rs; CI requires it"
        );
        eprintln!("SKIPPED: examples/runner is not built");
        return;
    };
    let mock = MockV2::start().await.unwrap();
    let api = mock.runner_api();
    let mut child = tokio::process::Command::new(example)
        .env_clear()
        .env("CLARIFAI_PAT", PAT)
        .env("CLARIFAI_USER_ID", "me")
        .env("CLARIFAI_COMPUTE_CLUSTER_ID", "cc")
        .env("CLARIFAI_NODEPOOL_ID", "np")
        .env("CLARIFAI_RUNNER_ID", "r-env")
        .env("CLARIFAI_RUNNER_REPLICA_ID", "replica-env")
        .env("CLARIFAI_NUM_THREADS", "2")
        .env("CLARIFAI_HEALTH_CHECK_PORT", "0")
        .env("CLARIFAI_API_BASE", mock.url())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the example starts");
    let model = crate::support::classifier::model();
    within("the example's two polls", api.wait_waiting(2)).await; // CLARIFAI_NUM_THREADS
    api.push(Work::predict(
        "env-item",
        request(
            &model,
            "predict",
            vec![("text", "a great day".into()), ("top_k", 1.into())],
        ),
    ));
    let outputs = within("the example's answer", api.wait_done("env-item")).await;
    let concepts = values(&model, "predict", &outputs);
    let Value::List(concepts) = &concepts[0] else {
        panic!("{concepts:?}")
    };
    assert!(matches!(&concepts[..], [Value::Concept(c)] if c.name == "positive"));
    let hello = &handshakes(&api, false)[0];
    assert_eq!(
        (hello.runner_id.as_str(), hello.runner_replica_id.as_str()),
        ("r-env", "replica-env")
    );

    let pid = child.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    assert!(killed.expect("kill runs").success());
    let status = within("the example's exit", child.wait()).await.unwrap();
    assert!(status.success(), "a graceful stop exits 0: {status}");
}
