//! # clarifai-tonic
//!
//! A pure-Rust client for the [Clarifai](https://www.clarifai.com) V2 gRPC API, built on tonic
//! and prost, with no `protoc` and no C++ core.
//!
//! - [`api`]: every message and the generated `V2Client`, from the vendored protos;
//! - [`Credentials`]: a PAT, an app-specific API key, or a session token, validated and redacted;
//! - [`ClarifaiClient`]: one method per rpc, with `user_app_id` filled for PATs, deadlines,
//!   retries, Clarifai's in-band status turned into [`Error`], pagination and streaming;
//! - [`rpc`]: what the protos say about each rpc (auth type, scopes, streaming);
//! - `blocking` (feature `blocking`): the same client for programs that are not async;
//! - `mock` (feature `mock`): `MockV2`, a real V2 server for your tests, and the API a runner
//!   talks to;
//! - `runner` (feature `runner`): a model written in Rust, served as a local model server or as
//!   a Clarifai runner.
//!
//! ## Install
//!
//! ```toml
//! [dependencies]
//! clarifai-tonic = "0.1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//!
//! [dev-dependencies]
//! clarifai-tonic = { version = "0.1", features = ["mock"] }
//! ```
//!
//! Nothing else: the protos are compiled by `build.rs` in pure Rust. TLS is rustls with the
//! operating system's roots (features `tls-ring` + `tls-native-roots`; `tls-webpki-roots` bundles
//! Mozilla's instead). `tonic`, `prost` and `prost_types` are re-exported, so you never have to pin
//! matching versions yourself.
//!
//! ## Credentials
//!
//! | kind | made with | sent as | `user_app_id` |
//! | --- | --- | --- | --- |
//! | personal access token | [`Credentials::pat`]`(pat, user_id, app_id)` | `authorization: Key <pat>` | filled from the credentials when a request leaves it empty |
//! | app-specific API key | [`Credentials::api_key`]`(key)` | `authorization: Key <key>` | left empty: the key names its app |
//! | session token | [`Credentials::session_token`]`(token, user_id, app_id)` | `x-clarifai-session-token: <token>` | filled, as for a PAT |
//!
//! A PAT acts for a *user*, so the server needs to know which app a call is about: the client fills
//! `user_app_id` (whatever its field number in the request) from the credentials. Set it yourself
//! to reach another app, such as the public models in `clarifai/main`; a value you set is never
//! overwritten. A PAT made with an empty `app_id` still works for user-level rpcs (listing or
//! creating apps); an app-level call then fails before sending anything ([`Error::MissingAppId`]).
//!
//! An API key belongs to one app and cannot call the PAT-only rpcs (78 in the vendored protos: creating apps or keys, ...):
//! the client refuses those locally with [`Error::PatRequired`]. [`rpc::find`] tells each rpc's
//! auth type and the scopes a key needs.
//!
//! [`Credentials::from_env`] reads `CLARIFAI_PAT` + `CLARIFAI_USER_ID` + `CLARIFAI_APP_ID`, or
//! `CLARIFAI_API_KEY`, or `CLARIFAI_SESSION_TOKEN`, and otherwise the Clarifai CLI's config file
//! ([`Credentials::from_config`]). Secrets never appear in `Debug`, `Display`, errors or logs.
//! To rotate a key while the client is in use, call [`ClarifaiClient::rotate_credentials`] or give
//! the builder a [`CredentialProvider`].
//!
//! ## Everyday tasks
//!
//! A model, app or workflow is named once, by its clarifai.com URL, `user/app/id` text or ids
//! ([`ClarifaiClient::model`], [`ClarifaiClient::app`], [`ClarifaiClient::workflow`]); the
//! handle fills every request's `user_app_id` from it. Streams are read with the re-exported
//! [`StreamExt`] (no other crate needed). Each task below is also an example (`cargo run --example
//! quickstart`, `list_models`, `upload_inputs`, `stream`), running against the embedded MockV2
//! when no credentials are set.
//!
//! Predict the concepts in an image:
//!
//! ```no_run
//! # use clarifai_tonic::{api::Input, ClarifaiClient};
//! # async fn run() -> Result<(), clarifai_tonic::Error> {
//! let client = ClarifaiClient::builder().build()?; // credentials from the environment
//! let model = client.model("clarifai/main/general-image-recognition")?;
//! let image = Input::image_url("https://samples.clarifai.com/metro-north.jpg");
//! let outputs = model.predict(image).await?;
//! for concept in outputs.iter().flat_map(|output| output.concepts()) {
//!     println!("{} {:.3}", concept.name, concept.value);
//! }
//! # Ok(()) }
//! ```
//!
//! List every model of an app, page after page:
//!
//! ```no_run
//! # use clarifai_tonic::{ClarifaiClient, StreamExt};
//! # async fn run() -> Result<(), clarifai_tonic::Error> {
//! let client = ClarifaiClient::builder().build()?;
//! let mut models = client.app("clarifai/main")?.list_models();
//! while let Some(model) = models.next().await {
//!     println!("{}", model?.id);
//! }
//! # Ok(()) }
//! ```
//!
//! Upload 50 inputs in batches and report the ones that failed (a MIXED_STATUS batch is data
//! here, not an error):
//!
//! ```no_run
//! # use clarifai_tonic::{api::Input, ClarifaiClient};
//! # async fn run() -> Result<(), clarifai_tonic::Error> {
//! let client = ClarifaiClient::builder().build()?;
//! let inputs = (0..50).map(|i| Input::image_url(format!("https://example.com/{i}.jpg")));
//! let summary = client.my_app().upload_inputs(inputs).await;
//! for (id, why) in summary.failures() {
//!     println!("{id}: {why}");
//! }
//! # Ok(()) }
//! ```
//!
//! A server stream, then a bidi stream:
//!
//! ```no_run
//! # use clarifai_tonic::{api::Input, stream, ClarifaiClient, StreamExt};
//! # async fn run() -> Result<(), clarifai_tonic::Error> {
//! let client = ClarifaiClient::builder().build()?;
//! let model = client.model("openai/chat-completion/gpt-4o-mini")?;
//! let mut pieces = model.generate(Input::from_text("Write a haiku")).await?;
//! while let Some(piece) = pieces.next().await {
//!     print!("{}", piece?.text().unwrap_or_default());
//! }
//! let prompts = ["Say hello", "Say goodbye"].map(|p| vec![Input::from_text(p)]);
//! let mut answers = model.stream(stream::iter(prompts)).await?;
//! while let Some(answer) = answers.next().await {
//!     println!("{}", answer?.text().unwrap_or_default());
//! }
//! # Ok(()) }
//! ```
//!
//! Everything else is one method per rpc on [`ClarifaiClient`], taking the request message:
//!
//! ```no_run
//! use clarifai_tonic::{api, ClarifaiClient};
//!
//! # async fn run(client: ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
//! let request = api::PostModelOutputsRequest {
//!     user_app_id: Some(api::UserAppIdSet::new("clarifai", "main")),
//!     model_id: "general-image-recognition".into(),
//!     inputs: vec![api::Input::image_url("https://samples.clarifai.com/metro-north.jpg")],
//!     ..Default::default()
//! }
//! .with_model(api::Model::default().with_model_version(
//!     api::ModelVersion::default().with_output_info(
//!         api::OutputInfo::default().with_output_config(api::OutputConfig {
//!             max_concepts: 3,
//!             ..Default::default()
//!         }),
//!     ),
//! ));
//! let response = client.post_model_outputs(request).await?;
//! # Ok(()) }
//! ```
//!
//! Nested messages are `Option<Box<T>>` (Clarifai's messages are so large that inline they
//! overflow a debug build's thread stack); every such field has `set_x`, `with_x` and `clear_x`,
//! which take the value itself. Responses have readers that walk the options:
//! `output.concepts()`, `output.text()`, `output.regions()`, `output.embeddings()`, and
//! `failures()` on batch responses. Streaming rpcs have methods too (`generate_model_outputs`,
//! `stream_model_outputs`), and every rpc that pages one list of items (`page` and `per_page` in
//! the request, one repeated field in the response: 51 of them, `GetConceptCounts` included) has
//! a `*_stream` helper (`list_models_stream`) that pages on until a page comes back empty.
//! [`ClarifaiClient::v2`] is the raw generated client with only the credentials added.
//!
//! ## Without async
//!
//! With the `blocking` feature, `blocking::ClarifaiClient` has the same builder, named methods,
//! handles and errors, and no `.await`: each call waits for its answer, and streams are
//! iterators. It runs its own tokio runtime on a thread of its own (as reqwest's blocking client
//! does), so a plain `fn main`, a CLI or a PyO3 extension needs no tokio of its own. The async
//! form, then the blocking one:
//!
//! ```no_run
//! # use clarifai_tonic::{api::Input, ClarifaiClient, StreamExt};
//! # async fn run() -> Result<(), clarifai_tonic::Error> {
//! let client = ClarifaiClient::builder().build()?;
//! let model = client.model("clarifai/main/general-image-recognition")?;
//! let outputs = model.predict(Input::image_url("https://samples.clarifai.com/metro-north.jpg")).await?;
//! let mut models = client.app("clarifai/main")?.list_models();
//! while let Some(model) = models.next().await {
//!     println!("{}", model?.id);
//! }
//! # Ok(()) }
//! ```
//!
//! ```no_run
//! # #[cfg(feature = "blocking")]
//! # fn run() -> Result<(), clarifai_tonic::Error> {
//! use clarifai_tonic::{api::Input, blocking};
//!
//! let client = blocking::ClarifaiClient::builder().build()?;
//! let model = client.model("clarifai/main/general-image-recognition")?;
//! let outputs = model.predict(Input::image_url("https://samples.clarifai.com/metro-north.jpg"))?;
//! for model in client.app("clarifai/main")?.list_models() {
//!     println!("{}", model?.id);
//! }
//! # Ok(()) }
//! # fn main() {}
//! ```
//!
//! The builder's settings are the async builder's: `blocking::ClarifaiClient::builder()
//! .configure(|b| b.endpoint(url).timeout(t)).build()`. A bidi stream takes its requests from
//! an iterator, or from a `std::sync::mpsc::Receiver` you feed as you go. Called inside a tokio
//! runtime, the blocking client returns [`Error::BlockingInAsync`] rather than stall it or panic.
//! `cargo run --example blocking --features blocking` is the quickstart in this form.
//!
//! ## Errors
//!
//! Clarifai answers most failures with gRPC OK and a non-SUCCESS `status` inside the response.
//! The named methods turn those into [`Error::Clarifai`], which keeps the code (unknown numbers
//! included), description, details, `req_id` and the whole response:
//!
//! ```no_run
//! # use clarifai_tonic::{api, ClarifaiClient, Error};
//! # use clarifai_tonic::api::status::StatusCode;
//! # async fn run(client: ClarifaiClient, request: api::PostModelOutputsRequest) {
//! match client.post_model_outputs(request).await {
//!     Ok(response) => println!("{} outputs", response.outputs.len()),
//!     Err(e) if e.is_mixed_status() => {
//!         // Some inputs failed; the others' outputs are still there, each with its status.
//!         if let Ok(partial) = e.into_response::<api::MultiOutputResponse>() {
//!             for failed in partial.failures() {
//!                 println!("{}: {}", failed.id, failed.status.description);
//!             }
//!         }
//!     }
//!     Err(e) if e.is_auth() => eprintln!("check the key and its scopes: {e}"),
//!     Err(e) if e.is_rate_limited() => eprintln!("slow down: {e}"),
//!     Err(e) if e.is_invalid_request() => eprintln!("a request the server could not read: {e}"),
//!     Err(e) if e.transport_fault().is_some_and(|f| !f.never_processed()) => {
//!         eprintln!("the connection broke; the server may have run it: {e}")
//!     }
//!     Err(e) => eprintln!("{e}"),
//! }
//! # }
//! ```
//!
//! ## Deadlines and retries
//!
//! Every call has a deadline ([`ClientBuilder::timeout`], 120 s by default, or
//! `tonic::Request::set_timeout` per call) that also bounds its retries. Retries follow gRPC's
//! design: a request that never reached the server (no connection, a stream the server refused,
//! a GOAWAY, a connection already closed) is re-sent for every rpc; after the server may have got
//! it, a call is tried up to 5 times in all, with exponential backoff and jitter on gRPC UNAVAILABLE or
//! a lost connection only if it is safe to send twice ([`rpc::RpcInfo::retry`]: reads,
//! searches, predictions; never PostInputs or another write, unless you opt in), and on
//! throttling (11003, 11005) and models warming up (21351, 21354, 21355) for every rpc. See
//! [`RetryPolicy`], which can be set per client or per call (in the request's extensions). A
//! server or bidi stream that goes quiet for longer than
//! [`ClientBuilder::stream_idle_timeout`] (5 minutes by default) ends with [`Error::StreamIdle`].
//!
//! ## Testing your service with MockV2
//!
//! With the `mock` feature, [`mock::MockV2`](crate::mock) is a real tonic server for the whole V2
//! service. Start it on a free port, answer the rpcs your code uses, point your client at it, and
//! assert on what it received, metadata and decoded requests included:
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use clarifai_tonic::{api, rpc, mock::MockV2, Credentials};
//!
//! let mock = MockV2::start().await?;
//! mock.respond::<rpc::PostModelOutputs>(api::MultiOutputResponse::default());
//! let client = mock.client(Credentials::pat("test-pat", "me", "my-app")?)?;
//!
//! client.post_model_outputs(api::PostModelOutputsRequest::default()).await?;
//!
//! let sent = &mock.requests::<rpc::PostModelOutputs>()[0];
//! assert_eq!(sent.user_app_id.as_ref().unwrap().app_id, "my-app");
//! # Ok(()) }
//! # #[cfg(not(feature = "mock"))]
//! # fn main() {}
//! ```

