//! Deadlines: a slow handler and a body that stalls after the headers both end in a timeout, and
//! the deadline travels to the server as `grpc-timeout`.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::{retry::RetryPolicy, rpc};

use crate::support::fixture::{Fixture, grpc_timeout, outputs};

#[tokio::test]
async fn a_handler_slower_than_the_deadline_gives_a_timeout() {
    let (mock, client) = Fixture::new()
        .timeout(Duration::from_millis(200))
        .start()
        .await;
    mock.on::<rpc::PostModelOutputs, _, _>(|_| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(outputs(&[], StatusCode::Success))
    });
    let err = tokio::time::timeout(
        Duration::from_secs(30),
        client.post_model_outputs(api::PostModelOutputsRequest::default()),
    )
    .await
    .expect("the deadline must end the call, not this guard")
    .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
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
        let server = tokio::spawn(tonic::transport::Server::builder().serve_with_incoming(
            StallAfterHeaders { send_message },
            crate::support::fixture::accepted(listener),
        ));
        let client = Fixture::new()
            .timeout(Duration::from_millis(300))
            .retry(RetryPolicy::none())
            .client(format!("http://{addr}"));
        let call = client.post_model_outputs(api::PostModelOutputsRequest::default());
        let err = tokio::time::timeout(Duration::from_secs(30), call)
            .await
            .expect("the client's deadline must end the call, not this guard")
            .unwrap_err();
        assert!(err.is_timeout(), "message sent: {send_message}: {err:?}");
        server.abort();
    }
}

/// `call`, failed after two hours on tokio's paused clock: a deadline that never fires fails
/// the test (at once, in real time) instead of hanging it.
async fn guarded<T>(call: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(7200), call)
        .await
        .expect("still pending after two hours of the paused clock")
}

/// A handler that never answers.
async fn never<T>() -> Result<T, tonic::Status> {
    std::future::pending().await
}

/// With no `.timeout(..)`, a call gets 120 s: it goes out as `grpc-timeout`, and a server that
/// never answers ends the call as a timeout after exactly that long on tokio's paused clock.
#[tokio::test(start_paused = true)]
async fn the_default_deadline_is_120_seconds() {
    let (mock, client) = Fixture::new().start_in_memory().await;
    mock.on::<rpc::ListModels, _, _>(|_| never());
    let started = Instant::now();
    let err = guarded(client.list_models(api::ListModelsRequest::default()))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        took >= Duration::from_secs(120) && took < Duration::from_secs(121),
        "took {took:?}"
    );
    let sent = mock.calls()[0].header("grpc-timeout").map(grpc_timeout);
    assert_eq!(sent, Some(Duration::from_secs(120)));
}

/// `no_timeout()`: no `grpc-timeout` goes out, and an answer an hour late is still an answer.
#[tokio::test(start_paused = true)]
async fn no_timeout_waits_as_long_as_the_server_takes() {
    let (mock, client) = Fixture::new()
        .with(|b| b.no_timeout())
        .start_in_memory()
        .await;
    mock.on::<rpc::ListModels, _, _>(|_| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(api::MultiModelResponse {
            status: crate::support::fixture::success(),
            ..Default::default()
        })
    });
    let started = Instant::now();
    guarded(client.list_models(api::ListModelsRequest::default()))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(3600));
    assert_eq!(mock.calls()[0].header("grpc-timeout"), None);
}

/// A server stream's deadline bounds the wait for its first message: a stream that sends
/// nothing times out after the client's timeout, while one whose first message comes in time
/// may take longer than the deadline for the rest.
#[tokio::test(start_paused = true)]
async fn a_deadline_bounds_a_streams_first_message() {
    let (mock, client) = Fixture::new()
        .timeout(Duration::from_secs(5))
        .start_in_memory()
        .await;
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|request| {
        let silent = request.get_ref().model_id == "silent";
        futures_util::stream::once(async move {
            if silent {
                std::future::pending::<()>().await;
            }
            Ok(outputs(&["first"], StatusCode::Success))
        })
        .chain(futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_secs(20)).await;
            Ok(outputs(&["late"], StatusCode::Success))
        }))
    });
    let silent = api::PostModelOutputsRequest {
        model_id: "silent".into(),
        ..Default::default()
    };
    let started = Instant::now();
    let err = guarded(async {
        match client.generate_model_outputs(silent).await {
            Ok(mut stream) => stream.next().await.expect("an item").unwrap_err(),
            Err(e) => e,
        }
    })
    .await;
    let took = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(6),
        "took {took:?}"
    );

    let started = Instant::now();
    let ids: Vec<String> = guarded(async {
        client
            .generate_model_outputs(api::PostModelOutputsRequest::default())
            .await
            .unwrap()
            .map(|item| item.unwrap().outputs[0].id.clone())
            .collect()
            .await
    })
    .await;
    assert_eq!(ids, ["first", "late"]);
    assert!(started.elapsed() >= Duration::from_secs(20));
}
