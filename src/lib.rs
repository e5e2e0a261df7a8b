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
//! ```no_run
//! use clarifai_tonic::{api, ClarifaiClient, Credentials};
//!
//! # async fn run() -> Result<(), clarifai_tonic::Error> {
//! // CLARIFAI_PAT + CLARIFAI_USER_ID + CLARIFAI_APP_ID, or CLARIFAI_API_KEY.
//! let client = ClarifaiClient::builder().credentials(Credentials::from_env()?).build()?;
//! let models = client.list_models(api::ListModelsRequest::default()).await?;
//! println!("{} models", models.models.len());
//! # Ok(()) }
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
pub mod client;
pub mod credentials;
pub mod error;
pub mod intercept;
#[cfg(feature = "mock")]
pub mod mock;
pub mod retry;
pub mod rpc;
pub mod scope;

pub use client::{ClarifaiClient, ClientBuilder, IntoCall, ResponseStream};
pub use credentials::{CredentialKind, CredentialProvider, Credentials, RotatingCredentials};
pub use error::{ClarifaiCode, ClarifaiError, Error};
pub use intercept::AuthInterceptor;
pub use retry::RetryPolicy;
pub use scope::{ClarifaiResponse, UserAppScoped};
