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
//! - `mock` (feature `mock`): `MockV2`, a real V2 server for your tests.
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
//! ## The first call
//!
//! ```no_run
//! use clarifai_tonic::{api, ClarifaiClient, Credentials};
//!
//! # async fn run() -> Result<(), clarifai_tonic::Error> {
//! let client = ClarifaiClient::builder().credentials(Credentials::from_env()?).build()?;
//! let request = api::PostModelOutputsRequest {
//!     user_app_id: Some(api::UserAppIdSet { user_id: "clarifai".into(), app_id: "main".into() }),
//!     model_id: "general-image-recognition".into(),
//!     inputs: vec![api::Input::image_url("https://samples.clarifai.com/metro-north.jpg")],
//!     ..Default::default()
//! };
//! let response = client.post_model_outputs(request).await?;
//! for concept in &response.outputs[0].data.as_ref().unwrap().concepts {
//!     println!("{} {:.3}", concept.name, concept.value);
//! }
//! # Ok(()) }
//! ```
//!
//! Nested messages are `Option<Box<T>>`: Clarifai's messages are so large that inline they
//! overflow a debug build's thread stack. Streaming rpcs have methods too
//! (`generate_model_outputs`, `stream_model_outputs`), and every rpc that pages one list of
//! items (`page` and `per_page` in the request, one repeated field in the response: 51 of them,
//! `GetConceptCounts` included) has a `*_stream` helper (`list_models_stream`) that yields items
//! across pages. [`ClarifaiClient::v2`] is the raw generated client with only the credentials
//! added.
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
//!     Err(e) if e.status_code() == Some(StatusCode::MixedStatus.into()) => {
//!         // Some inputs failed; the others' outputs are still there.
//!         let partial = e.response::<api::MultiOutputResponse>().unwrap();
//!         println!("{} outputs, some failed", partial.outputs.len());
//!     }
//!     Err(e) if e.is_auth() => eprintln!("check the key: {e}"),
//!     Err(e) => eprintln!("{e}"),
//! }
//! # }
//! ```
//!
//! ## Deadlines and retries
//!
//! Every call has a deadline ([`ClientBuilder::timeout`], 120 s by default, or
//! `tonic::Request::set_timeout` per call) that also bounds its retries. By default a call is
//! tried up to 5 times in all, with exponential backoff and jitter, on gRPC UNAVAILABLE, throttling
//! (11003, 11005) and models warming up (21351, 21354, 21355); see [`RetryPolicy`], which can be set
//! per client or per call (in the request's extensions).
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
    rustdoc::invalid_rust_codeblocks
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/mod.rs"));
}

pub mod api;
/// The `clarifai.auth` packages: scopes ([`auth::scope::S`]) and auth types
/// ([`auth::types::AuthType`]) named in the per-rpc table.
pub mod auth {
    pub use crate::generated::clarifai::auth::*;
}
mod accessors;
mod client;
mod codec;
mod credentials;
mod error;
mod intercept;
#[cfg(feature = "mock")]
pub mod mock;
mod retry;
pub mod rpc;

pub use accessors::{ClarifaiResponse, Paged, UserAppScoped};
#[doc(hidden)]
pub use client::endpoint_from_env;
pub use client::{
    ClarifaiClient, ClientBuilder, DEFAULT_ENDPOINT, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_PAGE_SIZE,
    DEFAULT_TIMEOUT, InterceptedV2Client, ResponseStream,
};
pub use credentials::{CredentialKind, CredentialProvider, Credentials, RotatingCredentials};
pub use error::{ClarifaiCode, ClarifaiError, Error};
pub use intercept::{AuthInterceptor, AuthService, REQUEST_ID_PREFIX, REQUEST_ID_PREFIX_HEADER};
pub use retry::{DEFAULT_RETRY_CODES, RetryPolicy};
