//! The runner tests' shared pieces: a runner on a MockV2, the requests of a model's methods, and
//! what the runner posted, read back.

use clarifai_tonic::api::{
    self, PostRunnerItemOutputsRequest, RunnerItemOutput, status::StatusCode,
};
use clarifai_tonic::methods::{decode_output, method_input};
use clarifai_tonic::mock::{MockV2, RunnerApi};
use clarifai_tonic::runner::{Model, Runner, RunnerConfig, RunningRunner};
use clarifai_tonic::{ClarifaiClient, Credentials, Value};

pub const PAT: &str = "runner-secret-pat";

pub fn config() -> RunnerConfig {
    RunnerConfig::new("me", "cc", "np", "r1")
        .polls(1)
        .health_port(None)
        .with_replica_id("replica-1")
}

pub fn client(mock: &MockV2) -> ClarifaiClient {
    mock.client(Credentials::pat(PAT, "me", "").unwrap())
        .unwrap()
}

/// A runner of `model` started against `mock`, with the PAT.
pub async fn start(mock: &MockV2, model: Model, config: RunnerConfig) -> RunningRunner {
    Runner::new(model, client(mock), config)
        .start()
        .await
        .unwrap()
}

/// A MockV2 acting as the API, and a runner of `model` started against it.
pub async fn serving(model: Model, config: RunnerConfig) -> (MockV2, RunnerApi, RunningRunner) {
    let mock = MockV2::start().await.unwrap();
    let api = mock.runner_api();
    let runner = start(&mock, model, config).await;
    (mock, api, runner)
}

/// A request calling `method` of `model` with `args`, encoded by its signature.
pub fn request(
    model: &Model,
    method: &str,
    args: Vec<(&str, Value)>,
) -> api::PostModelOutputsRequest {
    let signature = model
        .signatures()
        .into_iter()
        .find(|s| s.name == method)
        .unwrap();
    api::PostModelOutputsRequest {
        inputs: vec![method_input(&signature, args).unwrap()],
        ..Default::default()
    }
}

/// The values of the item's outputs, read by the method's signature.
pub fn values(model: &Model, method: &str, outputs: &[RunnerItemOutput]) -> Vec<Value> {
    let signature = model
        .signatures()
        .into_iter()
        .find(|s| s.name == method)
        .unwrap();
    outputs
        .iter()
        .map(|o| {
            let r = response(o);
            let status = r.status.as_ref().unwrap();
            assert_eq!(status.code, StatusCode::Success as i32, "{r:?}");
            decode_output(&signature, &r.outputs[0]).unwrap()
        })
        .collect()
}

/// The model's response that `output` carries (a panic if it carries none).
pub fn response(output: &RunnerItemOutput) -> &api::MultiOutputResponse {
    match &output.response {
        Some(api::runner_item_output::Response::MultiOutputResponse(r)) => r,
        None => panic!("an output with no response"),
    }
}

/// The status code of the response that `output` carries (0 if it carries none).
pub fn code(output: &RunnerItemOutput) -> i32 {
    match &output.response {
        Some(api::runner_item_output::Response::MultiOutputResponse(r)) => {
            r.status.as_ref().map_or(0, |s| s.code)
        }
        None => 0,
    }
}

pub fn handshakes(api: &RunnerApi, control: bool) -> Vec<PostRunnerItemOutputsRequest> {
    api.sent()
        .into_iter()
        .filter(|m| m.runner_item_id.is_empty() && m.runner_id.starts_with("control-") == control)
        .collect()
}

/// `future`, or a panic naming `what` after two minutes: for waits on another process (the
/// official runner, the example binary), which could exit at start-up and leave a wait that
/// would never end. A bound that turns a hang into a failure, not a timing.
pub async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(120), future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not happen within two minutes"))
}
