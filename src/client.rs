//! [`ClarifaiClient`]: the generated client with credentials, `user_app_id` filling, deadlines,
//! retries, Clarifai's in-band status turned into [`Error`], pagination and streaming helpers.

use std::borrow::Cow;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use http::{HeaderName, HeaderValue};
use tonic::GrpcMethod;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::metadata::MetadataMap;
use tonic::transport::{Channel, Endpoint, Uri};
use tracing::Instrument;

use crate::api::UserAppIdSet;
use crate::api::status::StatusCode;
use crate::api::v2_client::V2Client;
use crate::codec::{RawCodec, SharedMessage, peek_status_code, status_payload};
use crate::intercept::{AuthInterceptor, AuthService, CredentialSource};
use crate::rpc::{
    BidiStreamingRpc, ClientStreamingRpc, Rpc, RpcInfo, ServerStreamingRpc, UnaryRpc,
};
use crate::scope::{ClarifaiResponse, UserAppScoped};
use crate::{
    CredentialKind, CredentialProvider, Credentials, Error, RetryPolicy, RotatingCredentials,
};

/// The default endpoint: Clarifai's public API, over TLS.
pub const DEFAULT_ENDPOINT: &str = "https://api.clarifai.com:443";
/// The default cap on a message's size, each way: 1 GiB, as in Clarifai's Python client.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 30;
/// The default per-call deadline.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// The default page size of the `list_*_stream` helpers when the request leaves `per_page` at 0.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// A stream of responses, each checked for Clarifai's in-band status.
pub type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'static>>;

/// The generated client with credentials applied, as [`ClarifaiClient::v2`] gives it.
pub type InterceptedV2Client = V2Client<AuthService<Channel>>;

/// A client for the Clarifai V2 API. Cheap to clone (one shared HTTP/2 channel); `Send + Sync`.
///
/// Every rpc has a named method (`post_model_outputs`, `list_models`, `generate_model_outputs`,
/// ...) taking the request message, or a `tonic::Request` of it to set metadata, a timeout
/// (`set_timeout`), a [`RetryPolicy`] or other [`Credentials`] (in its extensions) for that one call.
#[derive(Clone)]
pub struct ClarifaiClient {
    grpc: tonic::client::Grpc<AuthService<Channel>>,
    channel: Channel,
    interceptor: AuthInterceptor,
    shared: Arc<Shared>,
}

#[derive(Clone)]
struct Shared {
    timeout: Option<Duration>,
    /// `timeout` as a `grpc-timeout` value, formatted once.
    timeout_header: Option<HeaderValue>,
    retry: RetryPolicy,
    max_decoding: usize,
    max_encoding: usize,
    page_size: u32,
    #[cfg_attr(not(feature = "gzip"), allow(dead_code))]
    gzip: bool,
    rotating: Option<RotatingCredentials>,
}

impl std::fmt::Debug for ClarifaiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClarifaiClient")
            .field("credentials", &self.interceptor)
            .field("timeout", &self.shared.timeout)
            .field("retry", &self.shared.retry)
            .finish_non_exhaustive()
    }
}

