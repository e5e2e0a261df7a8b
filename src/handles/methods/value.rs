//! [`Value`]: one argument or result of a model method, in the form of every
//! `ModelTypeField.DataType`, with its conversions to and from Rust types.

use bytes::Bytes;

use crate::api;

/// One argument or result of a model method: the Rust form of each `ModelTypeField.DataType`.
///
/// Build one with `Value::from(..)` (`&str`, `String`, the integers, the floats, `bool`, a
/// `Vec` of anything that converts, a `serde_json::Value` or an `api` message) or
/// [`Value::bytes`]; read one back with `TryFrom` (`String::try_from(value)?`) or the accessors
/// ([`get`](Value::get), [`at`](Value::at), [`type_name`](Value::type_name)).
///
/// ```
/// use clarifai_tonic::Value;
///
/// let prompt = Value::from("What is a cat?");
/// let temperature = Value::from(0.7);
/// let words = Value::from(vec!["a", "b"]);
/// let image = Value::bytes(vec![0xff, 0xd8]);
/// assert_eq!(String::try_from(prompt).unwrap(), "What is a cat?");
/// assert_eq!(f64::try_from(temperature).unwrap(), 0.7);
/// assert_eq!(words.type_name(), "list");
/// let err = i64::try_from(image).unwrap_err();
/// assert_eq!(err.to_string(), "expected int, got bytes");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// No value: an output the model left empty (Python's `None`). As an argument, the same as
    /// leaving it out.
    None,
    /// `STR`: Python `str`.
    Str(String),
    /// `BYTES`: Python `bytes`.
    Bytes(Bytes),
    /// `INT`: Python `int`.
    Int(i64),
    /// `FLOAT`: Python `float`.
    Float(f64),
    /// `BOOL`: Python `bool`.
    Bool(bool),
    /// `NDARRAY`: a numpy array (buffer, shape and dtype).
    NdArray(NdArray),
    /// `JSON_DATA`: a JSON document. Clarifai carries it in a `google.protobuf.Struct`, which
    /// holds every number as a double: a JSON number comes back as a float (`1` as `1.0`).
    Json(serde_json::Value),
    /// `TEXT`.
    Text(api::Text),
    /// `IMAGE`.
    Image(api::Image),
    /// `CONCEPT`.
    Concept(api::Concept),
    /// `REGION`.
    Region(api::Region),
    /// `FRAME`.
    Frame(api::Frame),
    /// `AUDIO`.
    Audio(api::Audio),
    /// `VIDEO`.
    Video(api::Video),
    /// `LIST`: Python `List[T]`.
    List(Vec<Value>),
    /// `TUPLE`: Python `Tuple[A, B, ...]`.
    Tuple(Vec<Value>),
    /// `NAMED_FIELDS`: the SDK's `NamedFields(name=..., ...)`, in the signature's order.
    NamedFields(Vec<(String, Value)>),
}

impl Value {
    /// A `BYTES` value (a `From<Vec<u8>>` would be ambiguous with a list of ints).
    pub fn bytes(bytes: impl Into<Bytes>) -> Value {
        Value::Bytes(bytes.into())
    }

    /// A `TUPLE` value.
    pub fn tuple(items: impl IntoIterator<Item = impl Into<Value>>) -> Value {
        Value::Tuple(items.into_iter().map(Into::into).collect())
    }

