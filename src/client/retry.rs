//! When and how calls are retried.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use tokio::time::Instant;

use crate::Error;
use crate::api::status::StatusCode;
use crate::rpc::RpcInfo;

/// Clarifai in-band codes retried by default: CONN_EXCEED_HOURLY_LIMIT, CONN_THROTTLED,
/// MODEL_DEPLOYING, MODEL_BUSY_PLEASE_RETRY and MODEL_LOADING.
pub const DEFAULT_RETRY_CODES: &[i32] = &[
    StatusCode::ConnExceedHourlyLimit as i32,
    StatusCode::ConnThrottled as i32,
    StatusCode::ModelDeploying as i32,
    StatusCode::ModelBusyPleaseRetry as i32,
    StatusCode::ModelLoading as i32,
];

/// When a failed call is sent again: gRPC's retry design (gRFC A6), in two kinds.
///
/// - **Transparent**: a request that certainly never reached the server's application (no
///   connection could be made, the server refused the stream or excluded it with a GOAWAY, the
///   connection had closed before the request went out) is sent again for *every* rpc, since it
///   cannot be done twice. Up to 5 such re-sends per call by default
///   ([`transparent_retries`](Self::transparent_retries)), the first at once, the rest after the
///   backoff below. They do not use up [`max_attempts`](Self::max_attempts).
/// - **Configured**: after the server may have got the request, a call is tried up to 5 times
///   in all on gRPC UNAVAILABLE (and on a connection lost mid-call, which gRPC reports as
///   UNAVAILABLE), but only for rpcs that are safe to send twice
///   ([`RpcInfo::retry`](crate::rpc::RpcInfo::retry): reads, searches, predictions), so that a
///   write such as PostInputs is never done twice. [`unsafe_rpcs(true)`](Self::unsafe_rpcs)
///   opts every rpc in. Clarifai's in-band codes in [`DEFAULT_RETRY_CODES`] (throttling, a
///   model still loading) say the server did not do the work, so they are retried for every rpc.
///
/// Waits grow from 50 ms, doubling, to at most 5 s, each shortened by up to 20% at random, and
/// a retry that would end past the call's deadline is not made. Never retried, whatever the
/// configuration: CANCELLED, billing failures, certificate failures, a proxy that refuses with
/// 407 or 403, a response whose headers are too large. Unary and server-streaming calls are retried (a stream only before its first
/// message); client and bidi streams are not, since their input cannot be replayed.
///
/// Set it per client with `ClarifaiClient::builder().retry_policy(..)`, or per call by putting a
/// `RetryPolicy` in the request's extensions:
///
/// ```
/// use clarifai_tonic::retry::RetryPolicy;
/// use std::time::Duration;
///
/// let policy = RetryPolicy::default();
/// assert_eq!(policy.attempts(), 5);
/// assert_eq!(policy.backoff_range(), (Duration::from_millis(50), Duration::from_secs(5)));
/// assert!(!policy.retries_unsafe_rpcs());
///
/// let mut request = tonic::Request::new(clarifai_tonic::api::ListModelsRequest::default());
/// request.extensions_mut().insert(RetryPolicy::none());
/// assert_eq!(request.extensions().get::<RetryPolicy>().unwrap().attempts(), 1);
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
    unsafe_rpcs: bool,
    transparent: u32,
}

/// Which kind of retry a failure earns (see [`RetryPolicy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryKind {
    /// The request never reached the server: safe for every rpc.
    Transparent,
    /// A status or fault the policy retries, within its attempts.
    Configured,
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
            unsafe_rpcs: false,
            transparent: 5,
        }
    }
}

impl RetryPolicy {
    /// No configured retries: a call the server may have received is never sent again. A
    /// request that never reached the server is still re-sent (it cannot be done twice); add
    /// `.transparent_retries(0)` to switch that off too.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// This policy without the in-band `codes` (which a caller retries its own way).
    pub(crate) fn without_clarifai_codes(mut self, codes: &[i32]) -> Self {
        self.clarifai_codes.retain(|c| !codes.contains(c));
        self
    }

