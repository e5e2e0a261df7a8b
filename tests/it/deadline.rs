//! Deadlines: a slow handler and a body that stalls after the headers both end in a timeout, and
//! the deadline travels to the server as `grpc-timeout`.

use std::time::{Duration, Instant};

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::{RetryPolicy, rpc};

use crate::fixture::{Fixture, grpc_timeout, outputs};

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
            tokio_stream_of(listener),
        ));
        let client = Fixture::new()
            .timeout(Duration::from_millis(300))
            .retry(RetryPolicy::none())
            .client(format!("http://{addr}"));
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
