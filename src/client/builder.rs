//! [`ClientBuilder`]: the client's settings, each defaulted, and the channel built from them.

use std::sync::Arc;
use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

use super::deadline::grpc_timeout_value;
use super::endpoint::{configure_tls, endpoint_from_env, parse_endpoint};
use super::{ClarifaiClient, Config, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_PAGE_SIZE, DEFAULT_TIMEOUT};
use crate::intercept::CredentialSource;
use crate::{CredentialProvider, Credentials, Error, RetryPolicy};

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
    /// then [`DEFAULT_ENDPOINT`](crate::DEFAULT_ENDPOINT).
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
        let source = self.credential_source()?;
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

    /// The credentials to use: the builder's, else [`Credentials::from_env`]. The one place
    /// that decides it, for [`build`](Self::build) and
    /// [`ClarifaiClient::from_channel_with`].
    pub(super) fn credential_source(&self) -> Result<CredentialSource, Error> {
        match &self.source {
            Some(source) => Ok(source.clone()),
            None => Ok(CredentialSource::Fixed(Credentials::from_env()?)),
        }
    }

    /// The client over `channel`, with this builder's settings (its endpoint and TLS settings
    /// are the channel's business by now).
    pub(super) fn finish(self, channel: Channel, source: CredentialSource) -> ClarifaiClient {
        let timeout = self.timeout.unwrap_or(Some(DEFAULT_TIMEOUT));
        ClarifaiClient::assemble(
            channel,
            source,
            Config {
                timeout,
                timeout_header: timeout.map(grpc_timeout_value),
                retry: self.retry.unwrap_or_default(),
                max_decoding: self.max_decoding.unwrap_or(DEFAULT_MAX_MESSAGE_SIZE),
                max_encoding: self.max_encoding.unwrap_or(DEFAULT_MAX_MESSAGE_SIZE),
                page_size: self.page_size.unwrap_or(DEFAULT_PAGE_SIZE),
                gzip: self.gzip,
                rotating: None,
            },
        )
    }
}
