//! A model in Rust: [`Model`], its [`Method`]s with their typed arguments ([`Type`]), and the
//! `MethodSignature` protos they declare, exactly as the SDK's `build_function_signature` writes
//! them for the same Python method.

use std::sync::Arc;

use futures_core::Stream;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};

use crate::Value;
use crate::api::model_type_field::DataType;
use crate::api::{MethodSignature, ModelTypeField, RunnerMethodType};

/// The type of an argument or a return, as the SDK's type table has it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Type {
    /// `str`.
    Str,
    /// `bytes`.
    Bytes,
    /// `int`.
    Int,
    /// `float`.
    Float,
    /// `bool`.
    Bool,
    /// `np.ndarray`.
    NdArray,
    /// `data_types.JSON` (and Python's `dict` / `list` of JSON values).
    Json,
    /// `data_types.Text`.
    Text,
    /// `data_types.Image`.
    Image,
    /// `data_types.Concept`.
    Concept,
    /// `data_types.Region`.
    Region,
    /// `data_types.Frame`.
    Frame,
    /// `data_types.Audio`.
    Audio,
    /// `data_types.Video`.
    Video,
    /// `List[T]`.
    List(Box<Type>),
    /// `Tuple[A, B, ...]`.
    Tuple(Vec<Type>),
    /// `NamedFields(name=T, ...)`, in order.
    Named(Vec<(String, Type)>),
}

impl Type {
    /// `List[item]`.
    pub fn list(item: Type) -> Type {
        Type::List(Box::new(item))
    }

    /// `NamedFields(...)`.
    pub fn named(fields: impl IntoIterator<Item = (impl Into<String>, Type)>) -> Type {
        Type::Named(fields.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    fn data_type(&self) -> DataType {
        match self {
            Type::Str => DataType::Str,
            Type::Bytes => DataType::Bytes,
            Type::Int => DataType::Int,
            Type::Float => DataType::Float,
            Type::Bool => DataType::Bool,
            Type::NdArray => DataType::Ndarray,
            Type::Json => DataType::JsonData,
            Type::Text => DataType::Text,
            Type::Image => DataType::Image,
            Type::Concept => DataType::Concept,
            Type::Region => DataType::Region,
            Type::Frame => DataType::Frame,
            Type::Audio => DataType::Audio,
            Type::Video => DataType::Video,
            Type::List(_) => DataType::List,
            Type::Tuple(_) => DataType::Tuple,
            Type::Named(_) => DataType::NamedFields,
        }
    }

    /// The field `name` of this type, as the SDK's `_fill_signature_type` writes it: a list's or
    /// tuple's items are named `<name>_item`, named fields by their names.
    pub(crate) fn field(&self, name: &str) -> ModelTypeField {
        let item = format!("{name}_item");
        let type_args = match self {
            Type::List(inner) => vec![inner.field(&item)],
            Type::Tuple(items) => items.iter().map(|t| t.field(&item)).collect(),
            Type::Named(fields) => fields.iter().map(|(n, t)| t.field(n)).collect(),
            _ => Vec::new(),
        };
        ModelTypeField {
            name: name.to_owned(),
            r#type: self.data_type() as i32,
            type_args,
            ..Default::default()
        }
    }
}

/// What a method's handler gets: each argument by name, the defaults of those left out filled
/// from the signature.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Args {
    pub(crate) values: Vec<(String, Value)>,
}

impl Args {
    /// The argument `name`, if given or defaulted.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The argument `name`, converted; an argument missing or of another type is an error that
    /// names it.
    pub fn take<T: TryFrom<Value, Error = crate::methods::ValueError>>(
        &self,
        name: &str,
    ) -> Result<T, HandlerError> {
        let value = self
            .get(name)
            .cloned()
            .ok_or_else(|| HandlerError(format!("no argument {name:?}")))?;
        T::try_from(value).map_err(|e| HandlerError(format!("argument {name:?}: {e}")))
    }

    /// The list argument `name`, each item converted (`Vec<String>` for a `List[str]`, ...); an
    /// argument missing, not a list, or with an item of another type is an error that names it.
    pub fn take_list<T: TryFrom<Value, Error = crate::methods::ValueError>>(
        &self,
        name: &str,
    ) -> Result<Vec<T>, HandlerError> {
        let list: Vec<Value> = self.take(name)?;
        let items = list.into_iter().enumerate().map(|(i, item)| {
            T::try_from(item).map_err(|e| HandlerError(format!("argument {name:?}[{i}]: {e}")))
        });
        items.collect()
    }

