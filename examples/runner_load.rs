//! Work items per second through a runner, against MockV2 acting as the API over loopback: this
//! crate's runner, and with `--official` the official Python runner (`clarifai-protocol`, started
//! by the SDK's `python -m clarifai.runners.server` on tests/interop/echo), on the same script of
//! predict items.
//!
//!     cargo run --release --example runner_load --features runner               # 2000 items, 4 polls
//!     cargo run --release --example runner_load --features runner -- 5000 8     # items, polls
//!     cargo run --release --example runner_load --features runner -- 2000 4 --official target/interop-venv/bin/python
//!
//! The clock starts once every poll is waiting for work (the official runner's start-up is not
//! counted) and stops when the last item's stream is closed. Each item is one stream: the
//! handshake, the item, its output posted, the close.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Instant;

#[path = "common/official_runner.rs"]
mod official_runner;

use clarifai_tonic::api;
use clarifai_tonic::methods::method_input;
use clarifai_tonic::mock::{MockV2, RunnerApi, Work};
use clarifai_tonic::runner::{Method, Model, Runner, RunnerConfig, Type};
use clarifai_tonic::{Credentials, Value};

/// The Rust twin of tests/interop/echo's `predict`.
fn model() -> Model {
    Model::new().method(
        Method::predict("predict", |args| async move {
            let prompt: String = args.take("prompt")?;
            let loud: bool = args.take("loud")?;
            let temperature: f64 = args.take("temperature")?;
            let max_tokens: i64 = args.take("max_tokens")?;
            let text = if loud { prompt.to_uppercase() } else { prompt };
            Ok(Value::from(format!("{text}|{temperature:?}|{max_tokens}")))
        })
        .arg("prompt", Type::Str)
        .arg_default("temperature", Type::Float, 0.7)
        .arg_default("max_tokens", Type::Int, 16)
        .arg_default("loud", Type::Bool, false)
        .returns(Type::Str),
    )
}

/// The API, with `GetRunner` answered (the official runner checks that its runner exists).
async fn start_api() -> Result<(MockV2, RunnerApi), Box<dyn std::error::Error>> {
    let mock = MockV2::start().await?;
    official_runner::answer_get_runner(&mock);
    mock.set_recording(false);
    let api = mock.runner_api();
    Ok((mock, api))
}

/// Pushes `items` predict items once `polls` streams wait, and returns the items per second.
async fn run(
    api: &RunnerApi,
    items: usize,
    polls: usize,
) -> Result<f64, Box<dyn std::error::Error>> {
    let signature = model().signatures().remove(0);
    let input = method_input(&signature, [("prompt", Value::from("hi"))])?;
    let request = api::PostModelOutputsRequest {
        inputs: vec![input],
        ..Default::default()
    };
    api.wait_waiting(polls).await;
    let started = Instant::now();
    for i in 0..items {
        api.push(Work::predict(&format!("item-{i}"), request.clone()));
    }
    for i in 0..items {
        api.wait_done(&format!("item-{i}")).await;
    }
    Ok(items as f64 / started.elapsed().as_secs_f64())
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn official(python: &Path, url: &str, polls: usize) -> std::io::Result<Killed> {
    let mut command = official_runner::command(python, url, polls);
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok(Killed(child))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| -> Result<usize, String> {
        match args.get(i) {
            Some(text) if !text.starts_with("--") => text
                .parse()
                .map_err(|e| format!("argument {} {text:?}: {e}", i + 1)),
            _ => Ok(default),
        }
    };
    let (items, polls) = (number(0, 2000)?, number(1, 4)?.max(1));
    let python = args
        .iter()
        .position(|a| a == "--official")
        .map(|i| args.get(i + 1).ok_or("--official needs the venv's python"))
        .transpose()?;

    let (mock, api) = start_api().await?;
    let client = mock.client(Credentials::pat("runner-pat", "me", "")?)?;
    let config = RunnerConfig::new("me", "cc", "np", "r1")
        .polls(polls)
        .health_port(None)
        .control_stream(false);
    let runner = Runner::new(model(), client, config).start().await?;
    let ours = run(&api, items, polls).await?;
    runner.stop();
    runner.wait().await?;
    println!("clarifai-tonic runner: {items} items, {polls} polls: {ours:.0} items/s");

    if let Some(python) = python {
        let (mock, api) = start_api().await?;
        let _official = official(Path::new(python), &mock.url(), polls)?;
        let theirs = run(&api, items, polls).await?;
        println!("official runner:       {items} items, {polls} polls: {theirs:.0} items/s");
        println!("ratio: {:.1}x", ours / theirs);
    }
    Ok(())
}
