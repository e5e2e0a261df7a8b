//! Signatures as the SDK shows and sends them: a method in Python form (what its
//! `get_method_signature` prints, for errors), and the JSON that a model's `_GET_SIGNATURES`
//! answers with (protobuf's JSON form of each `MethodSignature`).

use std::fmt::Write;

use crate::api::model_type_field::DataType;
use crate::api::{MethodSignature, ModelTypeField, RunnerMethodType};

/// A field's type in Python form: `str`, `List[int]`, `Tuple[str, float]`,
/// `NamedFields[name: str, count: int]`, `data_types.Image`, ...
pub(crate) fn python_type(field: &ModelTypeField) -> String {
    let args = || field.type_args.iter().map(python_type).collect::<Vec<_>>();
    match DataType::try_from(field.r#type).unwrap_or(DataType::NotSet) {
        DataType::NamedFields => {
            let fields: Vec<String> = field
                .type_args
                .iter()
                .map(|f| format!("{}: {}", f.name, python_type(f)))
                .collect();
            format!("NamedFields[{}]", fields.join(", "))
        }
        DataType::Tuple => format!("Tuple[{}]", args().join(", ")),
        DataType::List => format!("List[{}]", args().join(", ")),
        DataType::Str => "str".into(),
        DataType::Bytes => "bytes".into(),
        DataType::Int => "int".into(),
        DataType::Float => "float".into(),
        DataType::Bool => "bool".into(),
        DataType::Ndarray => "np.ndarray".into(),
        DataType::JsonData => "data_types.JSON".into(),
        DataType::Text => "data_types.Text".into(),
        DataType::Image => "data_types.Image".into(),
        DataType::Concept => "data_types.Concept".into(),
        DataType::Region => "data_types.Region".into(),
        DataType::Frame => "data_types.Frame".into(),
        DataType::Audio => "data_types.Audio".into(),
        DataType::Video => "data_types.Video".into(),
        DataType::NotSet => "Any".into(),
    }
}

fn with_iterator(field: &ModelTypeField) -> String {
    match field.iterator {
        true => format!("Iterator[{}]", python_type(field)),
        false => python_type(field),
    }
}

/// The method in Python form, as the SDK's `get_method_signature` prints it:
/// `def predict(prompt: str, temperature: float = 0.7) -> str:`.
///
/// ```
/// use clarifai_tonic::api::{MethodSignature, ModelTypeField, model_type_field::DataType};
/// let field = |name: &str, ty: DataType, default: &str| ModelTypeField {
///     name: name.into(), r#type: ty as i32, default: default.into(),
///     required: default.is_empty(), ..Default::default()
/// };
/// let method = MethodSignature {
///     name: "predict".into(),
///     input_fields: vec![field("prompt", DataType::Str, ""), field("temperature", DataType::Float, "0.7")],
///     output_fields: vec![field("return", DataType::Str, "")],
///     ..Default::default()
/// };
/// assert_eq!(
///     clarifai_tonic::methods::python_signature(&method),
///     "def predict(prompt: str, temperature: float = 0.7) -> str:"
/// );
/// ```
pub fn python_signature(method: &MethodSignature) -> String {
    let params: Vec<String> = method
        .input_fields
        .iter()
        .map(|f| {
            let mut param = format!("{}: {}", f.name, with_iterator(f));
            if let Some(default) = python_default(f) {
                let _ = write!(param, " = {default}");
            }
            param
        })
        .collect();
    let ret = method
        .output_fields
        .first()
        .map_or_else(|| "None".to_owned(), with_iterator);
    format!("def {}({}) -> {ret}:", method.name, params.join(", "))
}

/// A field's default in Python form (the SDK's `_parse_default_value`), `None` when it has none.
fn python_default(field: &ModelTypeField) -> Option<String> {
    let text = field.default.as_str();
    if text.is_empty() {
        return None;
    }
    let quoted = || py_str(text);
    Some(
        match DataType::try_from(field.r#type).unwrap_or(DataType::NotSet) {
            DataType::Int => text
                .trim()
                .parse::<i64>()
                .map_or_else(|_| quoted(), |i| i.to_string()),
            DataType::Float => text
                .trim()
                .parse::<f64>()
                .map_or_else(|_| quoted(), py_float),
            DataType::Bool => match text.eq_ignore_ascii_case("true") {
                true => "True".into(),
                false => "False".into(),
            },
            DataType::Str => text.to_owned(),
            // The SDK prints `b` before Python's repr of the text's UTF-8 bytes (itself `b'..'`).
            DataType::Bytes => format!("b{}", py_bytes(text.as_bytes())),
            DataType::JsonData | DataType::List | DataType::Tuple | DataType::NamedFields => {
                serde_json::from_str::<serde_json::Value>(text)
                    .map_or_else(|_| quoted(), |j| py_repr(&j))
            }
            _ => quoted(),
        },
    )
}

