//! When and how calls are retried.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

use crate::Error;
use crate::api::status::StatusCode;

/// Clarifai in-band codes retried by default: CONN_EXCEED_HOURLY_LIMIT, CONN_THROTTLED,
/// MODEL_DEPLOYING, MODEL_BUSY_PLEASE_RETRY and MODEL_LOADING.
pub const DEFAULT_RETRY_CODES: &[i32] = &[
    StatusCode::ConnExceedHourlyLimit as i32,
    StatusCode::ConnThrottled as i32,
    StatusCode::ModelDeploying as i32,
    StatusCode::ModelBusyPleaseRetry as i32,
    StatusCode::ModelLoading as i32,
];

/// Exponential backoff with jitter and a cap, bounded overall by the call's deadline.
///
/// By default a call is tried up to 5 times, on gRPC UNAVAILABLE and on the codes in
/// [`DEFAULT_RETRY_CODES`], waiting 50 ms, 100 ms, 200 ms, ... (at most 5 s), each wait shortened
/// by up to 20% at random. Cancellations and billing failures are never retried, whatever the
/// configuration. Unary and server-streaming calls are retried (a stream only before its first
/// message); client and bidi streams are not, since their input cannot be replayed.
///
/// Set it per client with `ClarifaiClient::builder().retry_policy(..)`, or per call by putting a
/// `RetryPolicy` in the request's extensions:
///
/// ```
/// use clarifai_tonic::RetryPolicy;
/// let mut request = tonic::Request::new(clarifai_tonic::api::ListModelsRequest::default());
/// request.extensions_mut().insert(RetryPolicy::none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    multiplier: f64,
    jitter: f64,
    grpc_codes: Vec<tonic::Code>,
    clarifai_codes: Vec<i32>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
            multiplier: 2.0,
            jitter: 0.2,
            grpc_codes: vec![tonic::Code::Unavailable],
            clarifai_codes: DEFAULT_RETRY_CODES.to_vec(),
        }
    }
}

impl RetryPolicy {
    /// No retries: every call is tried once.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// How many times a call is tried in all (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first wait, and the cap on any wait.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// How much each wait grows (at least 1.0).
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = if multiplier.is_finite() {
            multiplier.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// The share of each wait taken off at random, from 0.0 (none) to 1.0.
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// The gRPC codes to retry (default: UNAVAILABLE). CANCELLED is never retried.
    pub fn grpc_codes(mut self, codes: impl IntoIterator<Item = tonic::Code>) -> Self {
        self.grpc_codes = codes.into_iter().collect();
        self
    }

    /// The Clarifai in-band codes to retry (default: [`DEFAULT_RETRY_CODES`]). Billing codes are
    /// never retried.
    pub fn clarifai_codes(mut self, codes: impl IntoIterator<Item = StatusCode>) -> Self {
        self.clarifai_codes = codes.into_iter().map(|c| c as i32).collect();
        self
    }

    /// How many times a call is tried in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether `error`, after attempt number `attempt` (1-based), is worth another try.
    pub(crate) fn should_retry(&self, error: &Error, attempt: u32) -> bool {
        match error {
            Error::Grpc { status, .. } => {
                attempt < self.max_attempts
                    && status.code() != tonic::Code::Cancelled
                    && self.grpc_codes.contains(&status.code())
            }
            Error::Clarifai(e) => self.should_retry_code(e.code.0, attempt),
            _ => false,
        }
    }

    /// Whether a response with Clarifai status `code`, after attempt number `attempt`
    /// (1-based), is worth another try.
    pub(crate) fn should_retry_code(&self, code: i32, attempt: u32) -> bool {
        attempt < self.max_attempts && !is_billing(code) && self.clarifai_codes.contains(&code)
    }

    /// The wait before attempt `attempt + 1`.
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .multiplier
            .powi(attempt.saturating_sub(1).min(64) as i32);
        let base = self.initial_backoff.as_secs_f64() * exp;
        let capped = base.min(self.max_backoff.as_secs_f64());
        let jittered = capped * (1.0 - self.jitter * random_unit());
        Duration::from_secs_f64(jittered.max(0.0))
    }
}

/// Runs `attempt` (given its 1-based number) until `again` says its outcome is final or the
/// next wait would end past `deadline`; gives the last outcome.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    deadline: Option<Instant>,
    mut attempt: F,
    again: impl Fn(&T, u32) -> bool,
) -> T
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = T>,
{
    let mut n = 1u32;
    loop {
        let outcome = attempt(n).await;
        if !again(&outcome, n) {
            return outcome;
        }
        let delay = policy.delay(n);
        if deadline.is_some_and(|d| Instant::now() + delay >= d) {
            return outcome;
        }
        tracing::debug!(?delay, attempt = n, "retrying");
        tokio::time::sleep(delay).await;
        n += 1;
    }
}

fn is_billing(code: i32) -> bool {
    (69000..70000).contains(&code)
        || code == StatusCode::BillingUncategorized as i32
        || code == StatusCode::ConnExceedMonthlyLimit as i32
}

/// A number in [0, 1) from the standard library's per-process random keys.
fn random_unit() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}
