//! ClarifaiClient against MockV2 over a real socket: retries, deadlines, in-band errors, limits,
//! dropped connections, pagination and load.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Credentials, Error, RetryPolicy, rpc};
use futures_util::StreamExt;

fn status(code: StatusCode, description: &str) -> Option<api::status::Status> {
    Some(api::status::Status {
        code: code as i32,
        description: description.into(),
        req_id: "req-123".into(),
        ..Default::default()
    })
}

fn outputs(ids: &[&str], code: StatusCode) -> api::MultiOutputResponse {
    api::MultiOutputResponse {
        status: status(code, "done"),
        outputs: ids
            .iter()
            .map(|id| api::Output {
                id: (*id).into(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

#[test]
fn the_client_is_cheap_to_share() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    fn sendable<T: Send + Sync + 'static>() {}
    shareable::<ClarifaiClient>();
    shareable::<Credentials>();
    sendable::<Error>();
    // Handles only (channel, interceptor, settings behind an Arc): clones share the connection.
    assert!(
        std::mem::size_of::<ClarifaiClient>() <= 512,
        "{}",
        std::mem::size_of::<ClarifaiClient>()
    );
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().backoff(Duration::from_millis(5), Duration::from_millis(20))
}

async fn client_for(mock: &MockV2, policy: RetryPolicy) -> ClarifaiClient {
    ClarifaiClient::builder()
        .endpoint(mock.url())
        .credentials(Credentials::pat("pat", "me", "app").unwrap())
        .retry_policy(policy)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

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
    let mock = MockV2::start().await.unwrap();
    flaky(&mock, 2, || Err(tonic::Status::unavailable("warming up")));
    let client = client_for(&mock, fast_retries()).await;
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

/// Parses a `grpc-timeout` header value.
fn grpc_timeout(value: &str) -> Duration {
    let (n, unit) = value.split_at(value.len() - 1);
    assert!(n.len() <= 8, "at most 8 digits: {value}");
    let n: u64 = n.parse().expect(value);
    match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => panic!("unit of {value}"),
    }
}

#[tokio::test]
async fn throttled_in_band_once_is_retried() {
    let mock = MockV2::start().await.unwrap();
    flaky(&mock, 1, || Ok(outputs(&[], StatusCode::ConnThrottled)));
    let client = client_for(&mock, fast_retries()).await;
    client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(mock.call_count(), 2);
}

#[tokio::test]
async fn model_loading_is_retried_but_billing_and_cancellation_are_not() {
    let mock = MockV2::start().await.unwrap();
    flaky(&mock, 1, || Ok(outputs(&[], StatusCode::ModelLoading)));
    let client = client_for(&mock, fast_retries()).await;
    client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(mock.call_count(), 2);

    let mock = MockV2::start().await.unwrap();
    flaky(&mock, 10, || {
        Ok(outputs(&[], StatusCode::ConnExceedMonthlyLimit))
    });
    // Even a policy listing the billing code does not retry it.
    let policy = fast_retries().clarifai_codes([StatusCode::ConnExceedMonthlyLimit]);
    let client = client_for(&mock, policy).await;
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.status_code().unwrap(),
        StatusCode::ConnExceedMonthlyLimit
    );
    assert_eq!(mock.call_count(), 1);

    let mock = MockV2::start().await.unwrap();
    flaky(&mock, 10, || Err(tonic::Status::cancelled("stop")));
    let client = client_for(
        &mock,
        fast_retries().grpc_codes([tonic::Code::Cancelled, tonic::Code::Unavailable]),
    )
    .await;
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.grpc_status().unwrap().code(), tonic::Code::Cancelled);
    assert_eq!(mock.call_count(), 1);
}

#[tokio::test]
async fn always_unavailable_fails_after_the_configured_attempts() {
    let mock = MockV2::start().await.unwrap();
    flaky(&mock, usize::MAX, || {
        Err(tonic::Status::unavailable("down"))
    });
    let client = client_for(&mock, fast_retries().max_attempts(4)).await;
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

#[tokio::test]
async fn a_handler_slower_than_the_deadline_gives_a_timeout() {
    let mock = MockV2::start().await.unwrap();
    mock.on::<rpc::PostModelOutputs, _, _>(|_| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(outputs(&[], StatusCode::Success))
    });
    let client = ClarifaiClient::builder()
        .endpoint(mock.url())
        .credentials(Credentials::pat("pat", "me", "app").unwrap())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    // The deadline also travelled to the server as grpc-timeout.
    let sent = mock.calls()[0].header("grpc-timeout").map(grpc_timeout);
    assert_eq!(sent, Some(Duration::from_millis(200)));

    // A caller's own timeout goes out as the caller set it.
    mock.clear_calls();
    let mut request = tonic::Request::new(api::PostModelOutputsRequest::default());
    request.set_timeout(Duration::from_millis(150));
    let err = client.post_model_outputs(request).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let sent = mock.calls()[0].header("grpc-timeout").map(grpc_timeout);
    assert_eq!(sent, Some(Duration::from_millis(150)));
}

/// A V2 server that answers every call with response headers at once and then, depending on
/// `send_message`, either nothing more or one message and no trailers: a stall that only the
/// client's own deadline can end (tonic's timer for `grpc-timeout` stops at the headers).
#[derive(Clone)]
struct StallAfterHeaders {
    send_message: bool,
}

/// A response body that yields `first` (if any) and then stays pending forever.
struct StalledBody(Option<bytes::Bytes>);

impl http_body::Body for StalledBody {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, tonic::Status>>> {
        match self.0.take() {
            Some(data) => std::task::Poll::Ready(Some(Ok(http_body::Frame::data(data)))),
            None => std::task::Poll::Pending,
        }
    }
}

impl tonic::server::NamedService for StallAfterHeaders {
    const NAME: &'static str = "clarifai.api.V2";
}

impl tower::Service<http::Request<tonic::body::Body>> for StallAfterHeaders {
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<tonic::body::Body>) -> Self::Future {
        let first = self.send_message.then(|| {
            // One gRPC frame: uncompressed flag, length, then an empty (valid) response.
            bytes::Bytes::from_static(&[0, 0, 0, 0, 0])
        });
        let response = http::Response::builder()
            .header("content-type", "application/grpc")
            .body(tonic::body::Body::new(StalledBody(first)))
            .expect("static response");
        std::future::ready(Ok(response))
    }
}

#[tokio::test]
async fn a_body_that_stalls_after_the_headers_still_times_out() {
    for send_message in [false, true] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(StallAfterHeaders { send_message })
                .serve_with_incoming(tokio_stream_of(listener)),
        );
        let client = ClarifaiClient::builder()
            .endpoint(format!("http://{addr}"))
            .credentials(Credentials::pat("pat", "me", "app").unwrap())
            .timeout(Duration::from_millis(300))
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let started = Instant::now();
        let call = client.post_model_outputs(api::PostModelOutputsRequest::default());
        let err = tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .expect("the client's deadline must end the call, not this guard")
            .unwrap_err();
        let took = started.elapsed();
        assert!(err.is_timeout(), "message sent: {send_message}: {err:?}");
        assert!(
            took >= Duration::from_millis(290) && took < Duration::from_secs(5),
            "took {took:?}"
        );
        server.abort();
    }
}

