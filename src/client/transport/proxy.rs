//! HTTP CONNECT proxies: which proxy an endpoint goes through (from the code, or from
//! `grpc_proxy` / `https_proxy` / `http_proxy` and `no_proxy` as gRPC and curl read them), and
//! the connector that opens the tunnel. TLS to Clarifai runs inside the tunnel, end to end: the
//! proxy sees only `CONNECT host:port` and encrypted bytes.
//!
//! The environment's rules (host suffixes, IPs and CIDRs, `*`, user info in the URL) are
//! hyper-util's `Matcher`. The tunnel is ours rather than hyper-util's `Tunnel`, because that one
//! keeps no status code for a refusal other than 407, and a 403 (permanent) must be told from a
//! 502 (worth another try).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderValue, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::Error;

/// Where the builder takes its proxy from.
#[derive(Clone, Default)]
pub(crate) enum ProxySetting {
    /// The environment's variables (the default).
    #[default]
    FromEnv,
    /// This proxy URL, for every endpoint.
    Url(String),
    /// No proxy, whatever the environment says.
    Off,
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySetting::FromEnv => f.write_str("FromEnv"),
            ProxySetting::Url(url) => write!(f, "Url({})", redacted(url)),
            ProxySetting::Off => f.write_str("Off"),
        }
    }
}

/// A proxy to tunnel through: its `host:port` and the `Proxy-Authorization` its URL's user info
/// makes (marked sensitive, and never printed).
#[derive(Clone)]
pub(crate) struct Proxy {
    /// `host:port`, as errors name it.
    pub(crate) addr: String,
    uri: Uri,
    auth: Option<HeaderValue>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("addr", &self.addr)
            .field("auth", &self.auth.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// A proxy URL with any password replaced, for messages.
pub(crate) fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((user_info, host)) => {
                let user = user_info.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}:[redacted]@{host}")
            }
            None => url.to_owned(),
        },
        None => match url.split_once('@') {
            Some((_, host)) => format!("[redacted]@{host}"),
            None => url.to_owned(),
        },
    }
}