/// Builds a [`ClarifaiClient`]. The builder's settings win over the environment.
#[derive(Default)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    source: Option<CredentialSource>,
    timeout: Option<Option<Duration>>,
    connect_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    max_decoding: Option<usize>,
    max_encoding: Option<usize>,
    page_size: Option<u32>,
    allow_insecure: bool,
    ca_pem: Vec<Vec<u8>>,
    gzip: bool,
    keepalive: Option<Duration>,
    stream_window: Option<u32>,
    connection_window: Option<u32>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("has_credentials", &self.source.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The server: `https://host[:port]` (TLS), `http://host:port` (plaintext, loopback only
    /// unless [`allow_insecure`](Self::allow_insecure)), or a bare `host[:port]` (TLS).
    /// Without it: `CLARIFAI_API_BASE` (a URL), then `CLARIFAI_GRPC_BASE` (a host, TLS on 443),
    /// then [`DEFAULT_ENDPOINT`].
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Fixed credentials. Without any, [`Credentials::from_env`] is used.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.source = Some(CredentialSource::Fixed(credentials));
        self
    }

    /// Credentials that can rotate: the provider is asked on every call.
    pub fn credential_provider(mut self, provider: impl CredentialProvider) -> Self {
        self.source = Some(CredentialSource::Provider(Arc::new(provider)));
        self
    }

    /// The default per-call deadline (default [`DEFAULT_TIMEOUT`]); it bounds retries too. For a
    /// streaming call it bounds the wait for the first response.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(Some(timeout));
        self
    }

    /// No default deadline.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = Some(None);
        self
    }

    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// HTTP/2 keepalive ping interval (default 30 s).
    pub fn keepalive(mut self, interval: Duration) -> Self {
        self.keepalive = Some(interval);
        self
    }

    /// The HTTP/2 flow-control window of each call's response, in bytes (hyper's default:
    /// 2 MiB). Up to this much of a response can wait in the connection before the client reads
    /// it into one message buffer, so for responses smaller than the window their memory is
    /// briefly doubled; a smaller window trades that for throughput on large responses.
    pub fn http2_stream_window(mut self, bytes: u32) -> Self {
        self.stream_window = Some(bytes);
        self
    }

    /// The HTTP/2 flow-control window of the whole connection, in bytes (hyper's default: 5 MiB).
    pub fn http2_connection_window(mut self, bytes: u32) -> Self {
        self.connection_window = Some(bytes);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The largest response message accepted (default [`DEFAULT_MAX_MESSAGE_SIZE`]).
    pub fn max_decoding_message_size(mut self, bytes: usize) -> Self {
        self.max_decoding = Some(bytes);
        self
    }

    /// The largest request message sent (default [`DEFAULT_MAX_MESSAGE_SIZE`]).
    pub fn max_encoding_message_size(mut self, bytes: usize) -> Self {
        self.max_encoding = Some(bytes);
        self
    }

    /// The page size of the `list_*_stream` helpers when a request leaves `per_page` at 0.
    pub fn page_size(mut self, per_page: u32) -> Self {
        self.page_size = Some(per_page.max(1));
        self
    }

    /// Allows plaintext `http://` to a host that is not loopback. Off by default, so that a key
    /// is never sent in the clear by accident.
    pub fn allow_insecure(mut self, allow: bool) -> Self {
        self.allow_insecure = allow;
        self
    }

    /// Trusts one more CA certificate (PEM), for corporate proxies and private deployments.
    pub fn ca_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.ca_pem.push(pem.as_ref().to_vec());
        self
    }

    /// Compresses requests with gzip and accepts gzip responses (feature `gzip`).
    #[cfg(feature = "gzip")]
    pub fn gzip(mut self, enabled: bool) -> Self {
        self.gzip = enabled;
        self
    }

    /// Builds the client. No network traffic happens until the first call. Must run inside a
    /// tokio runtime.
    pub fn build(self) -> Result<ClarifaiClient, Error> {
        let source = match self.source.clone() {
            Some(source) => source,
            None => CredentialSource::Fixed(Credentials::from_env()?),
        };
        let raw = match self.endpoint.clone() {
            Some(e) => e,
            None => endpoint_from_env(|name| std::env::var(name).ok()),
        };
        let target = parse_endpoint(&raw, self.allow_insecure)?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::InvalidEndpoint {
                endpoint: raw,
                reason: "ClientBuilder::build must be called inside a tokio runtime".into(),
            });
        }
        let invalid = |reason: String| Error::InvalidEndpoint {
            endpoint: raw.clone(),
            reason,
        };
        let mut endpoint = Endpoint::from_shared(target.uri.to_string())
            .map_err(|e| invalid(e.to_string()))?
            .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(self.keepalive.unwrap_or(Duration::from_secs(30)))
            .keep_alive_timeout(Duration::from_secs(20))
            .keep_alive_while_idle(true)
            .initial_stream_window_size(self.stream_window)
            .initial_connection_window_size(self.connection_window)
            .user_agent(crate::intercept::REQUEST_ID_PREFIX)
            .map_err(|e| invalid(e.to_string()))?;
        if target.tls {
            endpoint = configure_tls(endpoint, &target.host, &self.ca_pem).map_err(invalid)?;
        }
        let channel = endpoint.connect_lazy();
        Ok(self.finish(channel, source))
    }

    fn finish(self, channel: Channel, source: CredentialSource) -> ClarifaiClient {
        let rotating = None;
        let timeout = self.timeout.unwrap_or(Some(DEFAULT_TIMEOUT));
        ClarifaiClient::assemble(
            channel,
            source,
            Shared {
                timeout,
                timeout_header: timeout.map(grpc_timeout_value),
                retry: self.retry.unwrap_or_default(),
                max_decoding: self.max_decoding.unwrap_or(DEFAULT_MAX_MESSAGE_SIZE),
                max_encoding: self.max_encoding.unwrap_or(DEFAULT_MAX_MESSAGE_SIZE),
                page_size: self.page_size.unwrap_or(DEFAULT_PAGE_SIZE),
                gzip: self.gzip,
                rotating,
            },
        )
    }
}

/// The endpoint a builder without [`ClientBuilder::endpoint`] uses, with the environment read
/// through `lookup`: `CLARIFAI_API_BASE` (a URL) wins over `CLARIFAI_GRPC_BASE` (a host, TLS on
/// 443), and without either it is [`DEFAULT_ENDPOINT`].
pub fn endpoint_from_env(lookup: impl Fn(&str) -> Option<String>) -> String {
    if let Some(url) = lookup("CLARIFAI_API_BASE").filter(|v| !v.trim().is_empty()) {
        return url.trim().to_owned();
    }
    if let Some(host) = lookup("CLARIFAI_GRPC_BASE").filter(|v| !v.trim().is_empty()) {
        let host = host.trim();
        return if host.contains("://") {
            host.to_owned()
        } else {
            format!("https://{host}")
        };
    }
    DEFAULT_ENDPOINT.to_owned()
}

