//! One error type for everything the crate does: configuration, credentials, transport, gRPC
//! status and Clarifai's in-band status.
//!
//! No variant ever holds a secret: credential errors say *what* is wrong with a value, never the
//! value itself.

use std::any::Any;

use std::path::PathBuf;
use std::time::Duration;

use crate::api::status::StatusCode;

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

    /// A proxy URL (from `ClientBuilder::proxy` or the environment) could not be used. The
    /// password, if the URL had one, is not shown.
    #[error("invalid proxy {proxy:?}: {reason}")]
    InvalidProxy {
        /// The proxy URL, its password redacted.
        proxy: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A local file (an input to upload or predict on) could not be read. `?` makes one of
    /// [`api::ReadFileError`](crate::api::ReadFileError), what
    /// [`Input::from_file`](crate::api::Input::from_file) returns.
    #[error("cannot read {}: {source}", .path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// The endpoint could not be used.
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A reference to a model, app or workflow (a clarifai.com URL or `user/app/id` text) could
    /// not be read. Nothing was sent.
    #[error("invalid Clarifai reference: {0}")]
    InvalidReference(#[from] crate::UrlError),

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

    /// A server or bidi stream sent no message for longer than
    /// [`ClientBuilder::stream_idle_timeout`](crate::ClientBuilder::stream_idle_timeout); it was
    /// dropped, and ends with this error.
    #[error(
        "{rpc}: the stream sent nothing for {idle:?} and was dropped; raise the limit with \
         ClientBuilder::stream_idle_timeout(..)"
    )]
    StreamIdle {
        /// The rpc.
        rpc: &'static str,
        /// The idle limit that ran out.
        idle: Duration,
    },

    /// A `blocking::ClarifaiClient` (feature `blocking`) was built or called, or one of its
    /// iterators read, on a thread inside a tokio runtime, where waiting would stall the runtime.
    /// A call is refused before anything is sent; an iterator ends with this error. Use the async
    /// [`ClarifaiClient`](crate::ClarifaiClient) there, or a thread of your own
    /// (`std::thread::spawn`).
    #[error(
        "blocking::ClarifaiClient: {method} was called inside a tokio runtime, where blocking \
         would stall it. Use the async ClarifaiClient there, or call it from a thread of your \
         own (std::thread::spawn)"
    )]
    BlockingInAsync {
        /// The blocking method (`list_models`, `ClientBuilder::build`, `ResponseIter::next`, ...).
        method: &'static str,
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

    /// The connection failed beneath gRPC: no connection, a TLS failure, a stream the server
    /// refused, a connection lost mid-call. [`TransportFault`] says which, and whether the server
    /// can have processed the request; the causes (hyper, h2, io, rustls errors) are the
    /// [`source`](std::error::Error::source) chain.
    #[error("{rpc}: {fault}{}", describe_detail(.fault, .detail, .host.as_deref()))]
    Transport {
        /// The rpc ("" when not known).
        rpc: &'static str,
        /// What happened.
        fault: TransportFault,
        /// The innermost cause in its own words, e.g. "Connection reset by peer (os error 104)".
        detail: String,
        /// The server's host, for certificate faults.
        host: Option<String>,
        /// The status tonic made of the failure, whose source chain holds the causes.
        #[source]
        status: Box<tonic::Status>,
    },

    /// The server answered with gRPC OK but a response with no `status`. Clarifai always sets
    /// one, so the response cannot be taken for a success (the official clients compare
    /// `status.code` with SUCCESS, and fail it too). The response is kept.
    #[error(
        "{rpc}: the response has no status, so it cannot be taken for a success (a server or \
         proxy that is not Clarifai's?)"
    )]
    MissingStatus {
        /// The rpc.
        rpc: &'static str,
        /// The decoded response, as its concrete type: see [`Error::response`].
        response: Box<dyn Any + Send + Sync>,
    },

    /// The server answered with a gRPC status other than OK.
    #[error("{rpc}: gRPC {}: {}", code_name(.status.code()), .status.message())]
    Grpc {
        /// The rpc ("" when not known).
        rpc: &'static str,
        /// The gRPC status, with its metadata and source.
        status: Box<tonic::Status>,
    },

    /// A header for [`CallOptions::metadata`](crate::CallOptions::metadata) that HTTP cannot
    /// carry. The value is never shown.
    #[error("invalid metadata {name:?}: {reason}")]
    InvalidMetadata {
        /// The header's name.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },

    /// A client was built outside a tokio runtime: build it inside one (`#[tokio::main]`,
    /// `Runtime::block_on`), or use the blocking client.
    #[error(
        "ClientBuilder::build must be called inside a tokio runtime (#[tokio::main], \
         Runtime::block_on), or use blocking::ClarifaiClient"
    )]
    NoRuntime,

    /// The server answered with gRPC OK, but Clarifai's in-band status is not SUCCESS.
    #[error("{0}")]
    Clarifai(Box<ClarifaiError>),

    /// A model method call refused before anything was sent (an unknown method, a missing,
    /// unknown or wrong-typed argument, ...), or an answer that does not fit its signature.
    #[error("{0}")]
    Method(Box<crate::methods::MethodError>),
}

