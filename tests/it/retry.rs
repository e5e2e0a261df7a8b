//! The retry loop: which failures are retried (gRPC codes, in-band Clarifai codes), how many
//! attempts, the deadline carried by each attempt, and per-call policies.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{RetryPolicy, rpc};

use crate::fixture::{Fixture, fast_retries, grpc_timeout, outputs};

/// A handler that fails the first `failures` calls with `fail`, then answers `ok`.
fn flaky(
    mock: &MockV2,
    failures: usize,
    fail: fn() -> Result<api::MultiOutputResponse, tonic::Status>,
) {
    let seen = Arc::new(AtomicUsize::new(0));
    mock.on::<rpc::PostModelOutputs, _, _>(move |_| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
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

#[tokio::test]
async fn always_unavailable_fails_after_the_configured_attempts() {
    let (mock, client) = Fixture::fast()
        .retry(fast_retries().max_attempts(4))
        .start()
        .await;
    flaky(&mock, usize::MAX, || {
        Err(tonic::Status::unavailable("down"))
    });
    let started = Instant::now();
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(err.grpc_status().unwrap().code(), tonic::Code::Unavailable);
    assert_eq!(mock.call_count(), 4);
    assert!(started.elapsed() < Duration::from_secs(10));

    // The deadline bounds the retries: long backoffs are cut short by a short deadline.
    mock.clear_calls();
    let slow = RetryPolicy::default()
        .max_attempts(100)
        .backoff(Duration::from_millis(100), Duration::from_millis(100))
        .jitter(0.0);
    let mut request = tonic::Request::new(api::PostModelOutputsRequest::default());
    request.set_timeout(Duration::from_millis(350));
    request.extensions_mut().insert(slow);
    let started = Instant::now();
    let err = client.post_model_outputs(request).await.unwrap_err();
    let took = started.elapsed();
    assert!(err.is_retryable() || err.is_timeout(), "{err:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let attempts = mock.call_count();
    assert!(
        (2..=5).contains(&attempts),
        "{attempts} attempts in 350 ms at 100 ms backoff"
    );

    // Per call, retries can be turned off.
    mock.clear_calls();
    let mut request = tonic::Request::new(api::PostModelOutputsRequest::default());
    request.extensions_mut().insert(RetryPolicy::none());
    client.post_model_outputs(request).await.unwrap_err();
    assert_eq!(mock.call_count(), 1);
}
