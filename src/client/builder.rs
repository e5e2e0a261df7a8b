//! [`ClientBuilder`]: the client's settings, each defaulted, and the channel built from them.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::deadline::grpc_timeout_value;
use super::endpoint::{endpoint_from_lookup, parse_endpoint};
use super::transport::Transport;
#[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
use super::transport::connect::tls;
use super::transport::connect::{Connector, Keepalive, Settings};
use super::{
    ClarifaiClient, Config, DEFAULT_ENDPOINT, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_PAGE_SIZE,
    DEFAULT_STREAM_IDLE_TIMEOUT, DEFAULT_TIMEOUT,
};
use crate::client::auth::CredentialSource;
use crate::credentials::CliContext;
use crate::{Credentials, Error, RetryPolicy};

/// Builds a [`ClarifaiClient`]. The builder's settings win over the environment.
#[derive(Default)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    source: Option<CredentialSource>,
    timeout: Option<Option<Duration>>,
    stream_idle: Option<Option<Duration>>,
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
    cli_context: Option<String>,
    connections: Option<usize>,
    env: Option<Lookup>,
    proxy: crate::client::transport::proxy::ProxySetting,
}

/// How the builder reads the environment: the process's, unless [`ClientBuilder::env_lookup`].
type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("has_credentials", &self.source.is_some())
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

