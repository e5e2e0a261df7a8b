//! Predicts with any model, from an image URL, a local file, or bytes in memory.
//!
//!     cargo run --example predict                                  # the sample URL and in-memory bytes
//!     cargo run --example predict -- https://samples.clarifai.com/dog2.jpeg
//!     cargo run --example predict -- ./photo.jpg
//!     CLARIFAI_MODEL_ID=general-image-recognition cargo run --example predict -- ./photo.jpg
//!
//! Runs against the embedded mock unless credentials are in the environment.

mod common;

use clarifai_tonic::{api, rpc};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let conn = common::connect(|mock| {
        mock.on::<rpc::PostModelOutputs, _, _>(|request| async move {
            // The mock checks what it got, as the real API would.
            let input = request.get_ref().inputs.first().and_then(|i| i.image());
            match input {
                Some(image) if !image.url.is_empty() || !image.base64.is_empty() => {
                    Ok(common::canned_concepts())
                }
                _ => Err(tonic::Status::invalid_argument(
                    "an input needs an image URL or bytes",
                )),
            }
        })
    })
    .await?;
    let client = &conn.client;
    let model_id =
        std::env::var("CLARIFAI_MODEL_ID").unwrap_or_else(|_| "general-image-recognition".into());

    let images: Vec<(String, api::Image)> = match std::env::args().nth(1) {
        Some(arg) if arg.starts_with("http://") || arg.starts_with("https://") => {
            vec![(
                arg.clone(),
                api::Image {
                    url: arg,
                    ..Default::default()
                },
            )]
        }
        Some(path) => {
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
            vec![(
                path,
                api::Image {
                    base64: bytes.into(),
                    ..Default::default()
                },
            )]
        }
        None => vec![
            (
                "the sample URL".into(),
                api::Image {
                    url: "https://samples.clarifai.com/metro-north.jpg".into(),
                    ..Default::default()
                },
            ),
            // Bytes already in memory: `bytes::Bytes` shares the buffer instead of copying it.
            (
                "bytes in memory".into(),
                api::Image {
                    base64: bytes::Bytes::from_static(TINY_PNG),
                    ..Default::default()
                },
            ),
        ],
    };

    for (label, image) in images {
        let request = api::PostModelOutputsRequest {
            user_app_id: common::public_model_app(client),
            model_id: model_id.clone(),
            inputs: vec![api::Input::from_image(image)],
            ..Default::default()
        };
        match client.post_model_outputs(request).await {
            Ok(response) => {
                println!("{model_id} on {label}:\n");
                common::print_concepts(&response);
                println!();
            }
            Err(e) => eprintln!("{model_id} on {label} failed: {e}"),
        }
    }
    Ok(())
}

/// A 1x1 PNG.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
