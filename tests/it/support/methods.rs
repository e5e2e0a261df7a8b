//! The model-method fixtures methods.rs, warm_up.rs and blocking.rs share: an LLM-like model's
//! signatures, GetModel and GetModelVersion serving them, and a predict answer.

use clarifai_tonic::api::model_type_field::DataType;
use clarifai_tonic::api::{self, MethodSignature, ModelTypeField, RunnerMethodType};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::rpc;

use super::fixture::success;

fn field(name: &str, ty: DataType, default: Option<&str>) -> ModelTypeField {
    ModelTypeField {
        name: name.into(),
        r#type: ty as i32,
        required: default.is_none(),
        default: default.unwrap_or_default().into(),
        ..Default::default()
    }
}

fn method(
    name: &str,
    kind: RunnerMethodType,
    inputs: Vec<ModelTypeField>,
    ret: DataType,
) -> MethodSignature {
    let mut output = field("return", ret, None);
    output.required = false;
    output.iterator = kind != RunnerMethodType::UnaryUnary;
    MethodSignature {
        name: name.into(),
        method_type: kind as i32,
        input_fields: inputs,
        output_fields: vec![output],
        ..Default::default()
    }
}

/// An LLM-like model's methods: `predict` (unary), `generate` (server stream) and `stream`
/// (bidi), each returning a string.
pub fn llm() -> Vec<MethodSignature> {
    let mut chunks = field("chunks", DataType::Str, None);
    chunks.iterator = true;
    vec![
        method(
            "predict",
            RunnerMethodType::UnaryUnary,
            vec![
                field("prompt", DataType::Str, None),
                field("temperature", DataType::Float, Some("0.7")),
            ],
            DataType::Str,
        ),
        method(
            "generate",
            RunnerMethodType::UnaryStreaming,
            vec![field("prompt", DataType::Str, None)],
            DataType::Str,
        ),
        method(
            "stream",
            RunnerMethodType::StreamingStreaming,
            vec![chunks],
            DataType::Str,
        ),
    ]
}

/// GetModel lists `signatures`; GetModelVersion too.
pub fn serve_signatures(mock: &MockV2, signatures: Vec<MethodSignature>) {
    let version = api::ModelVersion {
        id: "v1".into(),
        method_signatures: signatures,
        ..Default::default()
    };
    mock.respond::<rpc::GetModel>(api::SingleModelResponse {
        status: success(),
        model: Some(Box::new(api::Model {
            id: "llm".into(),
            model_version: Some(Box::new(version.clone())),
            ..Default::default()
        })),
        ..Default::default()
    });
    mock.respond::<rpc::GetModelVersion>(api::SingleModelVersionResponse {
        status: success(),
        model_version: Some(Box::new(version)),
    });
}

/// A predict answer whose one output holds `text` in a `return` part.
pub fn answer(text: &str) -> api::MultiOutputResponse {
    let data = api::Data {
        parts: vec![api::Part {
            id: "return".into(),
            data: Some(Box::new(api::Data {
                string_value: text.into(),
                ..Default::default()
            })),
        }],
        ..Default::default()
    };
    api::MultiOutputResponse {
        status: success(),
        outputs: vec![api::Output {
            data: Some(Box::new(data)),
            ..Default::default()
        }],
        ..Default::default()
    }
}