/// The accepted connections of `listener`, as tonic's `serve_with_incoming` takes them.
fn tokio_stream_of(
    listener: tokio::net::TcpListener,
) -> impl futures_util::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures_util::stream::unfold(listener, |listener| async move {
        let accepted = listener.accept().await.map(|(stream, _)| stream);
        Some((accepted, listener))
    })
}

#[tokio::test]
async fn mixed_status_is_an_error_that_keeps_the_partial_outputs() {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(outputs(&["first", "second"], StatusCode::MixedStatus));
    let client = client_for(&mock, fast_retries()).await;
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.status_code().unwrap(), StatusCode::MixedStatus);
    assert_eq!(err.rpc(), Some("PostModelOutputs"));
    let partial = err
        .response::<api::MultiOutputResponse>()
        .expect("the response is kept");
    assert_eq!(partial.outputs.len(), 2);
    let e = err.clarifai().unwrap();
    assert_eq!(e.req_id(), "req-123");
    assert_eq!(e.description(), "done");
    let text = err.to_string();
    assert!(
        text.contains("MIXED_STATUS") && text.contains("10010") && text.contains("req-123"),
        "{text}"
    );
    assert!(!err.is_retryable());
    // The raw client hands back the response untouched.
    let raw = client
        .v2()
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(raw.status.unwrap().code, StatusCode::MixedStatus as i32);
    // Take the response out by value.
    let Error::Clarifai(boxed) = err else {
        panic!()
    };
    let owned: api::MultiOutputResponse = boxed.into_response().unwrap();
    assert_eq!(owned.outputs[1].id, "second");
}

