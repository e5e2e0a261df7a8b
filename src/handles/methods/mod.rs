//! A model's typed methods, as Clarifai serves every model built with the SDK's `ModelClass`:
//! named methods (`predict`, `generate`, `stream`, or any other) with typed arguments and
//! returns, listed in `ModelVersion.method_signatures`.
//!
//! - [`ModelHandle::methods`](crate::ModelHandle::methods) finds them (once per handle);
//! - [`ModelHandle::method`](crate::ModelHandle::method) calls one: `.arg(name, value)`, then
//!   `.predict()`, `.generate()` or `.stream(arg, values)` by the method's kind;
//! - [`Value`] is an argument or a result, in the form of each `ModelTypeField.DataType`.
//!
//! The arguments travel exactly as the official Python SDK sends them (its `serialize`): each
//! argument a part of `inputs[0].data.parts` named after it, the method's name in
//! `inputs[0].data.metadata["_method_name"]`. A JSON number comes back as a float, because the
//! `Struct` that carries JSON holds every number as a double.
//!
//! A model that is deploying, loading or busy is asked again within a warm-up budget
//! ([`ModelHandle::warm_up`](crate::ModelHandle::warm_up), ten minutes by default).
//!
//! ```no_run
//! use clarifai_tonic::{ClarifaiClient, StreamExt, Value, stream};
//! # async fn run() -> Result<(), clarifai_tonic::Error> {
//! let client = ClarifaiClient::builder().build()?; // credentials from the environment
//! let model = client.model("me/my-app/my-llm")?;
//! let answer = model.method("predict").arg("prompt", "Hi").arg("temperature", 0.7).predict().await?;
//! println!("{}", String::try_from(answer)?);
//!
//! let chunks = stream::iter(["a", "b"]);
//! let mut echoes = model.method("stream").stream("chunks", chunks).await?;
//! while let Some(echo) = echoes.next().await {
//!     println!("{:?}", echo?);
//! }
//! # Ok(()) }
//! ```

mod call;
mod discovery;
mod error;
mod serialize;
mod signature;
mod value;
mod warmup;

use std::fmt;

pub use call::{MethodCall, decode_output, method_input};
pub(crate) use discovery::Signatures;
#[cfg(feature = "runner")]
pub(crate) use discovery::{GET_SIGNATURES, METHOD_NAME_KEY};
pub use error::MethodError;
#[allow(unused_imports)]
pub(crate) use serialize::{decode, encode_part, or_empty, to_proto};
pub use signature::python_signature;
#[allow(unused_imports)]
pub(crate) use signature::{py_float, signatures_from_json};
pub use value::{Element, NdArray, Value, ValueError};
pub(crate) use warmup::WarmUp;
pub use warmup::{DEFAULT_WARM_UP, WARM_UP_CODES};

use crate::api::{MethodSignature, RunnerMethodType};

/// How a method is called, from its signature's `method_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MethodKind {
    /// UNARY_UNARY: one call, one answer ([`MethodCall::predict`]).
    Predict,
    /// UNARY_STREAMING: one call, answers as they come ([`MethodCall::generate`]).
    Generate,
    /// STREAMING_STREAMING: a stream of values in, answers as they come
    /// ([`MethodCall::stream`]).
    Stream,
    /// Another `RunnerMethodType` (its number), which the SDK does not call either.
    Other(i32),
}

impl MethodKind {
    /// The kind of `method`.
    pub fn of(method: &MethodSignature) -> MethodKind {
        match RunnerMethodType::try_from(method.method_type) {
            Ok(RunnerMethodType::UnaryUnary) => MethodKind::Predict,
            Ok(RunnerMethodType::UnaryStreaming) => MethodKind::Generate,
            Ok(RunnerMethodType::StreamingStreaming) => MethodKind::Stream,
            _ => MethodKind::Other(method.method_type),
        }
    }

    /// The [`MethodCall`] method that calls it.
    pub fn call(self) -> &'static str {
        match self {
            MethodKind::Predict => "predict",
            MethodKind::Generate => "generate",
            MethodKind::Stream => "stream",
            MethodKind::Other(_) => "(none: not callable)",
        }
    }
}

impl fmt::Display for MethodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MethodKind::Predict => f.write_str("predict (UNARY_UNARY)"),
            MethodKind::Generate => f.write_str("generate (UNARY_STREAMING)"),
            MethodKind::Stream => f.write_str("stream (STREAMING_STREAMING)"),
            MethodKind::Other(n) => match RunnerMethodType::try_from(*n) {
                Ok(t) => write!(f, "{}", t.as_str_name()),
                Err(_) => write!(f, "method type {n}"),
            },
        }
    }
}
