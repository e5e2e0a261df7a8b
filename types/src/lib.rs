//! # clarifai-tonic-types
//!
//! The generated types of the [Clarifai](https://www.clarifai.com) V2 gRPC API, as
//! [clarifai-tonic](https://docs.rs/clarifai-tonic) re-exports them: [`api`] (every message and
//! enum of `clarifai.api` and `clarifai.api.status`, with setters, constructors and readers) and
//! [`auth`] (the `clarifai.auth` packages).
//!
//! Most users should depend on clarifai-tonic, which has the client and names these types
//! `clarifai_tonic::api::*` and `clarifai_tonic::auth::*`. This crate exists so that a build
//! compiles the types (they depend only on prost, prost-types and bytes) while it compiles tonic
//! and its transport, instead of after them.
//!
//! ```
//! use clarifai_tonic_types::api::{Input, status::StatusCode};
//!
//! let input = Input::image_url("https://samples.clarifai.com/metro-north.jpg").with_id("metro");
//! assert_eq!(input.image().unwrap().url, "https://samples.clarifai.com/metro-north.jpg");
//! assert_eq!(StatusCode::from_name("MIXED_STATUS"), Some(StatusCode::MixedStatus));
//! ```

#![warn(missing_docs)]

/// The module tree the build script writes, one module per proto package. Not a stable API:
/// clarifai-tonic's generated client names the types through it. Use [`api`] and [`auth`].
#[doc(hidden)]
#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    rustdoc::invalid_html_tags,
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_rust_codeblocks
)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/mod.rs"));
}

pub mod api;
/// The `clarifai.auth` packages: scopes ([`auth::scope::S`]) and auth types
/// ([`auth::types::AuthType`]).
pub mod auth {
    pub use crate::generated::clarifai::auth::*;
}
