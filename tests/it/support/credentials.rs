//! The credentials tests' server and request (auth.rs, secrets.rs), and the secret they check is
//! never shown (secrets.rs, cli_context.rs).

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Credentials, rpc};
use futures_util::StreamExt;

use super::fixture::{Fixture, outputs, success};

/// A secret that must never be shown.
pub const SECRET: &str = "s3cr3t-VALUE-do-not-print";

/// MockV2 answering every rpc the credentials tests call with SUCCESS.
pub async fn mock() -> MockV2 {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(done());
    mock.respond::<rpc::ListApps>(api::MultiAppResponse {
        status: success(),
        ..Default::default()
    });
    mock.respond::<rpc::PostApps>(api::MultiAppResponse {
        status: success(),
        ..Default::default()
    });
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
        futures_util::stream::iter([Ok(done()), Ok(done())])
    });
    mock.on_bidi::<rpc::StreamModelOutputs, _, _>(|req| {
        req.into_inner().map(|m| m.map(|_| done()))
    });
    mock
}

/// [`mock`], and a client for it with `credentials`.
pub async fn served(credentials: Credentials) -> (MockV2, ClarifaiClient) {
    let mock = mock().await;
    let client = Fixture::new().credentials(credentials).client(mock.url());
    (mock, client)
}

/// A predict response with no outputs.
pub fn done() -> api::MultiOutputResponse {
    outputs(&[], StatusCode::Success)
}

/// A predict request for the model `general`.
pub fn predict() -> api::PostModelOutputsRequest {
    api::PostModelOutputsRequest {
        model_id: "general".into(),
        ..Default::default()
    }
}
