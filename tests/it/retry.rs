//! The retry loop: which failures are retried (gRPC codes, in-band Clarifai codes), how many
//! attempts, the deadline carried by each attempt, and per-call policies.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::rpc::UnaryRpc;
use clarifai_tonic::{retry::RetryPolicy, rpc};
use futures_util::StreamExt;
use tokio::time::Instant;

use crate::support::fixture::{Fixture, fast_retries, grpc_timeout, outputs};

/// A handler that fails the first `failures` calls with `fail`, then answers `ok`.
fn flaky(
    mock: &MockV2,
    failures: usize,
    fail: impl Fn() -> Result<api::MultiOutputResponse, tonic::Status> + Send + Sync + 'static,
) {
    let fail = Arc::new(fail);
    let seen = Arc::new(AtomicUsize::new(0));
    mock.on::<rpc::PostModelOutputs, _, _>(move |_| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        let fail = fail.clone();
        async move {
            if n < failures {
                fail()
            } else {
                Ok(outputs(&["ok"], StatusCode::Success))
            }
        }
    });
}

#[tokio::test]
async fn unavailable_twice_then_success_is_ok_after_three_attempts() {
    let (mock, client) = Fixture::fast().start().await;
    flaky(&mock, 2, || Err(tonic::Status::unavailable("warming up")));
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "ok");
    let calls = mock.calls_to::<rpc::PostModelOutputs>();
    assert_eq!(calls.len(), 3);
    // The first attempt carries the client's whole timeout (10 s), the same header on every
    // call; each retry carries the time left.
    let timeouts: Vec<Duration> = calls
        .iter()
        .map(|c| {
            grpc_timeout(
                c.header("grpc-timeout")
                    .expect("every attempt has a deadline"),
            )
        })
        .collect();
    assert_eq!(timeouts[0], Duration::from_secs(10));
    assert!(
        timeouts[1] < timeouts[0]
            && timeouts[2] < timeouts[1]
            && timeouts[2] > Duration::from_secs(9),
        "{timeouts:?}"
    );
}

/// A call whose first attempt gets `fail` succeeds on its second.
async fn assert_retried_once(fail: fn() -> Result<api::MultiOutputResponse, tonic::Status>) {
    let (mock, client) = Fixture::fast().start().await;
    flaky(&mock, 1, fail);
    client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(mock.call_count(), 2);
}

#[tokio::test]
async fn throttled_in_band_once_is_retried() {
    assert_retried_once(|| Ok(outputs(&[], StatusCode::ConnThrottled))).await;
}