/// Every setter of [`ClientBuilder`], listed once: `client_builder_setters!(define_setters)`
/// writes them on the async builder, and the blocking builder forwards each one
/// (`client_builder_setters!(forward_setters)` in `blocking`), so that the two cannot drift
/// apart. Each entry: its docs and attributes, its name and arguments, then what it does to the
/// builder `b`.
macro_rules! client_builder_setters {
    ($callback:ident) => {
        $callback! {
            /// The server: `https://host[:port]` (TLS), `http://host:port` (plaintext, loopback
            /// only unless [`allow_insecure`](Self::allow_insecure)), or a bare `host[:port]`
            /// (TLS).
            ///
            /// Without it, the first of these that is set:
            /// 1. `CLARIFAI_API_BASE` (a URL) from the environment, then `CLARIFAI_GRPC_BASE` (a
            ///    host, TLS on 443);
            /// 2. the `CLARIFAI_API_BASE` of the Clarifai CLI context the credentials were read
            ///    from (never another context's; credentials from code or from the environment
            ///    have none);
            /// 3. [`DEFAULT_ENDPOINT`](crate::defaults::DEFAULT_ENDPOINT).
            endpoint(endpoint: impl Into<String>) => |b| b.endpoint = Some(endpoint.into());

            /// Takes the credentials, and the endpoint (its `CLARIFAI_API_BASE`), from this
            /// context of the Clarifai CLI's config file (`$CLARIFAI_CONFIG`, else
            /// `~/.config/clarifai/config`), instead of the environment and the file's current
            /// context. A name the file lacks is an error listing the names it has. Credentials
            /// given in code win over it.
            cli_context(name: impl Into<String>) => |b| b.cli_context = Some(name.into());

            /// Reads the environment (`CLARIFAI_*`, `HOME`) through `lookup` instead of the
            /// process's: for tests, or for settings kept elsewhere.
            env_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static)
                => |b| b.env = Some(std::sync::Arc::new(lookup));

            /// Fixed credentials. Without any, [`Credentials::from_env`](crate::Credentials::from_env)
            /// is used (or [`cli_context`](Self::cli_context)).
            credentials(credentials: crate::Credentials)
                => |b| b.source = Some(crate::client::auth::CredentialSource::Fixed(credentials));

            /// Credentials that can rotate: the provider is asked on every call.
            credential_provider(provider: impl crate::CredentialProvider)
                => |b| b.source = Some(crate::client::auth::CredentialSource::Provider(
                    std::sync::Arc::new(provider),
                ));

            /// The default per-call deadline (default [`DEFAULT_TIMEOUT`](crate::defaults::DEFAULT_TIMEOUT));
            /// it bounds retries too. For a server-streaming call it bounds the wait for the
            /// first response; for a bidi stream, only the wait for the server to take the call
            /// (its response headers), not for a first message.
            timeout(timeout: std::time::Duration) => |b| b.timeout = Some(Some(timeout));

            /// No default deadline.
            no_timeout() => |b| b.timeout = Some(None);

            /// The longest a server or bidi stream may go without a response message once it
            /// has started (default
            /// [`DEFAULT_STREAM_IDLE_TIMEOUT`](crate::defaults::DEFAULT_STREAM_IDLE_TIMEOUT), 5 minutes). A
            /// stream that stalls longer ends with [`Error::StreamIdle`](crate::Error::StreamIdle).
            /// The call's deadline bounds only the wait for a stream's first message: this bounds
            /// each wait after it, however long the stream runs in all. A stream whose silence is
            /// normal (a runner waiting for work, [`rpc::waits_for_work`](crate::rpc::waits_for_work))
            /// has none.
            stream_idle_timeout(idle: std::time::Duration) => |b| b.stream_idle = Some(Some(idle));

            /// No idle bound on streams: a stream that stalls waits for as long as the
            /// connection lives.
            no_stream_idle_timeout() => |b| b.stream_idle = Some(None);

            /// How long to wait for a connection (default
            /// [`DEFAULT_CONNECT_TIMEOUT`](crate::defaults::DEFAULT_CONNECT_TIMEOUT), 10 s).
            connect_timeout(timeout: std::time::Duration) => |b| b.connect_timeout = Some(timeout);

            /// Connects through this HTTP CONNECT proxy (`http://host:port`, or
            /// `http://user:password@host:port` to send `Proxy-Authorization: Basic`), whatever
            /// the endpoint (loopback included) and whatever the environment says. TLS to
            /// Clarifai runs inside the tunnel: the proxy sees the target host, never the key.
            /// The password never appears in Debug, errors or logs.
            ///
            /// Without it, the proxy comes from the environment, as gRPC and curl read it:
            /// `grpc_proxy` first, then `https_proxy` / `HTTPS_PROXY` for TLS endpoints or
            /// `http_proxy` / `HTTP_PROXY` for plaintext ones, except for the hosts `no_proxy` /
            /// `NO_PROXY` names (suffixes, IPs, CIDRs, `*`).
            proxy(url: impl Into<String>)
                => |b| b.proxy = crate::client::transport::proxy::ProxySetting::Url(url.into());

            /// Connects directly, whatever the environment's proxy variables say.
            no_proxy() => |b| b.proxy = crate::client::transport::proxy::ProxySetting::Off;

            /// HTTP/2 keepalive ping interval (default
            /// [`DEFAULT_KEEPALIVE`](crate::defaults::DEFAULT_KEEPALIVE), 30 s).
            keepalive(interval: std::time::Duration) => |b| b.keepalive = Some(interval);

            /// The HTTP/2 flow-control window of each call's response, in bytes (hyper's
            /// default: 2 MiB). Up to this much of a response can wait in the connection before
            /// the client reads it into one message buffer, so for responses smaller than the
            /// window their memory is briefly doubled; a smaller window trades that for
            /// throughput on large responses.
            http2_stream_window(bytes: u32) => |b| b.stream_window = Some(bytes);

            /// The HTTP/2 flow-control window of the whole connection, in bytes (hyper's
            /// default: 5 MiB).
            http2_connection_window(bytes: u32) => |b| b.connection_window = Some(bytes);

            /// How many HTTP/2 connections the client spreads its calls over, round robin
            /// (default 2; at least 1). For measuring (BENCHMARKS.md).
            #[doc(hidden)]
            http2_connections(connections: usize) => |b| b.connections = Some(connections.max(1));

            /// The retry policy (default [`RetryPolicy::default`](crate::RetryPolicy::default)).
            retry_policy(policy: crate::RetryPolicy) => |b| b.retry = Some(policy);

            /// The largest response message accepted (default
            /// [`DEFAULT_MAX_MESSAGE_SIZE`](crate::defaults::DEFAULT_MAX_MESSAGE_SIZE)).
            max_decoding_message_size(bytes: usize) => |b| b.max_decoding = Some(bytes);

            /// The largest request message sent (default
            /// [`DEFAULT_MAX_MESSAGE_SIZE`](crate::defaults::DEFAULT_MAX_MESSAGE_SIZE)).
            max_encoding_message_size(bytes: usize) => |b| b.max_encoding = Some(bytes);

            /// The page size of the `list_*_stream` helpers when a request leaves `per_page` at
            /// 0.
            page_size(per_page: u32) => |b| b.page_size = Some(per_page.max(1));

            /// Allows plaintext `http://` to a host that is not loopback. Off by default, so that
            /// a key is never sent in the clear by accident.
            allow_insecure(allow: bool) => |b| b.allow_insecure = allow;

            /// Trusts one more CA certificate (PEM), for corporate proxies and private
            /// deployments.
            ca_certificate(pem: impl AsRef<[u8]>) => |b| b.ca_pem.push(pem.as_ref().to_vec());

            /// Compresses requests with gzip and accepts gzip responses (feature `gzip`).
            #[cfg(feature = "gzip")]
            gzip(enabled: bool) => |b| b.gzip = enabled;
        }
    };
}
pub(crate) use client_builder_setters;

