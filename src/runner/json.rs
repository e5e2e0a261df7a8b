//! Signatures in protobuf's JSON form (what the SDK's `signatures_to_json` writes with
//! `MessageToDict`): camelCase keys, enums by name, empty fields left out; the methods in the
//! model's order.

use crate::api::model_type_field::DataType;
use crate::api::{MethodSignature, ModelTypeField, RunnerMethodType};

fn field_json(field: &ModelTypeField) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    if !field.name.is_empty() {
        map.insert("name".into(), field.name.clone().into());
    }
    if !field.description.is_empty() {
        map.insert("description".into(), field.description.clone().into());
    }
    if field.required {
        map.insert("required".into(), true.into());
    }
    let ty = DataType::try_from(field.r#type).map_or("NOT_SET", |t| t.as_str_name());
    if field.r#type != 0 {
        map.insert("type".into(), ty.into());
    }
    if !field.type_args.is_empty() {
        map.insert(
            "typeArgs".into(),
            field
                .type_args
                .iter()
                .map(field_json)
                .collect::<Vec<_>>()
                .into(),
        );
    }
    if field.iterator {
        map.insert("iterator".into(), true.into());
    }
    if !field.default.is_empty() {
        map.insert("default".into(), field.default.clone().into());
    }
    if field.is_param {
        map.insert("isParam".into(), true.into());
    }
    serde_json::Value::Object(map)
}

fn method_json(method: &MethodSignature) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("name".into(), method.name.clone().into());
    let kind =
        RunnerMethodType::try_from(method.method_type).map_or("UNKNOWN", |t| t.as_str_name());
    map.insert("methodType".into(), kind.into());
    if !method.description.is_empty() {
        map.insert("description".into(), method.description.clone().into());
    }
    for (key, fields) in [
        ("inputFields", &method.input_fields),
        ("outputFields", &method.output_fields),
    ] {
        if !fields.is_empty() {
            map.insert(
                key.into(),
                fields.iter().map(field_json).collect::<Vec<_>>().into(),
            );
        }
    }
    serde_json::Value::Object(map)
}

/// `{"<method>": <signature>, ...}`, in the order given.
pub(crate) fn signatures_json(methods: &[MethodSignature]) -> String {
    let entries: Vec<String> = methods
        .iter()
        .map(|m| {
            let key = serde_json::Value::String(m.name.clone());
            format!("{key}: {}", method_json(m))
        })
        .collect();
    format!("{{{}}}", entries.join(", "))
}
