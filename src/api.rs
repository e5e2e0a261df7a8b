//! The Clarifai API types and the generated gRPC client, from the vendored protos.
//!
//! - `clarifai.api` is this module: `api::PostModelOutputsRequest`, `api::v2_client::V2Client`;
//! - `clarifai.api.status` is [`api::status`](status): `StatusCode` and `Status`. Every code can
//!   be written in the Rust form (`StatusCode::MixedStatus`) or the proto's, as the Python and
//!   Go clients write it (`StatusCode::MIXED_STATUS`), aliases included (`INPUT_DOWNLOAD_FAILED`
//!   and `InputDownloadFailed` are `InputFailed`, 30002); [`StatusCode::from_name`](status::StatusCode::from_name)
//!   finds a code by either name;
//! - `clarifai.auth.*` is [`crate::auth`]; matrix.proto's package-less `MatrixUint64` is here too.
//!
//! Singular nested message fields are `Option<Box<T>>` (except `UserAppIdSet`, `status::Status`
//! and the `google.protobuf` types), which keeps every struct small enough for debug builds'
//! thread stacks. `bytes` fields are [`bytes::Bytes`], so decoding shares buffers instead of copying.
//!
//! The messages, with their setters, constructors and readers, are the crate
//! [`clarifai_tonic_types`]'s (its `api` module, re-exported here whole); the client and the
//! mock server are generated in this crate.
//!
//! ```
//! use clarifai_tonic::error::ClarifaiCode;
//! use clarifai_tonic::api::status::StatusCode;
//!
//! assert_eq!(StatusCode::from_name("MIXED_STATUS"), Some(StatusCode::MixedStatus));
//! assert_eq!(ClarifaiCode(10010).known(), Some(StatusCode::MixedStatus));
//! assert_eq!(ClarifaiCode(99_999).known(), None); // unknown, and still 99999
//! ```

#[doc(inline)]
pub use clarifai_tonic_types::api::*;

#[doc(inline)]
pub use crate::generated::clarifai::api::v2_client;
#[cfg(feature = "mock")]
#[doc(inline)]
pub use crate::generated::clarifai::api::v2_server;
