//! Serve a model written in Rust (feature `runner`): declare its methods with their typed
//! arguments ([`Model`], [`Method`], [`Type`]), and serve it on a port as a local model server
//! ([`serve`]) that the official SDK's `ModelClient.from_local_grpc(port)`, and this crate's
//! [`ClarifaiClient::local`](crate::ClarifaiClient::local), can list and call; or as a Clarifai
//! runner ([`Runner`], configured by [`RunnerConfig`]) that takes the work Clarifai routes to it
//! on `ProcessRunnerItems`, as the SDK's runner does.
//!
//! Each method's `MethodSignature` is exactly what the SDK's `build_function_signature` writes
//! for the same Python method, and its arguments and answers travel as the SDK's model server
//! reads and writes them (parts named after the arguments, the answer in a `return` part).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use clarifai_tonic::runner::{Method, Model, Type, serve};
//! use clarifai_tonic::{ClarifaiClient, Value};
//!
//! let model = Model::new().method(
//!     Method::predict("predict", |args| async move {
//!         let prompt: String = args.take("prompt")?;
//!         let times: i64 = args.take("times")?;
//!         let times = usize::try_from(times).map_err(|_| format!("times={times} is negative"))?;
//!         Ok(Value::from(prompt.repeat(times)))
//!     })
//!     .arg("prompt", Type::Str)
//!     .arg_default("times", Type::Int, 2)
//!     .returns(Type::Str),
//! );
//! let server = serve(model, "127.0.0.1:0".parse()?).await?;
//!
//! let client = ClarifaiClient::local(server.addr().port())?;
//! let answer = client.model("any")?.method("predict").arg("prompt", "ab").predict().await?;
//! assert_eq!(answer, Value::from("abab"));
//! # Ok(()) }
//! ```

mod config;
mod dispatch;
mod error;
mod health;
mod item;
mod json;
mod local;
mod model;
mod old_format;
mod protocol;
mod run;

pub use config::{
    DEFAULT_BACKOFF, DEFAULT_CHUNK_IDLE, DEFAULT_ERROR_WINDOW, DEFAULT_HEALTH_PORT,
    DEFAULT_MAX_BACKOFF, DEFAULT_MAX_ERRORS, DEFAULT_MAX_POST, DEFAULT_POLLS, RunnerConfig,
};
pub use error::RunnerError;
pub use local::{LocalServer, serve};
pub use model::{Answer, Args, HandlerError, Method, Model, Type};
pub use run::{Runner, RunningRunner};