#[tokio::test]
async fn auth_failures_say_what_to_check() {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(api::MultiOutputResponse {
        status: status(StatusCode::ConnKeyInvalid, "API key not found"),
        ..Default::default()
    });
    let scopes = api::MultiModelResponse {
        status: Some(api::status::Status {
            code: StatusCode::ConnInsufficientScopes as i32,
            description: "Insufficient scopes".into(),
            details: "Missing scopes: Models:Get, Predict".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    mock.respond::<rpc::ListModels>(scopes);
    mock.respond::<rpc::ListApps>(api::MultiAppResponse {
        status: status(StatusCode::ConnInvalidRequest, "Invalid request"),
        ..Default::default()
    });
    let client = client_for(&mock, fast_retries()).await;

    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert!(err.is_auth());
    assert!(err.to_string().contains("not recognised"), "{err}");

    let err = client
        .list_models(api::ListModelsRequest::default())
        .await
        .unwrap_err();
    assert!(err.is_auth());
    assert!(err.to_string().contains("Models:Get, Predict"), "{err}");

    let err = client
        .list_apps(api::ListAppsRequest::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no usable key"), "{err}");
}

#[tokio::test]
async fn unknown_codes_keep_their_number() {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(api::MultiOutputResponse {
        status: Some(api::status::Status {
            code: 98765,
            ..Default::default()
        }),
        ..Default::default()
    });
    let client = client_for(&mock, fast_retries()).await;
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.status_code().unwrap().0, 98765);
    assert!(err.status_code().unwrap().known().is_none());
    let text = err.to_string();
    assert!(text.contains("98765") && !text.contains("ZERO"), "{text}");
}

#[tokio::test]
async fn grpc_errors_are_classified() {
    let mock = MockV2::start().await.unwrap();
    mock.on::<rpc::GetModel, _, _>(|_| async { Err(tonic::Status::not_found("no such model")) });
    let client = client_for(&mock, fast_retries()).await;
    let err = client
        .get_model(api::GetModelRequest::default())
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("no such model"));
    // No handler: UNIMPLEMENTED, not retried.
    let err = client
        .list_apps(api::ListAppsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.grpc_status().unwrap().code(),
        tonic::Code::Unimplemented
    );
    assert_eq!(mock.calls_to::<rpc::ListApps>().len(), 1);
}

#[tokio::test]
async fn a_response_over_the_limit_is_a_clear_error_and_the_client_recovers() {
    let mock = MockV2::start().await.unwrap();
    mock.on::<rpc::PostModelOutputs, _, _>(|req| async move {
        let n = if req.get_ref().model_id == "big" {
            64 * 1024
        } else {
            1
        };
        Ok(outputs(&[&"x".repeat(n)], StatusCode::Success))
    });
    let client = ClarifaiClient::builder()
        .endpoint(mock.url())
        .credentials(Credentials::pat("pat", "me", "app").unwrap())
        .max_decoding_message_size(16 * 1024)
        .build()
        .unwrap();
    let big = api::PostModelOutputsRequest {
        model_id: "big".into(),
        ..Default::default()
    };
    let err = client.post_model_outputs(big).await.unwrap_err();
    assert!(matches!(err, Error::MessageTooLarge { .. }), "{err:?}");
    assert!(
        err.to_string().contains("max_decoding_message_size"),
        "{err}"
    );
    let small = api::PostModelOutputsRequest {
        model_id: "small".into(),
        ..Default::default()
    };
    client.post_model_outputs(small).await.unwrap();
}

/// A response many times the HTTP/2 windows still arrives whole and unchanged: flow control
/// with small windows is exercised end to end.
#[tokio::test]
async fn small_http2_windows_still_carry_a_large_response() {
    let mock = MockV2::start().await.unwrap();
    mock.on::<rpc::PostInputs, _, _>(|req| async move {
        Ok(api::MultiInputResponse {
            status: status(StatusCode::Success, "Ok"),
            inputs: req.into_inner().inputs,
            ..Default::default()
        })
    });
    let client = ClarifaiClient::builder()
        .endpoint(mock.url())
        .credentials(Credentials::pat("pat", "me", "app").unwrap())
        .http2_stream_window(16 * 1024)
        .http2_connection_window(32 * 1024)
        .build()
        .unwrap();
    let payload: bytes::Bytes = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
    let request = api::PostInputsRequest {
        inputs: vec![api::Input::image_bytes(payload.clone()).with_id("big")],
        ..Default::default()
    };
    let response = client.post_inputs(request).await.unwrap();
    let echoed = response.inputs[0].image().map(|i| i.base64.clone());
    assert_eq!(echoed, Some(payload));
}

#[tokio::test]
async fn a_connection_dropped_mid_stream_ends_the_stream_with_an_error() {
    let mock = MockV2::start().await.unwrap();
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
        futures_util::stream::iter([Ok(outputs(&["first"], StatusCode::Success))])
            .chain(futures_util::stream::pending())
    });
    mock.respond::<rpc::PostModelOutputs>(outputs(&["after"], StatusCode::Success));
    let client = client_for(&mock, fast_retries()).await;
    let mut stream = client
        .generate_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.outputs[0].id, "first");
    mock.drop_connections();
    let next = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("the stream hung");
    let err = next.expect("an error item, not a silent end").unwrap_err();
    assert!(err.grpc_status().is_some(), "{err:?}");
    assert!(stream.next().await.is_none(), "nothing after the error");
    // The next call reconnects.
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "after");
}