struct Target {
    uri: Uri,
    host: String,
    tls: bool,
}

fn parse_endpoint(raw: &str, allow_insecure: bool) -> Result<Target, Error> {
    let invalid = |reason: &str| Error::InvalidEndpoint {
        endpoint: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(invalid("is empty"));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let uri: Uri = with_scheme
        .parse()
        .map_err(|e: http::uri::InvalidUri| invalid(&format!("not a URL ({e})")))?;
    let tls = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(invalid("the scheme must be https:// or http://")),
    };
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| invalid("has no host"))?
        .to_owned();
    if uri.path() != "/" && !uri.path().is_empty() || uri.query().is_some() {
        return Err(invalid(
            "a gRPC endpoint has no path or query: give scheme, host and port only",
        ));
    }
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or("");
    let after_host = authority.rsplit(']').next().unwrap_or("");
    if uri.port_u16().is_none() && after_host.contains(':') {
        return Err(invalid("the port is not a number from 0 to 65535"));
    }
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    if !tls && !allow_insecure && !is_loopback(&host) {
        return Err(invalid(
            "plaintext http:// to a host that is not loopback would send credentials in the clear; \
             use https://, or opt in with ClientBuilder::allow_insecure(true)",
        ));
    }
    let scheme = if tls { "https" } else { "http" };
    let uri = format!("{scheme}://{host}:{port}")
        .parse()
        .map_err(|e: http::uri::InvalidUri| invalid(&e.to_string()))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    Ok(Target { uri, host, tls })
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
fn configure_tls(endpoint: Endpoint, host: &str, ca_pem: &[Vec<u8>]) -> Result<Endpoint, String> {
    use tonic::transport::{Certificate, ClientTlsConfig};
    #[allow(unused_mut)]
    let mut tls = ClientTlsConfig::new().domain_name(host.to_owned());
    #[cfg(feature = "tls-native-roots")]
    {
        tls = tls.with_native_roots();
    }
    #[cfg(feature = "tls-webpki-roots")]
    {
        tls = tls.with_webpki_roots();
    }
    for pem in ca_pem {
        tls = tls.ca_certificate(Certificate::from_pem(pem));
    }
    endpoint
        .tls_config(tls)
        .map_err(|e| format!("TLS setup failed: {e}"))
}

#[cfg(not(any(feature = "tls-ring", feature = "tls-aws-lc")))]
fn configure_tls(_: Endpoint, _: &str, _: &[Vec<u8>]) -> Result<Endpoint, String> {
    Err("https:// needs TLS, and this build has none: enable the `tls-ring` or `tls-aws-lc` feature".into())
}

impl ClarifaiClient {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client over a channel you built (your own tower stack, an in-memory transport, ...),
    /// with default settings otherwise.
    pub fn from_channel(channel: Channel, credentials: Credentials) -> Self {
        ClientBuilder::default().finish(channel, CredentialSource::Fixed(credentials))
    }

    /// [`ClarifaiClient::from_channel`] with the builder's other settings (timeouts, retries,
    /// limits); its endpoint and TLS settings are ignored.
    pub fn from_channel_with(channel: Channel, builder: ClientBuilder) -> Result<Self, Error> {
        let source = match builder.source.clone() {
            Some(s) => s,
            None => CredentialSource::Fixed(Credentials::from_env()?),
        };
        Ok(builder.finish(channel, source))
    }

    fn assemble(channel: Channel, source: CredentialSource, mut shared: Shared) -> Self {
        // Keep a handle on rotating credentials so that `rotate_credentials` can reach them.
        let source = match source {
            CredentialSource::Fixed(c) => {
                let slot = RotatingCredentials::new(c);
                shared.rotating = Some(slot.clone());
                CredentialSource::Provider(Arc::new(slot))
            }
            other => other,
        };
        let interceptor = AuthInterceptor::with_source(source);
        #[allow(unused_mut)]
        let mut grpc =
            tonic::client::Grpc::new(AuthService::new(channel.clone(), interceptor.clone()))
                .max_decoding_message_size(shared.max_decoding)
                .max_encoding_message_size(shared.max_encoding);
        #[cfg(feature = "gzip")]
        if shared.gzip {
            grpc = grpc
                .send_compressed(tonic::codec::CompressionEncoding::Gzip)
                .accept_compressed(tonic::codec::CompressionEncoding::Gzip);
        }
        ClarifaiClient {
            grpc,
            channel,
            interceptor,
            shared: Arc::new(shared),
        }
    }

