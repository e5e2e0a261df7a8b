//! [`ClarifaiClient`]: the generated client with credentials, `user_app_id` filling, deadlines,
//! retries, Clarifai's in-band status turned into [`Error`], pagination and streaming helpers.
//!
//! A call travels through these files in order: [`builder`] made the client and its
//! [`transport`] (with [`endpoint`] checking where it goes, and [`connect`] opening each
//! connection); [`call`] prepares the request (credentials, the PAT-only check, `user_app_id`)
//! and runs the attempts that [`crate::retry`] decides, each bounded by [`deadline`]; [`stream`]
//! and [`paginate`] build the streaming and paging calls on the same pieces.

pub(crate) mod auth;
mod builder;
mod call;
pub(crate) mod codec;
mod deadline;
mod endpoint;
mod limits;
mod options;
mod paginate;
pub(crate) mod retry;
mod stream;
mod transport;

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_core::Stream;
use http::HeaderValue;
use tonic::codec::CompressionEncoding;
use tonic::transport::Channel;

use crate::api::v2_client::V2Client;
use crate::client::auth::{AuthInterceptor, AuthService, CredentialSource};
use crate::{Credentials, Error, RetryPolicy, RotatingCredentials};

pub use builder::ClientBuilder;
#[allow(unused_imports)] // used by the blocking builder
pub(crate) use builder::client_builder_setters;

pub(crate) use limits::SizeLimit;
pub use options::CallOptions;
pub(crate) use transport::ProxyError;
pub use transport::Transport;
pub(crate) use transport::{KeepaliveTimedOut, NotSent};

/// The default endpoint: Clarifai's public API, over TLS.
pub const DEFAULT_ENDPOINT: &str = "https://api.clarifai.com:443";
/// The default cap on a message's size, each way: 1 GiB, as in Clarifai's Python client.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 30;
/// The default per-call deadline.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// The default for [`ClientBuilder::stream_idle_timeout`]: the longest a stream may go without a
/// message once started.
pub const DEFAULT_STREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// The default page size of the `list_*_stream` helpers when the request leaves `per_page` at 0.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// How long a connection may take to be made, by default
/// ([`ClientBuilder::connect_timeout`]).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP/2 keepalive ping interval, by default ([`ClientBuilder::keepalive`]).
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(30);

/// How long a keepalive ping may wait for its answer before the connection counts as dead.
pub(crate) const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// A stream of responses (or of a List rpc's items, page after page), each checked for
/// Clarifai's in-band status; a failure is its last item.
///
/// Read it with [`StreamExt`](crate::StreamExt) (re-exported from `futures-util`, so no other
/// crate is needed): `while let Some(item) = stream.next().await { let item = item?; .. }`, or
/// gather it with [`TryStreamExt::try_collect`](crate::TryStreamExt::try_collect).
///
/// ```no_run
/// use clarifai_tonic::{api, ClarifaiClient, StreamExt, TryStreamExt};
/// # async fn run(client: ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
/// let mut models = client.list_models_stream(api::ListModelsRequest::default());
/// while let Some(model) = models.next().await {
///     println!("{}", model?.id);
/// }
/// let all: Vec<api::Model> = client
///     .list_models_stream(api::ListModelsRequest::default())
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
pub type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'static>>;

/// The generated client with credentials applied, as [`ClarifaiClient::v2`] gives it.
pub type InterceptedV2Client = V2Client<AuthService<Transport>>;

/// A client for the Clarifai V2 API. Cheap to clone (clones share its HTTP/2 connection);
/// `Send + Sync`.
///
/// Every rpc has a named method (`post_model_outputs`, `list_models`, `generate_model_outputs`,
/// ...) taking the request message, or a `tonic::Request` of it to set metadata, a timeout
/// (`set_timeout`), a [`RetryPolicy`] or other [`Credentials`] (in its extensions) for that one call.
#[derive(Clone)]
pub struct ClarifaiClient {
    grpc: call::Grpc,
    transport: Transport,
    interceptor: AuthInterceptor,
    config: Arc<Config>,
}

