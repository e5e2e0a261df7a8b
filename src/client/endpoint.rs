//! Where the client connects: the endpoint from the builder or the environment, checked and
//! normalised, and the TLS settings for it.

use http::Uri;

use crate::Error;

/// The endpoint the environment names, if it names one.
pub(super) fn endpoint_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(url) = lookup("CLARIFAI_API_BASE").filter(|v| !v.trim().is_empty()) {
        return Some(url.trim().to_owned());
    }
    let host = lookup("CLARIFAI_GRPC_BASE").filter(|v| !v.trim().is_empty())?;
    let host = host.trim();
    Some(if host.contains("://") {
        host.to_owned()
    } else {
        format!("https://{host}")
    })
}

/// A checked endpoint: scheme, host and port only.
pub(super) struct Target {
    pub(super) uri: Uri,
    /// The host without IPv6 brackets, as TLS names it.
    pub(super) host: String,
    pub(super) tls: bool,
}

/// Checks an endpoint as given (a URL, or a bare `host[:port]` meaning TLS), refusing plaintext
/// to anything but loopback unless `allow_insecure`.
pub(super) fn parse_endpoint(raw: &str, allow_insecure: bool) -> Result<Target, Error> {
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
