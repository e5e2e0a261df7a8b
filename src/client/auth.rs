//! Putting credentials on every call.
//!
//! [`AuthInterceptor`] adds `authorization: Key <secret>` (PAT or API key) or
//! `x-clarifai-session-token` (session token), plus `x-clarifai-request-id-prefix`, to a call's
//! headers. It reads the rpc from the [`GrpcMethod`] extension that generated clients insert, and
//! refuses locally when an API key calls a PAT-only rpc.
//!
//! It comes in two forms. [`AuthService`] wraps a channel (or any tower service) and edits the
//! HTTP request in place: this is what [`ClarifaiClient`](crate::ClarifaiClient) uses. The
//! interceptor also implements tonic's [`Interceptor`], for
//! `V2Client::with_interceptor(channel, interceptor)`; that form costs a little more per call,
//! because tonic turns the HTTP request into a `tonic::Request` and back around it, and wraps the
//! response body.
//!
//! A call keeps an `authorization` (or session-token) header its caller set on the request, and a
//! [`Credentials`] placed in the request's extensions replaces the client's for that call.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::Either;
use http::{HeaderMap, HeaderName, HeaderValue};
use tonic::GrpcMethod;
use tonic::codegen::Service;
use tonic::service::Interceptor;

use crate::credentials::caller_set_auth;
use crate::rpc::{self, RpcInfo};
use crate::{CredentialKind, CredentialProvider, Credentials, Error};

/// The metadata key naming this client in Clarifai's server logs.
pub const REQUEST_ID_PREFIX_HEADER: &str = "x-clarifai-request-id-prefix";
/// The value sent in [`REQUEST_ID_PREFIX_HEADER`].
pub const REQUEST_ID_PREFIX: &str = concat!("rust-clarifai-tonic-", env!("CARGO_PKG_VERSION"));

/// Adds Clarifai credentials to every call. Cheap to clone.
#[derive(Clone)]
pub struct AuthInterceptor {
    source: CredentialSource,
}

/// [`REQUEST_ID_PREFIX_HEADER`] as a header name.
pub(crate) const PREFIX_NAME: HeaderName = HeaderName::from_static(REQUEST_ID_PREFIX_HEADER);
/// [`REQUEST_ID_PREFIX`] as a header value.
pub(crate) const PREFIX_VALUE: HeaderValue = HeaderValue::from_static(REQUEST_ID_PREFIX);

#[derive(Clone)]
pub(crate) enum CredentialSource {
    Fixed(Credentials),
    Provider(Arc<dyn CredentialProvider>),
}

impl CredentialSource {
    pub(crate) fn current(&self) -> Credentials {
        match self {
            CredentialSource::Fixed(c) => c.clone(),
            CredentialSource::Provider(p) => p.credentials(),
        }
    }
}

impl AuthInterceptor {
    /// An interceptor taking its credentials from `provider` on every call.
    pub fn new(provider: impl CredentialProvider) -> Self {
        Self::from_provider(Arc::new(provider))
    }

    /// An interceptor sharing a provider.
    pub fn from_provider(provider: Arc<dyn CredentialProvider>) -> Self {
        Self::with_source(CredentialSource::Provider(provider))
    }

    pub(crate) fn with_source(source: CredentialSource) -> Self {
        AuthInterceptor { source }
    }

    pub(crate) fn source(&self) -> &CredentialSource {
        &self.source
    }
}

impl std::fmt::Debug for AuthInterceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let current = self.source.current();
        f.debug_struct("AuthInterceptor")
            .field("credentials", &current)
            .finish()
    }
}

/// The one PAT-only decision, made for [`ClarifaiClient`](crate::ClarifaiClient)'s calls and
/// streams and for the standalone interceptor alike: an app-specific API key cannot call an rpc
/// whose auth type is PATAuth (creating apps or keys, ...). It is refused locally, before
/// anything is sent, with [`Error::PatRequired`].
pub(crate) fn check_pat_only(rpc: &'static RpcInfo, creds: &Credentials) -> Result<(), Error> {
    if creds.kind() == CredentialKind::ApiKey && rpc.needs_pat() {
        return Err(Error::PatRequired { rpc: rpc.name });
    }
    Ok(())
}

/// The credentials a call sends, decided in one place for unary calls, streams and
/// [`AuthService`]: none when the caller put an `authorization` (or session-token) header of
/// their own, which is then the caller's business; else the call's own [`Credentials`] (in its
/// extensions, or from [`CallOptions`](crate::CallOptions)); else the client's.
pub(crate) fn resolve(
    headers: &[&HeaderMap],
    per_call: Option<&Credentials>,
    client: impl FnOnce() -> Credentials,
) -> Option<Credentials> {
    if headers.iter().any(|h| caller_set_auth(h)) {
        return None;
    }
    Some(per_call.cloned().unwrap_or_else(client))
}

impl AuthInterceptor {
    /// Adds the credentials headers to one request, or refuses it.
    fn apply(
        &self,
        headers: &mut HeaderMap,
        extensions: &http::Extensions,
    ) -> Result<(), tonic::Status> {
        if let Some(creds) = resolve(&[headers], extensions.get::<Credentials>(), || {
            self.source.current()
        }) {
            let creds = &creds;
            if creds.kind() == CredentialKind::ApiKey
                && let Some(info) = extensions
                    .get::<GrpcMethod>()
                    .and_then(|m| rpc::find(m.method()))
            {
                // The same refusal and message as the client's, as a gRPC status.
                check_pat_only(info, creds)
                    .map_err(|e| tonic::Status::permission_denied(e.to_string()))?;
            }
            let (key, value) = creds.header();
            headers.insert(key.clone(), value.clone());
        }
        headers.insert(PREFIX_NAME, PREFIX_VALUE);
        Ok(())
    }
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let (mut metadata, extensions, ()) = request.into_parts();
        self.apply(metadata.as_mut(), &extensions)?;
        Ok(tonic::Request::from_parts(metadata, extensions, ()))
    }
}

/// A tower service that puts credentials on every request to `S` (a
/// [`Channel`](tonic::transport::Channel), usually), as [`AuthInterceptor`] does.
///
/// ```no_run
/// # async fn f(channel: tonic::transport::Channel) -> Result<(), Box<dyn std::error::Error>> {
/// use clarifai_tonic::api::v2_client::V2Client;
/// use clarifai_tonic::credentials::{AuthInterceptor, AuthService};
/// use clarifai_tonic::{Credentials, credentials::RotatingCredentials};
///
/// let creds = RotatingCredentials::new(Credentials::api_key("my-key")?);
/// let mut v2 = V2Client::new(AuthService::new(channel, AuthInterceptor::new(creds)));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    auth: AuthInterceptor,
}

impl<S> AuthService<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, auth: AuthInterceptor) -> Self {
        AuthService { inner, auth }
    }

    /// The interceptor it applies.
    pub fn interceptor(&self) -> &AuthInterceptor {
        &self.auth
    }
}

impl<S, B, R> Service<http::Request<B>> for AuthService<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    R: Default,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = Either<S::Future, std::future::Ready<Result<http::Response<R>, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let (mut parts, body) = request.into_parts();
        match self.auth.apply(&mut parts.headers, &parts.extensions) {
            Ok(()) => Either::Left(self.inner.call(http::Request::from_parts(parts, body))),
            // A trailers-only gRPC error, as tonic's interceptor answers a refusal.
            Err(status) => Either::Right(std::future::ready(Ok(status.into_http()))),
        }
    }
}