    /// The generated `V2Client`, with the credentials interceptor and this client's message
    /// limits, but nothing else: responses come back unchecked, `user_app_id` is not filled, and
    /// nothing is retried.
    pub fn v2(&self) -> InterceptedV2Client {
        #[allow(unused_mut)]
        let mut client = V2Client::new(AuthService::new(
            self.channel.clone(),
            self.interceptor.clone(),
        ))
        .max_decoding_message_size(self.shared.max_decoding)
        .max_encoding_message_size(self.shared.max_encoding);
        #[cfg(feature = "gzip")]
        if self.shared.gzip {
            client = client
                .send_compressed(tonic::codec::CompressionEncoding::Gzip)
                .accept_compressed(tonic::codec::CompressionEncoding::Gzip);
        }
        client
    }

    /// The underlying HTTP/2 channel, without the credentials interceptor: for a raw
    /// `V2Client::new(client.channel())` on the same connection, or for other gRPC services
    /// behind the same endpoint.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// The credentials calls use now.
    pub fn credentials(&self) -> Credentials {
        self.interceptor.source().current()
    }

    /// Replaces the credentials for every call that starts from now on, in this client and its
    /// clones. Returns `false` (and changes nothing) when the client was built with your own
    /// [`CredentialProvider`]: rotate through it instead.
    pub fn rotate_credentials(&self, credentials: Credentials) -> bool {
        match &self.shared.rotating {
            Some(slot) => {
                slot.rotate(credentials);
                true
            }
            None => false,
        }
    }

    /// A client sharing this one's connection, with other credentials.
    pub fn with_credentials(&self, credentials: Credentials) -> Self {
        let shared = Shared {
            rotating: None,
            ..(*self.shared).clone()
        };
        Self::assemble(
            self.channel.clone(),
            CredentialSource::Fixed(credentials),
            shared,
        )
    }

