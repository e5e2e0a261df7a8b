//! Waiting out a model's warm-up: a model that is deploying, loading or busy answers
//! MODEL_DEPLOYING, MODEL_LOADING or MODEL_BUSY_PLEASE_RETRY (the codes the SDK's
//! `status_is_retryable` lists), and is asked again after a pause, within a budget of its own
//! (ten minutes, as in the SDK), so that the client's per-call deadline no longer cuts a cold
//! start short. The wait never runs past a deadline the caller set.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use tokio::time::Instant;

use crate::api::status::StatusCode;
use crate::{ClarifaiClient, Error, ResponseStream, RetryPolicy, api};

/// The in-band codes of a model that is not ready yet (the SDK's `RETRYABLE_CODES`).
pub const WARM_UP_CODES: [StatusCode; 3] = [
    StatusCode::ModelDeploying,
    StatusCode::ModelLoading,
    StatusCode::ModelBusyPleaseRetry,
];

/// How long a model's warm-up is waited for by default: ten minutes, as in the SDK.
pub const DEFAULT_WARM_UP: Duration = Duration::from_secs(600);

/// Whether `error` says the model is still warming up.
pub(crate) fn warming_up(error: &Error) -> bool {
    error
        .status_code()
        .is_some_and(|code| WARM_UP_CODES.iter().any(|&c| c as i32 == code.0))
}

/// The SDK's pause before its `n`th try again (its `BackoffIterator(10)`): 0.1 s × 1.3^(10 + n),
/// so 1.79 s, 2.33 s, 3.03 s, ...
fn pause(n: u32) -> Duration {
    Duration::from_secs_f64(0.1 * 1.3f64.powi(10 + n.min(40) as i32))
}

/// One attempt's settings: its deadline, and the client's retry policy without the warm-up
/// codes (which the warm-up loop handles).
pub(crate) struct Attempt {
    /// What bounds the attempt: the time left before the caller's deadline, else the client's
    /// default.
    pub(crate) timeout: Option<Duration>,
    /// Whether `timeout` is the caller's time left, which the request must carry; the client's
    /// default it applies itself (with its `grpc-timeout` formatted once per client).
    callers: bool,
    retry: RetryPolicy,
}

impl Attempt {
    /// `message` as a request with this attempt's deadline and retry policy.
    pub(crate) fn request<T>(self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        if let Some(timeout) = self.timeout.filter(|_| self.callers) {
            request.set_timeout(timeout);
        }
        request.extensions_mut().insert(self.retry);
        request
    }
}

/// How a call waits out a warm-up.
pub(crate) struct WarmUp {
    budget: Duration,
    /// A deadline the caller set for the whole call (`Some(None)`: none at all); `None` when only
    /// the client's default applies, which then bounds each attempt.
    callers: Option<Option<Duration>>,
    default_timeout: Option<Duration>,
    retry: RetryPolicy,
}

impl WarmUp {
    pub(crate) fn new(
        client: &ClarifaiClient,
        budget: Option<Duration>,
        handle_timeout: Option<Option<Duration>>,
    ) -> WarmUp {
        let codes = WARM_UP_CODES.map(|c| c as i32);
        WarmUp {
            budget: budget.unwrap_or(DEFAULT_WARM_UP),
            callers: handle_timeout.or_else(|| client.explicit_timeout()),
            default_timeout: client.default_timeout(),
            retry: client.retry_policy().clone().without_clarifai_codes(&codes),
        }
    }

