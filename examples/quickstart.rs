//! Predicts the concepts in a sample image with Clarifai's general image recognition model.
//!
//! With `CLARIFAI_PAT` (+ `CLARIFAI_USER_ID`, `CLARIFAI_APP_ID`) or `CLARIFAI_API_KEY` set, it calls
//! the real API. With nothing set, it starts the embedded MockV2 and runs the same code against it.
//!
//!     cargo run --example quickstart

mod common;

use clarifai_tonic::api::Input;

const IMAGE_URL: &str = "https://samples.clarifai.com/metro-north.jpg";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let conn = common::connect(|mock| {
        mock.model("general-image-recognition", common::CONCEPTS);
    })
    .await?;

    // The task itself (counted in the README): a model by its URL's short form, one prediction.
    let model = conn
        .client
        .model("clarifai/main/general-image-recognition")?;
    let outputs = model.predict(Input::image_url(IMAGE_URL)).await?;
    println!("Concepts in {IMAGE_URL}:\n");
    for concept in outputs.iter().flat_map(|output| output.concepts()) {
        println!("{:<24} {:>6.3}", concept.name, concept.value);
    }
    Ok(())
}
