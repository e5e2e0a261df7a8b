//! The Clarifai API types, from the vendored protos (clarifai-tonic re-exports this module as
//! `clarifai_tonic::api`, with the generated `V2Client`).
//!
//! - `clarifai.api` is this module: `api::PostModelOutputsRequest`, `api::Input`;
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

use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::generated::MatrixUint64;
pub use crate::generated::clarifai::api::*;

/// `set_x` / `with_x` / `clear_x` for every singular message field: no `Some(Box::new(..))`.
mod setters {
    include!(concat!(env!("OUT_DIR"), "/setters.rs"));
}

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
    /// and clarifai-tonic's `ClarifaiCode(n)`, which its `Error::status_code` returns, keeps a
    /// number this version does not know.
    ///
    /// ```
    /// use clarifai_tonic_types::api::status::StatusCode;
    ///
    /// assert_eq!(StatusCode::from_name("MIXED_STATUS"), Some(StatusCode::MixedStatus));
    /// assert_eq!(StatusCode::from_name("MixedStatus"), Some(StatusCode::MIXED_STATUS));
    /// assert_eq!(StatusCode::from_name("INPUT_DOWNLOAD_FAILED"), Some(StatusCode::InputFailed));
    /// assert_eq!(StatusCode::InputDownloadFailed as i32, 30002);
    /// assert_eq!(StatusCode::from_name("mixed_status"), None);
    ///
    /// assert_eq!(StatusCode::try_from(10010), Ok(StatusCode::MixedStatus));
    /// assert!(StatusCode::try_from(99_999).is_err()); // a number these protos do not have
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
/// use clarifai_tonic_types::api::Input;
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

    /// An input with this data.
    pub fn from_data(data: Data) -> Self {
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

/// `UserAppIdSet::new("clarifai", "main")`.
impl UserAppIdSet {
    /// The ids of a user and one of their apps (`app_id` may be empty for user-level rpcs).
    pub fn new(user_id: impl Into<String>, app_id: impl Into<String>) -> Self {
        UserAppIdSet {
            user_id: user_id.into(),
            app_id: app_id.into(),
        }
    }
}

/// Concepts as a model's `output_config.select_concepts`, or as an input's labels.
///
/// ```
/// use clarifai_tonic_types::api::Concept;
/// let train = Concept::new("train").with_value(1.0);
/// assert_eq!((train.id.as_str(), train.value), ("train", 1.0));
/// ```
impl Concept {
    /// The concept with this id.
    pub fn new(id: impl Into<String>) -> Self {
        Concept {
            id: id.into(),
            ..Default::default()
        }
    }

    /// The same concept with this name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The same concept with this value (1.0: present, 0.0: absent, as a label).
    pub fn with_value(mut self, value: f32) -> Self {
        self.value = value;
        self
    }
}

impl Image {
    /// The image at `url`.
    pub fn url(url: impl Into<String>) -> Self {
        Image {
            url: url.into(),
            ..Default::default()
        }
    }
}

impl Video {
    /// The video at `url`.
    pub fn url(url: impl Into<String>) -> Self {
        Video {
            url: url.into(),
            ..Default::default()
        }
    }
}

impl Audio {
    /// The audio at `url`.
    pub fn url(url: impl Into<String>) -> Self {
        Audio {
            url: url.into(),
            ..Default::default()
        }
    }
}

impl Text {
    /// This text.
    pub fn raw(raw: impl Into<String>) -> Self {
        Text {
            raw: raw.into(),
            ..Default::default()
        }
    }
}

/// More inputs than images: video and audio by URL or bytes.
///
/// ```
/// use clarifai_tonic_types::api::Input;
/// let clip = Input::video_url("https://samples.clarifai.com/beer.mp4");
/// assert_eq!(clip.data.unwrap().video.unwrap().url, "https://samples.clarifai.com/beer.mp4");
/// ```
impl Input {
    /// An input with the video at `url`.
    pub fn video_url(url: impl Into<String>) -> Self {
        Self::from_data(Data {
            video: Some(Box::new(Video::url(url))),
            ..Default::default()
        })
    }

    /// An input with these video bytes (the encoded file).
    pub fn video_bytes(bytes: impl Into<bytes::Bytes>) -> Self {
        Self::from_data(Data {
            video: Some(Box::new(Video {
                base64: bytes.into(),
                ..Default::default()
            })),
            ..Default::default()
        })
    }

    /// An input with the audio at `url`.
    pub fn audio_url(url: impl Into<String>) -> Self {
        Self::from_data(Data {
            audio: Some(Box::new(Audio::url(url))),
            ..Default::default()
        })
    }

    /// An input with these audio bytes (the encoded file).
    pub fn audio_bytes(bytes: impl Into<bytes::Bytes>) -> Self {
        Self::from_data(Data {
            audio: Some(Box::new(Audio {
                base64: bytes.into(),
                ..Default::default()
            })),
            ..Default::default()
        })
    }

    /// An input with the contents of a local file, as an image, video, audio or text input by
    /// the file's extension (text for `.txt`, `.md`, `.csv`, `.json`; video for `.mp4`, `.mov`,
    /// `.avi`, `.mkv`, `.webm`; audio for `.wav`, `.mp3`, `.flac`, `.ogg`, `.m4a`; an image
    /// otherwise), with the file's stem as its id (characters an id cannot hold become `-`). An
    /// unreadable file is a [`ReadFileError`], naming it (which `?` turns into clarifai-tonic's
    /// `Error::ReadFile`).
    ///
    /// ```
    /// use clarifai_tonic_types::api::Input;
    ///
    /// let missing = Input::from_file("no/such/photo.jpg").unwrap_err();
    /// assert_eq!(missing.path(), std::path::Path::new("no/such/photo.jpg"));
    /// assert_eq!(missing.io_error().kind(), std::io::ErrorKind::NotFound);
    /// assert!(missing.to_string().starts_with("cannot read no/such/photo.jpg: "));
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ReadFileError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ReadFileError {
            path: path.to_owned(),
            source,
        })?;
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let input = match extension.as_str() {
            "txt" | "md" | "csv" | "json" => {
                Self::from_text(String::from_utf8_lossy(&bytes).into_owned())
            }
            "mp4" | "mov" | "avi" | "mkv" | "webm" => Self::video_bytes(bytes),
            "wav" | "mp3" | "flac" | "ogg" | "m4a" => Self::audio_bytes(bytes),
            _ => Self::image_bytes(bytes),
        };
        // Clarifai ids take letters, digits, '-' and '_': anything else in the name becomes '-'.
        let id: String = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        Ok(input.with_id(id))
    }

    /// The input's concepts (its labels), or none.
    pub fn concepts(&self) -> &[Concept] {
        self.data.as_ref().map_or(&[], |d| &d.concepts)
    }
}