    /// Runs `attempt` until it gives something other than a warm-up code, or the budget or the
    /// caller's deadline leaves no room for another pause; then gives its last outcome.
    pub(crate) async fn run<T, F, Fut>(&self, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let start = Instant::now();
        // A deadline too far to represent is no deadline.
        let deadline = match self.callers {
            Some(Some(d)) => start.checked_add(d),
            _ => None,
        };
        let mut tries = 0;
        loop {
            let timeout = match (self.callers, deadline) {
                (_, Some(end)) => Some(end.saturating_duration_since(Instant::now())),
                (Some(_), None) => None,
                (None, None) => self.default_timeout,
            };
            let retry = self.retry.clone();
            let callers = deadline.is_some();
            let outcome = attempt(Attempt {
                timeout,
                callers,
                retry,
            })
            .await;
            match outcome {
                Err(e) if warming_up(&e) => {
                    tries += 1;
                    let wait = pause(tries);
                    let now = Instant::now();
                    let over_budget = now.saturating_duration_since(start) >= self.budget;
                    let past_deadline = deadline.is_some_and(|end| now + wait >= end);
                    if over_budget || past_deadline {
                        return Err(e);
                    }
                    tracing::info!(
                        code = e.status_code().map(|c| c.0),
                        wait_ms = wait.as_millis() as u64,
                        "the model is warming up; asking again"
                    );
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    /// A StreamModelOutputs waiting out a warm-up: what was sent before the first answer is
    /// recorded, and sent again to the next attempt.
    pub(crate) async fn run_stream<S>(
        &self,
        client: &ClarifaiClient,
        requests: S,
    ) -> Result<ResponseStream<api::MultiOutputResponse>, Error>
    where
        S: Stream<Item = api::PostModelOutputsRequest> + Send + 'static,
    {
        let replay = Arc::new(Mutex::new(Replay {
            // Fused: an attempt after the end must not poll the caller's stream again.
            source: Box::pin(requests.fuse()),
            sent: Vec::new(),
            recording: true,
            generation: 0,
        }));
        let outcome = self
            .run(|attempt| {
                let replay = replay.clone();
                async move {
                    // This attempt's view; an older attempt's stops giving requests.
                    let generation = match replay.lock() {
                        Ok(mut r) => {
                            r.generation += 1;
                            r.generation
                        }
                        Err(_) => 0,
                    };
                    let requests = Replayed {
                        replay,
                        cursor: 0,
                        generation,
                    };
                    let client = match attempt.timeout.filter(|_| attempt.callers) {
                        Some(t) => client.with_options(crate::CallOptions::new().timeout(t)),
                        None => client.clone(),
                    };
                    let mut answers = client.stream_model_outputs(requests).await?;
                    let first = match attempt.timeout {
                        Some(t) => tokio::time::timeout(t, answers.next()).await.map_err(|_| {
                            Error::Timeout {
                                rpc: "StreamModelOutputs",
                                after: t,
                            }
                        })?,
                        None => answers.next().await,
                    };
                    match first {
                        Some(Err(e)) => Err(e),
                        first => Ok((first, answers)),
                    }
                }
            })
            .await;
        if let Ok(mut replay) = replay.lock() {
            replay.recording = false;
            replay.sent = Vec::new();
        }
        let (first, rest) = outcome?;
        Ok(Box::pin(futures_util::stream::iter(first).chain(rest)))
    }
}

type Source = Pin<Box<dyn Stream<Item = api::PostModelOutputsRequest> + Send>>;

/// The caller's requests, with those sent before the first answer kept for the next attempt.
struct Replay {
    source: Source,
    sent: Vec<api::PostModelOutputsRequest>,
    recording: bool,
    /// The newest attempt's number: an older attempt's view gives no more requests.
    generation: u64,
}

/// One attempt's view of a [`Replay`]: the recorded requests, then new ones.
struct Replayed {
    replay: Arc<Mutex<Replay>>,
    cursor: usize,
    generation: u64,
}

impl Stream for Replayed {
    type Item = api::PostModelOutputsRequest;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Ok(mut replay) = this.replay.lock() else {
            return Poll::Ready(None);
        };
        if replay.generation != this.generation {
            return Poll::Ready(None);
        }
        if let Some(request) = replay.sent.get(this.cursor).cloned() {
            this.cursor += 1;
            return Poll::Ready(Some(request));
        }
        let next = replay.source.as_mut().poll_next(cx);
        if let Poll::Ready(Some(request)) = &next
            && replay.recording
        {
            replay.sent.push(request.clone());
            this.cursor += 1;
        }
        next
    }
}
