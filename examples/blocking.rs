//! The quickstart without `async`: a prediction, a list read page after page, and a streamed
//! answer, from a plain `fn main` with the blocking client (feature `blocking`).
//!
//!     cargo run --example blocking --features blocking
//!
//! With `CLARIFAI_PAT` (+ `CLARIFAI_USER_ID`, `CLARIFAI_APP_ID`) or `CLARIFAI_API_KEY` set, it calls
//! the real API. With nothing set, it starts the embedded MockV2 and runs the same code against it.
//! MockV2 is a tokio server (test infrastructure, feature `mock`): only `mock_server` below makes
//! a runtime, to host it; the client code in `main` has no tokio in it.

mod common;

use clarifai_tonic::api::{self, Input};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{Credentials, blocking, rpc, stream};

const IMAGE_URL: &str = "https://samples.clarifai.com/metro-north.jpg";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = mock_server()?; // None when credentials are in the environment
    let client = match &mock {
        None => blocking::ClarifaiClient::builder().build()?,
        Some((mock, _)) => blocking::ClarifaiClient::builder()
            .configure(|b| {
                b.endpoint(mock.url())
                    .credentials(Credentials::pat("mock-pat", "me", "my-app").unwrap())
            })
            .build()?,
    };

    // Predict: the concepts in an image.
    let model = client.model("clarifai/main/general-image-recognition")?;
    let outputs = model.predict(Input::image_url(IMAGE_URL))?;
    println!("Concepts in {IMAGE_URL}:\n");
    for concept in outputs.iter().flat_map(|output| output.concepts()) {
        println!("{:<24} {:>6.3}", concept.name, concept.value);
    }

    // List: the first models of clarifai/main, pages fetched as the iterator is read.
    println!("\nSome models of clarifai/main:");
    for model in client.app("clarifai/main")?.list_models().take(5) {
        println!("  {}", model?.id);
    }

    // Stream: a text model's answer as it is generated.
    println!();
    let writer = client.model("openai/chat-completion/gpt-4o-mini")?;
    for piece in writer.generate(Input::from_text("Write a haiku about trains"))? {
        print!("{}", piece?.text().unwrap_or_default());
    }
    println!();
    Ok(())
}

/// With no credentials in the environment: MockV2, on a runtime of its own (kept alive with it),
/// answering the three calls above as Clarifai would.
fn mock_server() -> Result<Option<(MockV2, tokio::runtime::Runtime)>, Box<dyn std::error::Error>> {
    let has_env = ["CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty()));
    if has_env {
        return Ok(None);
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let mock = runtime.block_on(MockV2::start())?;
    mock.model("general-image-recognition", common::CONCEPTS);
    let models = (0..57).map(|i| api::Model {
        id: format!("model-{i:03}"),
        ..Default::default()
    });
    mock.respond_pages::<rpc::ListModels>(models.collect(), 20);
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
        let words = "Steel wheels hum at dawn / commuters fold into light / the city exhales";
        stream::iter(words.split(' ').map(|word| {
            let text = api::Text::raw(format!("{word} "));
            let output = api::Output::default().with_data(api::Data::default().with_text(text));
            Ok(api::MultiOutputResponse {
                outputs: vec![output],
                ..Default::default()
            })
        }))
    });
    println!(
        "No credentials in the environment: this run uses the embedded mock server at {}.",
        mock.url()
    );
    println!(
        "To call the real API, set CLARIFAI_PAT with CLARIFAI_USER_ID and CLARIFAI_APP_ID (or CLARIFAI_API_KEY).\n"
    );
    Ok(Some((mock, runtime)))
}
