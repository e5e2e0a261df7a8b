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

/// What went wrong beneath gRPC, read from the failure's source chain (tonic, hyper, h2, io and
/// rustls errors, never message text). Each says whether the server can have processed the
/// request ([`never_processed`](Self::never_processed)), which decides the retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportFault {
    /// No connection could be made (refused, unreachable, a failed name lookup, a connect
    /// timeout). Nothing was sent.
    Connect,
    /// The TLS handshake failed, for a reason other than the server's certificate. Nothing was
    /// sent.
    Handshake,
    /// The server's certificate is not signed by a trusted root. Permanent: not retried.
    CertificateNotTrusted,
    /// The HTTP proxy answered CONNECT with this status instead of 200: nothing was sent to
    /// the server. Permanent for 407 (authentication) and 403 (forbidden); worth another try
    /// otherwise (a 502 or 503 from the proxy).
    ProxyRefused(u16),
    /// The server's certificate does not cover the host. Permanent: not retried.
    CertificateNotValidForHost,
    /// The server's certificate is unusable otherwise (expired, not yet valid, revoked, ...).
    /// Permanent: not retried.
    CertificateInvalid,
    /// The server refused the stream (HTTP/2 REFUSED_STREAM): not processed.
    RefusedStream,
    /// The server was closing the connection (HTTP/2 GOAWAY) and excluded this stream: not
    /// processed.
    GoAway,
    /// The connection had closed before the request could be sent on it: never sent.
    NotSent,
    /// The connection broke after the request was sent: it may have been processed.
    ConnectionLost,
    /// The server reset the stream (HTTP/2 RST_STREAM, with this reason code) after taking the
    /// request: it may have been processed.
    Reset(u32),
    /// The connection's keepalive ping went unanswered, so the connection was dropped: the
    /// request may have been processed.
    KeepaliveTimeout,
    /// The response's headers were larger than this client accepts: it was processed.
    HeadersTooLarge,
    /// Another transport failure: it may have been processed.
    Other,
}

impl TransportFault {
    /// Whether the request certainly never reached the server's application, so that sending it
    /// again is safe for every rpc (a *transparent* retry, in gRPC's terms).
    pub fn never_processed(self) -> bool {
        matches!(
            self,
            TransportFault::Connect
                | TransportFault::ProxyRefused(_)
                | TransportFault::Handshake
                | TransportFault::RefusedStream
                | TransportFault::GoAway
                | TransportFault::NotSent
        )
    }

    /// Whether trying again cannot help: a certificate problem, a proxy that refuses the
    /// credentials or the destination (407, 403), response headers over the limit.
    pub fn is_permanent(self) -> bool {
        self.is_certificate()
            || matches!(
                self,
                TransportFault::ProxyRefused(403 | 407) | TransportFault::HeadersTooLarge
            )
    }

    /// Whether it is a problem with the server's certificate (permanent: never retried).
    pub fn is_certificate(self) -> bool {
        matches!(
            self,
            TransportFault::CertificateNotTrusted
                | TransportFault::CertificateNotValidForHost
                | TransportFault::CertificateInvalid
        )
    }
}

impl fmt::Display for TransportFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportFault::Connect => {
                f.write_str("cannot connect to the server; nothing was sent")
            }
            TransportFault::ProxyRefused(_) => {
                f.write_str("the proxy refused the tunnel; nothing was sent")
            }
            TransportFault::Handshake => f.write_str("the TLS handshake failed; nothing was sent"),
            TransportFault::CertificateNotTrusted => f.write_str("certificate not trusted"),
            TransportFault::CertificateNotValidForHost => {
                f.write_str("certificate not valid for host")
            }
            TransportFault::CertificateInvalid => f.write_str("certificate not valid"),
            TransportFault::RefusedStream => {
                f.write_str("the server refused the stream (REFUSED_STREAM); not processed")
            }
            TransportFault::GoAway => f.write_str(
                "the server was closing the connection (GOAWAY) and did not take the request; \
                 not processed",
            ),
            TransportFault::NotSent => {
                f.write_str("the connection had closed before the request was sent; not sent")
            }
            TransportFault::ConnectionLost => f.write_str(
                "the connection was lost after the request was sent, before the response; the \
                 server may have processed it",
            ),
            TransportFault::Reset(reason) => write!(
                f,
                "the server reset the stream ({}) after the request was sent; it may have \
                 processed it",
                h2_reason_name(*reason)
            ),
            TransportFault::KeepaliveTimeout => f.write_str(
                "the connection stopped answering keepalive pings; the server may have \
                 processed the request",
            ),
            TransportFault::HeadersTooLarge => f.write_str("the response headers exceed the limit"),
            TransportFault::Other => f.write_str("transport error"),
        }
    }
}