    /// How many times a call the server may have received is tried in all (at least 1).
    /// Transparent re-sends of requests that never reached it do not count.
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

    /// Retries the gRPC codes and transport failures after sending for every rpc, including
    /// writes that are not safe to send twice (PostInputs, PatchModels, ...): a request the
    /// server did process before failing is then done twice. Default: off.
    pub fn unsafe_rpcs(mut self, yes: bool) -> Self {
        self.unsafe_rpcs = yes;
        self
    }

    /// How many times one call may re-send a request that never reached the server (default
    /// 5; 0 switches transparent retries off).
    pub fn transparent_retries(mut self, resends: u32) -> Self {
        self.transparent = resends;
        self
    }

    /// The gRPC codes to retry (default: UNAVAILABLE, which also covers a connection lost after
    /// sending), for the rpcs that are safe to send twice unless [`unsafe_rpcs`](Self::unsafe_rpcs).
    /// CANCELLED is never retried.
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

    /// How many times a call the server may have received is tried in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The first wait and the cap on any wait.
    pub fn backoff_range(&self) -> (Duration, Duration) {
        (self.initial_backoff, self.max_backoff)
    }

    /// Whether writes that are not safe to send twice are retried too.
    pub fn retries_unsafe_rpcs(&self) -> bool {
        self.unsafe_rpcs
    }

    /// Whether `error` from a call of `rpc` earns a retry, and which kind; the budgets are
    /// counted by [`with_retries`].
    pub(crate) fn retry_kind(&self, rpc: &RpcInfo, error: &Error) -> Option<RetryKind> {
        let may_repeat = rpc.retry.is_safe() || self.unsafe_rpcs;
        match error {
            Error::Transport { fault, .. } if fault.is_permanent() => None,
            Error::Transport { fault, .. } if fault.never_processed() => {
                Some(RetryKind::Transparent)
            }
            Error::Transport { .. } => (may_repeat
                && self.grpc_codes.contains(&tonic::Code::Unavailable))
            .then_some(RetryKind::Configured),
            Error::Grpc { status, .. } => (may_repeat
                && status.code() != tonic::Code::Cancelled
                && self.grpc_codes.contains(&status.code()))
            .then_some(RetryKind::Configured),
            Error::Clarifai(e) => self.retry_code(e.code.0),
            _ => None,
        }
    }

    /// Whether a response with Clarifai status `code` earns a retry (for every rpc: these codes
    /// say the work was not done).
    pub(crate) fn retry_code(&self, code: i32) -> Option<RetryKind> {
        (!is_billing(code) && self.clarifai_codes.contains(&code)).then_some(RetryKind::Configured)
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

/// Runs `attempt` (given its 1-based number among all attempts) until `kind` says its outcome
/// earns no retry, that kind's budget is spent, or the next wait would end past `deadline`;
/// gives the last outcome.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    deadline: Option<Instant>,
    mut attempt: F,
    kind: impl Fn(&T) -> Option<RetryKind>,
) -> T
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = T>,
{
    let (mut configured, mut transparent) = (1u32, 0u32);
    let mut n = 1u32;
    loop {
        let outcome = attempt(n).await;
        let delay = match kind(&outcome) {
            Some(RetryKind::Transparent) if transparent < policy.transparent => {
                transparent += 1;
                // The first re-send goes at once (the next connection is likely fine); a server
                // that keeps refusing gets the backoff.
                if transparent == 1 {
                    Duration::ZERO
                } else {
                    policy.delay(transparent - 1)
                }
            }
            Some(RetryKind::Configured) if configured < policy.max_attempts => {
                configured += 1;
                policy.delay(configured - 1)
            }
            _ => return outcome,
        };
        if deadline.is_some_and(|d| Instant::now() + delay >= d) {
            return outcome;
        }
        tracing::debug!(?delay, attempt = n, "retrying");
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
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