    /// A `CONCEPT` value as the SDK's `data_types.Concept(name, value)` makes one: its id is the
    /// name with every character but ASCII letters, digits and whitespace left out, and spaces
    /// made `-` (a model answering concepts gives the ids a Python model would).
    ///
    /// ```
    /// use clarifai_tonic::{Value, api};
    /// let Value::Concept(c) = Value::concept("Golden retriever!", 0.9) else { unreachable!() };
    /// assert_eq!((c.id.as_str(), c.name.as_str(), c.value), ("Golden-retriever", "Golden retriever!", 0.9));
    /// ```
    pub fn concept(name: impl Into<String>, value: f32) -> Value {
        let name = name.into();
        let id: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || c.is_whitespace())
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        Value::Concept(api::Concept {
            id,
            name,
            value,
            ..Default::default()
        })
    }

    /// A `NAMED_FIELDS` value.
    ///
    /// ```
    /// use clarifai_tonic::Value;
    /// let fields = Value::named([("name", Value::from("x")), ("count", Value::from(2))]);
    /// assert_eq!(fields.get("count"), Some(&Value::Int(2)));
    /// ```
    pub fn named(fields: impl IntoIterator<Item = (impl Into<String>, Value)>) -> Value {
        Value::NamedFields(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The name of this value's type, as the SDK's signatures write it (`str`, `int`, `list`,
    /// `Image`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Bool(_) => "bool",
            Value::NdArray(_) => "np.ndarray",
            Value::Json(serde_json::Value::Object(_)) => "JSON (object)",
            Value::Json(serde_json::Value::Array(_)) => "JSON (array)",
            Value::Json(serde_json::Value::String(_)) => "JSON (string)",
            Value::Json(serde_json::Value::Number(_)) => "JSON (number)",
            Value::Json(serde_json::Value::Bool(_)) => "JSON (bool)",
            Value::Json(serde_json::Value::Null) => "JSON (null)",
            Value::Text(_) => "Text",
            Value::Image(_) => "Image",
            Value::Concept(_) => "Concept",
            Value::Region(_) => "Region",
            Value::Frame(_) => "Frame",
            Value::Audio(_) => "Audio",
            Value::Video(_) => "Video",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::NamedFields(_) => "NamedFields",
        }
    }

    /// A named field's value (of a `NamedFields` value).
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::NamedFields(fields) => fields.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The `i`th item of a list or tuple.
    pub fn at(&self, i: usize) -> Option<&Value> {
        match self {
            Value::List(items) | Value::Tuple(items) => items.get(i),
            _ => None,
        }
    }

    /// Whether this is [`Value::None`].
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    /// Each item of a list or tuple (or JSON array) converted to `T`.
    ///
    /// ```
    /// use clarifai_tonic::Value;
    /// let words: Vec<String> = Value::from(vec!["a", "b"]).into_vec().unwrap();
    /// assert_eq!(words, ["a", "b"]);
    /// ```
    pub fn into_vec<T: TryFrom<Value, Error = ValueError>>(self) -> Result<Vec<T>, ValueError> {
        Vec::<Value>::try_from(self)?
            .into_iter()
            .map(T::try_from)
            .collect()
    }

    /// This value as JSON, where it has a JSON form: `None`, `str`, `int`, `float`, `bool`,
    /// JSON, lists, tuples and named fields (bytes, arrays and messages have none).
    pub fn to_json(&self) -> Result<serde_json::Value, ValueError> {
        use serde_json::Value as J;
        Ok(match self {
            Value::None => J::Null,
            Value::Str(s) => J::String(s.clone()),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Bool(b) => J::Bool(*b),
            Value::Json(j) => j.clone(),
            Value::List(items) | Value::Tuple(items) => {
                J::Array(items.iter().map(Value::to_json).collect::<Result<_, _>>()?)
            }
            Value::NamedFields(fields) => J::Object(
                fields
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), v.to_json()?)))
                    .collect::<Result<_, ValueError>>()?,
            ),
            other => return Err(ValueError::new("a JSON value", other)),
        })
    }
}

