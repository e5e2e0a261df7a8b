//! Predicts with any model, from an image URL, a local file (image, video, audio or text), or
//! bytes in memory, with output options.
//!
//!     cargo run --example predict                                  # the sample URL and in-memory bytes
//!     cargo run --example predict -- https://samples.clarifai.com/dog2.jpeg
//!     cargo run --example predict -- ./photo.jpg
//!     CLARIFAI_MODEL=clarifai/main/general-image-recognition cargo run --example predict -- ./photo.jpg
//!
//! Runs against the embedded mock unless credentials are in the environment.

mod common;

use clarifai_tonic::api::Input;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let conn = common::connect(|mock| {
        mock.model("general-image-recognition", common::CONCEPTS);
    })
    .await?;
    let reference = std::env::var("CLARIFAI_MODEL")
        .unwrap_or_else(|_| "clarifai/main/general-image-recognition".into());
    let model = conn
        .client
        .model(&reference)?
        .max_concepts(5)
        .min_value(0.5);

    let inputs = match std::env::args().nth(1) {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            vec![Input::image_url(url)]
        }
        Some(path) => vec![Input::from_file(path)?],
        None => vec![
            Input::image_url("https://samples.clarifai.com/metro-north.jpg").with_id("sample-url"),
            // Bytes already in memory: `bytes::Bytes` shares the buffer instead of copying it.
            Input::image_bytes(bytes::Bytes::from_static(TINY_PNG)).with_id("in-memory"),
        ],
    };
    // One request for both; an input the model cannot read fails alone (its output says why).
    for output in model.predict(inputs).await? {
        let input = output.input.as_ref().map_or("", |i| i.id.as_str());
        if !output.succeeded() {
            let why = output
                .status
                .as_ref()
                .map_or("", |s| s.description.as_str());
            println!("{input}: failed: {why}");
            continue;
        }
        println!("{} on {input}:", model.id());
        for concept in output.concepts() {
            println!("  {:<24} {:>6.3}", concept.name, concept.value);
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