    /// Every argument through serde, by its JSON form: a `#[derive(Deserialize)]` struct with a
    /// field per argument (bytes, arrays and messages have no JSON form: take those with
    /// [`take`](Self::take)).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, HandlerError> {
        let mut map = serde_json::Map::new();
        for (name, value) in &self.values {
            let json = value
                .to_json()
                .map_err(|e| HandlerError(format!("argument {name:?}: {e}")))?;
            map.insert(name.clone(), json);
        }
        serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| HandlerError(format!("the arguments do not convert: {e}")))
    }

    /// Every argument, in the signature's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// Why a handler failed: answered as FAILURE, as the SDK's model answers an exception, with this
/// in `details` and `internal_details`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandlerError(pub String);

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HandlerError {}

macro_rules! handler_error_from {
    ($($t:ty),*) => {$(
        impl From<$t> for HandlerError {
            fn from(e: $t) -> Self {
                HandlerError(e.to_string())
            }
        }
    )*};
}

handler_error_from!(
    crate::methods::ValueError,
    crate::Error,
    std::io::Error,
    String,
    &str
);

/// A handler's answer.
pub type Answer = Result<Value, HandlerError>;

type Predict = Arc<dyn Fn(Args) -> BoxFuture<'static, Answer> + Send + Sync>;
type Generate = Arc<dyn Fn(Args) -> BoxStream<'static, Answer> + Send + Sync>;
type StreamFn =
    Arc<dyn Fn(Args, BoxStream<'static, Value>) -> BoxStream<'static, Answer> + Send + Sync>;

#[derive(Clone)]
pub(crate) enum Handler {
    Predict(Predict),
    Generate(Generate),
    Stream(StreamFn),
}

/// One declared argument.
#[derive(Clone, Debug)]
pub(crate) struct Arg {
    pub(crate) name: String,
    pub(crate) ty: Type,
    pub(crate) default: Option<Value>,
    pub(crate) stream: bool,
}

/// One method of a [`Model`]: its name, kind, arguments, return type and handler.
///
/// ```
/// use clarifai_tonic::Value;
/// use clarifai_tonic::runner::{Method, Type};
/// let predict = Method::predict("predict", |args| async move {
///     let prompt: String = args.take("prompt")?;
///     Ok(Value::from(prompt.to_uppercase()))
/// })
/// .arg("prompt", Type::Str)
/// .arg_default("temperature", Type::Float, 0.7)
/// .returns(Type::Str)
/// .doc("Shouts the prompt.");
/// ```
#[derive(Clone)]
pub struct Method {
    pub(crate) name: String,
    pub(crate) handler: Handler,
    pub(crate) args: Vec<Arg>,
    pub(crate) returns: Type,
    pub(crate) doc: String,
}

impl std::fmt::Debug for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Method")
            .field("name", &self.name)
            .field("args", &self.args)
            .field("returns", &self.returns)
            .finish_non_exhaustive()
    }
}

impl Method {
    fn new(name: impl Into<String>, handler: Handler) -> Method {
        Method {
            name: name.into(),
            handler,
            args: Vec::new(),
            returns: Type::Str,
            doc: String::new(),
        }
    }

