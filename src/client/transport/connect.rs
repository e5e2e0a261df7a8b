//! Opening one HTTP/2 connection for the client's own transport ([`super::transport`]): TCP
//! (directly, or through an HTTP CONNECT proxy), TLS with rustls (ALPN `h2`, the builder's CA
//! certificates and the roots the features name), then the HTTP/2 handshake, all within the
//! connect timeout.
//!
//! The socket is wrapped in [`Io`], which counts the bytes written and the reads that returned
//! data: the transport reads the first to tell a request that never left from one that did,
//! and the second to ping only a connection that has been quiet.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::proxy::{Proxy, ProxyConnector};

/// An error of any kind, as tower and tonic pass them.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// HTTP/2 keepalive: ping a connection that has read nothing for `interval`, and drop it when
/// the answer takes longer than `timeout`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keepalive {
    pub(crate) interval: Duration,
    pub(crate) timeout: Duration,
}

/// What a connection needs: where to, through what, and how.
pub(crate) struct Settings {
    /// `scheme://host:port`.
    pub(crate) target: Uri,
    pub(crate) proxy: Option<Proxy>,
    pub(crate) connect_timeout: Duration,
    pub(crate) keepalive: Option<Keepalive>,
    pub(crate) stream_window: Option<u32>,
    pub(crate) connection_window: Option<u32>,
    #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
    pub(crate) tls: Option<Tls>,
}

/// Opens connections.
pub(crate) struct Connector {
    target: Uri,
    tcp: HttpConnector,
    proxy: Option<ProxyConnector>,
    connect_timeout: Duration,
    pub(crate) keepalive: Option<Keepalive>,
    h2: h2::client::Builder,
    #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
    tls: Option<Tls>,
}

/// hyper's defaults, which tonic's channel used: 2 MiB per stream, 5 MiB per connection, 16 KiB
/// of response headers, 1 MiB of send buffer per stream.
const STREAM_WINDOW: u32 = 2 * 1024 * 1024;
const CONNECTION_WINDOW: u32 = 5 * 1024 * 1024;
const MAX_HEADER_LIST: u32 = 16 * 1024;
const MAX_SEND_BUFFER: usize = 1024 * 1024;

impl Connector {
    pub(crate) fn new(settings: Settings) -> Self {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(settings.connect_timeout));
        let keepalive = settings.keepalive.map(|k| k.interval);
        let mut h2 = h2::client::Builder::new();
        h2.initial_window_size(settings.stream_window.unwrap_or(STREAM_WINDOW))
            .initial_connection_window_size(settings.connection_window.unwrap_or(CONNECTION_WINDOW))
            .max_header_list_size(MAX_HEADER_LIST)
            .max_send_buffer_size(MAX_SEND_BUFFER)
            .enable_push(false);
        Connector {
            target: settings.target,
            tcp,
            proxy: settings
                .proxy
                .map(|proxy| ProxyConnector::new(proxy, keepalive)),
            connect_timeout: settings.connect_timeout,
            keepalive: settings.keepalive,
            h2,
            #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
            tls: settings.tls,
        }
    }

    /// `scheme://host:port`, as requests name it.
    pub(crate) fn target(&self) -> &Uri {
        &self.target
    }

    /// One new connection, its HTTP/2 handshake sent: the handle that opens streams, the
    /// connection (to be driven by a task of its own) and its byte counts. Any failure here,
    /// including the timeout, means nothing was sent.
    pub(crate) async fn connect(&self) -> Result<Connected, BoxError> {
        let timeout = self.connect_timeout;
        match tokio::time::timeout(timeout, self.open()).await {
            Ok(result) => result,
            Err(_) => Err(Box::new(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "no connection to {} within the connect timeout ({timeout:?})",
                    self.target
                ),
            ))),
        }
    }

    async fn open(&self) -> Result<Connected, BoxError> {
        use tower_service::Service as _;
        let tcp = match &self.proxy {
            Some(proxy) => proxy.clone().call(self.target.clone()).await?.into_inner(),
            None => self
                .tcp
                .clone()
                .call(self.target.clone())
                .await?
                .into_inner(),
        };
        let stream = self.secure(tcp).await?;
        let stats = Arc::new(IoStats::default());
        let io = Io {
            stream,
            stats: stats.clone(),
        };
        let (send, connection) = self.h2.handshake(io).await?;
        Ok(Connected {
            send,
            connection,
            stats,
        })
    }

    #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
    async fn secure(&self, tcp: TcpStream) -> Result<Stream, BoxError> {
        let Some(tls) = &self.tls else {
            return Ok(Stream::Plain(tcp));
        };
        let stream = tls.connector.connect(tls.name.clone(), tcp).await?;
        if stream.get_ref().1.alpn_protocol() != Some(b"h2") {
            return Err(Box::new(io::Error::other(
                "the server did not agree to HTTP/2 (ALPN h2) in the TLS handshake",
            )));
        }
        Ok(Stream::Tls(Box::new(stream)))
    }

    #[cfg(not(any(feature = "tls-ring", feature = "tls-aws-lc")))]
    async fn secure(&self, tcp: TcpStream) -> Result<Stream, BoxError> {
        Ok(Stream::Plain(tcp))
    }
}

