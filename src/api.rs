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

/// Shorthands for the inputs most calls send, so that an image input is one expression instead
/// of three nested `Some(Box::new(..))`.
///
/// ```
/// use clarifai_tonic::api::Input;
///
/// let by_url = Input::image_url("https://samples.clarifai.com/metro-north.jpg").with_id("metro");
/// assert_eq!(by_url.id, "metro");
/// assert_eq!(by_url.image().unwrap().url, "https://samples.clarifai.com/metro-north.jpg");
///
/// let png = bytes::Bytes::from_static(b"\x89PNG...");
/// let by_bytes = Input::image_bytes(png.clone());
/// assert_eq!(by_bytes.image().unwrap().base64, png); // shared, not copied
///
/// assert_eq!(Input::from_text("a train at a station").text().unwrap().raw, "a train at a station");
/// assert!(Input::default().image().is_none());
/// ```
impl Input {
    /// An input with the image at `url` (Clarifai fetches it).
    pub fn image_url(url: impl Into<String>) -> Self {
        Self::from_image(Image {
            url: url.into(),
            ..Default::default()
        })
    }

    /// An input with these image bytes (the encoded file, e.g. JPEG or PNG; the field is named
    /// `base64` in the proto, but over gRPC it carries the raw bytes).
    pub fn image_bytes(bytes: impl Into<bytes::Bytes>) -> Self {
        Self::from_image(Image {
            base64: bytes.into(),
            ..Default::default()
        })
    }

    /// An input with this image.
    pub fn from_image(image: Image) -> Self {
        Self::from_data(Data {
            image: Some(Box::new(image)),
            ..Default::default()
        })
    }

    /// An input with this text.
    pub fn from_text(raw: impl Into<String>) -> Self {
        Self::from_data(Data {
            text: Some(Box::new(Text {
                raw: raw.into(),
                ..Default::default()
            })),
            ..Default::default()
        })
    }

    fn from_data(data: Data) -> Self {
        Input {
            data: Some(Box::new(data)),
            ..Default::default()
        }
    }

    /// The same input with this id.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// The input's image, if it has one.
    pub fn image(&self) -> Option<&Image> {
        self.data.as_ref()?.image.as_deref()
    }

    /// The input's text, if it has one.
    pub fn text(&self) -> Option<&Text> {
        self.data.as_ref()?.text.as_deref()
    }
}