/// Shows a value as Python's `print` would, near enough: a `str` as its text, numbers and
/// booleans as they are, JSON as JSON, containers with their items, messages by their main
/// field.
///
/// ```
/// use clarifai_tonic::Value;
/// assert_eq!(Value::from("hi").to_string(), "hi");
/// assert_eq!(Value::tuple([Value::from(1), Value::from("a")]).to_string(), "(1, 'a')");
/// assert_eq!(Value::Float(2.0).to_string(), "2.0");
/// ```
impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn items(f: &mut std::fmt::Formatter<'_>, items: &[Value]) -> std::fmt::Result {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                match item {
                    Value::Str(s) => f.write_str(&super::signature::py_str(s))?,
                    other => write!(f, "{other}")?,
                }
            }
            Ok(())
        }
        match self {
            Value::None => f.write_str("None"),
            Value::Str(s) => f.write_str(s),
            Value::Bytes(b) => write!(f, "{b:?}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&super::signature::py_float(*x)),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::NdArray(a) => write!(f, "ndarray(dtype={}, shape={:?})", a.dtype(), a.shape()),
            Value::Json(j) => write!(f, "{j}"),
            Value::Text(t) => f.write_str(&t.raw),
            Value::Image(m) => write!(f, "Image(url={:?}, {} bytes)", m.url, m.base64.len()),
            Value::Concept(c) => write!(
                f,
                "Concept(id={:?}, name={:?}, value={})",
                c.id, c.name, c.value
            ),
            Value::Region(r) => write!(f, "Region(id={:?})", r.id),
            Value::Frame(m) => write!(f, "Frame(id={:?})", m.id),
            Value::Audio(m) => write!(f, "Audio(url={:?}, {} bytes)", m.url, m.base64.len()),
            Value::Video(m) => write!(f, "Video(url={:?}, {} bytes)", m.url, m.base64.len()),
            Value::List(v) => {
                f.write_str("[")?;
                items(f, v)?;
                f.write_str("]")
            }
            Value::Tuple(v) => {
                f.write_str("(")?;
                items(f, v)?;
                f.write_str(")")
            }
            Value::NamedFields(fields) => {
                f.write_str("NamedFields(")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}=")?;
                    items(f, std::slice::from_ref(v))?;
                }
                f.write_str(")")
            }
        }
    }
}

/// A conversion out of a [`Value`] that did not fit: names the type wanted and the value's
/// actual type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, got {actual}")]
pub struct ValueError {
    expected: &'static str,
    actual: String,
}

impl ValueError {
    pub(crate) fn new(expected: &'static str, value: &Value) -> ValueError {
        ValueError {
            expected,
            actual: value.type_name().to_owned(),
        }
    }

    pub(crate) fn with_actual(expected: &'static str, actual: impl Into<String>) -> ValueError {
        ValueError {
            expected,
            actual: actual.into(),
        }
    }

    /// The type that was wanted.
    pub fn expected(&self) -> &str {
        self.expected
    }

    /// The value's actual type (as [`Value::type_name`] names it).
    pub fn actual(&self) -> &str {
        &self.actual
    }
}

/// A numpy array: its bytes (in the machine order numpy wrote them, little-endian on every
/// platform Clarifai runs), shape and dtype name (`"float32"`, `"int64"`, ...).
///
/// ```
/// use clarifai_tonic::methods::NdArray;
/// let a = NdArray::new([2, 2], &[1.0f32, 2.0, 3.0, 4.0]).unwrap();
/// assert_eq!(a.dtype(), "float32");
/// assert_eq!(a.to_vec::<f32>().unwrap(), [1.0, 2.0, 3.0, 4.0]);
/// assert!(a.to_vec::<i64>().is_err()); // names the dtype
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NdArray {
    buffer: Bytes,
    shape: Vec<u32>,
    dtype: String,
}