/// A connection just made.
pub(crate) struct Connected {
    pub(crate) send: h2::client::SendRequest<Bytes>,
    pub(crate) connection: h2::client::Connection<Io, Bytes>,
    pub(crate) stats: Arc<IoStats>,
}

/// TLS to one host: rustls, ALPN `h2`.
#[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
#[derive(Clone)]
pub(crate) struct Tls {
    connector: tokio_rustls::TlsConnector,
    name: rustls::pki_types::ServerName<'static>,
}

/// rustls for `host`, trusting `ca_pem`, and with `builtin_roots` the roots the features name.
#[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
pub(crate) fn tls(host: &str, ca_pem: &[Vec<u8>], builtin_roots: bool) -> Result<Tls, String> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, ServerName};
    use rustls::{ClientConfig, RootCertStore, crypto::CryptoProvider};

    let fail = |e: &dyn std::fmt::Display| format!("TLS setup failed: {e}");
    // The process's provider if one is installed; else aws-lc-rs when its feature is on (it
    // has post-quantum key exchange, X25519MLKEM768), else ring. ring stays the default feature
    // for its build cost (BENCHMARKS.md, "The TLS provider"), although rustls 0.23.48 deprecates
    // its provider for lacking post-quantum algorithms: that choice is made here, once, on
    // purpose, and `tls-aws-lc` is the feature to take for post-quantum TLS.
    #[allow(unreachable_patterns)]
    let provider = match CryptoProvider::get_default() {
        Some(provider) => provider.clone(),
        #[cfg(feature = "tls-aws-lc")]
        None => Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        #[cfg(all(feature = "tls-ring", not(feature = "tls-aws-lc")))]
        #[allow(deprecated)]
        None => Arc::new(rustls::crypto::ring::default_provider()),
    };
    let mut roots = RootCertStore::empty();
    #[cfg(feature = "tls-native-roots")]
    if builtin_roots {
        let found = rustls_native_certs::load_native_certs();
        if !found.errors.is_empty() {
            tracing::debug!(errors = ?found.errors, "some native root certificates were not read");
        }
        roots.add_parsable_certificates(found.certs);
    }
    #[cfg(feature = "tls-webpki-roots")]
    if builtin_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    let _ = builtin_roots;
    for pem in ca_pem {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| fail(&format!("a CA certificate is not PEM ({e})")))?;
        if certs.is_empty() {
            return Err(fail(&"a CA certificate holds no PEM certificate"));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| fail(&format!("a CA certificate cannot be used ({e})")))?;
        }
    }
    if roots.is_empty() {
        return Err(fail(
            &"no root certificate to trust: enable `tls-native-roots` or `tls-webpki-roots`, or \
              give ClientBuilder::ca_certificate(..)",
        ));
    }
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(&e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let name = ServerName::try_from(host.to_owned()).map_err(|e| fail(&e))?;
    Ok(Tls {
        connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        name,
    })
}

/// What a connection's socket did, for the transport to read.
#[derive(Default, Debug)]
pub(crate) struct IoStats {
    /// Bytes written (accepted by the socket, or by TLS).
    written: AtomicU64,
    /// Reads that returned data.
    reads: AtomicU64,
}

impl IoStats {
    pub(crate) fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }

    pub(crate) fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

/// The socket, plain or TLS.
pub(crate) enum Stream {
    Plain(TcpStream),
    #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// The socket as h2 drives it, counting what goes through.
pub(crate) struct Io {
    stream: Stream,
    stats: Arc<IoStats>,
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = match &mut this.stream {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        };
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.stats.reads.fetch_add(1, Ordering::Relaxed);
        }
        polled
    }
}

impl Io {
    fn count(&self, polled: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if let Poll::Ready(Ok(n)) = polled {
            self.stats.written.fetch_add(n as u64, Ordering::SeqCst);
        }
        polled
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = match &mut this.stream {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        };
        this.count(polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = match &mut this.stream {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        };
        this.count(polled)
    }

    fn is_write_vectored(&self) -> bool {
        match &self.stream {
            Stream::Plain(s) => s.is_write_vectored(),
            #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().stream {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().stream {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
