//! Calls a model's typed methods: lists them with their signatures, calls `predict` with
//! arguments, then reads `generate` as it streams.
//!
//! With `CLARIFAI_PAT` (+ `CLARIFAI_USER_ID`, `CLARIFAI_APP_ID`) set, it calls the real API on the
//! model given as the first argument (any model built with the SDK's `ModelClass`, such as an LLM
//! on Clarifai's compute). With nothing set, it serves a small typed model from the embedded
//! MockV2 and runs the same code against it.
//!
//!     cargo run --example methods -- [user/app/model] ["a prompt"]

mod common;

use clarifai_tonic::api::model_type_field::DataType;
use clarifai_tonic::api::{self, MethodSignature, ModelTypeField, RunnerMethodType};
use clarifai_tonic::methods::python_signature;
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{StreamExt, rpc};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let reference = args.next().unwrap_or_else(|| "me/my-app/echo-llm".into());
    let prompt = args.next().unwrap_or_else(|| "What is a cat?".into());
    let conn = common::connect(serve_echo_model).await?;

    // The task itself (counted in the README): a method call with arguments, then a stream.
    let model = conn.client.model(&reference)?;
    let answer = model
        .method("predict")
        .arg("prompt", prompt.as_str())
        .arg("temperature", 0.2)
        .predict()
        .await?;
    println!("predict: {}\n", String::try_from(answer)?);

    for method in model.methods().await? {
        println!("{}", python_signature(&method));
    }
    print!("\ngenerate: ");
    let mut words = model
        .method("generate")
        .arg("prompt", prompt.as_str())
        .generate()
        .await?;
    while let Some(word) = words.next().await {
        print!("{} ", String::try_from(word?)?);
    }
    println!();
    Ok(())
}

fn field(name: &str, ty: DataType, default: &str) -> ModelTypeField {
    ModelTypeField {
        name: name.into(),
        r#type: ty as i32,
        required: default.is_empty() && name != "return",
        default: default.into(),
        ..Default::default()
    }
}

/// The offline model: `predict(prompt: str, temperature: float = 0.7) -> str` and
/// `generate(prompt: str) -> Iterator[str]`, as an SDK `ModelClass` would declare them.
fn serve_echo_model(mock: &MockV2) {
    let mut words = field("return", DataType::Str, "");
    words.iterator = true;
    let methods = vec![
        MethodSignature {
            name: "predict".into(),
            method_type: RunnerMethodType::UnaryUnary as i32,
            input_fields: vec![
                field("prompt", DataType::Str, ""),
                field("temperature", DataType::Float, "0.7"),
            ],
            output_fields: vec![field("return", DataType::Str, "")],
            ..Default::default()
        },
        MethodSignature {
            name: "generate".into(),
            method_type: RunnerMethodType::UnaryStreaming as i32,
            input_fields: vec![field("prompt", DataType::Str, "")],
            output_fields: vec![words],
            ..Default::default()
        },
    ];
    let version = api::ModelVersion {
        method_signatures: methods,
        ..Default::default()
    };
    mock.respond::<rpc::GetModel>(api::SingleModelResponse {
        status: common::success(),
        model: Some(Box::new(api::Model {
            model_version: Some(Box::new(version)),
            ..Default::default()
        })),
        ..Default::default()
    });
    mock.on::<rpc::PostModelOutputs, _, _>(|request| {
        let prompt = argument(&request.into_inner(), "prompt");
        async move { Ok(answer(vec![format!("You asked: {prompt}")])) }
    });
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|request| {
        let prompt = argument(&request.into_inner(), "prompt");
        let words: Vec<String> = prompt.split_whitespace().map(str::to_owned).collect();
        clarifai_tonic::stream::iter(words.into_iter().map(|w| Ok(answer(vec![w]))))
    });
}

/// A `str` argument, out of the part named after it.
fn argument(request: &api::PostModelOutputsRequest, name: &str) -> String {
    let data = request.inputs.first().and_then(|i| i.data.as_ref());
    let part = data.and_then(|d| d.parts.iter().find(|p| p.id == name));
    part.and_then(|p| p.data.as_ref())
        .map(|d| d.string_value.clone())
        .unwrap_or_default()
}

/// An answer whose outputs each hold a text in a `return` part, as the SDK's models send.
fn answer(texts: Vec<String>) -> api::MultiOutputResponse {
    let outputs = texts
        .into_iter()
        .map(|text| {
            let value = api::Data {
                string_value: text,
                ..Default::default()
            };
            let part = api::Part {
                id: "return".into(),
                data: Some(Box::new(value)),
            };
            let data = api::Data {
                parts: vec![part],
                ..Default::default()
            };
            api::Output {
                data: Some(Box::new(data)),
                ..Default::default()
            }
        })
        .collect();
    api::MultiOutputResponse {
        status: common::success(),
        outputs,
        ..Default::default()
    }
}
