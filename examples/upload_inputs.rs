//! Uploads every image in a folder with PostInputs: batched, with bounded concurrency, a progress
//! bar, and a summary of what failed and why.
//!
//!     cargo run --example upload_inputs                   # a generated folder of 120 images, some broken
//!     cargo run --example upload_inputs -- ./photos 32 4  # folder, batch size, batches in flight
//!
//! Runs against the embedded mock unless credentials are in the environment. The mock, like the
//! API, rejects empty images per input and answers MIXED_STATUS for a partly failed batch.

mod common;

use std::path::PathBuf;

use clarifai_tonic::api::{self, Input, status::StatusCode};
use clarifai_tonic::{handles::Upload, rpc, stream};
use indicatif::{ProgressBar, ProgressStyle};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let folder = match args.first() {
        Some(dir) => PathBuf::from(dir),
        None => sample_folder()?,
    };
    let batch_size: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(16);
    let in_flight: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(4);
    let conn = common::connect(|mock| {
        mock.on::<rpc::PostInputs, _, _>(|request| async move {
            Ok(mock_post_inputs(request.into_inner()))
        })
    })
    .await?;

    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|e| format!("cannot read {}: {e}", folder.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let inputs = files
        .iter()
        .map(Input::from_file)
        .collect::<Result<Vec<Input>, _>>()?;
    println!(
        "Uploading {} files from {} in batches of {batch_size}, {in_flight} at a time",
        inputs.len(),
        folder.display()
    );
    let bar = ProgressBar::new(inputs.len() as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} inputs {elapsed_precise}",
    )?);
    let progress = bar.clone();

    // The upload: batches, bounded concurrency, per-input re-sends, a summary.
    let settings = Upload::default()
        .batch_size(batch_size)
        .concurrency(in_flight)
        .on_progress(move |p| progress.set_position(p.done as u64));
    let summary = conn
        .client
        .my_app()
        .upload(settings)
        .run(stream::iter(inputs))
        .await;
    bar.finish();

    println!(
        "\n{} uploaded, {} failed",
        summary.accepted.len(),
        summary.failed()
    );
    for (id, status) in &summary.rejected {
        println!("  {id}: {}", status.description);
    }
    for (ids, error) in &summary.failed_batches {
        println!("  a batch of {}: {error}", ids.len());
    }
    Ok(())
}

/// 120 small files, every 25th one empty (a broken download), in a temporary folder.
fn sample_folder() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "clarifai-tonic-upload-example-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    for i in 0..120 {
        let body: &[u8] = if i % 25 == 7 {
            b""
        } else {
            b"\x89PNG\r\n\x1a\n-not-really-a-png"
        };
        std::fs::write(dir.join(format!("image-{i:03}.png")), body)?;
    }
    Ok(dir)
}

/// What the API does with a PostInputs batch: each input gets a status; empty images fail.
fn mock_post_inputs(request: api::PostInputsRequest) -> api::MultiInputResponse {
    let mut failed = 0;
    let inputs = request
        .inputs
        .into_iter()
        .map(|mut input| {
            let empty = input
                .image()
                .is_none_or(|i| i.base64.is_empty() && i.url.is_empty());
            let (code, description) = if empty {
                failed += 1;
                (
                    StatusCode::InputFailed,
                    "the image is empty or could not be decoded",
                )
            } else {
                (StatusCode::InputSuccess, "Download complete")
            };
            input.status = Some(api::status::Status {
                code: code as i32,
                description: description.into(),
                ..Default::default()
            });
            input.data = None;
            input
        })
        .collect();
    let status = if failed > 0 {
        StatusCode::MixedStatus
    } else {
        StatusCode::Success
    };
    api::MultiInputResponse {
        status: Some(api::status::Status {
            code: status as i32,
            description: format!("{failed} inputs failed"),
            ..Default::default()
        }),
        inputs,
        ..Default::default()
    }
}
