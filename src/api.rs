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

pub use crate::generated::MatrixUint64;
pub use crate::generated::clarifai::api::*;

mod aliases {
    use crate::api::status::StatusCode;
    include!(concat!(env!("OUT_DIR"), "/status_aliases.rs"));
}

/// The `StatusCode` alias names (`allow_alias`) with their numbers, as written in the proto.
pub use aliases::STATUS_CODE_ALIASES;

impl status::StatusCode {
    /// The code with this name, in either form: the proto's (`"MIXED_STATUS"`, as the Python
    /// and Go clients and the REST API write it) or the Rust variant's (`"MixedStatus"`), aliases
    /// included (`"INPUT_DOWNLOAD_FAILED"`, `"InputDownloadFailed"`). `None` for a name these
    /// protos do not have; the match is exact.
    ///
    /// For a number, `StatusCode::try_from(n)` gives the code or an error carrying the number,
    /// and [`ClarifaiCode`](crate::ClarifaiCode)`(n)`, which [`Error::status_code`](crate::Error::status_code)
    /// returns, keeps a number this version does not know.
    ///
    /// ```
    /// use clarifai_tonic::ClarifaiCode;
    /// use clarifai_tonic::api::status::StatusCode;
    ///
    /// assert_eq!(StatusCode::from_name("MIXED_STATUS"), Some(StatusCode::MixedStatus));
    /// assert_eq!(StatusCode::from_name("MixedStatus"), Some(StatusCode::MIXED_STATUS));
    /// assert_eq!(StatusCode::from_name("INPUT_DOWNLOAD_FAILED"), Some(StatusCode::InputFailed));
    /// assert_eq!(StatusCode::InputDownloadFailed as i32, 30002);
    /// assert_eq!(StatusCode::from_name("mixed_status"), None);
    ///
    /// assert_eq!(ClarifaiCode(10010).known(), Some(StatusCode::MixedStatus));
    /// assert_eq!(ClarifaiCode(99_999).known(), None); // unknown, and still 99999
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        let names = aliases::STATUS_CODE_NAMES;
        let at = names.binary_search_by(|(n, _)| (*n).cmp(name)).ok()?;
        Some(names[at].1)
    }
}

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
