//! The integration tests, in one binary (one link instead of three): each module runs against
//! MockV2 over a real socket.

mod auth;
mod client;
mod fidelity;
mod generated;

use clarifai_tonic::{ClarifaiClient, Error, api};
use futures_util::StreamExt;

/// Sends `messages` on the StreamModelOutputs bidi stream through `client` and collects every
/// response item, errors included.
async fn stream_all(
    client: &ClarifaiClient,
    messages: Vec<api::PostModelOutputsRequest>,
) -> Vec<Result<api::MultiOutputResponse, Error>> {
    client
        .stream_model_outputs(futures_util::stream::iter(messages))
        .await
        .expect("the stream starts")
        .collect()
        .await
}