/// A numpy element type that [`NdArray`] can read and write.
pub trait Element: Copy + sealed::Sealed {
    /// numpy's name for it.
    const DTYPE: &'static str;
    /// Its size in bytes.
    const SIZE: usize;
    /// Reads one from `SIZE` little-endian bytes.
    fn read(bytes: &[u8]) -> Self;
    /// Appends its little-endian bytes.
    fn write(self, out: &mut Vec<u8>);
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! element {
    ($($t:ty => $name:literal),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: &'static str = $name;
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read(bytes: &[u8]) -> Self {
                let mut raw = [0u8; std::mem::size_of::<$t>()];
                raw.copy_from_slice(bytes);
                <$t>::from_le_bytes(raw)
            }
            fn write(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}

element!(f32 => "float32", f64 => "float64", i8 => "int8", i16 => "int16", i32 => "int32",
    i64 => "int64", u8 => "uint8", u16 => "uint16", u32 => "uint32", u64 => "uint64");

impl NdArray {
    /// An array of `shape` holding `data` in row-major order; the element count must be the
    /// shape's product.
    pub fn new<T: Element>(shape: impl Into<Vec<u32>>, data: &[T]) -> Result<NdArray, ValueError> {
        let shape = shape.into();
        let count = shape
            .iter()
            .try_fold(1u64, |n, &d| n.checked_mul(u64::from(d)));
        if count != Some(data.len() as u64) {
            return Err(ValueError::with_actual(
                "as many elements as the shape holds",
                format!("{} elements for shape {shape:?}", data.len()),
            ));
        }
        let mut buffer = Vec::with_capacity(data.len() * T::SIZE);
        for &x in data {
            x.write(&mut buffer);
        }
        Ok(NdArray {
            buffer: buffer.into(),
            shape,
            dtype: T::DTYPE.to_owned(),
        })
    }

    /// An array from its parts as they travel, unchecked.
    pub fn from_raw(buffer: impl Into<Bytes>, shape: Vec<u32>, dtype: impl Into<String>) -> Self {
        NdArray {
            buffer: buffer.into(),
            shape,
            dtype: dtype.into(),
        }
    }

    /// The raw bytes.
    pub fn buffer(&self) -> &Bytes {
        &self.buffer
    }

    /// The shape.
    pub fn shape(&self) -> &[u32] {
        &self.shape
    }

    /// numpy's dtype name.
    pub fn dtype(&self) -> &str {
        &self.dtype
    }

    /// The elements, in row-major order, when the dtype is `T`'s.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>, ValueError> {
        let dtype = self.dtype.strip_prefix('<').unwrap_or(&self.dtype);
        if dtype != T::DTYPE || !self.buffer.len().is_multiple_of(T::SIZE) {
            return Err(ValueError::with_actual(
                T::DTYPE,
                format!("an ndarray of {} ({} bytes)", self.dtype, self.buffer.len()),
            ));
        }
        Ok(self.buffer.chunks_exact(T::SIZE).map(T::read).collect())
    }
}

impl From<NdArray> for api::NdArray {
    fn from(a: NdArray) -> Self {
        api::NdArray {
            buffer: a.buffer,
            shape: a.shape,
            dtype: a.dtype,
        }
    }
}

impl From<api::NdArray> for NdArray {
    fn from(a: api::NdArray) -> Self {
        NdArray {
            buffer: a.buffer,
            shape: a.shape,
            dtype: a.dtype,
        }
    }
}

macro_rules! from_scalar {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from($v: $t) -> Value {
                $e
            }
        }
    )*};
}

from_scalar!(
    &str => |v| Value::Str(v.to_owned()),
    String => |v| Value::Str(v),
    &String => |v| Value::Str(v.clone()),
    i64 => |v| Value::Int(v),
    i32 => |v| Value::Int(i64::from(v)),
    u32 => |v| Value::Int(i64::from(v)),
    f64 => |v| Value::Float(v),
    f32 => |v| Value::Float(f64::from(v)),
    bool => |v| Value::Bool(v),
    serde_json::Value => |v| Value::Json(v),
    NdArray => |v| Value::NdArray(v),
    api::NdArray => |v| Value::NdArray(v.into()),
    api::Text => |v| Value::Text(v),
    api::Image => |v| Value::Image(v),
    api::Concept => |v| Value::Concept(v),
    api::Region => |v| Value::Region(v),
    api::Frame => |v| Value::Frame(v),
    api::Audio => |v| Value::Audio(v),
    api::Video => |v| Value::Video(v),
);

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::List(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::None, Into::into)
    }
}

