//! The interceptor that puts credentials on every call.
//!
//! It is a plain, synchronous tonic [`Interceptor`]: it adds `authorization: Key <secret>` (PAT or
//! API key) or `x-clarifai-session-token` (session token), plus `x-clarifai-request-id-prefix`, to
//! the call's metadata. It reads the rpc from the [`GrpcMethod`] extension that generated clients
//! insert, and refuses locally when an API key calls a PAT-only rpc.
//!
//! A call keeps an `authorization` (or session-token) header its caller set on the request, and a
//! [`Credentials`] placed in the request's extensions replaces the client's for that call.

use std::sync::Arc;

use tonic::GrpcMethod;
use tonic::metadata::{AsciiMetadataValue, MetadataKey};
use tonic::service::Interceptor;

use crate::credentials::{AUTHORIZATION, SESSION_TOKEN};
use crate::{CredentialKind, CredentialProvider, Credentials, rpc};

/// The metadata key naming this client in Clarifai's server logs.
pub const REQUEST_ID_PREFIX_HEADER: &str = "x-clarifai-request-id-prefix";
/// The value sent in [`REQUEST_ID_PREFIX_HEADER`].
pub const REQUEST_ID_PREFIX: &str = concat!("rust-clarifai-tonic-", env!("CARGO_PKG_VERSION"));

/// Adds Clarifai credentials to every call. Cheap to clone.
#[derive(Clone)]
pub struct AuthInterceptor {
    source: CredentialSource,
    prefix: AsciiMetadataValue,
}

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
        AuthInterceptor {
            source,
            prefix: AsciiMetadataValue::from_static(REQUEST_ID_PREFIX),
        }
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

/// The rpc name a generated client recorded in the request, if any.
pub(crate) fn method_name<T>(request: &tonic::Request<T>) -> Option<&str> {
    request.extensions().get::<GrpcMethod>().map(|m| m.method())
}

/// The local refusal for an API key calling a PAT-only rpc, as a gRPC status.
pub(crate) fn pat_required_status(rpc: &str) -> tonic::Status {
    tonic::Status::permission_denied(format!(
        "{rpc} needs a personal access token (PAT): an app-specific API key cannot call it \
         (refused locally; nothing was sent)"
    ))
}

impl Interceptor for AuthInterceptor {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        let md = request.metadata();
        let caller_set = md.contains_key(AUTHORIZATION) || md.contains_key(SESSION_TOKEN);
        if !caller_set {
            let creds = match request.extensions().get::<Credentials>() {
                Some(c) => c.clone(),
                None => self.source.current(),
            };
            if creds.kind() == CredentialKind::ApiKey
                && let Some(info) = method_name(&request).and_then(rpc::find)
                && info.needs_pat()
            {
                return Err(pat_required_status(info.name));
            }
            let (key, value) = creds.header();
            request.metadata_mut().insert(key.clone(), value.clone());
        }
        request.metadata_mut().insert(
            MetadataKey::from_static(REQUEST_ID_PREFIX_HEADER),
            self.prefix.clone(),
        );
        Ok(request)
    }
}
