//! A text model's answer as it is generated (GenerateModelOutputs, a server stream), then two
//! prompts over one bidi stream (StreamModelOutputs).
//!
//!     cargo run --example stream -- "Write a haiku about trains"
//!     cargo run --example stream -- "Write a haiku about trains" openai/chat-completion/gpt-4o-mini
//!
//! Runs against the embedded mock unless credentials are in the environment.

mod common;

use std::time::Duration;

use clarifai_tonic::api::{self, Input};
use clarifai_tonic::{StreamExt, rpc, stream};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let prompt = args
        .next()
        .unwrap_or_else(|| "Write a haiku about trains".into());
    let model = args
        .next()
        .unwrap_or_else(|| "openai/chat-completion/gpt-4o-mini".into());
    let conn = common::connect(mock_text_model).await?;

    // The task itself (counted in the README): a server stream, then a bidi stream.
    let model = conn.client.model(&model)?.temperature(0.7);
    let mut pieces = model.generate(Input::from_text(prompt.as_str())).await?;
    while let Some(piece) = pieces.next().await {
        print!("{}", piece?.text().unwrap_or_default());
    }
    let prompts = ["Say hello", "Say goodbye"].map(|p| vec![Input::from_text(p)]);
    let mut answers = model.stream(stream::iter(prompts)).await?;
    while let Some(answer) = answers.next().await {
        println!("\n{}", answer?.text().unwrap_or_default());
    }
    Ok(())
}

/// A text model for the mock: the generated answer word by word, and an echo for each message
/// of the bidi stream.
fn mock_text_model(mock: &clarifai_tonic::mock::MockV2) {
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
        let words = "Steel wheels hum at dawn / commuters fold into light / the city exhales";
        let words: Vec<String> = words.split(' ').map(|w| format!("{w} ")).collect();
        stream::iter(words).then(|word| async move {
            tokio::time::sleep(Duration::from_millis(60)).await;
            Ok(text_response(&word))
        })
    });
    mock.on_bidi::<rpc::StreamModelOutputs, _, _>(|request| {
        request.into_inner().map(|message| {
            let message = message?;
            let prompt = message
                .inputs
                .first()
                .and_then(|i| i.text())
                .map(|t| t.raw.clone());
            Ok(text_response(&format!(
                "(echo) {}",
                prompt.unwrap_or_default()
            )))
        })
    });
}

fn text_response(text: &str) -> api::MultiOutputResponse {
    let output =
        api::Output::default().with_data(api::Data::default().with_text(api::Text::raw(text)));
    api::MultiOutputResponse {
        outputs: vec![output],
        ..Default::default()
    }
}