/// The name of an HTTP/2 error code (RFC 9113, section 7).
fn h2_reason_name(code: u32) -> String {
    const NAMES: [&str; 14] = [
        "NO_ERROR",
        "PROTOCOL_ERROR",
        "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR",
        "SETTINGS_TIMEOUT",
        "STREAM_CLOSED",
        "FRAME_SIZE_ERROR",
        "REFUSED_STREAM",
        "CANCEL",
        "COMPRESSION_ERROR",
        "CONNECT_ERROR",
        "ENHANCE_YOUR_CALM",
        "INADEQUATE_SECURITY",
        "HTTP_1_1_REQUIRED",
    ];
    match NAMES.get(code as usize) {
        Some(name) => (*name).to_owned(),
        None => format!("HTTP/2 error {code:#x}"),
    }
}

/// Reads a failed call's source chain: `None` when the status came from the server (it has no
/// source) or is tonic's own deadline; else what happened and the innermost cause's words.
fn transport_fault(status: &tonic::Status) -> Option<(TransportFault, String)> {
    use std::error::Error as _;
    let first = status.source()?;
    let mut seen = Seen::default();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(first);
    let mut innermost = first;
    // Bounded: a source chain is short, but nothing stops a cycle.
    for _ in 0..32 {
        let Some(err) = next else { break };
        innermost = err;
        if err.is::<tonic::TimeoutExpired>() {
            return None;
        }
        seen.note(err);
        // An io::Error hides its inner error from `source()`: look at it directly.
        next = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => {
                let inner: &(dyn std::error::Error + 'static) = inner;
                Some(inner)
            }
            None => err.source(),
        };
    }
    let detail = seen.detail.take().unwrap_or_else(|| innermost.to_string());
    Some((seen.fault(), detail))
}

/// What a walk down a source chain found.
#[derive(Default)]
struct Seen {
    connect: bool,
    proxy: Option<TransportFault>,
    /// Words that say it better than the innermost cause's (a proxy's failure names the proxy).
    detail: Option<String>,
    certificate: Option<TransportFault>,
    tls: bool,
    not_sent: bool,
    keepalive: bool,
    io: bool,
    h2: Option<TransportFault>,
}

impl Seen {
    fn note(&mut self, err: &(dyn std::error::Error + 'static)) {
        if err.is::<tonic::ConnectError>() {
            self.connect = true;
        } else if let Some(e) = err.downcast_ref::<crate::client::ProxyError>() {
            self.proxy = Some(match e.refused_with() {
                Some(status) => TransportFault::ProxyRefused(status),
                None => TransportFault::Connect,
            });
            self.detail = Some(e.to_string());
        } else if err.is::<crate::client::NotSent>() {
            self.not_sent = true;
        } else if err.is::<crate::client::KeepaliveTimedOut>() {
            self.keepalive = true;
        } else if let Some(e) = err.downcast_ref::<hyper::Error>() {
            self.not_sent |= e.is_canceled() || e.is_closed();
            self.keepalive |= e.is_timeout();
        } else if let Some(e) = err.downcast_ref::<h2::Error>() {
            self.h2 = self.h2.or(h2_fault(e));
            self.io |= e.is_io();
        } else if err.is::<std::io::Error>() {
            self.io = true;
        } else {
            #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
            if let Some(e) = err.downcast_ref::<rustls::Error>() {
                self.tls = true;
                self.certificate = self.certificate.or(certificate_fault(e));
            }
        }
    }

    fn fault(&self) -> TransportFault {
        if let Some(cert) = self.certificate {
            cert
        } else if let Some(proxy) = self.proxy {
            proxy
        } else if self.connect {
            if self.tls {
                TransportFault::Handshake
            } else {
                TransportFault::Connect
            }
        } else if self.not_sent {
            TransportFault::NotSent
        } else if let Some(fault) = self.h2 {
            fault
        } else if self.keepalive {
            TransportFault::KeepaliveTimeout
        } else if self.io {
            TransportFault::ConnectionLost
        } else {
            TransportFault::Other
        }
    }
}

/// What an h2 error says of the stream, when it says anything more than an io failure.
fn h2_fault(e: &h2::Error) -> Option<TransportFault> {
    let reason = e.reason()?;
    if e.is_remote() && e.is_reset() {
        Some(if reason == h2::Reason::REFUSED_STREAM {
            TransportFault::RefusedStream
        } else {
            TransportFault::Reset(reason.into())
        })
    } else if e.is_remote() && e.is_go_away() {
        // h2 fails a stream with the peer's GOAWAY only when its last_stream_id excludes the
        // stream, or when the stream was to open after it; streams the server kept fail later
        // with an io error if the connection closes under them.
        Some(TransportFault::GoAway)
    } else if e.is_library() && e.is_reset() && reason == h2::Reason::REFUSED_STREAM {
        // h2 refuses a response on its own only when its header block is over the limit.
        Some(TransportFault::HeadersTooLarge)
    } else {
        None
    }
}

#[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
fn certificate_fault(e: &rustls::Error) -> Option<TransportFault> {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => {
            Some(TransportFault::CertificateNotTrusted)
        }
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => Some(TransportFault::CertificateNotValidForHost),
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
            Some(TransportFault::CertificateInvalid)
        }
        _ => None,
    }
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
            Error::Clarifai(e) => crate::retry::DEFAULT_RETRY_CODES.contains(&e.code.0),
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
            Error::Grpc { status, .. } => {
                status.code() == tonic::Code::DeadlineExceeded
                    || (status.code() == tonic::Code::Cancelled
                        && status.message() == "Timeout expired")
            }
            _ => false,
        }
    }
}