/// What a model answered for one input, without walking the nested options by hand.
///
/// ```
/// use clarifai_tonic_types::api::{Concept, Data, Output, Text};
/// let output = Output {
///     data: Some(Box::new(Data {
///         concepts: vec![Concept::new("train").with_value(0.99)],
///         text: Some(Box::new(Text::raw("a train"))),
///         ..Default::default()
///     })),
///     ..Default::default()
/// };
/// assert_eq!(output.concepts()[0].id, "train");
/// assert_eq!(output.text(), Some("a train"));
/// assert!(output.regions().is_empty() && output.embeddings().is_empty());
/// ```
impl Output {
    /// The concepts it predicted, most likely first as the server sends them.
    pub fn concepts(&self) -> &[Concept] {
        self.data.as_ref().map_or(&[], |d| &d.concepts)
    }

    /// The text it produced (a text or generative model), if any.
    pub fn text(&self) -> Option<&str> {
        Some(self.data.as_ref()?.text.as_ref()?.raw.as_str())
    }

    /// The regions it found (a detection or segmentation model).
    pub fn regions(&self) -> &[Region] {
        self.data.as_ref().map_or(&[], |d| &d.regions)
    }

    /// The embeddings it computed (an embedding model).
    pub fn embeddings(&self) -> &[Embedding] {
        self.data.as_ref().map_or(&[], |d| &d.embeddings)
    }

    /// Whether its own status is SUCCESS (one output can fail in a MIXED_STATUS batch).
    pub fn succeeded(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| s.code == status::StatusCode::Success as i32)
    }
}

/// One item of a batch that failed: its id and its own status.
#[derive(Debug, Clone, Copy)]
pub struct ItemFailure<'a> {
    /// The item's id (the input's id, or the output's).
    pub id: &'a str,
    /// Its index in the batch.
    pub index: usize,
    /// Its status, as the server sent it.
    pub status: &'a status::Status,
}

fn failures_of<'a, T>(
    items: &'a [T],
    of: impl Fn(&'a T) -> (&'a str, Option<&'a status::Status>),
) -> Vec<ItemFailure<'a>> {
    items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let (id, status) = of(item);
            let status = status?;
            (status.code != status::StatusCode::Success as i32).then_some(ItemFailure {
                id,
                index,
                status,
            })
        })
        .collect()
}

/// The inputs of a batch whose own status is not SUCCESS (as in a MIXED_STATUS answer).
impl MultiInputResponse {
    /// Each failed input with its id, index and status.
    pub fn failures(&self) -> Vec<ItemFailure<'_>> {
        failures_of(&self.inputs, |i| (i.id.as_str(), i.status.as_ref()))
    }
}

/// The outputs of a batch whose own status is not SUCCESS (as in a MIXED_STATUS answer).
impl MultiOutputResponse {
    /// Each failed output with its id (the output's; its input's id is in `output.input`), index
    /// and status.
    pub fn failures(&self) -> Vec<ItemFailure<'_>> {
        failures_of(&self.outputs, |o| (o.id.as_str(), o.status.as_ref()))
    }
}

/// A local file that [`Input::from_file`] could not read: its path, and why.
///
/// Its `Display` is `cannot read <path>: <why>`, and its `source()` the I/O error.
/// clarifai-tonic turns it into its `Error::ReadFile`, with the same two fields, so `?` works in
/// a function that returns `clarifai_tonic::Error`.
#[derive(Debug)]
pub struct ReadFileError {
    path: PathBuf,
    source: std::io::Error,
}

impl ReadFileError {
    /// The file, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why it could not be read (also its `Error::source`).
    pub fn io_error(&self) -> &std::io::Error {
        &self.source
    }

    /// The file and the I/O error, by value.
    pub fn into_parts(self) -> (PathBuf, std::io::Error) {
        (self.path, self.source)
    }
}

impl fmt::Display for ReadFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read {}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for ReadFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