    /// A predict method (UNARY_UNARY): one answer per call.
    pub fn predict<F, Fut>(name: impl Into<String>, handler: F) -> Method
    where
        F: Fn(Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Answer> + Send + 'static,
    {
        Method::new(
            name,
            Handler::Predict(Arc::new(move |args| handler(args).boxed())),
        )
    }

    /// A generate method (UNARY_STREAMING): a stream of answers per call.
    pub fn generate<F, S>(name: impl Into<String>, handler: F) -> Method
    where
        F: Fn(Args) -> S + Send + Sync + 'static,
        S: Stream<Item = Answer> + Send + 'static,
    {
        Method::new(
            name,
            Handler::Generate(Arc::new(move |args| handler(args).boxed())),
        )
    }

    /// A stream method (STREAMING_STREAMING): the streaming argument's values come as a stream
    /// (declare it with [`stream_arg`](Self::stream_arg)); the answers go as a stream.
    pub fn stream<F, S>(name: impl Into<String>, handler: F) -> Method
    where
        F: Fn(Args, BoxStream<'static, Value>) -> S + Send + Sync + 'static,
        S: Stream<Item = Answer> + Send + 'static,
    {
        Method::new(
            name,
            Handler::Stream(Arc::new(move |args, values| handler(args, values).boxed())),
        )
    }

    /// A required argument.
    pub fn arg(mut self, name: impl Into<String>, ty: Type) -> Self {
        self.args.push(Arg {
            name: name.into(),
            ty,
            default: None,
            stream: false,
        });
        self
    }

    /// An argument with a default, which the caller may leave out.
    pub fn arg_default(
        mut self,
        name: impl Into<String>,
        ty: Type,
        default: impl Into<Value>,
    ) -> Self {
        self.args.push(Arg {
            name: name.into(),
            ty,
            default: Some(default.into()),
            stream: false,
        });
        self
    }

    /// The streaming argument of a stream method (`Iterator[T]` in Python).
    pub fn stream_arg(mut self, name: impl Into<String>, ty: Type) -> Self {
        self.args.push(Arg {
            name: name.into(),
            ty,
            default: None,
            stream: true,
        });
        self
    }

    /// The return type (`str` unless set).
    pub fn returns(mut self, ty: Type) -> Self {
        self.returns = ty;
        self
    }

    /// The method's description (its docstring).
    pub fn doc(mut self, text: impl Into<String>) -> Self {
        self.doc = text.into();
        self
    }

    fn method_type(&self) -> RunnerMethodType {
        match self.handler {
            Handler::Predict(_) => RunnerMethodType::UnaryUnary,
            Handler::Generate(_) => RunnerMethodType::UnaryStreaming,
            Handler::Stream(_) => RunnerMethodType::StreamingStreaming,
        }
    }

    /// The signature the SDK's `build_function_signature` writes for the same Python method.
    pub fn signature(&self) -> MethodSignature {
        let input_fields = self
            .args
            .iter()
            .map(|arg| {
                let mut field = arg.ty.field(&arg.name);
                field.iterator = arg.stream;
                field.required = arg.default.is_none();
                if let Some(default) = &arg.default {
                    field.default = python_default(default);
                }
                field
            })
            .collect();
        let mut output = self.returns.field("return");
        output.iterator = !matches!(self.handler, Handler::Predict(_));
        MethodSignature {
            name: self.name.clone(),
            method_type: self.method_type() as i32,
            description: self.doc.clone(),
            input_fields,
            output_fields: vec![output],
        }
    }
}

/// A default as the SDK's `Param.set_default` stores it: a `str` as itself, anything else as
/// Python's `json.dumps` writes it.
fn python_default(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        other => other
            .to_json()
            .map(|j| py_json(&j))
            .unwrap_or_else(|_| other.to_string()),
    }
}

/// Python's `json.dumps` (`", "` and `": "` separators, ASCII only, floats as `repr`).
pub(crate) fn py_json(json: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match json {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n
                .as_f64()
                .map_or_else(|| n.to_string(), crate::methods::py_float),
        },
        J::String(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                        let mut buf = [0u16; 2];
                        for unit in c.encode_utf16(&mut buf) {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        J::Array(items) => format!(
            "[{}]",
            items.iter().map(py_json).collect::<Vec<_>>().join(", ")
        ),
        J::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", py_json(&J::String(k.clone())), py_json(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A model: its methods, served by [`serve`](crate::runner::serve) (a local model server) or by
/// a [`Runner`](crate::runner::Runner).
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub(crate) methods: Vec<Method>,
}

impl Model {
    /// A model with no methods yet.
    pub fn new() -> Model {
        Model::default()
    }

    /// Adds a method (one of the same name is replaced).
    pub fn method(mut self, method: Method) -> Self {
        self.methods.retain(|m| m.name != method.name);
        self.methods.push(method);
        self
    }

    /// The signatures of its methods, in order.
    pub fn signatures(&self) -> Vec<MethodSignature> {
        self.methods.iter().map(Method::signature).collect()
    }
}