fn code_name(code: tonic::Code) -> String {
    format!("{code:?}")
}

/// What a [`TransportFault`]'s Display leaves out: the cause's own words and, for certificates,
/// the host and what to do.
fn describe_detail(fault: &TransportFault, detail: &str, host: Option<&str>) -> String {
    let mut out = String::new();
    if fault.is_certificate() {
        match host {
            Some(host) if *fault == TransportFault::CertificateNotValidForHost => {
                out.push_str(&format!(" {host}"))
            }
            Some(host) => out.push_str(&format!(" (host {host})")),
            None => {}
        }
        if !detail.is_empty() {
            out.push_str(&format!(": {detail}"));
        }
        if *fault == TransportFault::CertificateNotTrusted {
            out.push_str(
                "; trust its CA with ClientBuilder::ca_certificate(..) or \
                 CLARIFAI_ROOT_CERTIFICATES_PATH",
            );
        }
    } else if !detail.is_empty() {
        out.push_str(&format!(" ({detail})"));
    }
    out
}

impl Error {
    /// Builds an [`Error`] from a gRPC status, classifying size-limit failures.
    pub(crate) fn from_status(rpc: &'static str, status: tonic::Status) -> Self {
        // By what the client's own encoder or decoder saw (the status's source), never by the
        // words: a server's "quota exceeds" is not a size limit.
        if let Some(limit) = crate::client::SizeLimit::of(&status) {
            return Error::MessageTooLarge {
                rpc,
                detail: limit.to_string(),
                status: Box::new(status),
            };
        }
        if let Some((fault, detail)) = transport_fault(&status) {
            return Error::Transport {
                rpc,
                fault,
                detail,
                host: None,
                status: Box::new(status),
            };
        }
        Error::Grpc {
            rpc,
            status: Box::new(status),
        }
    }

    /// Names the server's host in a certificate failure (the only fault whose Display needs
    /// it).
    pub(crate) fn with_host(mut self, endpoint: Option<&str>) -> Self {
        if let Error::Transport { fault, host, .. } = &mut self
            && fault.is_certificate()
            && let Some(endpoint) = endpoint
        {
            let authority = endpoint
                .split_once("://")
                .map_or(endpoint, |(_, rest)| rest);
            let authority = authority.split('/').next().unwrap_or(authority);
            let name = match authority.rsplit_once(':') {
                Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
                _ => authority,
            };
            *host = Some(name.to_owned());
        }
        self
    }

    /// The gRPC status the server answered with, when the failure was one (or a message over
    /// the size limit). A [`Transport`](Error::Transport) failure has none: see
    /// [`transport_fault`](Error::transport_fault), and [`grpc_code`](Error::grpc_code) for the
    /// code gRPC would give it.
    pub fn grpc_status(&self) -> Option<&tonic::Status> {
        match self {
            Error::Grpc { status, .. } | Error::MessageTooLarge { status, .. } => Some(status),
            _ => None,
        }
    }

    /// The gRPC code of a failed call: the server's status code; UNAVAILABLE for a transport
    /// failure (as gRPC clients report them; CANCELLED is never used for one, since the caller
    /// cancelled nothing); DEADLINE_EXCEEDED for [`Error::Timeout`]. `None` for failures that
    /// are not about a call's gRPC outcome (configuration, credentials, in-band status).
    pub fn grpc_code(&self) -> Option<tonic::Code> {
        match self {
            Error::Grpc { status, .. } | Error::MessageTooLarge { status, .. } => {
                Some(status.code())
            }
            Error::Transport { .. } => Some(tonic::Code::Unavailable),
            Error::Timeout { .. } | Error::StreamIdle { .. } => Some(tonic::Code::DeadlineExceeded),
            _ => None,
        }
    }

    /// What went wrong beneath gRPC, for a [`Transport`](Error::Transport) failure.
    pub fn transport_fault(&self) -> Option<TransportFault> {
        match self {
            Error::Transport { fault, .. } => Some(*fault),
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
    /// `MultiOutputResponse`, whose outputs survive a MIXED_STATUS), or the response that had no
    /// status at all ([`Error::MissingStatus`]).
    pub fn response<T: 'static>(&self) -> Option<&T> {
        match self {
            Error::Clarifai(e) => e.response::<T>(),
            Error::MissingStatus { response, .. } => response.downcast_ref::<T>(),
            _ => None,
        }
    }

    /// Takes the response a non-SUCCESS status (or no status) came with out of the error, as its
    /// concrete type: for a batch, where MIXED_STATUS is data, not failure. Any other error, or
    /// another type, comes back as the error.
    ///
    /// ```no_run
    /// # use clarifai_tonic::{api, ClarifaiClient, Error};
    /// # async fn run(client: ClarifaiClient, request: api::PostInputsRequest) -> Result<(), Error> {
    /// let response = match client.post_inputs(request).await {
    ///     Err(e) if e.is_mixed_status() => e.into_response::<api::MultiInputResponse>()?,
    ///     other => other?,
    /// };
    /// for failed in response.failures() {
    ///     eprintln!("{}: {}", failed.id, failed.status.description);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn into_response<T: 'static>(self) -> Result<T, Error> {
        match self {
            Error::Clarifai(e) => e.into_response::<T>().map_err(Error::Clarifai),
            Error::MissingStatus { rpc, response } => match response.downcast::<T>() {
                Ok(response) => Ok(*response),
                Err(response) => Err(Error::MissingStatus { rpc, response }),
            },
            other => Err(other),
        }
    }

