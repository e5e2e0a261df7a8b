//! gzip (feature `gzip`, run by `.ci/run` as `cargo test --features gzip`): a client with
//! `.gzip(true)` sends `grpc-encoding: gzip` and a body smaller than the plain one, and gets a
//! gzip response back, as seen on the wire by a tower layer in front of MockV2's service.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use clarifai_tonic::api;
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::rpc;
use futures_util::future::BoxFuture;

use crate::support::fixture::{Fixture, accepted, success};

/// One call as it crossed the wire: each side's `grpc-encoding` and its body's size in bytes.
#[derive(Debug, Default)]
struct Exchange {
    request_encoding: Option<String>,
    request_bytes: Arc<AtomicUsize>,
    response_encoding: Option<String>,
    response_bytes: Arc<AtomicUsize>,
}

type Log = Arc<Mutex<Vec<Arc<Mutex<Exchange>>>>>;

/// A tower service in front of the server's: logs every [`Exchange`].
#[derive(Clone)]
struct Wire<S> {
    inner: S,
    log: Log,
}

/// A body that counts the data bytes passing through it.
struct Counted {
    inner: tonic::body::Body,
    bytes: Arc<AtomicUsize>,
}

impl http_body::Body for Counted {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, tonic::Status>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.bytes.fetch_add(data.len(), Ordering::SeqCst);
        }
        polled
    }
}

fn encoding(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("grpc-encoding")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn counted(inner: tonic::body::Body, bytes: &Arc<AtomicUsize>) -> tonic::body::Body {
    tonic::body::Body::new(Counted {
        inner,
        bytes: bytes.clone(),
    })
}

impl<S> tower::Service<http::Request<tonic::body::Body>> for Wire<S>
where
    S: tower::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<tonic::body::Body>,
        >,
    S::Future: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let exchange = Arc::new(Mutex::new(Exchange {
            request_encoding: encoding(request.headers()),
            ..Default::default()
        }));
        self.log.lock().unwrap().push(exchange.clone());
        let request_bytes = exchange.lock().unwrap().request_bytes.clone();
        let response = self
            .inner
            .call(request.map(|body| counted(body, &request_bytes)));
        Box::pin(async move {
            let response = response.await?;
            let mut exchange = exchange.lock().unwrap();
            exchange.response_encoding = encoding(response.headers());
            let bytes = exchange.response_bytes.clone();
            Ok(response.map(|body| counted(body, &bytes)))
        })
    }
}

/// MockV2's service behind [`Wire`] on `127.0.0.1:0`: its URL and the log.
async fn served_through_wire(mock: &MockV2) -> (String, Log) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Log::default();
    let layer_log = log.clone();
    tokio::spawn(
        tonic::transport::Server::builder()
            .layer(tower::layer::layer_fn(move |inner| Wire {
                inner,
                log: layer_log.clone(),
            }))
            .serve_with_incoming(mock.service(), accepted(listener)),
    );
    (format!("http://{addr}"), log)
}

#[tokio::test]
async fn gzip_compresses_requests_and_responses_on_the_wire() {
    let mock = MockV2::start().await.unwrap();
    mock.on::<rpc::PostInputs, _, _>(|request| async move {
        Ok(api::MultiInputResponse {
            status: success(),
            inputs: request.into_inner().inputs,
            ..Default::default()
        })
    });
    let (url, log) = served_through_wire(&mock).await;
    let request = api::PostInputsRequest {
        inputs: vec![api::Input::image_bytes(vec![7u8; 256 * 1024]).with_id("x")],
        ..Default::default()
    };
    let mut seen = Vec::new();
    for gzip in [false, true] {
        let client = Fixture::new().with(|b| b.gzip(gzip)).client(url.clone());
        let response = client.post_inputs(request.clone()).await.unwrap();
        assert_eq!(response.inputs, request.inputs, "gzip {gzip}");
        let exchange = log
            .lock()
            .unwrap()
            .pop()
            .expect("the call crossed the wire");
        let exchange = exchange.lock().unwrap();
        seen.push((
            exchange.request_encoding.clone(),
            exchange.request_bytes.load(Ordering::SeqCst),
            exchange.response_encoding.clone(),
            exchange.response_bytes.load(Ordering::SeqCst),
        ));
    }
    // The server decoded the same request both times.
    let received = mock.requests::<rpc::PostInputs>();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].inputs, received[1].inputs);
    let [(plain_enc, plain_sent, plain_resp_enc, plain_back), gzip] = seen.try_into().unwrap();
    let (gzip_enc, gzip_sent, gzip_resp_enc, gzip_back) = gzip;
    assert_eq!((plain_enc, plain_resp_enc), (None, None));
    assert_eq!(gzip_enc.as_deref(), Some("gzip"));
    assert_eq!(gzip_resp_enc.as_deref(), Some("gzip"));
    assert!(plain_sent > 256 * 1024 && plain_back > 256 * 1024);
    assert!(
        gzip_sent * 10 < plain_sent && gzip_back * 10 < plain_back,
        "gzip sent {gzip_sent} and got {gzip_back} bytes, plain {plain_sent} and {plain_back}"
    );
}
