//! Lists every model in an app, page after page, with `list_models_stream`.
//!
//!     cargo run --example list_models              # 20 per page
//!     cargo run --example list_models -- 100        # 100 per page
//!
//! Runs against the embedded mock (with 57 models) unless credentials are in the environment.

mod common;

use clarifai_tonic::{api, rpc};
use futures_util::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let per_page: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let conn = common::connect(|mock| {
        mock.on::<rpc::ListModels, _, _>(|request| async move {
            let r = request.into_inner();
            let start = (r.page.max(1) - 1).saturating_mul(r.per_page) as usize;
            let end = (start + r.per_page as usize).min(57);
            Ok(api::MultiModelResponse {
                status: common::success(),
                models: (start.min(end)..end)
                    .map(|i| api::Model {
                        id: format!("model-{i:03}"),
                        ..Default::default()
                    })
                    .collect(),
            })
        })
    })
    .await?;

    let request = api::ListModelsRequest {
        per_page,
        ..Default::default()
    };
    let mut models = conn.client.list_models_stream(request);
    let mut count = 0;
    while let Some(model) = models.next().await {
        let model = model?;
        count += 1;
        println!("{:>4}  {}", count, model.id);
    }
    let pages = conn
        .mock
        .as_ref()
        .map(|m| m.calls_to::<rpc::ListModels>().len());
    match pages {
        Some(pages) => println!("\n{count} models in {pages} requests of {per_page}"),
        None => println!("\n{count} models"),
    }
    Ok(())
}
