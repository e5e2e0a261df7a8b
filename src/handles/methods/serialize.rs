//! Arguments into `Data` and outputs out of it, driven by the method's signature, by the rules
//! of the SDK's `serialize` and `deserialize` (`clarifai/runners/utils/method_signatures.py`
//! and `serializers.py`):
//!
//! - each argument is a part whose id is its name, in the signature's order; an argument left
//!   out is not sent (the model fills its default);
//! - the declared type picks the `Data` field: `string_value`, `bytes_value`, `int_value`,
//!   `float_value`, `bool_value`, `ndarray`, `struct_value` (JSON; a list is wrapped as
//!   `{"_list": [...]}`), `text`, `image`, `concepts`, `regions`, `frames`, `audio`, `video`;
//! - a list of concepts, regions or frames goes inline in the repeated field; any other list
//!   is one part per item; a tuple is parts with ids `"0"`, `"1"`, ...; named fields are parts
//!   with the fields' names as ids;
//! - where Python coerces, so does this: an int for a float, a `str` for a `Text` or a
//!   `Concept` (named by it), a list of numbers for an ndarray, and a JSON value for whatever
//!   it spells (`.args(&impl Serialize)` comes through as JSON).

use std::collections::BTreeMap;

use prost_types::value::Kind;

use super::signature::python_type;
use super::{NdArray, Value};
use crate::api::model_type_field::DataType;
use crate::api::{self, ModelTypeField};

/// Why a value does not fit its declared type: where (the argument, then `[i]` or `.name`
/// inside it), what was expected and what was given.
#[derive(Debug)]
pub(crate) struct Mismatch {
    pub path: String,
    pub expected: String,
    pub given: String,
}

fn mismatch(field: &ModelTypeField, path: &str, given: impl Into<String>) -> Mismatch {
    Mismatch {
        path: path.to_owned(),
        expected: python_type(field),
        given: given.into(),
    }
}