impl ProxySetting {
    /// The proxy for `target`, if any: a URL in code applies to every endpoint, loopback
    /// included; the environment's applies unless its `no_proxy` names the host.
    pub(crate) fn resolve(
        &self,
        target: &Uri,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Proxy>, Error> {
        let first = |names: &[&str]| names.iter().find_map(|n| var(n)).unwrap_or_default();
        let (matcher, source) = match self {
            ProxySetting::Off => return Ok(None),
            ProxySetting::Url(url) => (
                Matcher::builder().all(url.clone()).build(),
                Source::Code(url.clone()),
            ),
            ProxySetting::FromEnv => {
                // gRPC's own variable wins over curl's, as in gRPC's C core and grpc-go.
                let grpc = first(&["grpc_proxy", "GRPC_PROXY"]);
                let https = first(&["https_proxy", "HTTPS_PROXY"]);
                let http = first(&["http_proxy", "HTTP_PROXY"]);
                let (https, http) = if grpc.is_empty() {
                    (https, http)
                } else {
                    (grpc.clone(), grpc)
                };
                if https.is_empty() && http.is_empty() {
                    return Ok(None);
                }
                let source = Source::Env(if target.scheme_str() == Some("https") {
                    https.clone()
                } else {
                    http.clone()
                });
                let matcher = Matcher::builder()
                    .https(https)
                    .http(http)
                    .no(first(&["no_proxy", "NO_PROXY"]))
                    .build();
                (matcher, source)
            }
        };
        let Some(intercept) = matcher.intercept(target) else {
            return match source {
                // A URL given in code that the matcher cannot read is an error, not "no proxy".
                Source::Code(url) => Err(invalid(&url, "not an http:// proxy URL with a host")),
                // So is a variable that is set but unreadable, when it applies to this target.
                Source::Env(url) if !url.is_empty() && !no_proxy_applies(&var, target) => {
                    Err(invalid(&url, "not an http:// proxy URL with a host"))
                }
                Source::Env(_) => Ok(None),
            };
        };
        let uri = intercept.uri().clone();
        if !matches!(uri.scheme_str(), Some("http")) {
            let url = match &source {
                Source::Code(url) | Source::Env(url) => url,
            };
            return Err(invalid(
                url,
                "only http:// (CONNECT) proxies are supported; TLS to Clarifai runs inside the tunnel",
            ));
        }
        let host = uri.host().unwrap_or_default();
        let port = uri.port_u16().unwrap_or(80);
        Ok(Some(Proxy {
            addr: format!("{host}:{port}"),
            uri,
            auth: intercept.basic_auth().cloned(),
        }))
    }
}

/// Where a proxy URL came from.
enum Source {
    Code(String),
    Env(String),
}

fn invalid(url: &str, reason: &str) -> Error {
    Error::InvalidProxy {
        proxy: redacted(url),
        reason: reason.to_owned(),
    }
}

/// Whether the environment's `no_proxy` covers `target` (so that an unreadable proxy variable
/// does not matter for it).
fn no_proxy_applies(var: &impl Fn(&str) -> Option<String>, target: &Uri) -> bool {
    let no = ["no_proxy", "NO_PROXY"].iter().find_map(|n| var(n));
    let Some(no) = no else { return false };
    Matcher::builder()
        .all("http://proxy.invalid:1")
        .no(no)
        .build()
        .intercept(target)
        .is_none()
}

/// What went wrong on the way through the proxy. It is the cause of an
/// [`Error::Transport`](crate::Error::Transport), whose Display quotes it.
#[derive(Debug)]
pub(crate) struct ProxyError {
    /// The proxy's `host:port`.
    proxy: String,
    /// What was asked of it: `host:port`.
    target: String,
    kind: ProxyErrorKind,
}

#[derive(Debug)]
enum ProxyErrorKind {
    /// No connection to the proxy.
    Unreachable(std::io::Error),
    /// The proxy answered CONNECT with another status than 200.
    Refused { status: u16, reason: String },
    /// The proxy closed the connection before answering CONNECT.
    Closed,
    /// The proxy's answer was not an HTTP response (or too long to be one).
    BadAnswer,
    /// Reading or writing failed during the CONNECT exchange.
    Io(std::io::Error),
}

impl ProxyError {
    /// The proxy's status, when it refused the tunnel.
    pub(crate) fn refused_with(&self) -> Option<u16> {
        match self.kind {
            ProxyErrorKind::Refused { status, .. } => Some(status),
            _ => None,
        }
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (proxy, target) = (&self.proxy, &self.target);
        match &self.kind {
            ProxyErrorKind::Unreachable(e) => write!(f, "cannot reach proxy {proxy}: {e}"),
            ProxyErrorKind::Refused { status, reason } => {
                write!(
                    f,
                    "proxy {proxy} refused CONNECT {target}: {status} {reason}"
                )
            }
            ProxyErrorKind::Closed => write!(
                f,
                "proxy {proxy} closed the tunnel to {target} before the TLS handshake"
            ),
            ProxyErrorKind::BadAnswer => write!(
                f,
                "proxy {proxy} answered CONNECT {target} with something that is not HTTP"
            ),
            ProxyErrorKind::Io(e) => write!(f, "proxy {proxy}, CONNECT {target}: {e}"),
        }
    }
}

impl std::error::Error for ProxyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ProxyErrorKind::Unreachable(e) | ProxyErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Opens connections through the proxy: TCP to it, then `CONNECT host:port`; tonic runs TLS (for
/// https endpoints) and HTTP/2 over what it returns.
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    proxy: Proxy,
    tcp: HttpConnector,
}

impl ProxyConnector {
    pub(crate) fn new(proxy: Proxy, keepalive: Option<Duration>) -> Self {
        let mut tcp = HttpConnector::new();
        tcp.set_nodelay(true);
        tcp.set_keepalive(keepalive);
        ProxyConnector { proxy, tcp }
    }
}

impl tower_service::Service<Uri> for ProxyConnector {
    type Response = TokioIo<TcpStream>;
    type Error = ProxyError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, ProxyError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ProxyError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, target: Uri) -> Self::Future {
        let proxy = self.proxy.clone();
        let mut tcp = self.tcp.clone();
        Box::pin(async move {
            let host = target.host().unwrap_or_default().to_owned();
            let port = target
                .port_u16()
                .unwrap_or(if target.scheme_str() == Some("https") {
                    443
                } else {
                    80
                });
            // An IPv6 literal keeps its brackets in the request line.
            let target_addr = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            };
            let fail = |kind| ProxyError {
                proxy: proxy.addr.clone(),
                target: target_addr.clone(),
                kind,
            };
            let stream = tower_service::Service::call(&mut tcp, proxy.uri.clone())
                .await
                .map_err(|e| {
                    // The connector's own words ("tcp connect error") and its causes'.
                    let mut text = e.to_string();
                    let mut cause = std::error::Error::source(&e);
                    while let Some(c) = cause {
                        text.push_str(&format!(": {c}"));
                        cause = c.source();
                    }
                    fail(ProxyErrorKind::Unreachable(std::io::Error::other(text)))
                })?
                .into_inner();
            let stream = connect_through(stream, &target_addr, proxy.auth.as_ref())
                .await
                .map_err(fail)?;
            Ok(TokioIo::new(stream))
        })
    }
}

/// The CONNECT exchange: the request (with `Proxy-Authorization` when the proxy URL had user
/// info; nothing of Clarifai's credentials), then the proxy's answer, up to its blank line.
async fn connect_through(
    mut stream: TcpStream,
    target: &str,
    auth: Option<&HeaderValue>,
) -> Result<TcpStream, ProxyErrorKind> {
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n").into_bytes();
    if let Some(auth) = auth {
        request.extend_from_slice(b"Proxy-Authorization: ");
        request.extend_from_slice(auth.as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    stream
        .write_all(&request)
        .await
        .map_err(ProxyErrorKind::Io)?;
    // Read the answer byte by byte up to its end, so that nothing of the tunnel after it is
    // taken: the server speaks first in TLS only after the client hello, but a proxy may send
    // its answer and the first tunnel bytes together.
    let mut head = Vec::with_capacity(256);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= 16 * 1024 {
            return Err(ProxyErrorKind::BadAnswer);
        }
        let mut byte = [0u8; 1];
        match stream.read(&mut byte).await {
            Ok(0) => return Err(ProxyErrorKind::Closed),
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(ProxyErrorKind::Io(e)),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let status_line = text.lines().next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (version, status, reason) = (parts.next(), parts.next(), parts.next());
    let status: u16 = match (version, status.and_then(|s| s.parse().ok())) {
        (Some(v), Some(status)) if v.starts_with("HTTP/1.") => status,
        _ => return Err(ProxyErrorKind::BadAnswer),
    };
    if status == 200 {
        Ok(stream)
    } else {
        Err(ProxyErrorKind::Refused {
            status,
            reason: reason.unwrap_or_default().trim().to_owned(),
        })
    }
}
