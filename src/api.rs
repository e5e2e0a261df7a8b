//! The Clarifai API types and the generated gRPC client, from the vendored protos.
//!
//! - `clarifai.api` is this module: `api::PostModelOutputsRequest`, `api::v2_client::V2Client`;
//! - `clarifai.api.status` is [`api::status`](status): `StatusCode` (with the alias names prost drops,
//!   as associated constants) and `Status`;
//! - `clarifai.auth.*` is [`crate::auth`]; matrix.proto's package-less `MatrixUint64` is here too.
//!
//! Singular nested message fields are `Option<Box<T>>` (except `UserAppIdSet`, `status::Status`
//! and the `google.protobuf` types), which keeps every struct small enough for debug builds'
//! thread stacks. `bytes` fields are [`bytes::Bytes`], so decoding shares buffers instead of copying.

pub use crate::generated::MatrixUint64;
pub use crate::generated::clarifai::api::*;

mod aliases {
    use crate::api::status::StatusCode;
    include!(concat!(env!("OUT_DIR"), "/status_aliases.rs"));
}

/// The `StatusCode` alias names (`allow_alias`) with their numbers, as written in the proto.
pub use aliases::STATUS_CODE_ALIASES;
