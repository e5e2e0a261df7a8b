//! Streams a text model's output as it is generated, with the server-streaming rpc
//! GenerateModelOutputs.
//!
//!     cargo run --example stream -- "Write a haiku about trains"
//!     CLARIFAI_MODEL_ID=... CLARIFAI_MODEL_USER=... CLARIFAI_MODEL_APP=... cargo run --example stream
//!
//! Runs against the embedded mock unless credentials are in the environment.

mod common;

use std::io::Write;
use std::time::Duration;

use clarifai_tonic::{api, rpc};
use futures_util::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Write a haiku about trains".into());
    let conn = common::connect(|mock| {
        mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
            let words = "Steel wheels hum at dawn / commuters fold into light / the city exhales";
            futures_util::stream::iter(words.split(' ').map(str::to_owned).collect::<Vec<_>>())
                .then(|word| async move {
                    tokio::time::sleep(Duration::from_millis(60)).await;
                    Ok(text_output(&format!("{word} ")))
                })
        })
    })
    .await?;
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let request = api::PostModelOutputsRequest {
        user_app_id: Some(api::UserAppIdSet {
            user_id: env("CLARIFAI_MODEL_USER", "openai"),
            app_id: env("CLARIFAI_MODEL_APP", "chat-completion"),
        }),
        model_id: env("CLARIFAI_MODEL_ID", "gpt-4o-mini"),
        inputs: vec![api::Input::from_text(prompt.clone())],
        ..Default::default()
    };

    println!("> {prompt}\n");
    let mut stream = conn.client.generate_model_outputs(request).await?;
    while let Some(item) = stream.next().await {
        let response = item?;
        for output in &response.outputs {
            if let Some(text) = output.data.as_ref().and_then(|d| d.text.as_ref()) {
                print!("{}", text.raw);
                std::io::stdout().flush()?;
            }
        }
    }
    println!();
    Ok(())
}

fn text_output(raw: &str) -> api::MultiOutputResponse {
    api::MultiOutputResponse {
        status: common::success(),
        outputs: vec![api::Output {
            data: Some(Box::new(api::Data {
                text: Some(Box::new(api::Text {
                    raw: raw.into(),
                    ..Default::default()
                })),
                ..Default::default()
            })),
            ..Default::default()
        }],
        ..Default::default()
    }
}
