//! One error type for everything the crate does: configuration, credentials, transport, gRPC
//! status and Clarifai's in-band status.
//!
//! No variant ever holds a secret: credential errors say *what* is wrong with a value, never the
//! value itself.

use std::any::Any;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::api::status::{Status as ApiStatus, StatusCode};

/// Everything that can go wrong. Match on it, or use the predicates ([`Error::is_retryable`],
/// [`Error::is_auth`], [`Error::is_not_found`], ...).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A credential value (PAT, API key, session token, user id or app id) is unusable.
    /// `what` names the value, `reason` says what is wrong; the value itself is never shown.
    #[error("invalid {what}: {reason}")]
    InvalidCredentials {
        /// Which value: "PAT", "API key", "session token", "user_id", "app_id".
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// No credentials were found in the environment or the CLI config file.
    #[error("no Clarifai credentials found: {hint}")]
    MissingCredentials {
        /// Where we looked and what to set.
        hint: String,
    },

    /// More than one kind of credential was given where exactly one is allowed.
    #[error("conflicting Clarifai credentials: {} are all set; set only one", .names.join(", "))]
    ConflictingCredentials {
        /// The variables (or config keys) that conflict.
        names: Vec<&'static str>,
    },

    /// The Clarifai CLI config file could not be read or understood.
    #[error("{}{}: {message}", .path.display(), .line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Config {
        /// The file.
        path: PathBuf,
        /// The 1-based line, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },

    /// The endpoint could not be used.
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A PAT-only rpc was called with an app-specific API key. Nothing was sent.
    #[error(
        "{rpc} needs a personal access token (PAT): an app-specific API key cannot call it. \
         Use Credentials::pat(..) for this call"
    )]
    PatRequired {
        /// The rpc.
        rpc: &'static str,
    },

    /// An app-scoped rpc was called with a PAT or session token that names no app, and the request
    /// left `user_app_id` empty. Nothing was sent.
    #[error(
        "{rpc} works inside an app, but the credentials have no app_id and the request's \
         user_app_id is empty: give an app_id to Credentials::pat(..) or set user_app_id"
    )]
    MissingAppId {
        /// The rpc.
        rpc: &'static str,
    },

    /// The call did not finish within its deadline (retries included).
    #[error("{rpc} timed out after {after:?}")]
    Timeout {
        /// The rpc.
        rpc: &'static str,
        /// The deadline that ran out.
        after: Duration,
    },

    /// A message was larger than the configured limit. The client stays usable.
    #[error(
        "{rpc}: message too large ({detail}); raise the limit with \
         ClarifaiClient::builder().max_decoding_message_size(..) / max_encoding_message_size(..)"
    )]
    MessageTooLarge {
        /// The rpc.
        rpc: &'static str,
        /// tonic's account of the sizes.
        detail: String,
        /// The underlying status.
        status: Box<tonic::Status>,
    },

    /// The call failed at the gRPC or transport level (the server's gRPC status, a refused or
    /// dropped connection, ...).
    #[error("{rpc}: gRPC {}: {}", code_name(.status.code()), .status.message())]
    Grpc {
        /// The rpc ("" when not known).
        rpc: &'static str,
        /// The gRPC status, with its metadata and source.
        status: Box<tonic::Status>,
    },

    /// The server answered with gRPC OK, but Clarifai's in-band status is not SUCCESS.
    #[error("{0}")]
    Clarifai(Box<ClarifaiError>),
}

fn code_name(code: tonic::Code) -> String {
    format!("{code:?}")
}

impl Error {
    /// Builds an [`Error`] from a gRPC status, classifying size-limit failures.
    pub(crate) fn from_status(rpc: &'static str, status: tonic::Status) -> Self {
        let message = status.message();
        let too_large = matches!(
            status.code(),
            tonic::Code::OutOfRange | tonic::Code::ResourceExhausted | tonic::Code::Internal
        ) && (message.contains("message length too large")
            || message.contains("too large")
            || message.contains("exceeds"));
        if too_large {
            return Error::MessageTooLarge {
                rpc,
                detail: message.to_owned(),
                status: Box::new(status),
            };
        }
        Error::Grpc {
            rpc,
            status: Box::new(status),
        }
    }

    /// The gRPC status, when the failure was at the gRPC level.
    pub fn grpc_status(&self) -> Option<&tonic::Status> {
        match self {
            Error::Grpc { status, .. } | Error::MessageTooLarge { status, .. } => Some(status),
            _ => None,
        }
    }