/// The groups of Clarifai status codes a caller can act on, each with its own advice in the
/// error's Display. Decided by the codes' names in the protos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodeGroup {
    /// Credentials and permissions: a key or token invalid, missing or without the scopes, an
    /// auth method disabled, a permission denied.
    Auth,
    /// Throttling and usage limits.
    RateLimited,
    /// A request the server could not make sense of: its format, path, method or range.
    InvalidRequest,
    /// The account itself: its standing, its tier, consent it has not given.
    Account,
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

    /// The group a caller can act on, when the code belongs to one.
    #[allow(deprecated)] // CONN_TOKEN_INVALID: deprecated, but servers may still send it
    pub fn group(self) -> Option<CodeGroup> {
        use StatusCode as C;
        let code = self.known()?;
        Some(match code {
            C::ConnTokenInvalid
            | C::ConnCredentialsInvalid
            | C::ConnInsufficientScopes
            | C::ConnKeyInvalid
            | C::ConnKeyNotFound
            | C::ConnInvalidRequest
            | C::ConnAuthMethodDisabled => CodeGroup::Auth,
            C::ConnExceedHourlyLimit
            | C::ConnExceedMonthlyLimit
            | C::ConnThrottled
            | C::ConnExceedsLimits => CodeGroup::RateLimited,
            C::ConnBadRequestFormat
            | C::ConnDoesNotExist
            | C::ConnMethodNotAllowed
            | C::ConnInvalidRange => CodeGroup::InvalidRequest,
            C::ConnAccountIssues | C::ConnNoGdprConsent => CodeGroup::Account,
            _ if code.as_str_name().ends_with("_PERMISSION_DENIED") => CodeGroup::Auth,
            _ => return None,
        })
    }

    /// Whether this is a credentials or permissions code ([`CodeGroup::Auth`]).
    pub fn is_auth(self) -> bool {
        self.group() == Some(CodeGroup::Auth)
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

    /// Plain-words advice for the code's [`CodeGroup`]: what to check or do.
    pub fn advice(&self) -> Option<String> {
        let code = self.code;
        let is = |c: StatusCode| code == c;
        let advice = match code.group()? {
            CodeGroup::Auth => {
                let text =
                    format!("{} {}", self.status.description, self.status.details).to_lowercase();
                if is(StatusCode::ConnInsufficientScopes) || text.contains("scope") {
                    match missing_scopes(&self.status) {
                        Some(scopes) => format!(
                            "the key lacks the scopes {scopes}: add them to the key in the \
                             Clarifai portal, or use a PAT"
                        ),
                        None => "the key lacks a scope this rpc needs (see \
                                 clarifai_tonic::rpc::find(..).scopes), or use a PAT"
                            .into(),
                    }
                } else if is(StatusCode::ConnInvalidRequest) || text.contains("invalid request") {
                    "no usable key reached the server: set credentials on the client (for \
                     example Credentials::from_env()) and check that no proxy strips the \
                     authorization header"
                        .into()
                } else if is(StatusCode::ConnAuthMethodDisabled) {
                    "this way of authenticating is disabled for the account: use another kind of \
                     credentials"
                        .into()
                } else if code
                    .name()
                    .is_some_and(|n| n.ends_with("_PERMISSION_DENIED"))
                {
                    "the credentials may not touch this resource: check that user_id/app_id name \
                     an app the key can reach, and the key's scopes"
                        .into()
                } else {
                    "the key was not recognised: check that the PAT or API key is current, \
                     copied whole, and sent to the right endpoint"
                        .into()
                }
            }
            CodeGroup::RateLimited => {
                if is(StatusCode::ConnExceedMonthlyLimit) || is(StatusCode::ConnExceedsLimits) {
                    "the account is over a usage limit: raise the plan's limits, or wait for the \
                     period to end"
                        .into()
                } else {
                    "the account is being rate limited: slow down, or retry later".into()
                }
            }
            CodeGroup::InvalidRequest => "the server could not make sense of the request: check \
                                          that this crate's protos match the endpoint's API"
                .into(),
            CodeGroup::Account => "check the account's standing in the Clarifai portal".into(),
        };
        Some(advice)
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
