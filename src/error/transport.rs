//! [`TransportFault`]: what went wrong beneath gRPC, read from a failure's source chain by type
//! (tonic, hyper, h2, io and rustls errors, and the transport's own), never by message text.

use std::fmt;

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
pub(crate) fn transport_fault(status: &tonic::Status) -> Option<(TransportFault, String)> {
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