#![warn(missing_docs)]

/// What reads a [`ResponseStream`]: `next()`, `map`, ... (from `futures-util`).
pub use futures_util::StreamExt;
/// What gathers a [`ResponseStream`]: `try_collect()`, `try_next()`, ... (from `futures-util`).
pub use futures_util::TryStreamExt;
/// Streams to send on a client or bidi stream (`stream::iter(..)`), from `futures-util`.
pub use futures_util::stream;
pub use prost;
pub use prost_types;
pub use tonic;

#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    rustdoc::invalid_html_tags,
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_rust_codeblocks,
    // The types crate's tree is re-exported whole, so that `crate::generated::..` names every
    // message; the generated code names only some of it.
    unused_imports
)]
mod generated {
    // The types crate's module tree, with the `V2Client` (and, feature `mock`, the server) in
    // the module of their package.
    include!(concat!(env!("OUT_DIR"), "/services.rs"));
}

pub mod api;
/// The `clarifai.auth` packages: scopes ([`auth::scope::S`]) and auth types
/// ([`auth::types::AuthType`]) named in the per-rpc table.
pub mod auth {
    #[doc(inline)]
    pub use clarifai_tonic_types::auth::*;
}
mod accessors;
#[cfg(feature = "blocking")]
pub mod blocking;
mod client;
pub mod credentials;
pub mod error;
pub mod handles;
#[cfg(feature = "mock")]
pub mod mock;
pub mod rpc;
#[cfg(feature = "runner")]
pub mod runner;
pub mod url;

