//! Lists every model in an app, page after page, with an app handle's `list_models`.
//!
//!     cargo run --example list_models                  # clarifai/main
//!     cargo run --example list_models -- me/my-app     # another app
//!
//! Runs against the embedded mock (57 models, served at most 20 a page, as a server may cap
//! pages) unless credentials are in the environment.

mod common;

use clarifai_tonic::{StreamExt, api, rpc};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "clarifai/main".into());
    let conn = common::connect(|mock| {
        let models = (0..57).map(|i| api::Model {
            id: format!("model-{i:03}"),
            ..Default::default()
        });
        mock.respond_pages::<rpc::ListModels>(models.collect(), 20);
    })
    .await?;

    // The task itself (counted in the README).
    let mut models = conn.client.app(&app)?.list_models();
    while let Some(model) = models.next().await {
        println!("{}", model?.id);
    }

    if let Some(mock) = &conn.mock {
        let pages = mock.calls_to::<rpc::ListModels>().len();
        println!("\n{pages} requests, the last one an empty page");
    }
    Ok(())
}
