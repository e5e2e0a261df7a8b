//! The differential check of the runner: the official Python runner (`clarifai-protocol`, started
//! by the SDK's `python -m clarifai.runners.server` without `--grpc`, serving tests/interop/echo)
//! and this crate's runner (serving the Rust twin of that model) are each pointed at a MockV2
//! acting as the API, handed the same script of work items, and what each posts back is compared.
//!
//! Skipped, with the reason printed, when the venv is missing; `.ci/run` sets
//! `CLARIFAI_INTEROP_REQUIRED=1`, which turns a skip into a failure.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use clarifai_tonic::api::{self, MethodSignature, PostRunnerItemOutputsRequest};
use clarifai_tonic::methods::method_input;
use clarifai_tonic::mock::{MockV2, RunnerApi, Work};
use clarifai_tonic::runner::{Runner, RunnerConfig};
use clarifai_tonic::{Credentials, Value};

use crate::interop::python_or_skip;
use crate::support::echo::echo;
use crate::support::runner::within;

/// A child process, killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn official_runner(python: &Path, api_url: &str) -> Killed {
    let mut child = crate::support::official_runner::command(python, api_url, 1)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the official runner starts");
    let streams: [Box<dyn std::io::Read + Send>; 2] = [
        Box::new(child.stdout.take().expect("stdout")),
        Box::new(child.stderr.take().expect("stderr")),
    ];
    for stream in streams {
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if std::env::var_os("INTEROP_SERVER_LOG").is_some() {
                    eprintln!("[official runner] {line}");
                }
            }
        });
    }
    Killed(child)
}

fn signature(name: &str) -> MethodSignature {
    echo()
        .signatures()
        .into_iter()
        .find(|s| s.name == name)
        .expect("the echo twin declares it")
}

fn request(method: &str, args: Vec<(&str, Value)>) -> api::PostModelOutputsRequest {
    let input = method_input(&signature(method), args).expect("a valid call");
    api::PostModelOutputsRequest {
        inputs: vec![input],
        ..Default::default()
    }
}

/// The script both runners get.
fn script(api: &RunnerApi) -> Vec<&'static str> {
    api.push(Work::predict(
        "item-predict",
        request(
            "predict",
            vec![("prompt", "hi".into()), ("loud", true.into())],
        ),
    ));
    api.push(Work::generate(
        "item-generate",
        request(
            "generate",
            vec![("prompt", "a b".into()), ("count", 2.into())],
        ),
    ));
    api.push(Work::stream(
        "item-stream",
        request(
            "stream",
            vec![("chunks", "x".into()), ("suffix", "!".into())],
        ),
        ["y", "z"].map(|c| request("stream", vec![("chunks", c.into())])),
    ));
    vec!["item-predict", "item-generate", "item-stream"]
}

async fn run_official(python: &Path) -> Vec<PostRunnerItemOutputsRequest> {
    let mock = MockV2::start().await.unwrap();
    crate::support::official_runner::answer_get_runner(&mock);
    let api = mock.runner_api();
    let ids = script(&api);
    let _runner = official_runner(python, &mock.url());
    for id in &ids {
        within(
            "the official runner's work (INTEROP_SERVER_LOG=1 shows its log)",
            api.wait_done(id),
        )
        .await;
    }
    // The next stream waits for work, and the control stream listens.
    within("the official runner's next stream", api.wait_waiting(1)).await;
    within("the official runner's control stream", api.wait_controls(1)).await;
    api.sent()
}

async fn run_ours() -> Vec<PostRunnerItemOutputsRequest> {
    let mock = MockV2::start().await.unwrap();
    let api = mock.runner_api();
    let ids = script(&api);
    let client = mock
        .client(Credentials::pat("runner-pat", "me", "").unwrap())
        .unwrap();
    let config = RunnerConfig::new("me", "cc", "np", "r1")
        .polls(1)
        .health_port(None)
        .with_replica_id("replica");
    let runner = Runner::new(echo(), client, config).start().await.unwrap();
    for id in &ids {
        api.wait_done(id).await;
    }
    api.wait_waiting(1).await;
    api.wait_controls(1).await;
    runner.stop();
    runner.wait().await.unwrap();
    api.sent()
}

/// The posts of the item `id`, in order.
fn posts(sent: &[PostRunnerItemOutputsRequest], id: &str) -> Vec<PostRunnerItemOutputsRequest> {
    sent.iter()
        .filter(|m| m.runner_item_id == id)
        .cloned()
        .collect()
}

/// The handshakes (the messages of no item), work streams first, with the replica id (which
/// each runner makes up) blanked.
fn handshakes(sent: &[PostRunnerItemOutputsRequest]) -> Vec<PostRunnerItemOutputsRequest> {
    let mut found: Vec<PostRunnerItemOutputsRequest> = sent
        .iter()
        .filter(|m| m.runner_item_id.is_empty())
        .map(|m| PostRunnerItemOutputsRequest {
            runner_replica_id: format!("<{} chars>", m.runner_replica_id.len().min(1)),
            ..m.clone()
        })
        .collect();
    found.sort_by_key(|m| m.runner_id.starts_with("control-"));
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_runner_and_ours_post_the_same() {
    let Some(python) = python_or_skip("the runner differential") else {
        return;
    };
    let official = run_official(&python).await;
    let ours = run_ours().await;
    // Each item's posts, message for message (the streams of two items may interleave: compare
    // per item). Ours are all there: 1 answer, 4 generated, 3 streamed. The official runner's
    // streams end in an error on the server's side (it cancels its call) rather than a clean
    // close, and now and then (1 run in 8 here) its last post is lost: its posts must then be
    // the first of ours.
    for (id, expected) in [
        ("item-predict", 1),
        ("item-generate", 4),
        ("item-stream", 3),
    ] {
        let (a, b) = (posts(&official, id), posts(&ours, id));
        assert_eq!(b.len(), expected, "our posts for {id}: {b:#?}");
        assert!(!a.is_empty(), "the official runner posted nothing for {id}");
        if a.len() < b.len() {
            eprintln!(
                "the official runner's last {} post(s) for {id} were lost",
                b.len() - a.len()
            );
        }
        assert_eq!(a[..], b[..a.len()], "the posts for {id} differ");
    }
    // The handshakes: one per stream, the last one waiting for the next item; the control
    // stream's once.
    let (a, b) = (handshakes(&official), handshakes(&ours));
    assert_eq!(a.len(), 5, "{a:#?}");
    assert_eq!(a, b);
}