/// The client's settings, shared by its clones.
#[derive(Clone)]
struct Config {
    timeout: Option<Duration>,
    /// Whether the caller chose `timeout` (a deadline a model's warm-up must keep to).
    timeout_set: bool,
    /// `timeout` as a `grpc-timeout` value, formatted once.
    timeout_header: Option<HeaderValue>,
    /// The longest wait between a stream's messages.
    stream_idle: Option<Duration>,
    retry: RetryPolicy,
    max_decoding: usize,
    max_encoding: usize,
    page_size: u32,
    #[cfg_attr(not(feature = "gzip"), allow(dead_code))]
    gzip: bool,
    /// The slot behind fixed credentials, so that `rotate_credentials` can reach it.
    rotating: Option<RotatingCredentials>,
    /// Credentials for every call, ahead of the client's ([`CallOptions::credentials`]).
    call_credentials: Option<Credentials>,
    /// Headers for every request ([`CallOptions::metadata`]), for the paths that do not use
    /// `header_block`.
    metadata: http::HeaderMap,
    /// Where the builder pointed the client (`None` for a channel given by the caller).
    endpoint: Option<String>,
    /// The proxy's `host:port`, when the connections go through one.
    proxy: Option<String>,
    /// The headers every unary call on the client's own transport starts from (content type,
    /// `te`, user agent, request-id prefix), made once.
    header_block: http::HeaderMap,
}

/// The static part of every request's headers.
fn header_block() -> http::HeaderMap {
    use http::header::{CONTENT_TYPE, TE, USER_AGENT};
    let mut block = http::HeaderMap::with_capacity(8);
    block.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    block.insert(TE, HeaderValue::from_static("trailers"));
    block.insert(USER_AGENT, transport::AGENT);
    block.insert(
        crate::client::auth::PREFIX_NAME,
        crate::client::auth::PREFIX_VALUE,
    );
    block
}

impl Config {
    /// The message limits and compression, for both clients that take them.
    fn tune<C: Tunable>(&self, client: C) -> C {
        let client = client.limits(self.max_decoding, self.max_encoding);
        #[cfg(feature = "gzip")]
        if self.gzip {
            return client.compressed(CompressionEncoding::Gzip);
        }
        client
    }
}

/// The settings that tonic's raw `Grpc` and the generated `V2Client` both take, under the
/// same names but with no trait of tonic's in common.
trait Tunable: Sized {
    fn limits(self, decoding: usize, encoding: usize) -> Self;
    #[cfg_attr(not(feature = "gzip"), allow(dead_code))]
    fn compressed(self, encoding: CompressionEncoding) -> Self;
}

impl Tunable for call::Grpc {
    fn limits(self, decoding: usize, encoding: usize) -> Self {
        self.max_decoding_message_size(decoding)
            .max_encoding_message_size(encoding)
    }
    fn compressed(self, encoding: CompressionEncoding) -> Self {
        self.send_compressed(encoding).accept_compressed(encoding)
    }
}

impl Tunable for InterceptedV2Client {
    fn limits(self, decoding: usize, encoding: usize) -> Self {
        self.max_decoding_message_size(decoding)
            .max_encoding_message_size(encoding)
    }
    fn compressed(self, encoding: CompressionEncoding) -> Self {
        self.send_compressed(encoding).accept_compressed(encoding)
    }
}

impl std::fmt::Debug for ClarifaiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClarifaiClient")
            .field("credentials", &self.interceptor)
            .field("endpoint", &self.config.endpoint)
            .field("proxy", &self.config.proxy)
            .field("timeout", &self.config.timeout)
            .field("retry", &self.config.retry)
            .finish_non_exhaustive()
    }
}

