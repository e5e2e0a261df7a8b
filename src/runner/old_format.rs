//! Inputs in the old format (no parts: a plain text, an image, a number set on the `Data`
//! itself), read as the SDK's model reads them (`DataConverter`), and the answers to them given
//! back in the old format too.

use std::borrow::Cow;

use crate::api::model_type_field::DataType;
use crate::api::{self, ModelTypeField};

/// Whether `data` is in the old format: no parts, and some field of its own set.
fn is_old_format(data: &api::Data) -> bool {
    data.parts.is_empty() && any_field(data)
}

/// Whether a field of `data` other than its parts is set (the SDK's list of them).
fn any_field(data: &api::Data) -> bool {
    data.image.is_some()
        || data.video.is_some()
        || data.metadata.is_some()
        || data.geo.is_some()
        || data.text.is_some()
        || data.audio.is_some()
        || data.ndarray.is_some()
        || data.struct_value.is_some()
        || has_scalar(data)
        || !data.concepts.is_empty()
        || !data.colors.is_empty()
        || !data.clusters.is_empty()
        || !data.embeddings.is_empty()
        || !data.regions.is_empty()
        || !data.frames.is_empty()
        || !data.tracks.is_empty()
        || !data.time_segments.is_empty()
        || !data.hits.is_empty()
        || !data.heatmaps.is_empty()
}

fn has_scalar(data: &api::Data) -> bool {
    data.int_value != 0
        || data.float_value != 0.0
        || !data.bytes_value.is_empty()
        || data.bool_value
        || !data.string_value.is_empty()
}

/// `data` with a part per argument `fields` name, as the SDK converts an old-format input:
/// each field takes the `Data` field of its type, which is then used up (a text reaches the first
/// `str` argument only); a required argument with nothing for it is an error that names it.
/// Data already in parts is borrowed as it is: the result is owned exactly when it was converted.
pub(crate) fn new_format<'a>(
    data: &'a api::Data,
    fields: &[ModelTypeField],
) -> Result<Cow<'a, api::Data>, String> {
    if !is_old_format(data) {
        return Ok(Cow::Borrowed(data));
    }
    let mut old = data.clone();
    let mut new = api::Data::default();
    for field in fields {
        let part = take(&mut old, field)?;
        if is_set(&part) {
            new.parts.push(api::Part {
                id: field.name.clone(),
                data: Some(Box::new(part)),
            });
        } else if field.required {
            return Err(format!("Field {} is required but not set", field.name));
        }
    }
    Ok(Cow::Owned(new))
}

/// The value of `field`'s type taken out of `old`.
fn take(old: &mut api::Data, field: &ModelTypeField) -> Result<api::Data, String> {
    let mut new = api::Data::default();
    match DataType::try_from(field.r#type) {
        Ok(DataType::Str) => {
            if let Some(text) = old.text.take() {
                new.string_value = text.raw;
            } else {
                new.string_value = std::mem::take(&mut old.string_value);
            }
        }
        Ok(DataType::Image) => new.image = old.image.take(),
        Ok(DataType::Video) => new.video = old.video.take(),
        Ok(DataType::Audio) => new.audio = old.audio.take(),
        Ok(DataType::Text) => new.text = old.text.take(),
        Ok(DataType::Ndarray) => new.ndarray = old.ndarray.take(),
        Ok(DataType::Bool) => new.bool_value = std::mem::take(&mut old.bool_value),
        Ok(DataType::Int) => new.int_value = std::mem::take(&mut old.int_value),
        Ok(DataType::Float) => new.float_value = std::mem::take(&mut old.float_value),
        Ok(DataType::Bytes) => new.bytes_value = std::mem::take(&mut old.bytes_value),
        Ok(DataType::Concept) => new.concepts = std::mem::take(&mut old.concepts),
        Ok(DataType::Region) => new.regions = std::mem::take(&mut old.regions),
        Ok(DataType::Frame) => new.frames = std::mem::take(&mut old.frames),
        Ok(DataType::JsonData) => {
            if let Some(doc) = old.struct_value.take() {
                new.struct_value = Some(doc);
            } else if let Some(doc) = json_object(&old.string_value)? {
                new.struct_value = Some(doc);
                old.string_value.clear();
            }
        }
        // The SDK converts no list, tuple or named fields from the old format.
        _ => {}
    }
    Ok(new)
}

/// A JSON object in `text`, as a `Struct`. Text that is not JSON is left as it is; JSON that
/// is not an object is the error the SDK's `Struct.update` raises for it.
fn json_object(text: &str) -> Result<Option<prost_types::Struct>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return Ok(None);
    };
    let python_type = match &json {
        serde_json::Value::Object(_) => "dict",
        serde_json::Value::Null => "NoneType",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(n) if n.is_f64() => "float",
        serde_json::Value::Number(_) => "int",
        serde_json::Value::String(_) => "str",
        serde_json::Value::Array(_) => "list",
    };
    match crate::methods::to_proto(json).kind {
        Some(prost_types::value::Kind::StructValue(doc)) => Ok(Some(doc)),
        _ => Err(format!("'{python_type}' object has no attribute 'items'")),
    }
}

fn is_set(data: &api::Data) -> bool {
    any_field(data) || !data.parts.is_empty()
}

/// An answer's data in the old format: its first part's data, a string also as `text.raw`.
pub(crate) fn old_format(output: &mut api::Output) {
    let Some(data) = output.data.as_mut() else {
        return;
    };
    let Some(first) = data.parts.first_mut() else {
        return;
    };
    // An empty list's part has no data: the answer is then an empty one.
    let mut inlined = first.data.take().map(|d| *d).unwrap_or_default();
    if !inlined.string_value.is_empty() {
        inlined.text = Some(Box::new(api::Text::raw(inlined.string_value.clone())));
    }
    **data = inlined;
}