    /// Clarifai's in-band failure, when the server answered with a non-SUCCESS status.
    pub fn clarifai(&self) -> Option<&ClarifaiError> {
        match self {
            Error::Clarifai(e) => Some(e),
            _ => None,
        }
    }

    /// Clarifai's status code, when there is one.
    pub fn status_code(&self) -> Option<ClarifaiCode> {
        self.clarifai().map(|e| e.code)
    }

    /// The decoded response a non-SUCCESS status came with, as its concrete type (for example
    /// `MultiOutputResponse`, whose outputs survive a MIXED_STATUS).
    pub fn response<T: 'static>(&self) -> Option<&T> {
        self.clarifai().and_then(|e| e.response::<T>())
    }

    /// The rpc that failed, when known.
    pub fn rpc(&self) -> Option<&'static str> {
        match self {
            Error::PatRequired { rpc }
            | Error::MissingAppId { rpc }
            | Error::Timeout { rpc, .. }
            | Error::MessageTooLarge { rpc, .. }
            | Error::Grpc { rpc, .. } => Some(*rpc).filter(|r| !r.is_empty()),
            Error::Clarifai(e) => Some(e.rpc),
            _ => None,
        }
    }

    /// Whether trying again later may succeed: gRPC UNAVAILABLE, and Clarifai's throttling and
    /// model-warming codes. This is what the default [`RetryPolicy`](crate::RetryPolicy) retries.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Grpc { status, .. } => status.code() == tonic::Code::Unavailable,
            Error::Clarifai(e) => crate::retry::DEFAULT_RETRY_CODES.contains(&e.code.0),
            _ => false,
        }
    }

    /// Whether the failure is about credentials: rejected or missing keys, missing scopes, a PAT
    /// needed, or unusable credentials given to this crate.
    pub fn is_auth(&self) -> bool {
        match self {
            Error::InvalidCredentials { .. }
            | Error::MissingCredentials { .. }
            | Error::ConflictingCredentials { .. }
            | Error::PatRequired { .. }
            | Error::MissingAppId { .. } => true,
            Error::Grpc { status, .. } => matches!(
                status.code(),
                tonic::Code::Unauthenticated | tonic::Code::PermissionDenied
            ),
            Error::Clarifai(e) => e.code.is_auth(),
            _ => false,
        }
    }

    /// Whether the thing asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::Grpc { status, .. } => status.code() == tonic::Code::NotFound,
            Error::Clarifai(e) => {
                e.code.0 == StatusCode::ConnDoesNotExist as i32
                    || e.code
                        .name()
                        .is_some_and(|n| n.ends_with("DOES_NOT_EXIST") || n.ends_with("NOT_FOUND"))
            }
            _ => false,
        }
    }

    /// Whether the call ran out of time (locally or as reported by the server).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Grpc { status, .. } => {
                status.code() == tonic::Code::DeadlineExceeded
                    || (status.code() == tonic::Code::Cancelled
                        && status.message() == "Timeout expired")
            }
            _ => false,
        }
    }
}

/// A Clarifai status code: the known [`StatusCode`] names, and unknown numbers kept as they came.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClarifaiCode(pub i32);

impl ClarifaiCode {
    /// The generated enum value, when the number is known to this version of the protos.
    pub fn known(self) -> Option<StatusCode> {
        StatusCode::try_from(self.0).ok()
    }

    /// The proto name (`"MIXED_STATUS"`), when known.
    pub fn name(self) -> Option<&'static str> {
        self.known().map(|c| c.as_str_name())
    }

    /// Whether this is one of the 11xxx connection/auth codes (bad key, missing scopes, ...).
    pub fn is_auth(self) -> bool {
        (11000..12000).contains(&self.0)
    }
}

impl From<StatusCode> for ClarifaiCode {
    fn from(code: StatusCode) -> Self {
        ClarifaiCode(code as i32)
    }
}

impl PartialEq<StatusCode> for ClarifaiCode {
    fn eq(&self, other: &StatusCode) -> bool {
        self.0 == *other as i32
    }
}

impl fmt::Display for ClarifaiCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "unknown status code {}", self.0),
        }
    }
}