#[tokio::test]
async fn model_loading_is_retried_but_billing_and_cancellation_are_not() {
    assert_retried_once(|| Ok(outputs(&[], StatusCode::ModelLoading))).await;

    // Even a policy listing the billing code does not retry it.
    let policy = fast_retries().clarifai_codes([StatusCode::ConnExceedMonthlyLimit]);
    let (mock, client) = Fixture::fast().retry(policy).start().await;
    flaky(&mock, 10, || {
        Ok(outputs(&[], StatusCode::ConnExceedMonthlyLimit))
    });
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.status_code().unwrap(),
        StatusCode::ConnExceedMonthlyLimit
    );
    assert_eq!(mock.call_count(), 1);

    let policy = fast_retries().grpc_codes([tonic::Code::Cancelled, tonic::Code::Unavailable]);
    let (mock, client) = Fixture::fast().retry(policy).start().await;
    flaky(&mock, 10, || Err(tonic::Status::cancelled("stop")));
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.grpc_status().unwrap().code(), tonic::Code::Cancelled);
    assert_eq!(mock.call_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn always_unavailable_fails_after_the_configured_attempts() {
    let (mock, client) = Fixture::fast()
        .retry(fast_retries().max_attempts(4))
        .start_in_memory()
        .await;
    flaky(&mock, usize::MAX, || {
        Err(tonic::Status::unavailable("down"))
    });
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(err.grpc_status().unwrap().code(), tonic::Code::Unavailable);
    assert_eq!(mock.call_count(), 4);

    // Per call, retries can be turned off.
    mock.clear_calls();
    let mut request = tonic::Request::new(api::PostModelOutputsRequest::default());
    request.extensions_mut().insert(RetryPolicy::none());
    client.post_model_outputs(request).await.unwrap_err();
    assert_eq!(mock.call_count(), 1);
}

/// The deadline bounds the retries: 100 ms backoffs under a 350 ms deadline leave room for at
/// most four attempts (0, 100, 200, 300 ms), however slow the machine, and the call ends long
/// before a hundred attempts could. Real time: the retry loop reads `std::time::Instant`, which
/// tokio's paused clock does not move.
#[tokio::test(start_paused = true)]
async fn the_deadline_cuts_the_retries_short() {
    // On the paused clock (the deadline and the backoff are on tokio's clock): attempts at 0,
    // 100, 200 and 300 ms; the next wait would end at 400 ms, past the 350 ms deadline, so
    // there is no fifth.
    let (mock, client) = Fixture::fast().start_in_memory().await;
    let arrivals =
        always_failing::<rpc::PostModelOutputs>(&mock, || Err(tonic::Status::unavailable("down")));
    let slow = RetryPolicy::default()
        .max_attempts(100)
        .backoff(Duration::from_millis(100), Duration::from_millis(100))
        .jitter(0.0);
    let mut request = tonic::Request::new(api::PostModelOutputsRequest::default());
    request.set_timeout(Duration::from_millis(350));
    request.extensions_mut().insert(slow);
    let started = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(30), client.post_model_outputs(request))
        .await
        .expect("the deadline must end the retries, not this guard")
        .unwrap_err();
    assert!(err.is_retryable() || err.is_timeout(), "{err:?}");
    let at: Vec<Duration> = arrivals
        .lock()
        .unwrap()
        .iter()
        .map(|a| a.duration_since(started))
        .collect();
    let millis: Vec<u128> = at.iter().map(Duration::as_millis).collect();
    assert_eq!(millis, [0, 100, 200, 300], "{at:?}");
    assert!(
        started.elapsed() < Duration::from_millis(350),
        "{:?}",
        started.elapsed()
    );
}

/// Fails every call of `R` with `fail`, recording on tokio's clock when each arrived.
fn always_failing<R: UnaryRpc>(
    mock: &MockV2,
    fail: fn() -> Result<R::Response, tonic::Status>,
) -> Arc<Mutex<Vec<Instant>>> {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    mock.on::<R, _, _>(move |_| {
        seen.lock().unwrap().push(Instant::now());
        async move { fail() }
    });
    arrivals
}

/// The waits between consecutive arrivals.
fn gaps(arrivals: &Mutex<Vec<Instant>>) -> Vec<Duration> {
    let arrivals = arrivals.lock().unwrap();
    arrivals.windows(2).map(|w| w[1] - w[0]).collect()
}

/// The default policy's nominal wait before attempt `n + 1`: 50 ms doubling, at most 5 s.
fn nominal_wait(n: u32) -> Duration {
    (Duration::from_millis(50) * 2u32.pow(n - 1)).min(Duration::from_secs(5))
}

/// Asserts that each gap is its nominal wait shortened by at most 20% (tokio rounds a timer
/// up to the millisecond, so a gap never exceeds the whole-millisecond nominal wait), and that
/// the jitter shortened at least one of them.
fn assert_jittered_backoff(gaps: &[Duration]) {
    let nominal: Vec<Duration> = (1..=gaps.len() as u32).map(nominal_wait).collect();
    for (gap, nominal) in gaps.iter().zip(&nominal) {
        assert!(
            *gap >= nominal.mul_f64(0.8) && gap <= nominal,
            "a wait of {gap:?} for a nominal {nominal:?}: {gaps:?}"
        );
    }
    assert!(
        gaps.iter()
            .zip(&nominal)
            .any(|(gap, nominal)| gap < nominal),
        "no wait was jittered: {gaps:?}"
    );
}

/// The default policy on gRPC UNAVAILABLE of a read: five attempts in all, 50, 100, 200 and
/// 400 ms apart, each wait shortened by up to 20% at random. Read off tokio's paused clock.
#[tokio::test(start_paused = true)]
async fn the_default_policy_tries_five_times_with_doubling_jittered_waits() {
    let (mock, client) = Fixture::new().start_in_memory().await;
    let arrivals =
        always_failing::<rpc::ListModels>(&mock, || Err(tonic::Status::unavailable("down")));
    let err = client
        .list_models(api::ListModelsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.grpc_status().unwrap().code(), tonic::Code::Unavailable);
    assert_eq!(mock.calls_to::<rpc::ListModels>().len(), 5);
    assert_jittered_backoff(&gaps(&arrivals));
}

