//! Shared by the examples: the real API when credentials are in the environment, otherwise the
//! embedded MockV2 with handlers that imitate Clarifai's answers.

#![allow(dead_code)]

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Credentials, credentials::CredentialKind};

/// A client, and the mock it talks to when there is one (keep it alive while calling).
pub struct Connection {
    pub client: ClarifaiClient,
    pub mock: Option<MockV2>,
}

/// Connects to the real API when `CLARIFAI_PAT` / `CLARIFAI_API_KEY` / `CLARIFAI_SESSION_TOKEN`
/// is set, and otherwise starts MockV2 and lets `setup` register its handlers.
pub async fn connect(
    setup: impl FnOnce(&MockV2),
) -> Result<Connection, Box<dyn std::error::Error>> {
    let has_env = ["CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty()));
    if has_env {
        let client = ClarifaiClient::builder()
            .credentials(Credentials::from_env()?)
            .build()?;
        println!("Calling the Clarifai API as {}.\n", client.credentials());
        return Ok(Connection { client, mock: None });
    }
    let mock = MockV2::start().await?;
    setup(&mock);
    let client = mock.client(Credentials::pat("mock-pat", "me", "my-app")?)?;
    println!(
        "No credentials in the environment: this run uses the embedded mock server at {}.",
        mock.url()
    );
    println!(
        "To call the real API, set CLARIFAI_PAT with CLARIFAI_USER_ID and CLARIFAI_APP_ID (or CLARIFAI_API_KEY).\n"
    );
    Ok(Connection {
        client,
        mock: Some(mock),
    })
}

/// Clarifai's public models live in the app clarifai/main: a PAT names it, an API key cannot
/// (it is tied to its own app), so the request leaves it empty.
pub fn public_model_app(client: &ClarifaiClient) -> Option<api::UserAppIdSet> {
    match client.credentials().kind() {
        CredentialKind::ApiKey => None,
        _ => Some(api::UserAppIdSet {
            user_id: "clarifai".into(),
            app_id: "main".into(),
        }),
    }
}

pub fn success() -> Option<api::status::Status> {
    Some(api::status::Status {
        code: StatusCode::Success as i32,
        description: "Ok".into(),
        ..Default::default()
    })
}

/// What the general model says about the metro-north sample, for the mock's `model(..)`.
pub const CONCEPTS: &[(&str, f32)] = &[
    ("train", 0.9996),
    ("railway", 0.9992),
    ("subway system", 0.9861),
    ("station", 0.9855),
    ("locomotive", 0.9847),
    ("transportation system", 0.9831),
];