/// # Making a client
impl ClarifaiClient {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for a local model server on `127.0.0.1:port` (the SDK's
    /// `python -m clarifai.runners.server --grpc`, or this crate's own): the twin of the SDK's
    /// `ModelClient.from_local_grpc(port)`. It reads nothing from the environment, and its
    /// credentials are a placeholder, which a local server does not check; any model id names the
    /// served model.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), clarifai_tonic::Error> {
    /// let client = clarifai_tonic::ClarifaiClient::local(8000)?;
    /// let model = client.model("local")?;
    /// let answer = model.method("predict").arg("prompt", "Hi").predict().await?;
    /// # Ok(()) }
    /// ```
    pub fn local(port: u16) -> Result<Self, Error> {
        ClientBuilder::default()
            .env_lookup(|_| None)
            .endpoint(format!("http://127.0.0.1:{port}"))
            .credentials(Credentials::pat("local-model-server", "local", "local")?)
            .build()
    }

    /// A client over a channel you built (your own tower stack, an in-memory transport, ...),
    /// with default settings otherwise.
    pub fn from_channel(channel: Channel, credentials: Credentials) -> Self {
        ClientBuilder::default().finish(channel.into(), CredentialSource::Fixed(credentials))
    }

    /// [`ClarifaiClient::from_channel`] with the builder's other settings (timeouts, retries,
    /// limits); its endpoint and TLS settings are ignored.
    pub fn from_channel_with(channel: Channel, builder: ClientBuilder) -> Result<Self, Error> {
        let source = builder.credential_source()?;
        Ok(builder.finish(channel.into(), source))
    }

    fn assemble(transport: Transport, source: CredentialSource, mut config: Config) -> Self {
        // Keep a handle on rotating credentials so that `rotate_credentials` can reach them.
        let source = match source {
            CredentialSource::Fixed(c) => {
                let slot = RotatingCredentials::new(c);
                config.rotating = Some(slot.clone());
                CredentialSource::Provider(Arc::new(slot))
            }
            other => other,
        };
        let interceptor = AuthInterceptor::with_source(source);
        let grpc = config.tune(tonic::client::Grpc::new(AuthService::new(
            transport.clone(),
            interceptor.clone(),
        )));
        ClarifaiClient {
            grpc,
            transport,
            interceptor,
            config: Arc::new(config),
        }
    }

    /// The generated `V2Client`, with the credentials interceptor and this client's message
    /// limits, but nothing else: responses come back unchecked, `user_app_id` is not filled, and
    /// nothing is retried.
    pub fn v2(&self) -> InterceptedV2Client {
        self.config.tune(V2Client::new(AuthService::new(
            self.transport.clone(),
            self.interceptor.clone(),
        )))
    }

    /// The underlying HTTP/2 transport, without the credentials interceptor: for a raw
    /// `V2Client::new(client.transport())` on the same connections, or for other gRPC services
    /// behind the same endpoint. For a client made with [`from_channel`](Self::from_channel),
    /// [`Transport::channel`] gives back your channel.
    pub fn transport(&self) -> Transport {
        self.transport.clone()
    }

    /// The endpoint the builder chose (`scheme://host:port`), from the code, the environment or
    /// the CLI context; `None` for a client over a channel you gave it.
    pub fn endpoint(&self) -> Option<&str> {
        self.config.endpoint.as_deref()
    }

    /// The wait before retry number `attempt` under the client's policy.
    /// The client's default deadline, when the caller set it (`Some(None)`: no deadline).
    pub(crate) fn explicit_timeout(&self) -> Option<Option<Duration>> {
        self.config.timeout_set.then_some(self.config.timeout)
    }

    /// The client's deadline per call.
    pub(crate) fn default_timeout(&self) -> Option<Duration> {
        self.config.timeout
    }

    /// The client's retry policy.
    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.config.retry
    }

    pub(crate) fn retry_delay(&self, attempt: u32) -> Duration {
        self.config.retry.delay(attempt)
    }

    /// The proxy the client connects through (`host:port`), when it uses one.
    pub fn proxy(&self) -> Option<&str> {
        self.config.proxy.as_deref()
    }

    /// The credentials calls use now.
    pub fn credentials(&self) -> Credentials {
        self.interceptor.source().current()
    }

    /// Replaces the credentials for every call that starts from now on, in this client and its
    /// clones. Returns `false` (and changes nothing) when the client was built with your own
    /// [`CredentialProvider`](crate::CredentialProvider): rotate through it
    /// instead.
    pub fn rotate_credentials(&self, credentials: Credentials) -> bool {
        match &self.config.rotating {
            Some(slot) => {
                slot.rotate(credentials);
                true
            }
            None => false,
        }
    }

    /// A client sharing this one's connection, with other credentials.
    pub fn with_credentials(&self, credentials: Credentials) -> Self {
        let config = Config {
            rotating: None,
            ..(*self.config).clone()
        };
        Self::assemble(
            self.transport.clone(),
            CredentialSource::Fixed(credentials),
            config,
        )
    }
}

// The named methods, one `impl` block per API domain. Each takes anything that is
// `tonic::IntoRequest` of its request: the message itself, or a `tonic::Request` of it carrying
// metadata, a timeout, or a `RetryPolicy` / `Credentials` in its extensions.
include!(concat!(env!("OUT_DIR"), "/client_methods.rs"));