/// The default backoff keeps doubling up to its 5 s cap: with ten attempts, the waits are
/// 50 ms, 100 ms, ... 3.2 s, then 5 s twice (never 6.4 s or 12.8 s).
#[tokio::test(start_paused = true)]
async fn the_default_backoff_stops_growing_at_five_seconds() {
    let (mock, client) = Fixture::new()
        .retry(RetryPolicy::default().max_attempts(10))
        .start_in_memory()
        .await;
    let arrivals =
        always_failing::<rpc::ListModels>(&mock, || Err(tonic::Status::unavailable("down")));
    client
        .list_models(api::ListModelsRequest::default())
        .await
        .unwrap_err();
    let gaps = gaps(&arrivals);
    assert_eq!(gaps.len(), 9);
    assert_jittered_backoff(&gaps);
    assert!(gaps[7] >= Duration::from_secs(4), "{gaps:?}");
}

/// The in-band codes the default policy retries, on a read, on a predict and on a write alike:
/// each is tried again after its first failure, and a code outside the list is not.
#[tokio::test(start_paused = true)]
async fn the_default_policy_retries_its_in_band_codes_on_every_rpc() {
    let retried = [
        StatusCode::ConnExceedHourlyLimit,
        StatusCode::ConnThrottled,
        StatusCode::ModelDeploying,
        StatusCode::ModelBusyPleaseRetry,
        StatusCode::ModelLoading,
    ];
    assert_eq!(
        retried.map(|c| c as i32),
        [11003, 11005, 21351, 21354, 21355]
    );
    for code in retried.into_iter().chain([StatusCode::ConnKeyInvalid]) {
        let expected = if code == StatusCode::ConnKeyInvalid {
            1
        } else {
            2
        };
        let (mock, client) = Fixture::new().start_in_memory().await;
        let failed = Arc::new(AtomicUsize::new(0));
        let first = failed.clone();
        mock.on::<rpc::PostInputs, _, _>(move |_| {
            let code = if first.fetch_add(1, Ordering::SeqCst) == 0 {
                code
            } else {
                StatusCode::Success
            };
            async move {
                Ok(api::MultiInputResponse {
                    status: crate::support::fixture::status(code, "once"),
                    ..Default::default()
                })
            }
        });
        flaky(&mock, 1, move || Ok(outputs(&[], code)));
        let write = client.post_inputs(api::PostInputsRequest::default()).await;
        let predict = client
            .post_model_outputs(api::PostModelOutputsRequest::default())
            .await;
        assert_eq!(write.is_ok(), expected == 2, "{code:?}: {write:?}");
        assert_eq!(predict.is_ok(), expected == 2, "{code:?}: {predict:?}");
        assert_eq!(
            mock.calls_to::<rpc::PostInputs>().len(),
            expected,
            "{code:?}"
        );
        assert_eq!(
            mock.calls_to::<rpc::PostModelOutputs>().len(),
            expected,
            "{code:?}"
        );
    }
}

/// A bidi stream is never retried, even on UNAVAILABLE, which the default policy retries for a
/// read: its input cannot be replayed.
#[tokio::test(start_paused = true)]
async fn the_default_policy_never_retries_a_bidi_stream() {
    let (mock, client) = Fixture::new().start_in_memory().await;
    mock.on_bidi::<rpc::StreamModelOutputs, _, _>(|_| {
        futures_util::stream::iter([Err(tonic::Status::unavailable("down"))])
    });
    let started = client
        .stream_model_outputs(futures_util::stream::iter([
            api::PostModelOutputsRequest::default(),
        ]))
        .await;
    let items: Vec<_> = match started {
        Ok(stream) => stream.collect().await,
        Err(e) => vec![Err(e)],
    };
    let codes: Vec<_> = items
        .iter()
        .map(|i| i.as_ref().unwrap_err().grpc_status().map(|s| s.code()))
        .collect();
    assert_eq!(codes, [Some(tonic::Code::Unavailable)]);
    assert_eq!(mock.calls_to::<rpc::StreamModelOutputs>().len(), 1);
}