    /// Prepares one call: the effective credentials, the PAT-only guard, `user_app_id`. The only
    /// per-rpc code on the way out; everything after it is shared by all rpcs.
    fn prepare<R: Rpc>(&self, request: tonic::Request<R::Request>) -> Result<Prepared<'_>, Error> {
        let (metadata, extensions, mut message) = request.into_parts();
        let creds = self.own_credentials(R::INFO, &metadata, &extensions)?;
        if let Some(creds) = &creds {
            fill_user_app_id(R::INFO, creds, message.user_app_id_mut())?;
        }
        Ok(self.prepared(
            R::INFO,
            metadata,
            &extensions,
            creds,
            Arc::new(message),
            <R::Response as ClarifaiResponse>::STATUS_FIELD,
        ))
    }

    /// The credentials this call sends, or `None` when the caller set an `authorization` (or
    /// session-token) header of their own, which is then the caller's business. Refuses an API
    /// key on a PAT-only rpc.
    fn own_credentials(
        &self,
        rpc: &'static RpcInfo,
        metadata: &MetadataMap,
        extensions: &tonic::Extensions,
    ) -> Result<Option<Credentials>, Error> {
        if crate::credentials::caller_set_auth(metadata.as_ref()) {
            return Ok(None);
        }
        let creds = match extensions.get::<Credentials>() {
            Some(c) => c.clone(),
            None => self.interceptor.source().current(),
        };
        if creds.kind() == CredentialKind::ApiKey && rpc.needs_pat() {
            return Err(Error::PatRequired { rpc: rpc.name });
        }
        Ok(Some(creds))
    }

    /// The rest of [`prepare`](Self::prepare), which does not depend on the message type:
    /// deadline and retry policy.
    fn prepared(
        &self,
        rpc: &'static RpcInfo,
        metadata: MetadataMap,
        extensions: &tonic::Extensions,
        creds: Option<Credentials>,
        message: SharedMessage,
        status_field: u32,
    ) -> Prepared<'_> {
        let callers_timeout = if metadata.is_empty() {
            None
        } else {
            metadata.as_ref().get(GRPC_TIMEOUT)
        };
        let (timeout, timeout_header) = match callers_timeout {
            // The caller's own `set_timeout`: it is already in the metadata.
            Some(value) => (value.to_str().ok().and_then(parse_grpc_timeout), None),
            None => (self.shared.timeout, self.shared.timeout_header.clone()),
        };
        let retry = match extensions.get::<RetryPolicy>() {
            Some(policy) => Cow::Owned(policy.clone()),
            None => Cow::Borrowed(&self.shared.retry),
        };
        Prepared {
            rpc,
            metadata,
            message,
            status_field,
            timeout,
            timeout_header,
            retry,
            // Every attempt carries the credentials checked here, even if they rotate meanwhile.
            creds,
        }
    }

    /// Calls a unary rpc: credentials, `user_app_id`, deadline, retries, in-band status.
    pub async fn unary<R: UnaryRpc>(
        &self,
        request: tonic::Request<R::Request>,
    ) -> Result<R::Response, Error> {
        let prepared = self.prepare::<R>(request)?;
        let bytes = self.unary_bytes(prepared).await?;
        decode_checked(R::INFO.name, bytes)
    }

    /// The shared body of every unary call: attempts under one deadline, each retried while the
    /// policy says so; gives the final response's bytes (whatever its in-band status).
    async fn unary_bytes(&self, prepared: Prepared<'_>) -> Result<Bytes, Error> {
        let rpc = prepared.rpc.name;
        let span = tracing::debug_span!(
            "clarifai.call",
            rpc,
            attempt = tracing::field::Empty,
            req_id = tracing::field::Empty
        );
        let deadline = prepared.timeout.map(|t| Instant::now() + t);
        let prepared = &prepared;
        let attempts = crate::retry::with_retries(
            &prepared.retry,
            deadline,
            |attempt| {
                tracing::Span::current().record("attempt", attempt);
                self.unary_attempt(prepared, attempt, deadline)
            },
            |outcome, attempt| prepared.should_retry(outcome, attempt),
        );
        // No timer around the whole: each attempt bounds itself (see unary_attempt).
        let outcome = attempts.instrument(span.clone()).await;
        let (bytes, _) = deadline_error(rpc, prepared.timeout, deadline, outcome)?;
        record_req_id(&span, &bytes, prepared.status_field);
        Ok(bytes)
    }

    async fn unary_attempt(
        &self,
        prepared: &Prepared<'_>,
        attempt: u32,
        deadline: Option<Instant>,
    ) -> Result<(Bytes, Option<i32>), Error> {
        let rpc = prepared.rpc;
        let (name, timeout) = (rpc.name, prepared.timeout);
        let request = prepared.request(attempt, deadline, true)?;
        let mut grpc = self.grpc.clone();
        // Three phases, each within the deadline. Waiting for the channel and reading the body are
        // usually done at once, so they arm a timer only when they are not. Between them, the
        // wait for the response headers is bounded by tonic's own timer for the `grpc-timeout`
        // this request carries (which `request` set from the same deadline).
        within_deadline(name, timeout, deadline, async {
            grpc.ready()
                .await
                .map_err(|e| Error::from_status(name, transport_status(e)))
        })
        .await?;
        let mut body = grpc
            .server_streaming(request, PathAndQuery::from_static(rpc.path), RawCodec)
            .await
            .map_err(|s| Error::from_status(name, s))?
            .into_inner();
        // What tonic's unary call does after the headers: exactly one message, then the
        // trailers, whose status may still be an error.
        let bytes = within_deadline(name, timeout, deadline, async {
            let message = body
                .message()
                .await
                .map_err(|s| Error::from_status(name, s))?
                .ok_or_else(|| {
                    Error::from_status(name, tonic::Status::internal("Missing response message."))
                })?;
            body.trailers()
                .await
                .map_err(|s| Error::from_status(name, s))?;
            Ok(message)
        })
        .await?;
        let code = peek_status_code(&bytes, prepared.status_field);
        Ok((bytes, code))
    }

    /// Calls a server-streaming rpc. Retried only until the first response arrives; after that,
    /// items are checked one by one and a failure ends the stream.
    pub async fn server_streaming<R: ServerStreamingRpc>(
        &self,
        request: tonic::Request<R::Request>,
    ) -> Result<ResponseStream<R::Response>, Error> {
        let rpc = R::INFO.name;
        let prepared = self.prepare::<R>(request)?;
        let (first, rest) = self.server_streaming_bytes(prepared).await?;
        let first = first
            .map(|bytes| decode_checked::<R::Response>(rpc, bytes))
            .transpose()?;
        let head = futures_util::stream::iter(first.map(Ok));
        Ok(Box::pin(head.chain(checked(rpc, rest))))
    }

    /// The shared body of every server-streaming call: retried until the first message.
    async fn server_streaming_bytes(
        &self,
        prepared: Prepared<'_>,
    ) -> Result<(Option<Bytes>, tonic::Streaming<Bytes>), Error> {
        let rpc = prepared.rpc;
        let deadline = prepared.timeout.map(|t| Instant::now() + t);
        let prepared = &prepared;
        let attempts = crate::retry::with_retries(
            &prepared.retry,
            deadline,
            |attempt| async move {
                // No grpc-timeout: the deadline covers the wait for the first message, not the
                // stream.
                let request = prepared.request(attempt, deadline, false)?;
                let mut grpc = self.grpc.clone();
                grpc.ready()
                    .await
                    .map_err(|e| Error::from_status(rpc.name, transport_status(e)))?;
                let mut stream = grpc
                    .server_streaming(request, PathAndQuery::from_static(rpc.path), RawCodec)
                    .await
                    .map_err(|s| Error::from_status(rpc.name, s))?
                    .into_inner();
                let first = stream
                    .message()
                    .await
                    .map_err(|s| Error::from_status(rpc.name, s))?;
                let code = first
                    .as_ref()
                    .and_then(|b| peek_status_code(b, prepared.status_field));
                Ok(((first, stream), code))
            },
            |outcome, attempt| prepared.should_retry(outcome, attempt),
        );
        let (start, _) = with_deadline(rpc.name, prepared.timeout, deadline, attempts).await?;
        Ok(start)
    }

    /// Calls a bidi-streaming rpc: `user_app_id` is filled on every outgoing message, every
    /// response is checked. Not retried (the input cannot be replayed). If a message needs an app
    /// the credentials lack, sending stops there and the response stream ends with
    /// [`Error::MissingAppId`].
    pub async fn streaming<R: BidiStreamingRpc, S>(
        &self,
        requests: S,
    ) -> Result<ResponseStream<R::Response>, Error>
    where
        S: Stream<Item = R::Request> + Send + 'static,
    {
        let rpc = R::INFO.name;
        let (outgoing, failure) = self.outgoing::<R, S>(requests)?;
        let request = tonic::Request::new(outgoing);
        let mut grpc = self.grpc.clone();
        let deadline = self.shared.timeout.map(|t| Instant::now() + t);
        let start = async move {
            grpc.ready()
                .await
                .map_err(|e| Error::from_status(rpc, transport_status(e)))?;
            grpc.streaming(request, PathAndQuery::from_static(R::INFO.path), RawCodec)
                .await
                .map_err(|s| Error::from_status(rpc, s))
        };
        let stream = with_deadline(rpc, self.shared.timeout, deadline, start)
            .await?
            .into_inner();
        let tail =
            futures_util::stream::once(
                async move { failure.lock().ok().and_then(|mut f| f.take()) },
            )
            .filter_map(|e| async move { e.map(Err) });
        Ok(Box::pin(checked(rpc, stream).chain(tail)))
    }

    /// Calls a client-streaming rpc, with `user_app_id` filled on every outgoing message.
    pub async fn client_streaming<R: ClientStreamingRpc, S>(
        &self,
        requests: S,
    ) -> Result<R::Response, Error>
    where
        S: Stream<Item = R::Request> + Send + 'static,
    {
        let rpc = R::INFO.name;
        let (outgoing, failure) = self.outgoing::<R, S>(requests)?;
        let mut grpc = self.grpc.clone();
        grpc.ready()
            .await
            .map_err(|e| Error::from_status(rpc, transport_status(e)))?;
        let response = grpc
            .client_streaming(
                tonic::Request::new(outgoing),
                PathAndQuery::from_static(R::INFO.path),
                RawCodec,
            )
            .await
            .map_err(|s| Error::from_status(rpc, s));
        if let Some(e) = failure.lock().ok().and_then(|mut f| f.take()) {
            return Err(e);
        }
        decode_checked(rpc, response?.into_inner())
    }

    /// The outgoing half of a client or bidi stream, with `user_app_id` filled per message.
    #[allow(clippy::type_complexity)]
    fn outgoing<R: Rpc, S>(
        &self,
        requests: S,
    ) -> Result<
        (
            impl Stream<Item = SharedMessage> + Send + 'static,
            Arc<std::sync::Mutex<Option<Error>>>,
        ),
        Error,
    >
    where
        S: Stream<Item = R::Request> + Send + 'static,
    {
        let creds = self.credentials();
        if creds.kind() == CredentialKind::ApiKey && R::INFO.needs_pat() {
            return Err(Error::PatRequired { rpc: R::INFO.name });
        }
        let failure = Arc::new(std::sync::Mutex::new(None));
        let slot = failure.clone();
        let outgoing = requests
            .map(move |mut message| {
                let filled = fill_user_app_id(R::INFO, &creds, message.user_app_id_mut());
                filled.map(|()| Arc::new(message) as SharedMessage)
            })
            .take_while(move |item| {
                // fill_user_app_id fails only with MissingAppId, which cannot be cloned out of
                // the borrowed item; it is rebuilt for the response stream's last item.
                if item.is_err()
                    && let Ok(mut f) = slot.lock()
                {
                    *f = Some(Error::MissingAppId { rpc: R::INFO.name });
                }
                futures_util::future::ready(item.is_ok())
            })
            .filter_map(|item| futures_util::future::ready(item.ok()));
        Ok((outgoing, failure))
    }

    /// Yields every item of a paginated List rpc, fetching pages lazily: it stops after an empty
    /// or short page. `per_page` 0 means the client's page size; `page` 0 means the first.
    pub fn paginate<R, T, F>(&self, request: R::Request, items: F) -> ResponseStream<T>
    where
        R: UnaryRpc,
        R::Request: crate::scope::Paged,
        T: Send + 'static,
        F: Fn(&mut R::Response) -> Vec<T> + Send + Sync + 'static,
    {
        use crate::scope::Paged;
        let mut request = request;
        if request.per_page() == 0 {
            request.set_per_page(self.shared.page_size);
        }
        if request.page() == 0 {
            request.set_page(1);
        }
        let client = self.clone();
        let per_page = request.per_page() as usize;
        let items = Arc::new(items);
        // Decide whether to fetch another page inside the unfold, so that no request goes out
        // after the last (empty or short) page.
        let pages = futures_util::stream::unfold(Some(request), move |state| {
            let client = client.clone();
            let items = items.clone();
            async move {
                let request = state?;
                let mut next = request.clone();
                next.set_page(next.page().saturating_add(1));
                match client.unary::<R>(tonic::Request::new(request)).await {
                    Ok(mut response) => {
                        let batch = items(&mut response);
                        let more = batch.len() >= per_page && !batch.is_empty();
                        let batch: Vec<Result<T, Error>> = batch.into_iter().map(Ok).collect();
                        Some((futures_util::stream::iter(batch), more.then_some(next)))
                    }
                    Err(e) => Some((futures_util::stream::iter(vec![Err(e)]), None)),
                }
            }
        });
        let flattened = pages.flatten();
        Box::pin(flattened)
    }
}