impl From<crate::methods::ValueError> for crate::Error {
    fn from(e: ValueError) -> Self {
        crate::Error::Method(Box::new(crate::methods::MethodError::Value(e)))
    }
}

impl TryFrom<Value> for String {
    type Error = ValueError;
    /// A `str`, a `Text`'s raw text, or a JSON string.
    fn try_from(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Str(s) | Value::Json(serde_json::Value::String(s)) => Ok(s),
            Value::Text(t) => Ok(t.raw),
            other => Err(ValueError::new("str", &other)),
        }
    }
}

impl TryFrom<Value> for i64 {
    type Error = ValueError;
    /// An `int`, or a JSON number that is a whole number.
    fn try_from(value: Value) -> Result<Self, ValueError> {
        match &value {
            Value::Int(i) => Ok(*i),
            Value::Json(serde_json::Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .ok_or_else(|| ValueError::new("int", &value)),
            _ => Err(ValueError::new("int", &value)),
        }
    }
}

impl TryFrom<Value> for f64 {
    type Error = ValueError;
    /// A `float`, an `int`, or a JSON number.
    fn try_from(value: Value) -> Result<Self, ValueError> {
        match &value {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            Value::Json(serde_json::Value::Number(n)) => {
                n.as_f64().ok_or_else(|| ValueError::new("float", &value))
            }
            _ => Err(ValueError::new("float", &value)),
        }
    }
}

impl TryFrom<Value> for bool {
    type Error = ValueError;
    /// A `bool`, or a JSON boolean.
    fn try_from(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Bool(b) | Value::Json(serde_json::Value::Bool(b)) => Ok(b),
            other => Err(ValueError::new("bool", &other)),
        }
    }
}

impl TryFrom<Value> for Vec<u8> {
    type Error = ValueError;
    /// A `bytes` value.
    fn try_from(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Bytes(b) => Ok(b.to_vec()),
            other => Err(ValueError::new("bytes", &other)),
        }
    }
}

impl TryFrom<Value> for Bytes {
    type Error = ValueError;
    /// A `bytes` value.
    fn try_from(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Bytes(b) => Ok(b),
            other => Err(ValueError::new("bytes", &other)),
        }
    }
}

impl TryFrom<Value> for Vec<Value> {
    type Error = ValueError;
    /// The items of a list or a tuple, or of a JSON array (each as [`Value::Json`]).
    fn try_from(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::List(items) | Value::Tuple(items) => Ok(items),
            Value::Json(serde_json::Value::Array(items)) => {
                Ok(items.into_iter().map(Value::Json).collect())
            }
            other => Err(ValueError::new("a list or tuple", &other)),
        }
    }
}

impl TryFrom<Value> for serde_json::Value {
    type Error = ValueError;
    /// A JSON value, or any value with a JSON form ([`Value::to_json`]).
    fn try_from(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Json(j) => Ok(j),
            other => other.to_json(),
        }
    }
}

impl TryFrom<Value> for NdArray {
    type Error = ValueError;
    /// An `np.ndarray`.
    fn try_from(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::NdArray(a) => Ok(a),
            other => Err(ValueError::new("np.ndarray", &other)),
        }
    }
}

impl TryFrom<Value> for api::Text {
    type Error = ValueError;
    /// A `Text`, or a `str` as a text's raw content.
    fn try_from(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Text(t) => Ok(t),
            Value::Str(s) => Ok(api::Text::raw(s)),
            other => Err(ValueError::new("Text", &other)),
        }
    }
}

macro_rules! try_message {
    ($($variant:ident => $name:literal),*) => {$(
        impl TryFrom<Value> for api::$variant {
            type Error = ValueError;
            #[doc = concat!("A `", $name, "`.")]
            fn try_from(value: Value) -> Result<Self, ValueError> {
                match value {
                    Value::$variant(m) => Ok(m),
                    other => Err(ValueError::new($name, &other)),
                }
            }
        }
    )*};
}

try_message!(Image => "Image", Concept => "Concept", Region => "Region", Frame => "Frame",
    Audio => "Audio", Video => "Video");