    /// The rpc that failed, when known.
    pub fn rpc(&self) -> Option<&'static str> {
        match self {
            Error::PatRequired { rpc }
            | Error::MissingAppId { rpc }
            | Error::Timeout { rpc, .. }
            | Error::MessageTooLarge { rpc, .. }
            | Error::MissingStatus { rpc, .. }
            | Error::StreamIdle { rpc, .. }
            | Error::Transport { rpc, .. }
            | Error::Grpc { rpc, .. } => Some(*rpc).filter(|r| !r.is_empty()),
            Error::Clarifai(e) => Some(e.rpc),
            _ => None,
        }
    }

    /// Whether trying again later may succeed: gRPC UNAVAILABLE, a transport failure other than
    /// a certificate problem, and Clarifai's throttling and model-warming codes
    /// ([`DEFAULT_RETRY_CODES`](crate::DEFAULT_RETRY_CODES)). Whether the client *does* retry
    /// also depends on the rpc: see [`RetryPolicy`](crate::RetryPolicy).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Grpc { status, .. } => status.code() == tonic::Code::Unavailable,
            Error::Transport { fault, .. } => !fault.is_permanent(),
            Error::Clarifai(e) => crate::client::retry::DEFAULT_RETRY_CODES.contains(&e.code.0),
            _ => false,
        }
    }

    /// Whether the failure is about credentials or permissions: a key or token rejected or
    /// missing, missing scopes, a permission denied, an auth method disabled, a PAT needed, or
    /// unusable credentials given to this crate. Not throttling ([`is_rate_limited`]) nor a
    /// malformed request ([`is_invalid_request`]).
    ///
    /// [`is_rate_limited`]: Error::is_rate_limited
    /// [`is_invalid_request`]: Error::is_invalid_request
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
            Error::Clarifai(e) => e.code.group() == Some(CodeGroup::Auth),
            _ => false,
        }
    }

    /// Whether the account is being throttled or is over a usage limit (CONN_EXCEED_HOURLY_LIMIT,
    /// CONN_EXCEED_MONTHLY_LIMIT, CONN_THROTTLED, CONN_EXCEEDS_LIMITS), or the server said
    /// RESOURCE_EXHAUSTED.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Error::Grpc { status, .. } => status.code() == tonic::Code::ResourceExhausted,
            Error::Clarifai(e) => e.code.group() == Some(CodeGroup::RateLimited),
            _ => false,
        }
    }

    /// Whether the server could not make sense of the request: a bad request format, a path or
    /// method it does not have, an invalid range (the CONN_* request codes), or gRPC
    /// INVALID_ARGUMENT / UNIMPLEMENTED.
    pub fn is_invalid_request(&self) -> bool {
        match self {
            Error::Grpc { status, .. } => matches!(
                status.code(),
                tonic::Code::InvalidArgument | tonic::Code::Unimplemented
            ),
            Error::Clarifai(e) => e.code.group() == Some(CodeGroup::InvalidRequest),
            _ => false,
        }
    }

    /// Whether some items of a batch failed and the others did not (MIXED_STATUS): the
    /// response, with every item's own status, is in the error ([`Error::into_response`]).
    pub fn is_mixed_status(&self) -> bool {
        self.clarifai()
            .is_some_and(|e| e.code == StatusCode::MixedStatus)
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
            Error::Timeout { .. } | Error::StreamIdle { .. } => true,
            Error::Grpc { status, .. } => status.code() == tonic::Code::DeadlineExceeded,
            _ => false,
        }
    }
}

/// [`Error::ReadFile`], with the same path and I/O error, so that `Input::from_file(path)?` works
/// in a function that returns [`Error`].
impl From<crate::api::ReadFileError> for Error {
    fn from(e: crate::api::ReadFileError) -> Self {
        let (path, source) = e.into_parts();
        Error::ReadFile { path, source }
    }
}

mod codes;
mod transport;

pub use codes::{ClarifaiCode, ClarifaiError, CodeGroup};
pub use transport::TransportFault;
pub(crate) use transport::transport_fault;