/// The `grpc-timeout` header.
const GRPC_TIMEOUT: HeaderName = HeaderName::from_static("grpc-timeout");

/// What one call needs for each attempt. No type parameters: the transport, deadline and retry
/// code that uses it is compiled once, not once per rpc.
struct Prepared<'a> {
    rpc: &'static RpcInfo,
    metadata: MetadataMap,
    message: SharedMessage,
    /// The response type's `status` field number, for reading the in-band code undecoded.
    status_field: u32,
    timeout: Option<Duration>,
    /// `grpc-timeout` for the first attempt when the caller set none: the client's default,
    /// formatted once per client, so the header is the same on every call (HPACK then sends it
    /// as a one-byte table index, and nothing is formatted per call).
    timeout_header: Option<HeaderValue>,
    retry: Cow<'a, RetryPolicy>,
    creds: Option<Credentials>,
}

impl Prepared<'_> {
    /// A fresh request for one attempt. With `send_timeout`, it carries the time left as
    /// `grpc-timeout`.
    fn request(
        &self,
        attempt: u32,
        deadline: Option<Instant>,
        send_timeout: bool,
    ) -> Result<tonic::Request<SharedMessage>, Error> {
        let mut request = tonic::Request::new(self.message.clone());
        *request.metadata_mut() = self.metadata.clone();
        let headers = request.metadata_mut().as_mut();
        // The credentials checked in `prepare` go on as a header here, so that the
        // `AuthService` below sees them as set and adds only the request-id prefix (it would
        // otherwise resolve the credentials and run the PAT-only check a second time).
        if let Some(creds) = &self.creds {
            let (name, value) = creds.header();
            headers.insert(name.clone(), value.clone());
        }
        if let Some(deadline) = deadline.filter(|_| send_timeout) {
            if attempt == 1 {
                if let Some(value) = &self.timeout_header {
                    headers.insert(GRPC_TIMEOUT, value.clone());
                }
            } else {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Error::Timeout {
                        rpc: self.rpc.name,
                        after: self.timeout.unwrap_or_default(),
                    });
                }
                headers.insert(GRPC_TIMEOUT, grpc_timeout_value(left));
            }
        }
        request
            .extensions_mut()
            .insert(GrpcMethod::new("clarifai.api.V2", self.rpc.name));
        Ok(request)
    }

    /// Whether an attempt's outcome is worth another try: a retryable gRPC error, or a response
    /// whose in-band code the policy retries.
    fn should_retry<T>(&self, outcome: &Result<(T, Option<i32>), Error>, attempt: u32) -> bool {
        match outcome {
            Err(error) => {
                let again = self.retry.should_retry(error, attempt);
                if again {
                    tracing::debug!(rpc = self.rpc.name, attempt, %error, "attempt failed");
                }
                again
            }
            Ok((_, Some(code))) if *code != StatusCode::Success as i32 => {
                let again = self.retry.should_retry_code(*code, attempt);
                if again {
                    tracing::debug!(rpc = self.rpc.name, attempt, code, "attempt failed in-band");
                }
                again
            }
            Ok(_) => false,
        }
    }
}