impl fmt::Debug for ClarifaiCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A non-SUCCESS in-band status, with everything the server sent.
pub struct ClarifaiError {
    /// The rpc.
    pub rpc: &'static str,
    /// The status code; unknown numbers are kept.
    pub code: ClarifaiCode,
    /// The full status as sent.
    pub status: ApiStatus,
    response: Box<dyn Any + Send + Sync>,
}

impl ClarifaiError {
    pub(crate) fn new<T: Any + Send + Sync>(
        rpc: &'static str,
        status: ApiStatus,
        response: T,
    ) -> Self {
        ClarifaiError {
            rpc,
            code: ClarifaiCode(status.code),
            status,
            response: Box::new(response),
        }
    }

    /// The server's description.
    pub fn description(&self) -> &str {
        &self.status.description
    }

    /// The server's details.
    pub fn details(&self) -> &str {
        &self.status.details
    }

    /// The request id, to quote to Clarifai support.
    pub fn req_id(&self) -> &str {
        &self.status.req_id
    }

    /// The whole decoded response, as its concrete type.
    pub fn response<T: 'static>(&self) -> Option<&T> {
        self.response.downcast_ref::<T>()
    }

    /// Takes the whole decoded response out, as its concrete type; gives the error back when
    /// `T` is not the response's type.
    pub fn into_response<T: 'static>(self: Box<Self>) -> Result<T, Box<Self>> {
        let ClarifaiError {
            rpc,
            code,
            status,
            response,
        } = *self;
        match response.downcast::<T>() {
            Ok(r) => Ok(*r),
            Err(response) => Err(Box::new(ClarifaiError {
                rpc,
                code,
                status,
                response,
            })),
        }
    }

    /// Plain-words advice for auth failures: what to check.
    pub fn advice(&self) -> Option<String> {
        if !self.code.is_auth() {
            return None;
        }
        let text = format!("{} {}", self.status.description, self.status.details).to_lowercase();
        let code = self.code;
        let is = |c: StatusCode| code == c;
        Some(
            if is(StatusCode::ConnInsufficientScopes) || text.contains("scope") {
                match missing_scopes(&self.status) {
                Some(scopes) => format!(
                    "the key lacks the scopes {scopes}: add them to the key in the Clarifai portal, or use a PAT"
                ),
                None => "the key lacks a scope this rpc needs (see clarifai_tonic::rpc::find(..).scopes), or use a PAT"
                    .into(),
            }
            } else if text.contains("not found")
                || is(StatusCode::ConnKeyInvalid)
                || is(StatusCode::ConnKeyNotFound)
                || is(StatusCode::ConnCredentialsInvalid)
            {
                "the key was not recognised: check that the PAT or API key is current, copied whole, \
             and sent to the right endpoint"
                .into()
            } else if text.contains("invalid request") || is(StatusCode::ConnInvalidRequest) {
                "no usable key reached the server: set credentials on the client (for example \
             Credentials::from_env()) and check that no proxy strips the authorization header"
                    .into()
            } else if is(StatusCode::ConnThrottled) || is(StatusCode::ConnExceedHourlyLimit) {
                "the account is being rate limited: slow down or retry later".into()
            } else {
                "check the credentials, the account's limits, and that user_id/app_id name an app the key can reach"
                .into()
            },
        )
    }
}

/// The scope names a CONN_INSUFFICIENT_SCOPES status lists, as the server wrote them.
fn missing_scopes(status: &ApiStatus) -> Option<String> {
    for text in [&status.details, &status.description] {
        let lower = text.to_lowercase();
        if let Some(at) = lower.find("scope") {
            let rest = &text[at..];
            if let Some(colon) = rest.find(':') {
                let list = rest[colon + 1..].trim().trim_end_matches('.');
                if !list.is_empty() {
                    return Some(list.to_owned());
                }
            }
        }
    }
    None
}

impl fmt::Display for ClarifaiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: Clarifai status {}", self.rpc, self.code)?;
        if !self.status.description.is_empty() {
            write!(f, ": {}", self.status.description)?;
        }
        if !self.status.details.is_empty() {
            write!(f, " ({})", self.status.details)?;
        }
        if !self.status.req_id.is_empty() {
            write!(f, " [req_id {}]", self.status.req_id)?;
        }
        if let Some(advice) = self.advice() {
            write!(f, "; {advice}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ClarifaiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClarifaiError")
            .field("rpc", &self.rpc)
            .field("code", &self.code)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}