#[tokio::test]
async fn a_stream_is_retried_before_its_first_message() {
    let mock = MockV2::start().await.unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(move |_| {
        let first_try = seen.fetch_add(1, Ordering::SeqCst) == 0;
        futures_util::stream::iter(if first_try {
            vec![Err(tonic::Status::unavailable("not yet"))]
        } else {
            vec![
                Ok(outputs(&["a"], StatusCode::Success)),
                Ok(outputs(&["b"], StatusCode::MixedStatus)),
            ]
        })
    });
    let client = client_for(&mock, fast_retries()).await;
    let items: Vec<_> = client
        .generate_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(mock.call_count(), 2);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().outputs[0].id, "a");
    // Each item's in-band status is checked.
    let err = items[1].as_ref().unwrap_err();
    assert_eq!(
        err.response::<api::MultiOutputResponse>().unwrap().outputs[0].id,
        "b"
    );
}

#[tokio::test]
async fn pagination_yields_every_item_in_three_requests() {
    let mock = MockV2::start().await.unwrap();
    mock.on::<rpc::ListModels, _, _>(|req| async move {
        let r = req.into_inner();
        let start = ((r.page.max(1) - 1) * r.per_page) as usize;
        let end = (start + r.per_page as usize).min(25);
        Ok(api::MultiModelResponse {
            status: status(StatusCode::Success, "ok"),
            models: (start.min(end)..end)
                .map(|i| api::Model {
                    id: format!("model-{i:02}"),
                    ..Default::default()
                })
                .collect(),
        })
    });
    let client = client_for(&mock, fast_retries()).await;
    let request = api::ListModelsRequest {
        per_page: 10,
        ..Default::default()
    };
    let models: Vec<_> = client
        .list_models_stream(request)
        .map(|m| m.unwrap().id)
        .collect()
        .await;
    assert_eq!(models.len(), 25);
    assert_eq!(models.first().unwrap(), "model-00");
    assert_eq!(models.last().unwrap(), "model-24");
    let pages: Vec<_> = mock
        .requests::<rpc::ListModels>()
        .iter()
        .map(|r| (r.page, r.per_page))
        .collect();
    assert_eq!(pages, [(1, 10), (2, 10), (3, 10)]);
    assert_eq!(
        mock.requests::<rpc::ListModels>()[0]
            .user_app_id
            .as_ref()
            .unwrap()
            .app_id,
        "app"
    );

    // A failing page ends the stream with its error.
    mock.clear_calls();
    mock.respond::<rpc::ListModels>(api::MultiModelResponse {
        status: status(StatusCode::ConnKeyInvalid, "API key not found"),
        ..Default::default()
    });
    let items: Vec<_> = client
        .list_models_stream(api::ListModelsRequest::default())
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    assert!(items[0].as_ref().unwrap_err().is_auth());
    // per_page 0 means the client's page size.
    assert_eq!(
        mock.requests::<rpc::ListModels>()[0].per_page,
        clarifai_tonic::DEFAULT_PAGE_SIZE
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_calls_256_at_a_time_none_lost_or_duplicated() {
    let mock = MockV2::start().await.unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    mock.on::<rpc::PostModelOutputs, _, _>(move |req| {
        counter.fetch_add(1, Ordering::Relaxed);
        let id = req.into_inner().model_id;
        async move { Ok(outputs(&[&id], StatusCode::Success)) }
    });
    let client = client_for(&mock, fast_retries()).await;
    let results: Vec<Result<String, Error>> = futures_util::stream::iter(0..10_000)
        .map(|i| {
            let client = client.clone();
            async move {
                let request = api::PostModelOutputsRequest {
                    model_id: format!("{i}"),
                    ..Default::default()
                };
                client
                    .post_model_outputs(request)
                    .await
                    .map(|r| r.outputs[0].id.clone())
            }
        })
        .buffer_unordered(256)
        .collect()
        .await;
    let mut ids: Vec<u32> = results
        .into_iter()
        .map(|r| r.unwrap().parse().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..10_000).collect::<Vec<_>>());
    assert_eq!(served.load(Ordering::Relaxed), 10_000);
    assert_eq!(mock.call_count(), 10_000);
}

#[tokio::test]
async fn the_client_works_over_an_in_memory_channel() {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(outputs(&["mem"], StatusCode::Success));
    let (client_io, server_io) = tokio::io::duplex(1 << 20);
    let service = mock.service();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(futures_util::stream::iter([Ok::<_, std::io::Error>(
                server_io,
            )]))
            .await
    });
    let mut client_io = Some(client_io);
    let channel = tonic::transport::Endpoint::from_static("http://in-memory")
        .connect_with_connector(tower::service_fn(move |_| {
            let io = client_io.take();
            async move {
                io.map(hyper_util::rt::TokioIo::new).ok_or_else(|| {
                    std::io::Error::other("the in-memory connection was already used")
                })
            }
        }))
        .await
        .unwrap();
    let client = ClarifaiClient::from_channel(channel, Credentials::api_key("mem-key").unwrap());
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "mem");
    assert_eq!(mock.calls()[0].header("authorization"), Some("Key mem-key"));
}

#[tokio::test]
async fn tls_with_a_custom_ca() {
    let mock = MockV2::start_tls(
        include_bytes!("../fixtures/server.pem"),
        include_bytes!("../fixtures/server.key"),
    )
    .await
    .unwrap();
    mock.respond::<rpc::PostModelOutputs>(outputs(&["over tls"], StatusCode::Success));
    assert!(mock.url().starts_with("https://localhost:"));
    let client = ClarifaiClient::builder()
        .endpoint(mock.url())
        .ca_certificate(include_bytes!("../fixtures/ca.pem"))
        .credentials(Credentials::api_key("tls-key").unwrap())
        .build()
        .unwrap();
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "over tls");
    assert_eq!(mock.calls()[0].header("authorization"), Some("Key tls-key"));

    // Without the CA the handshake fails: a typed error, and the key never reaches the server.
    let untrusted = ClarifaiClient::builder()
        .endpoint(mock.url())
        .retry_policy(RetryPolicy::none())
        .credentials(Credentials::api_key("tls-key").unwrap())
        .build()
        .unwrap();
    let err = untrusted
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert!(err.grpc_status().is_some(), "{err:?}");
    assert_eq!(mock.call_count(), 1);
}