/// Formats a `grpc-timeout` value, rounded up, in the finest unit that fits its 8 digits.
pub(crate) fn grpc_timeout_value(timeout: Duration) -> HeaderValue {
    const MAX: u128 = 99_999_999;
    let nanos = timeout.as_nanos();
    let text = [
        (1, 'n'),
        (1_000, 'u'),
        (1_000_000, 'm'),
        (1_000_000_000, 'S'),
        (60_000_000_000, 'M'),
    ]
    .into_iter()
    .find_map(|(per, unit)| {
        let n = nanos.div_ceil(per);
        (n <= MAX).then(|| format!("{n}{unit}"))
    })
    .unwrap_or_else(|| format!("{}H", nanos.div_ceil(3_600_000_000_000).min(MAX)));
    // Digits and one ASCII letter: always a valid header value.
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static("99999999H"))
}

fn fill_user_app_id(
    rpc: &'static RpcInfo,
    creds: &Credentials,
    slot: Option<&mut Option<UserAppIdSet>>,
) -> Result<(), Error> {
    let (Some(ids), Some(slot)) = (creds.user_app_id(), slot) else {
        return Ok(());
    };
    if !crate::scope::is_unset(slot) {
        return Ok(());
    }
    if ids.app_id.is_empty() && rpc.needs_app {
        return Err(Error::MissingAppId { rpc: rpc.name });
    }
    *slot = Some(ids.clone());
    Ok(())
}