/// Python's `repr` of a float: the shortest form that reads back, with `.0` on whole numbers and
/// an exponent outside 1e-4..1e16.
pub(crate) fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        // Rust's `{:e}` is shortest too: 1e-5 -> "1e-5"; Python writes "1e-05".
        let text = format!("{f:e}");
        let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    let text = format!("{f}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// Python's `repr` of a `str`.
pub(crate) fn py_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr` of a `bytes`.
fn py_bytes(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::from("b");
    out.push(quote as char);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b if b == quote => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            b => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push(quote as char);
    out
}

/// Python's `repr` of what `json.loads` gives.
fn py_repr(json: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match json {
        J::Null => "None".into(),
        J::Bool(true) => "True".into(),
        J::Bool(false) => "False".into(),
        J::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n.as_f64().map_or_else(|| n.to_string(), py_float),
        },
        J::String(s) => py_str(s),
        J::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(py_repr).collect::<Vec<_>>().join(", ")
            )
        }
        J::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", py_str(k), py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The signatures a model's `_GET_SIGNATURES` answers with: a JSON object of method name to
/// `MethodSignature` in protobuf's JSON form (camelCase or snake_case keys; enums by name or
/// number). Gives the methods sorted by name.
pub(crate) fn signatures_from_json(text: &str) -> Result<Vec<MethodSignature>, String> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let methods = doc
        .as_object()
        .ok_or("the signatures are not a JSON object")?;
    methods
        .iter()
        .map(|(name, sig)| {
            let mut method = method_from_json(sig).map_err(|e| format!("method {name:?}: {e}"))?;
            if method.name.is_empty() {
                method.name = name.clone();
            }
            Ok(method)
        })
        .collect()
}

fn key<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    camel: &str,
    snake: &str,
) -> Option<&'a serde_json::Value> {
    obj.get(camel).or_else(|| obj.get(snake))
}

fn string(obj: &serde_json::Map<String, serde_json::Value>, camel: &str, snake: &str) -> String {
    key(obj, camel, snake)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn boolean(obj: &serde_json::Map<String, serde_json::Value>, camel: &str, snake: &str) -> bool {
    key(obj, camel, snake)
        .and_then(|v| v.as_bool())
        .unwrap_or_default()
}

fn enumeration(
    value: Option<&serde_json::Value>,
    by_name: impl Fn(&str) -> Option<i32>,
) -> Result<i32, String> {
    match value {
        None => Ok(0),
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .and_then(|i| i32::try_from(i).ok())
            .ok_or_else(|| format!("bad enum number {n}")),
        Some(serde_json::Value::String(s)) => {
            by_name(s).ok_or_else(|| format!("unknown enum value {s:?}"))
        }
        Some(other) => Err(format!("bad enum value {other}")),
    }
}

fn method_from_json(json: &serde_json::Value) -> Result<MethodSignature, String> {
    let obj = json.as_object().ok_or("not a JSON object")?;
    let fields = |camel: &str, snake: &str| -> Result<Vec<ModelTypeField>, String> {
        match key(obj, camel, snake) {
            None => Ok(Vec::new()),
            Some(serde_json::Value::Array(items)) => items.iter().map(field_from_json).collect(),
            Some(_) => Err(format!("{camel} is not a list")),
        }
    };
    Ok(MethodSignature {
        name: string(obj, "name", "name"),
        method_type: enumeration(key(obj, "methodType", "method_type"), |s| {
            RunnerMethodType::from_str_name(s).map(|t| t as i32)
        })?,
        description: string(obj, "description", "description"),
        input_fields: fields("inputFields", "input_fields")?,
        output_fields: fields("outputFields", "output_fields")?,
    })
}

fn field_from_json(json: &serde_json::Value) -> Result<ModelTypeField, String> {
    let obj = json.as_object().ok_or("a field is not a JSON object")?;
    let type_args = match key(obj, "typeArgs", "type_args") {
        None => Vec::new(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(field_from_json)
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("typeArgs is not a list".into()),
    };
    Ok(ModelTypeField {
        name: string(obj, "name", "name"),
        r#type: enumeration(obj.get("type"), |s| {
            DataType::from_str_name(s).map(|t| t as i32)
        })?,
        type_args,
        iterator: boolean(obj, "iterator", "iterator"),
        default: string(obj, "default", "default"),
        required: boolean(obj, "required", "required"),
        is_param: boolean(obj, "isParam", "is_param"),
        description: string(obj, "description", "description"),
        ..Default::default()
    })
}