/// The retry policy ([`retry::RetryPolicy`]) and the in-band codes it retries by
/// default.
pub mod retry {
    pub use crate::client::retry::{DEFAULT_RETRY_CODES, RetryPolicy};
}

/// The defaults a [`ClientBuilder`] starts from.
pub mod defaults {
    pub use crate::client::{
        DEFAULT_CONNECT_TIMEOUT, DEFAULT_ENDPOINT, DEFAULT_KEEPALIVE, DEFAULT_MAX_MESSAGE_SIZE,
        DEFAULT_PAGE_SIZE, DEFAULT_STREAM_IDLE_TIMEOUT, DEFAULT_TIMEOUT,
    };
}

/// What a client runs over: its own HTTP/2 connections or a tonic `Channel`
/// ([`transport::Transport`]), and the generated client over it.
pub mod transport {
    pub use crate::client::{InterceptedV2Client, Transport};
}

/// The crate's `Result`: `Result<T, clarifai_tonic::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

// The handful a newcomer needs, at the root; everything else in its module.
pub use client::{CallOptions, ClarifaiClient, ClientBuilder, ResponseStream};
#[doc(no_inline)]
pub use credentials::Credentials;
#[doc(no_inline)]
pub use error::Error;
#[doc(no_inline)]
pub use handles::methods;
#[doc(no_inline)]
pub use handles::methods::Value;

// Crate-internal short paths (not public).
#[allow(unused_imports)]
pub(crate) use {
    accessors::{ClarifaiResponse, Paged, UserAppScoped},
    client::auth::{AuthInterceptor, AuthService},
    client::retry::{DEFAULT_RETRY_CODES, RetryPolicy},
    client::{DEFAULT_PAGE_SIZE, InterceptedV2Client, Transport},
    credentials::{CredentialKind, CredentialProvider, RotatingCredentials},
    error::{ClarifaiCode, ClarifaiError, CodeGroup, TransportFault},
    handles::{
        AppHandle, IntoInputs, MAX_BATCH, ModelHandle, Upload, UploadProgress, UploadSummary,
        Uploader, WorkflowHandle,
    },
    url::{ClarifaiUrl, ResourceKind, UrlError},
};