/// Runs `call` within the deadline; running out gives [`Error::Timeout`].
async fn with_deadline<T>(
    rpc: &'static str,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    call: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let Some(deadline) = deadline else {
        return call.await;
    };
    match tokio::time::timeout_at(deadline.into(), call).await {
        Ok(result) => deadline_error(rpc, timeout, Some(deadline), result),
        Err(_) => Err(Error::Timeout {
            rpc,
            after: timeout.unwrap_or_default(),
        }),
    }
}

/// [`with_deadline`] for work that is usually done at once: it is polled once first, and the
/// timer is armed only if that leaves it pending. A timer costs as much as the rest of a small
/// call's client-side bookkeeping, and most calls never need theirs.
async fn within_deadline<T>(
    rpc: &'static str,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    call: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let mut call = std::pin::pin!(call);
    if deadline.is_some()
        && let Poll::Ready(result) =
            std::future::poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx))).await
    {
        return result;
    }
    with_deadline(rpc, timeout, deadline, call).await
}

/// tonic enforces the `grpc-timeout` a call sends, and reports running out as CANCELLED (or the
/// server as DEADLINE_EXCEEDED); at or past our deadline, that is [`Error::Timeout`].
fn deadline_error<T>(
    rpc: &'static str,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    result: Result<T, Error>,
) -> Result<T, Error> {
    match (result, deadline) {
        (Err(Error::Grpc { status, .. }), Some(deadline))
            if matches!(
                status.code(),
                tonic::Code::Cancelled | tonic::Code::DeadlineExceeded
            ) && Instant::now() + Duration::from_millis(5) >= deadline =>
        {
            Err(Error::Timeout {
                rpc,
                after: timeout.unwrap_or_default(),
            })
        }
        (result, _) => result,
    }
}

/// Records the response's `req_id` on the call's span, when anyone listens.
fn record_req_id(span: &tracing::Span, bytes: &Bytes, status_field: u32) {
    if span.is_disabled() || status_field == 0 {
        return;
    }
    if let Some(payload) = status_payload(bytes, status_field)
        && let Ok(status) = <crate::api::status::Status as prost::Message>::decode(payload)
        && !status.req_id.is_empty()
    {
        span.record("req_id", status.req_id.as_str());
    }
}

/// Decodes a response and turns a non-SUCCESS in-band status into an error that keeps it whole.
fn decode_checked<T>(rpc: &'static str, bytes: Bytes) -> Result<T, Error>
where
    T: prost::Message + Default + ClarifaiResponse + Send + Sync + 'static,
{
    let response = T::decode(bytes).map_err(|e| {
        Error::from_status(
            rpc,
            tonic::Status::internal(format!("the {rpc} response could not be decoded: {e}")),
        )
    })?;
    match response.status() {
        Some(status) if status.code != StatusCode::Success as i32 => {
            let status = status.clone();
            Err(Error::Clarifai(Box::new(crate::ClarifaiError::new(
                rpc, status, response,
            ))))
        }
        _ => Ok(response),
    }
}

fn checked<T>(
    rpc: &'static str,
    stream: tonic::Streaming<Bytes>,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: prost::Message + Default + ClarifaiResponse + Send + Sync + 'static,
{
    // A failure ends the stream: after an error item, nothing more is read.
    stream
        .map(move |item| {
            item.map_err(|s| Error::from_status(rpc, s))
                .and_then(|bytes| decode_checked(rpc, bytes))
        })
        .scan(false, |failed, item| {
            if *failed {
                return futures_util::future::ready(None);
            }
            *failed = item.is_err();
            futures_util::future::ready(Some(item))
        })
}

fn transport_status(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> tonic::Status {
    let error = error.into();
    tonic::Status::unavailable(format!("the connection is not ready: {error}"))
}

/// Parses a `grpc-timeout` value (`"5S"`, `"250m"`, ...).
fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Anything a named method accepts: a request message, or a `tonic::Request` of one.
pub trait IntoCall<T> {
    /// Wraps it as a `tonic::Request`.
    fn into_call(self) -> tonic::Request<T>;
}

impl<T> IntoCall<T> for T {
    fn into_call(self) -> tonic::Request<T> {
        tonic::Request::new(self)
    }
}

impl<T> IntoCall<T> for tonic::Request<T> {
    fn into_call(self) -> tonic::Request<T> {
        self
    }
}

include!(concat!(env!("OUT_DIR"), "/client_methods.rs"));
