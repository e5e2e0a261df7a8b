//! Predicts the concepts in a sample image with Clarifai's general image recognition model.
//!
//! With `CLARIFAI_PAT` (+ `CLARIFAI_USER_ID`, `CLARIFAI_APP_ID`) or `CLARIFAI_API_KEY` set, it calls
//! the real API. With nothing set, it starts the embedded MockV2 and runs the same code against it.
//!
//!     cargo run --example quickstart

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, CredentialKind, Credentials, rpc};

const IMAGE_URL: &str = "https://samples.clarifai.com/metro-north.jpg";
const MODEL_ID: &str = "general-image-recognition";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let has_env = ["CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty()));

    // Keep the mock alive for as long as the client uses it.
    let (client, _mock) = if has_env {
        let client = ClarifaiClient::builder()
            .credentials(Credentials::from_env()?)
            .build()?;
        println!("Calling the Clarifai API as {}.", client.credentials());
        (client, None)
    } else {
        let mock = MockV2::start().await?;
        mock.on::<rpc::PostModelOutputs, _, _>(|_| async { Ok(canned_prediction()) });
        let client = mock.client(Credentials::pat("mock-pat", "me", "my-app")?)?;
        println!(
            "No credentials in the environment: this run uses the embedded mock server at {}.",
            mock.url()
        );
        println!(
            "To call the real API, set CLARIFAI_PAT with CLARIFAI_USER_ID and CLARIFAI_APP_ID (or CLARIFAI_API_KEY).\n"
        );
        (client, Some(mock))
    };

    // A PAT reaches Clarifai's public models by naming their app; an API key uses its own app.
    let user_app_id = match client.credentials().kind() {
        CredentialKind::ApiKey => None,
        _ => Some(api::UserAppIdSet {
            user_id: "clarifai".into(),
            app_id: "main".into(),
        }),
    };
    let request = api::PostModelOutputsRequest {
        user_app_id,
        model_id: MODEL_ID.into(),
        inputs: vec![api::Input {
            data: Some(Box::new(api::Data {
                image: Some(Box::new(api::Image {
                    url: IMAGE_URL.into(),
                    ..Default::default()
                })),
                ..Default::default()
            })),
            ..Default::default()
        }],
        ..Default::default()
    };

    let response = client.post_model_outputs(request).await?;
    println!("Concepts in {IMAGE_URL}:\n");
    println!("{:<24} {:>6}", "concept", "score");
    println!("{:-<24} {:->6}", "", "");
    for output in &response.outputs {
        for concept in output
            .data
            .as_ref()
            .map(|d| d.concepts.as_slice())
            .unwrap_or_default()
        {
            println!("{:<24} {:>6.3}", concept.name, concept.value);
        }
    }
    Ok(())
}

fn canned_prediction() -> api::MultiOutputResponse {
    let concepts = [
        ("train", 0.9996),
        ("railway", 0.9992),
        ("subway system", 0.9861),
        ("station", 0.9855),
        ("locomotive", 0.9847),
        ("transportation system", 0.9831),
    ];
    api::MultiOutputResponse {
        status: Some(api::status::Status {
            code: StatusCode::Success as i32,
            description: "Ok".into(),
            ..Default::default()
        }),
        outputs: vec![api::Output {
            data: Some(Box::new(api::Data {
                concepts: concepts
                    .iter()
                    .map(|(name, value)| api::Concept {
                        id: name.replace(' ', "-"),
                        name: (*name).into(),
                        value: *value,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })),
            ..Default::default()
        }],
        ..Default::default()
    }
}
