//! Serve a model written in Rust: a text classifier in plain Rust (examples/common/classifier.rs).
//!
//! - With `CLARIFAI_PAT`, `CLARIFAI_USER_ID`, `CLARIFAI_COMPUTE_CLUSTER_ID`,
//!   `CLARIFAI_NODEPOOL_ID` and `CLARIFAI_RUNNER_ID` set, it is a Clarifai runner: it takes the
//!   work Clarifai routes to that runner, until SIGTERM or ctrl-c.
//! - Otherwise it is a local model server on `--port` (default 8000), the twin of the SDK's
//!   `python -m clarifai.runners.server --grpc`: call it with the SDK's
//!   `ModelClient.from_local_grpc(port)` or this crate's `ClarifaiClient::local(port)`.
//!
//! ```text
//! cargo run --example runner --features runner -- --port 8000
//! ```

#[path = "common/classifier.rs"]
mod classifier;

use clarifai_tonic::runner::{Runner, serve};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let model = classifier::model();
    let runner_vars = [
        "CLARIFAI_COMPUTE_CLUSTER_ID",
        "CLARIFAI_NODEPOOL_ID",
        "CLARIFAI_RUNNER_ID",
    ];
    if runner_vars
        .iter()
        .all(|v| std::env::var(v).is_ok_and(|v| !v.is_empty()))
    {
        println!("Serving the classifier as a Clarifai runner; ctrl-c stops it.");
        Runner::from_env(model)?.run().await?;
        return Ok(());
    }
    let mut args = std::env::args().skip(1);
    let mut port = 8000u16;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value
                    .parse()
                    .map_err(|e| format!("--port {value:?}: {e}"))?;
            }
            other => return Err(format!("unknown argument {other:?}; it takes --port N").into()),
        }
    }
    let server = serve(model, ([127, 0, 0, 1], port).into()).await?;
    // The line a script waits for.
    println!("Serving the classifier on {}", server.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
