//! [`CallOptions`]: a deadline, a retry policy, credentials and metadata for some calls, typed,
//! for every call kind (unary, server-streaming, client-streaming and bidi), through
//! [`ClarifaiClient::with_options`].

use std::sync::Arc;
use std::time::Duration;

use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, MetadataMap};

use super::deadline::grpc_timeout_value;
use super::{ClarifaiClient, Config};
use crate::{Credentials, Error, RetryPolicy};

/// Settings for the calls made through [`ClarifaiClient::with_options`], in place of the
/// client's: every call kind takes them, streams included.
///
/// - [`timeout`](Self::timeout): the deadline of each call (of a stream, its start);
/// - [`retry`](Self::retry): the retry policy (client and bidi streams are not retried by it:
///   their input cannot be replayed in general);
/// - [`credentials`](Self::credentials): other credentials for these calls (a caller's own
///   `authorization` metadata still wins; see [`ClarifaiClient::credentials`]);
/// - [`metadata`](Self::metadata): headers added to every request.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), clarifai_tonic::Error> {
/// use std::time::Duration;
/// use clarifai_tonic::{CallOptions, Credentials, retry::RetryPolicy};
/// # let client = clarifai_tonic::ClarifaiClient::local(1)?;
/// let options = CallOptions::new()
///     .timeout(Duration::from_secs(5))
///     .retry(RetryPolicy::none())
///     .credentials(Credentials::api_key("another-apps-key")?)
///     .metadata("x-team", "search")?;
/// let quick = client.with_options(options);
/// // quick.post_model_outputs(..), quick.stream_model_outputs(..), quick.model(..), ...
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct CallOptions {
    timeout: Option<Option<Duration>>,
    retry: Option<RetryPolicy>,
    credentials: Option<Credentials>,
    metadata: MetadataMap,
}

/// Shows the settings, the metadata by name only (a header may hold a secret).
impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self
            .metadata
            .keys()
            .map(|k| match k {
                tonic::metadata::KeyRef::Ascii(k) => k.as_str().to_owned(),
                tonic::metadata::KeyRef::Binary(k) => k.as_str().to_owned(),
            })
            .collect();
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("credentials", &self.credentials)
            .field("metadata", &names)
            .finish()
    }
}

impl CallOptions {
    /// No settings: the client's own.
    pub fn new() -> Self {
        CallOptions::default()
    }

    /// A deadline for each call (for a stream: until it starts).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(Some(timeout));
        self
    }

    /// No deadline at all.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = Some(None);
        self
    }

    /// Another retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Other credentials (their `user_app_id` is filled in, as the client's would be).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// A header for every request. An invalid name or value is [`Error::InvalidMetadata`];
    /// a value is never shown in it, since headers may hold secrets.
    pub fn metadata(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let key =
            AsciiMetadataKey::from_bytes(name.as_bytes()).map_err(|_| Error::InvalidMetadata {
                name: name.to_owned(),
                reason: "not a valid header name",
            })?;
        let value = AsciiMetadataValue::try_from(value).map_err(|_| Error::InvalidMetadata {
            name: name.to_owned(),
            reason: "the value is not visible ASCII",
        })?;
        self.metadata.append(key, value);
        Ok(self)
    }
}

impl ClarifaiClient {
    /// This client (sharing its connections) with `options` on every call made through it:
    /// unary, server-streaming, client-streaming and bidi calls, handles and pages alike.
    pub fn with_options(&self, options: CallOptions) -> ClarifaiClient {
        let mut config: Config = (*self.config).clone();
        if let Some(timeout) = options.timeout {
            config.timeout = timeout;
            config.timeout_set = true;
            config.timeout_header = timeout.map(grpc_timeout_value);
        }
        if let Some(retry) = options.retry {
            config.retry = retry;
        }
        if let Some(credentials) = options.credentials {
            config.call_credentials = Some(credentials);
        }
        if !options.metadata.is_empty() {
            let headers = options.metadata.into_headers();
            config.header_block.extend(headers.clone());
            config.metadata.extend(headers);
        }
        let mut client = self.clone();
        client.config = Arc::new(config);
        client
    }
}
