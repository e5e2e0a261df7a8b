//! The official Python runner (`clarifai-protocol`, started by the SDK's `python -m
//! clarifai.runners.server` without `--grpc`) serving tests/interop/echo against an API at
//! `api_url`: the runner load example and the runner differential test start it alike, against
//! a MockV2 that answers what it asks first.

use std::path::Path;
use std::process::Command;

use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{api, rpc};

/// Answers the official runner's `GetRunner` (it checks that its runner, `r1`, exists).
pub fn answer_get_runner(mock: &MockV2) {
    mock.on::<rpc::GetRunner, _, _>(|_| async {
        Ok(api::SingleRunnerResponse {
            runner: Some(Box::new(api::Runner {
                id: "r1".into(),
                ..Default::default()
            })),
            ..Default::default()
        })
    });
}

/// The command, to be given its output handling and spawned.
pub fn command(python: &Path, api_url: &str, polls: usize) -> Command {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new(python);
    command
        .args(["-m", "clarifai.runners.server", "--health_check_port", "0"])
        .arg("--model_path")
        .arg(root.join("tests/interop/echo"))
        .args([
            "--user_id",
            "me",
            "--compute_cluster_id",
            "cc",
            "--nodepool_id",
            "np",
        ])
        .args([
            "--runner_id",
            "r1",
            "--pat",
            "runner-pat",
            "--base_url",
            api_url,
        ])
        .args(["--num_threads", &polls.to_string()])
        .env("PYTHONUNBUFFERED", "1");
    command
}
