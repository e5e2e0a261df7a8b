//! Uploads every image in a folder with PostInputs: batched, with bounded concurrency, a progress
//! bar, and a summary of what failed and why.
//!
//!     cargo run --example upload_inputs                   # a generated folder of 120 images, some broken
//!     cargo run --example upload_inputs -- ./photos 32 4  # folder, batch size, batches in flight
//!
//! Runs against the embedded mock unless credentials are in the environment. The mock, like the
//! API, rejects empty images per input and answers MIXED_STATUS for a partly failed batch.

mod common;

use std::path::{Path, PathBuf};

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::{Error, rpc};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let folder = match args.first() {
        Some(dir) => PathBuf::from(dir),
        None => sample_folder()?,
    };
    let batch_size: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(16)
        .max(1);
    let in_flight: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(4).max(1);

    let conn = common::connect(|mock| {
        mock.on::<rpc::PostInputs, _, _>(|request| async move {
            Ok(mock_post_inputs(request.into_inner()))
        })
    })
    .await?;
    let client = &conn.client;

    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|e| format!("cannot read {}: {e}", folder.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "jpg" | "jpeg" | "png" | "gif" | "webp"
                )
            })
        })
        .collect();
    files.sort();
    println!(
        "Uploading {} images from {} in batches of {batch_size}, {in_flight} at a time",
        files.len(),
        folder.display()
    );

    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} inputs {elapsed_precise} {msg}",
    )?);
    let mut failures: Vec<(String, String)> = Vec::new();
    let batches: Vec<Vec<PathBuf>> = files.chunks(batch_size).map(<[PathBuf]>::to_vec).collect();
    let mut results = futures_util::stream::iter(batches)
        .map(|batch| async move {
            let mut inputs = Vec::with_capacity(batch.len());
            let mut unreadable = Vec::new();
            for path in &batch {
                match std::fs::read(path) {
                    Ok(bytes) => {
                        inputs.push(api::Input::image_bytes(bytes).with_id(input_id(path)))
                    }
                    Err(e) => unreadable.push((path.display().to_string(), e.to_string())),
                }
            }
            let count = batch.len();
            let result = client
                .post_inputs(api::PostInputsRequest {
                    inputs,
                    ..Default::default()
                })
                .await;
            (count, unreadable, result)
        })
        .buffer_unordered(in_flight);

    while let Some((count, unreadable, result)) = results.next().await {
        failures.extend(unreadable);
        match result {
            Ok(_) => {}
            // Some inputs failed: the error keeps the response, with a status per input.
            Err(Error::Clarifai(e)) if e.code == StatusCode::MixedStatus => {
                if let Some(response) = e.response::<api::MultiInputResponse>() {
                    for input in &response.inputs {
                        if let Some(status) = input
                            .status
                            .as_ref()
                            .filter(|s| s.code != StatusCode::InputSuccess as i32)
                        {
                            failures.push((input.id.clone(), status.description.clone()));
                        }
                    }
                }
            }
            Err(e) => failures.push((format!("a batch of {count}"), e.to_string())),
        }
        bar.inc(count as u64);
    }
    bar.finish_with_message("done");

    failures.sort();
    println!(
        "\n{} uploaded, {} failed",
        files.len() - failures.len().min(files.len()),
        failures.len()
    );
    for (what, why) in &failures {
        println!("  {what}: {why}");
    }
    Ok(())
}

fn input_id(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("input")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
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