/// Writes the listed setters on [`ClientBuilder`].
macro_rules! define_setters {
    ($($(#[$attr:meta])* $name:ident($($arg:ident: $ty:ty),*) => |$b:ident| $body:expr;)*) => {
        impl ClientBuilder {
            $(
                $(#[$attr])*
                pub fn $name(mut self, $($arg: $ty),*) -> Self {
                    let $b = &mut self;
                    $body;
                    self
                }
            )*
        }
    };
}

client_builder_setters!(define_setters);

impl ClientBuilder {
    /// One environment variable, through [`env_lookup`](Self::env_lookup) if set; empty counts
    /// as unset (white space does not: a blank secret is reported as such).
    fn var(&self, name: &str) -> Option<String> {
        match &self.env {
            Some(lookup) => lookup(name),
            None => std::env::var(name).ok(),
        }
        .filter(|v| !v.is_empty())
    }

    /// Builds the client. No network traffic happens until the first call. Must run inside a
    /// tokio runtime.
    pub fn build(self) -> Result<ClarifaiClient, Error> {
        let source = self.credential_source()?;
        let context = match &source {
            CredentialSource::Fixed(creds) => creds.context().cloned(),
            CredentialSource::Provider(_) => None,
        };
        // The first that names one: the code, the environment, the credentials' own CLI context.
        let (raw, from_context) = match self
            .endpoint
            .clone()
            .or_else(|| endpoint_from_lookup(|name| self.var(name)))
        {
            Some(raw) => (raw, None),
            None => match context {
                Some(CliContext {
                    name,
                    path,
                    api_base: Some(raw),
                }) => (raw, Some((name, path))),
                _ => (DEFAULT_ENDPOINT.to_owned(), None),
            },
        };
        let target =
            parse_endpoint(&raw, self.allow_insecure).map_err(|e| match (e, &from_context) {
                // Say where a bad context base came from.
                (Error::InvalidEndpoint { endpoint, reason }, Some((name, path))) => {
                    Error::InvalidEndpoint {
                        endpoint,
                        reason: format!(
                            "{reason} (CLARIFAI_API_BASE in context `{name}` of {})",
                            path.display()
                        ),
                    }
                }
                (other, _) => other,
            })?;
        // The roots a deployment behind a private CA names, as Clarifai's SDK reads them; code's
        // own `ca_certificate` wins.
        // (Read only for a TLS endpoint: a plaintext one has no use for roots.)
        let env_roots = match self.var(ROOTS_VAR) {
            Some(path) if target.tls && self.ca_pem.is_empty() && !path.trim().is_empty() => {
                Some(read_roots(Path::new(path.trim()))?)
            }
            _ => None,
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        let invalid = |reason: String| Error::InvalidEndpoint {
            endpoint: raw.clone(),
            reason,
        };
        let proxy = self.proxy.resolve(&target.uri, |name| self.var(name))?;
        let settings = Settings {
            target: target.uri.clone(),
            proxy: proxy.clone(),
            connect_timeout: self
                .connect_timeout
                .unwrap_or(super::DEFAULT_CONNECT_TIMEOUT),
            keepalive: Some(Keepalive {
                interval: self.keepalive.unwrap_or(super::DEFAULT_KEEPALIVE),
                timeout: super::KEEPALIVE_TIMEOUT,
            }),
            stream_window: self.stream_window,
            connection_window: self.connection_window,
            #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
            tls: if target.tls {
                Some(
                    match &env_roots {
                        Some(roots) => tls(&target.host, std::slice::from_ref(roots), false),
                        None => tls(&target.host, &self.ca_pem, true),
                    }
                    .map_err(invalid)?,
                )
            } else {
                None
            },
        };
        #[cfg(not(any(feature = "tls-ring", feature = "tls-aws-lc")))]
        let _ = (&env_roots, &target.host);
        #[cfg(not(any(feature = "tls-ring", feature = "tls-aws-lc")))]
        if target.tls {
            return Err(invalid(
                "https:// needs TLS, and this build has none: enable the `tls-ring` or \
                 `tls-aws-lc` feature"
                    .into(),
            ));
        }
        let transport = Transport::own(
            Connector::new(settings),
            self.connections.unwrap_or(CONNECTIONS),
        );
        let mut client = self.finish(transport, source);
        if let Some(config) = Arc::get_mut(&mut client.config) {
            config.endpoint = Some(target.uri.to_string().trim_end_matches('/').to_owned());
            config.proxy = proxy.map(|p| p.addr);
        }
        Ok(client)
    }

    /// The credentials to use: the builder's, else those of its CLI context, else
    /// [`Credentials::from_env`] (through its lookup). The one place
    /// that decides it, for [`build`](Self::build) and
    /// [`ClarifaiClient::from_channel_with`].
    pub(super) fn credential_source(&self) -> Result<CredentialSource, Error> {
        let lookup = |name: &str| self.var(name);
        match (&self.source, &self.cli_context) {
            (Some(source), _) => Ok(source.clone()),
            (None, Some(name)) => Ok(CredentialSource::Fixed(Credentials::from_cli_context(
                Some(name),
                &lookup,
            )?)),
            (None, None) => Ok(CredentialSource::Fixed(Credentials::from_lookup(lookup)?)),
        }
    }

    /// The client over `transport`, with this builder's settings (its endpoint and TLS settings
    /// are the transport's business by now).
    pub(super) fn finish(self, transport: Transport, source: CredentialSource) -> ClarifaiClient {
        let timeout = self.timeout.unwrap_or(Some(DEFAULT_TIMEOUT));
        let max_decoding = self.max_decoding.unwrap_or(DEFAULT_MAX_MESSAGE_SIZE);
        let transport = transport.decoding_limit(max_decoding);
        ClarifaiClient::assemble(
            transport,
            source,
            Config {
                timeout,
                timeout_set: self.timeout.is_some(),
                timeout_header: timeout.map(grpc_timeout_value),
                stream_idle: self
                    .stream_idle
                    .unwrap_or(Some(DEFAULT_STREAM_IDLE_TIMEOUT)),
                retry: self.retry.unwrap_or_default(),
                max_decoding,
                max_encoding: self.max_encoding.unwrap_or(DEFAULT_MAX_MESSAGE_SIZE),
                page_size: self.page_size.unwrap_or(DEFAULT_PAGE_SIZE),
                gzip: self.gzip,
                rotating: None,
                call_credentials: None,
                metadata: http::HeaderMap::new(),
                endpoint: None,
                proxy: None,
                header_block: super::header_block(),
            },
        )
    }
}

/// How many HTTP/2 connections a client spreads its calls over, each made by the first call that
/// lands on it. Two: on the load example, 64 concurrent calls ran 12-24 % faster and used about
/// 9 % less client CPU per call than on one connection, and four did no better than two
/// (BENCHMARKS.md); one call at a time is the same either way.
const CONNECTIONS: usize = 2;

/// The variable naming a PEM file of roots to trust instead of the built-in ones.
const ROOTS_VAR: &str = "CLARIFAI_ROOT_CERTIFICATES_PATH";

/// Reads the PEM roots `CLARIFAI_ROOT_CERTIFICATES_PATH` names: a file that cannot be read or
/// holds no certificate is a configuration error naming it, not a connect failure later.
fn read_roots(path: &Path) -> Result<Vec<u8>, Error> {
    let fail = |message: String| Error::Config {
        path: path.to_owned(),
        line: None,
        message,
    };
    let pem =
        std::fs::read(path).map_err(|e| fail(format!("({ROOTS_VAR}) cannot be read: {e}")))?;
    if !pem
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(fail(format!("({ROOTS_VAR}) holds no PEM certificate")));
    }
    Ok(pem)
}