fn data_type(field: &ModelTypeField) -> DataType {
    DataType::try_from(field.r#type).unwrap_or(DataType::NotSet)
}

/// Whether a list of this type goes inline, in `Data`'s repeated field.
fn inline_list(field: &ModelTypeField) -> bool {
    matches!(
        data_type(field),
        DataType::Concept | DataType::Region | DataType::Frame
    )
}

/// Writes `value` into `data` as `field` declares it. Gives whether anything was written: an
/// empty list, tuple or set of named fields writes nothing, and the SDK then leaves the part's
/// `data` unset (where an empty string, say, sets it).
pub(crate) fn encode(
    field: &ModelTypeField,
    value: Value,
    data: &mut api::Data,
    path: &str,
) -> Result<bool, Mismatch> {
    use serde_json::Value as J;
    let given = value.type_name();
    let wrong = |field: &ModelTypeField| mismatch(field, path, given);
    match (data_type(field), value) {
        (DataType::Str, Value::Str(s) | Value::Json(J::String(s))) => data.string_value = s,
        (DataType::Bytes, Value::Bytes(b)) => data.bytes_value = b,
        (DataType::Int, Value::Int(i)) => data.int_value = i,
        (DataType::Int, Value::Json(J::Number(n))) if n.as_i64().is_some() => {
            data.int_value = n.as_i64().unwrap_or_default()
        }
        (DataType::Float, Value::Float(f)) => data.float_value = f,
        (DataType::Float, Value::Int(i)) => data.float_value = i as f64,
        (DataType::Float, Value::Json(J::Number(n))) => {
            data.float_value = n.as_f64().unwrap_or_default()
        }
        (DataType::Bool, Value::Bool(b) | Value::Json(J::Bool(b))) => data.bool_value = b,
        (DataType::Ndarray, Value::NdArray(a)) => data.ndarray = Some(Box::new(a.into())),
        (DataType::Ndarray, v @ (Value::List(_) | Value::Json(J::Array(_)))) => {
            let array = ndarray_from_list(&v).ok_or_else(|| {
                mismatch(
                    field,
                    path,
                    format!("{given} (not a rectangular list of numbers)"),
                )
            })?;
            data.ndarray = Some(Box::new(array.into()));
        }
        (DataType::JsonData, v) => {
            let json = v.to_json().map_err(|_| wrong(field))?;
            let fields = match json {
                J::Object(map) => map,
                J::Array(items) => [("_list".to_owned(), J::Array(items))]
                    .into_iter()
                    .collect(),
                _ => return Err(wrong(field)),
            };
            data.struct_value = Some(prost_types::Struct {
                fields: fields.into_iter().map(|(k, v)| (k, to_proto(v))).collect(),
            });
        }
        (DataType::Text, Value::Text(t)) => {
            // What the SDK's `Text.to_proto` keeps.
            data.text = Some(Box::new(api::Text {
                raw: t.raw,
                url: t.url,
                ..Default::default()
            }))
        }
        (DataType::Text, Value::Str(s) | Value::Json(J::String(s))) => {
            data.text = Some(Box::new(api::Text::raw(s)))
        }
        (DataType::Image, Value::Image(m)) => data.image = Some(Box::new(m)),
        (DataType::Audio, Value::Audio(m)) => data.audio = Some(Box::new(m)),
        (DataType::Video, Value::Video(m)) => data.video = Some(Box::new(m)),
        (DataType::Concept, Value::Concept(c)) => data.concepts.push(concept(c)),
        (DataType::Concept, Value::Str(s) | Value::Json(J::String(s))) => {
            data.concepts.push(concept(api::Concept {
                name: s,
                value: 1.0,
                ..Default::default()
            }))
        }
        (DataType::Region, Value::Region(m)) => data.regions.push(m),
        (DataType::Frame, Value::Frame(m)) => data.frames.push(m),
        (DataType::List, value) => {
            let Some(inner) = field.type_args.first() else {
                return Err(wrong(field));
            };
            let items = list_items(value).map_err(|given| mismatch(field, path, given))?;
            let wrote = !items.is_empty();
            for (i, item) in items.into_iter().enumerate() {
                let path = format!("{path}[{i}]");
                if inline_list(inner) {
                    encode(inner, item, data, &path)?;
                } else {
                    data.parts
                        .push(encode_part(inner, item, String::new(), &path)?);
                }
            }
            return Ok(wrote);
        }
        (DataType::Tuple, value) => {
            let items = list_items(value).map_err(|given| mismatch(field, path, given))?;
            if items.len() != field.type_args.len() {
                return Err(mismatch(
                    field,
                    path,
                    format!("a tuple of {} items", items.len()),
                ));
            }
            let wrote = !items.is_empty();
            for (i, (inner, item)) in field.type_args.iter().zip(items).enumerate() {
                let path = format!("{path}[{i}]");
                data.parts
                    .push(encode_part(inner, item, i.to_string(), &path)?);
            }
            return Ok(wrote);
        }
        (DataType::NamedFields, value) => {
            let mut fields = named_items(value).map_err(|given| mismatch(field, path, given))?;
            for inner in &field.type_args {
                let path = format!("{path}.{}", inner.name);
                let Some(at) = fields.iter().position(|(k, _)| *k == inner.name) else {
                    return Err(mismatch(inner, &path, "nothing (the field is missing)"));
                };
                let (_, item) = fields.swap_remove(at);
                data.parts
                    .push(encode_part(inner, item, inner.name.clone(), &path)?);
            }
            if let Some((extra, _)) = fields.first() {
                return Err(mismatch(
                    field,
                    path,
                    format!("NamedFields with a field {extra:?} the signature lacks"),
                ));
            }
            return Ok(!field.type_args.is_empty());
        }
        _ => return Err(wrong(field)),
    }
    Ok(true)
}

/// `value` as a part of id `id`, its `data` unset when nothing was written.
pub(crate) fn encode_part(
    field: &ModelTypeField,
    value: Value,
    id: String,
    path: &str,
) -> Result<api::Part, Mismatch> {
    let mut data = api::Data::default();
    let wrote = encode(field, value, &mut data, path)?;
    Ok(api::Part {
        data: wrote.then(|| Box::new(data)),
        id,
    })
}

/// The SDK's `Concept.to_proto`: id, name and value only, the id made from the name when none
/// is given (letters, digits and spaces kept, spaces as `-`).
fn concept(c: api::Concept) -> api::Concept {
    let id = if c.id.is_empty() {
        c.name
            .chars()
            .filter(|ch| ch.is_ascii_alphanumeric() || ch.is_whitespace())
            .map(|ch| if ch == ' ' { '-' } else { ch })
            .collect()
    } else {
        c.id
    };
    api::Concept {
        id,
        name: c.name,
        value: c.value,
        ..Default::default()
    }
}

fn list_items(value: Value) -> Result<Vec<Value>, String> {
    match value {
        Value::List(items) | Value::Tuple(items) => Ok(items),
        Value::Json(serde_json::Value::Array(items)) => {
            Ok(items.into_iter().map(Value::Json).collect())
        }
        other => Err(other.type_name().to_owned()),
    }
}

fn named_items(value: Value) -> Result<Vec<(String, Value)>, String> {
    match value {
        Value::NamedFields(fields) => Ok(fields),
        Value::Json(serde_json::Value::Object(map)) => {
            Ok(map.into_iter().map(|(k, v)| (k, Value::Json(v))).collect())
        }
        other => Err(other.type_name().to_owned()),
    }
}

/// numpy's `np.asarray` of a rectangular list of numbers: int64 when every number is an int
/// (kept exact), else float64 (and float64 for an empty list, as numpy gives).
fn ndarray_from_list(value: &Value) -> Option<NdArray> {
    #[derive(Default)]
    struct Walk {
        shape: Vec<u32>,
        ints: Vec<i64>,
        floats: Vec<f64>,
        all_ints: bool,
        seen: usize,
    }
    impl Walk {
        fn number(&mut self, depth: usize, int: Option<i64>, float: f64) -> Option<()> {
            (self.shape.len() == depth).then_some(())?;
            self.seen += 1;
            match int {
                Some(i) if self.all_ints => self.ints.push(i),
                _ => self.all_ints = false,
            }
            self.floats.push(float);
            Some(())
        }
        /// A level of `len` items at `depth`: the same length as the level's others.
        fn dim(&mut self, depth: usize, len: usize) -> Option<()> {
            let len = u32::try_from(len).ok()?;
            match self.shape.get(depth) {
                Some(&d) if d != len => None,
                Some(_) => Some(()),
                None if self.seen == 0 => {
                    self.shape.push(len);
                    Some(())
                }
                None => None,
            }
        }
        fn value(&mut self, v: &Value, depth: usize) -> Option<()> {
            match v {
                Value::List(items) | Value::Tuple(items) => {
                    self.dim(depth, items.len())?;
                    items
                        .iter()
                        .try_for_each(|item| self.value(item, depth + 1))
                }
                Value::Json(json) => self.json(json, depth),
                Value::Int(i) => self.number(depth, Some(*i), *i as f64),
                Value::Float(f) => self.number(depth, None, *f),
                _ => None,
            }
        }
        fn json(&mut self, v: &serde_json::Value, depth: usize) -> Option<()> {
            match v {
                serde_json::Value::Array(items) => {
                    self.dim(depth, items.len())?;
                    items.iter().try_for_each(|item| self.json(item, depth + 1))
                }
                serde_json::Value::Number(n) => self.number(depth, n.as_i64(), n.as_f64()?),
                _ => None,
            }
        }
    }
    let mut walk = Walk {
        all_ints: true,
        ..Walk::default()
    };
    walk.value(value, 0)?;
    if walk.all_ints && walk.seen > 0 {
        NdArray::new(walk.shape, &walk.ints).ok()
    } else {
        NdArray::new(walk.shape, &walk.floats).ok()
    }
}

/// A JSON value as a `google.protobuf.Value`: every number a double.
pub(crate) fn to_proto(json: serde_json::Value) -> prost_types::Value {
    use serde_json::Value as J;
    let kind = match json {
        J::Null => Kind::NullValue(0),
        J::Bool(b) => Kind::BoolValue(b),
        J::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        J::String(s) => Kind::StringValue(s),
        J::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.into_iter().map(to_proto).collect(),
        }),
        J::Object(map) => Kind::StructValue(prost_types::Struct {
            fields: map.into_iter().map(|(k, v)| (k, to_proto(v))).collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}

/// A `google.protobuf.Value` as JSON (a number as a float, as protobuf's `MessageToDict` gives).
pub(crate) fn from_proto(value: &prost_types::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match &value.kind {
        None | Some(Kind::NullValue(_)) => J::Null,
        Some(Kind::BoolValue(b)) => J::Bool(*b),
        Some(Kind::NumberValue(f)) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Some(Kind::StringValue(s)) => J::String(s.clone()),
        Some(Kind::ListValue(l)) => J::Array(l.values.iter().map(from_proto).collect()),
        Some(Kind::StructValue(s)) => struct_to_json(&s.fields),
    }
}

pub(crate) fn struct_to_json(fields: &BTreeMap<String, prost_types::Value>) -> serde_json::Value {
    serde_json::Value::Object(
        fields
            .iter()
            .map(|(k, v)| (k.clone(), from_proto(v)))
            .collect(),
    )
}

/// Reads `field`'s value out of `data`, as the SDK's serializers do (an absent message, array
/// or container is [`Value::None`]; a repeated concept, region or frame is one value when it
/// holds one, a list when more).
pub(crate) fn decode(
    field: &ModelTypeField,
    data: &api::Data,
    path: &str,
) -> Result<Value, String> {
    let one_or_list = |mut items: Vec<Value>| match items.len() {
        0 => Value::None,
        1 => items.remove(0),
        _ => Value::List(items),
    };
    Ok(match data_type(field) {
        DataType::Str => Value::Str(data.string_value.clone()),
        DataType::Bytes => Value::Bytes(data.bytes_value.clone()),
        DataType::Int => Value::Int(data.int_value),
        DataType::Float => Value::Float(data.float_value),
        DataType::Bool => Value::Bool(data.bool_value),
        DataType::Ndarray => match &data.ndarray {
            Some(a) if !a.buffer.is_empty() => Value::NdArray((**a).clone().into()),
            _ => Value::None,
        },
        DataType::JsonData => match &data.struct_value {
            None => Value::None,
            Some(s) if s.fields.len() == 1 && s.fields.contains_key("_list") => {
                Value::Json(from_proto(&s.fields["_list"]))
            }
            Some(s) => Value::Json(struct_to_json(&s.fields)),
        },
        DataType::Text => data
            .text
            .as_ref()
            .map_or(Value::None, |t| Value::Text((**t).clone())),
        DataType::Image => data
            .image
            .as_ref()
            .map_or(Value::None, |m| Value::Image((**m).clone())),
        DataType::Audio => data
            .audio
            .as_ref()
            .map_or(Value::None, |m| Value::Audio((**m).clone())),
        DataType::Video => data
            .video
            .as_ref()
            .map_or(Value::None, |m| Value::Video((**m).clone())),
        ty @ (DataType::Concept | DataType::Region | DataType::Frame) => {
            one_or_list(repeated(ty, data).unwrap_or_default())
        }
        DataType::List => {
            let inner = field
                .type_args
                .first()
                .ok_or_else(|| format!("{path}: a List with no item type"))?;
            match repeated(data_type(inner), data) {
                Some(items) => Value::List(items),
                None => Value::List(
                    data.parts
                        .iter()
                        .enumerate()
                        .map(|(i, p)| {
                            decode(inner, or_empty(p.data.as_deref()), &format!("{path}[{i}]"))
                        })
                        .collect::<Result<_, _>>()?,
                ),
            }
        }
        DataType::Tuple => {
            if data.parts.is_empty() && !field.type_args.is_empty() {
                return Ok(Value::None);
            }
            if data.parts.len() != field.type_args.len() {
                return Err(format!(
                    "{path}: expected a tuple of {} items, got {} parts",
                    field.type_args.len(),
                    data.parts.len()
                ));
            }
            Value::Tuple(
                field
                    .type_args
                    .iter()
                    .zip(&data.parts)
                    .enumerate()
                    .map(|(i, (f, p))| {
                        decode(f, or_empty(p.data.as_deref()), &format!("{path}[{i}]"))
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        DataType::NamedFields => {
            if data.parts.is_empty() && !field.type_args.is_empty() {
                return Ok(Value::None);
            }
            let mut fields = Vec::with_capacity(field.type_args.len());
            for inner in &field.type_args {
                let part = data
                    .parts
                    .iter()
                    .find(|p| p.id == inner.name)
                    .ok_or_else(|| format!("{path}: no part for the field {:?}", inner.name))?;
                let value = decode(
                    inner,
                    or_empty(part.data.as_deref()),
                    &format!("{path}.{}", inner.name),
                )?;
                fields.push((inner.name.clone(), value));
            }
            Value::NamedFields(fields)
        }
        DataType::NotSet => return Err(format!("{path}: a field with no type")),
    })
}

/// The values of the repeated `Data` field a list of `ty` goes inline in (concepts, regions,
/// frames), or `None` for any other type.
fn repeated(ty: DataType, data: &api::Data) -> Option<Vec<Value>> {
    Some(match ty {
        DataType::Concept => data.concepts.iter().cloned().map(Value::Concept).collect(),
        DataType::Region => data.regions.iter().cloned().map(Value::Region).collect(),
        DataType::Frame => data.frames.iter().cloned().map(Value::Frame).collect(),
        _ => return None,
    })
}

/// `data`, or an empty `Data` for an unset one (as protobuf reads an absent message).
pub(crate) fn or_empty(data: Option<&api::Data>) -> &api::Data {
    static EMPTY: std::sync::LazyLock<api::Data> = std::sync::LazyLock::new(api::Data::default);
    data.unwrap_or(&EMPTY)
}

/// An output's value by the method's output fields: the `return` part, else the value inlined
/// in the output's data (the SDK's `deserialize(..., is_output=True)`). Several output fields
/// come back as named fields.
pub(crate) fn decode_output(outputs: &[ModelTypeField], data: &api::Data) -> Result<Value, String> {
    let mut values = Vec::with_capacity(outputs.len());
    for (i, field) in outputs.iter().enumerate() {
        let value = match data.parts.iter().find(|p| p.id == field.name) {
            Some(part) => decode(field, or_empty(part.data.as_deref()), &field.name)?,
            None if i == 0 => decode(field, data, &field.name)?,
            None => return Err(format!("no part for the output {:?}", field.name)),
        };
        values.push((field.name.clone(), value));
    }
    Ok(match values.len() {
        1 if values[0].0 == "return" => values.remove(0).1,
        _ => Value::NamedFields(values),
    })
}
