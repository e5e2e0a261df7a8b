//! Predicts the concepts in a sample image with Clarifai's general image recognition model.
//!
//! With `CLARIFAI_PAT` (+ `CLARIFAI_USER_ID`, `CLARIFAI_APP_ID`) or `CLARIFAI_API_KEY` set, it calls
//! the real API. With nothing set, it starts the embedded MockV2 and runs the same code against it.
//!
//!     cargo run --example quickstart

mod common;

use clarifai_tonic::{api, rpc};

const IMAGE_URL: &str = "https://samples.clarifai.com/metro-north.jpg";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let conn =
        common::connect(|mock| mock.respond::<rpc::PostModelOutputs>(common::canned_concepts()))
            .await?;
    let client = &conn.client;

    let request = api::PostModelOutputsRequest {
        user_app_id: common::public_model_app(client),
        model_id: "general-image-recognition".into(),
        inputs: vec![api::Input::image_url(IMAGE_URL)],
        ..Default::default()
    };
    let response = client.post_model_outputs(request).await?;

    println!("Concepts in {IMAGE_URL}:\n");
    common::print_concepts(&response);
    Ok(())
}
