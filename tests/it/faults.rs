//! Transport faults, from servers that misbehave the way networks do: which failures are re-sent
//! (a request that never reached the server, for every rpc; one that may have, only for rpcs
//! safe to send twice), what the error says and keeps as its source chain, certificate failures
//! tried once, a stalled stream bounded, a response with no status refused, and Clarifai's codes
//! in groups a caller can act on.
//!
//! [`H2Server`] is a hand-driven HTTP/2 server (the `h2` crate) that answers each request as its
//! script says; [`Forwarder`] is a TCP relay in front of a MockV2 whose connections a test can cut.

use std::collections::HashMap;
use std::error::Error as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Error, RetryPolicy, TransportFault, rpc};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::support::fixture::{Fixture, fast_retries, outputs, success, tls_mock};

/// The hang guard of every wait below: far above what any of them takes.
const GUARD: Duration = Duration::from_secs(20);

/// What [`H2Server`] does with one request (numbered from 0 across all its connections).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Act {
    /// Reads it and answers an in-band SUCCESS.
    Answer,
    /// Refuses the stream (RST_STREAM REFUSED_STREAM) without reading it.
    Refuse,
    /// Reads it, then resets the stream with INTERNAL_ERROR.
    ResetAfterReading,
    /// Reads it, then closes the connection without answering.
    CloseAfterReading,
    /// Reads it, then sends GOAWAY (last_stream_id: the last stream received) and closes the
    /// connection without answering.
    GoAwayAfterReading,
    /// Reads it and answers a response with no `status`.
    AnswerWithoutStatus,
}

/// What [`H2Server`] does with one connection (numbered from 0).
#[derive(Clone, Copy, Debug, PartialEq)]
enum ConnAct {
    /// Serves HTTP/2, each request as the request script says.
    Serve,
    /// Speaks just enough raw HTTP/2 to read the first request's HEADERS, then sends GOAWAY with
    /// last_stream_id 0 (so that stream is excluded: not processed) and closes.
    GoAwayFirst,
}

/// A hand-driven HTTP/2 gRPC server on 127.0.0.1:0.
struct H2Server {
    addr: SocketAddr,
    /// How many requests it read whole (processed), in all.
    processed: Arc<AtomicUsize>,
    /// How many connections it accepted.
    connections: Arc<AtomicUsize>,
    /// How many times it read each input id (of PostInputs requests).
    inputs: Arc<Mutex<HashMap<String, usize>>>,
    task: JoinHandle<()>,
}

impl H2Server {
    async fn start(conns: fn(usize) -> ConnAct, acts: fn(usize) -> Act) -> H2Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let processed = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let inputs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let counts = Counts {
            requests: Arc::new(AtomicUsize::new(0)),
            processed: processed.clone(),
            inputs: inputs.clone(),
        };
        let c = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((io, _)) = listener.accept().await {
                let n = c.fetch_add(1, Ordering::SeqCst);
                let counts = counts.clone();
                tokio::spawn(async move {
                    match conns(n) {
                        ConnAct::GoAwayFirst => go_away_first(io).await,
                        ConnAct::Serve => serve_h2(io, acts, counts).await,
                    }
                });
            }
        });
        H2Server {
            addr,
            processed,
            connections,
            inputs,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn processed(&self) -> usize {
        self.processed.load(Ordering::SeqCst)
    }
}

impl Drop for H2Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What [`H2Server`]'s connections count together.
#[derive(Clone)]
struct Counts {
    requests: Arc<AtomicUsize>,
    processed: Arc<AtomicUsize>,
    inputs: Arc<Mutex<HashMap<String, usize>>>,
}

async fn serve_h2(io: TcpStream, acts: fn(usize) -> Act, counts: Counts) {
    let Ok(mut conn) = h2::server::handshake(io).await else {
        return;
    };
    // Closing the connection is a request from a stream's task to this loop, which owns it.
    // It carries the stream's `respond`, so that the stream is not reset (dropping it would send
    // RST_STREAM CANCEL) before the connection goes.
    let (close_tx, mut close_rx) =
        tokio::sync::mpsc::unbounded_channel::<(h2::server::SendResponse<Bytes>, bool)>();
    loop {
        let accepted = tokio::select! {
            next = conn.accept() => next,
            held = close_rx.recv() => {
                if let Some((_respond, true)) = held {
                    conn.abrupt_shutdown(h2::Reason::NO_ERROR);
                    // Drive the connection until the GOAWAY is out and it closes.
                    let _ = tokio::time::timeout(GUARD, async {
                        while let Some(Ok(_)) = conn.accept().await {}
                    })
                    .await;
                }
                return; // dropping `conn` closes the TCP connection
            }
        };
        let Some(Ok((request, mut respond))) = accepted else {
            return;
        };
        let act = acts(counts.requests.fetch_add(1, Ordering::SeqCst));
        let (counts, close_tx) = (counts.clone(), close_tx.clone());
        tokio::spawn(async move {
            if act == Act::Refuse {
                respond.send_reset(h2::Reason::REFUSED_STREAM);
                return;
            }
            let mut body = request.into_body();
            let mut bytes = BytesMut::new();
            loop {
                match body.data().await {
                    Some(Ok(chunk)) => {
                        let _ = body.flow_control().release_capacity(chunk.len());
                        bytes.extend_from_slice(&chunk);
                    }
                    None => break,
                    // The connection went before the whole request came: not processed.
                    Some(Err(_)) => return,
                }
            }
            counts.processed.fetch_add(1, Ordering::SeqCst);
            if let Some(message) = bytes.get(5..)
                && let Ok(request) = <api::PostInputsRequest as prost::Message>::decode(message)
                && let Some(input) = request.inputs.first()
            {
                *counts
                    .inputs
                    .lock()
                    .unwrap()
                    .entry(input.id.clone())
                    .or_default() += 1;
            }
            match act {
                Act::ResetAfterReading => respond.send_reset(h2::Reason::INTERNAL_ERROR),
                Act::CloseAfterReading => {
                    let _ = close_tx.send((respond, false));
                }
                Act::GoAwayAfterReading => {
                    let _ = close_tx.send((respond, true));
                }
                Act::Answer | Act::AnswerWithoutStatus => {
                    let message = api::MultiInputResponse {
                        status: if act == Act::Answer { success() } else { None },
                        ..Default::default()
                    };
                    send_grpc(&mut respond, &message);
                }
                Act::Refuse => unreachable!(),
            }
        });
    }
}

/// Answers a gRPC call with `message` and status OK.
fn send_grpc(respond: &mut h2::server::SendResponse<Bytes>, message: &impl prost::Message) {
    let head = http::Response::builder()
        .status(200)
        .header("content-type", "application/grpc")
        .body(())
        .unwrap();
    let Ok(mut send) = respond.send_response(head, false) else {
        return;
    };
    let mut frame = BytesMut::new();
    frame.extend_from_slice(&[0]);
    frame.extend_from_slice(&(message.encoded_len() as u32).to_be_bytes());
    message.encode(&mut frame).unwrap();
    let _ = send.send_data(frame.freeze(), false);
    let mut trailers = http::HeaderMap::new();
    trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
    let _ = send.send_trailers(trailers);
}

/// Raw HTTP/2: the server's SETTINGS, an ACK of the client's, and on the first HEADERS frame a
/// GOAWAY whose last_stream_id (0) excludes every stream; then the connection closes.
async fn go_away_first(mut io: TcpStream) {
    let mut preface = [0u8; 24];
    if io.read_exact(&mut preface).await.is_err() {
        return;
    }
    let frame = |kind: u8, flags: u8, payload: &[u8]| {
        let mut out = (payload.len() as u32).to_be_bytes()[1..].to_vec();
        out.extend_from_slice(&[kind, flags, 0, 0, 0, 0]);
        out.extend_from_slice(payload);
        out
    };
    let _ = io.write_all(&frame(0x4, 0, &[])).await;
    loop {
        let mut head = [0u8; 9];
        if io.read_exact(&mut head).await.is_err() {
            return;
        }
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0u8; len];
        if io.read_exact(&mut payload).await.is_err() {
            return;
        }
        match (head[3], head[4] & 0x1) {
            (0x4, 0) => {
                let _ = io.write_all(&frame(0x4, 0x1, &[])).await;
            }
            (0x1, _) => {
                // GOAWAY: last_stream_id 0, NO_ERROR.
                let _ = io.write_all(&frame(0x7, 0, &[0; 8])).await;
                let _ = io.shutdown().await;
                // Let the client read the GOAWAY before the socket goes.
                let mut rest = Vec::new();
                let _ = tokio::time::timeout(GUARD, io.read_to_end(&mut rest)).await;
                return;
            }
            _ => {}
        }
    }
}

/// A TCP relay to `target` that counts connections and can cut them all.
struct Forwarder {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    pipes: Arc<Mutex<Vec<JoinHandle<()>>>>,
    task: JoinHandle<()>,
}

impl Forwarder {
    async fn start(target: SocketAddr) -> Forwarder {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let pipes: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (c, p) = (connections.clone(), pipes.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                p.lock().unwrap().push(pipe);
            }
        });
        Forwarder {
            addr,
            connections,
            pipes,
            task,
        }
    }

    /// Cuts every relayed connection, and returns once their sockets are closed.
    async fn cut(&self) {
        let pipes: Vec<JoinHandle<()>> = std::mem::take(&mut *self.pipes.lock().unwrap());
        for pipe in pipes {
            pipe.abort();
            let _ = pipe.await;
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn client_for(url: String) -> ClarifaiClient {
    Fixture::fast().client(url)
}

async fn post_inputs(client: &ClarifaiClient) -> Result<api::MultiInputResponse, Error> {
    tokio::time::timeout(
        GUARD,
        client.post_inputs(api::PostInputsRequest {
            inputs: vec![api::Input::image_url("https://example.com/a.jpg")],
            ..Default::default()
        }),
    )
    .await
    .expect("the call hung")
}

/// The names of an error's source chain, outermost first.
fn chain(err: &Error) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = err.source();
    while let Some(e) = next {
        out.push(format!("{e:?}"));
        next = e.source();
    }
    out
}

/// Asserts that `err` is the transport fault `fault`, that its Display says each of `words`, and
/// that its source chain holds `cause`.
#[track_caller]
fn assert_fault(err: &Error, fault: TransportFault, words: &[&str], cause: &str) {
    assert_eq!(err.transport_fault(), Some(fault), "{err:?}");
    let text = err.to_string();
    for word in words {
        assert!(text.contains(word), "{word:?} not in {text}");
    }
    let chain = chain(err);
    assert!(
        chain.iter().any(|e| e.contains(cause)),
        "{cause:?} not in the source chain {chain:?}"
    );
}

#[tokio::test]
async fn a_refused_stream_is_resent_even_for_a_write_and_processed_once() {
    let server = H2Server::start(
        |_| ConnAct::Serve,
        |n| if n == 0 { Act::Refuse } else { Act::Answer },
    )
    .await;
    let client = client_for(server.url());
    let response = post_inputs(&client)
        .await
        .expect("re-sent after REFUSED_STREAM");
    assert_eq!(response.status.unwrap().code, StatusCode::Success as i32);
    assert_eq!(server.processed(), 1);
}

#[tokio::test]
async fn a_goaway_that_excludes_the_stream_is_resent_and_processed_once() {
    let server = H2Server::start(
        |n| {
            if n == 0 {
                ConnAct::GoAwayFirst
            } else {
                ConnAct::Serve
            }
        },
        |_| Act::Answer,
    )
    .await;
    let client = client_for(server.url());
    post_inputs(&client)
        .await
        .expect("re-sent on a new connection after the GOAWAY");
    assert_eq!(server.processed(), 1);
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);

    // With transparent re-sends off, the fault comes back, named, with its h2 cause.
    let server = H2Server::start(|_| ConnAct::GoAwayFirst, |_| Act::Answer).await;
    let client = Fixture::new()
        .retry(RetryPolicy::none().transparent_retries(0))
        .client(server.url());
    let err = post_inputs(&client).await.unwrap_err();
    assert_fault(
        &err,
        TransportFault::GoAway,
        &["GOAWAY", "not processed"],
        "GoAway",
    );
}

#[tokio::test]
async fn a_transparent_resend_is_not_retried_without_end() {
    // A server that refuses every stream: the re-sends stop at the policy's budget.
    let server = H2Server::start(|_| ConnAct::Serve, |_| Act::Refuse).await;
    let client = Fixture::new()
        .retry(fast_retries().transparent_retries(3))
        .client(server.url());
    let err = post_inputs(&client).await.unwrap_err();
    assert_eq!(err.transport_fault(), Some(TransportFault::RefusedStream));
    let text = err.to_string();
    assert!(
        text.contains("REFUSED_STREAM") && text.contains("not processed"),
        "{text}"
    );
    assert!(!chain(&err).is_empty(), "no source chain: {err:?}");
    assert_eq!(server.processed(), 0);
}

#[tokio::test]
async fn a_reset_after_the_request_was_read_is_not_resent_for_a_write() {
    let server = H2Server::start(|_| ConnAct::Serve, |_| Act::ResetAfterReading).await;
    let client = client_for(server.url());
    let err = post_inputs(&client).await.unwrap_err();
    assert_eq!(server.processed(), 1, "a write must not be done twice");
    assert_fault(
        &err,
        TransportFault::Reset(2),
        &["PostInputs", "INTERNAL_ERROR", "may have processed"],
        "INTERNAL_ERROR",
    );
    assert_eq!(err.grpc_code(), Some(tonic::Code::Unavailable));
    assert!(
        err.grpc_status().is_none(),
        "the server sent no gRPC status"
    );
}

#[tokio::test]
async fn a_connection_closed_after_the_request_was_read_is_not_resent_for_a_write() {
    let server = H2Server::start(|_| ConnAct::Serve, |_| Act::CloseAfterReading).await;
    let client = client_for(server.url());
    let err = post_inputs(&client).await.unwrap_err();
    assert_eq!(server.processed(), 1);
    assert_eq!(err.transport_fault(), Some(TransportFault::ConnectionLost));
    let text = err.to_string();
    assert!(
        text.contains("lost after the request was sent") && text.contains("may have processed"),
        "{text}"
    );
    assert!(!text.contains("canceled"), "{text}");

    // A read is safe to send twice: the same fault is retried until the attempts run out.
    let err = tokio::time::timeout(GUARD, client.list_models(api::ListModelsRequest::default()))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.transport_fault(), Some(TransportFault::ConnectionLost));
    assert_eq!(server.processed(), 1 + 5, "ListModels tried 5 times");
}

#[tokio::test]
async fn a_connection_cut_between_calls_fails_no_later_call() {
    let (mock, _) = Fixture::fast().start().await;
    mock.respond::<rpc::PostInputs>(api::MultiInputResponse {
        status: success(),
        ..Default::default()
    });
    let relay = Forwarder::start(mock.addr()).await;
    let client = client_for(format!("http://{}", relay.addr));
    for round in 0..20 {
        post_inputs(&client)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        relay.cut().await;
    }
    post_inputs(&client).await.unwrap();
    assert_eq!(mock.calls_to::<rpc::PostInputs>().len(), 21);
    assert_eq!(relay.connections(), 21, "one connection per round");
}

/// A MockV2 whose PostInputs fails with UNAVAILABLE after receiving the request, `failures`
/// times, then answers SUCCESS.
fn unavailable_then_ok(mock: &MockV2, failures: usize) {
    let seen = Arc::new(AtomicUsize::new(0));
    mock.on::<rpc::PostInputs, _, _>(move |_| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < failures {
                Err(tonic::Status::unavailable("a proxy lost the upstream"))
            } else {
                Ok(api::MultiInputResponse {
                    status: success(),
                    ..Default::default()
                })
            }
        }
    });
}

#[tokio::test]
async fn unavailable_after_receipt_is_not_retried_for_a_write_unless_opted_in() {
    let (mock, client) = Fixture::fast().start().await;
    unavailable_then_ok(&mock, 1);
    let err = post_inputs(&client).await.unwrap_err();
    assert_eq!(err.grpc_code(), Some(tonic::Code::Unavailable));
    assert_eq!(
        mock.calls_to::<rpc::PostInputs>().len(),
        1,
        "not sent twice"
    );

    let (mock, client) = Fixture::new()
        .retry(fast_retries().unsafe_rpcs(true))
        .start()
        .await;
    unavailable_then_ok(&mock, 1);
    post_inputs(&client).await.expect("retried once opted in");
    assert_eq!(mock.calls_to::<rpc::PostInputs>().len(), 2);
}

#[tokio::test]
async fn unavailable_on_a_read_is_retried() {
    let (mock, client) = Fixture::fast().start().await;
    let seen = Arc::new(AtomicUsize::new(0));
    mock.on::<rpc::ListModels, _, _>(move |_| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < 2 {
                Err(tonic::Status::unavailable("restarting"))
            } else {
                Ok(api::MultiModelResponse::default())
            }
        }
    });
    client
        .list_models(api::ListModelsRequest::default())
        .await
        .unwrap();
    assert_eq!(mock.calls_to::<rpc::ListModels>().len(), 3);
}

#[tokio::test]
async fn an_untrusted_certificate_is_tried_once_and_named() {
    let mock = tls_mock().await;
    let relay = Forwarder::start(mock.addr()).await;
    let client = Fixture::new().client(format!("https://localhost:{}", relay.addr.port()));
    let err = tokio::time::timeout(
        GUARD,
        client.post_model_outputs(api::PostModelOutputsRequest::default()),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_fault(
        &err,
        TransportFault::CertificateNotTrusted,
        &["certificate not trusted", "host localhost", "UnknownIssuer"],
        "UnknownIssuer",
    );
    assert!(!err.is_retryable());
    assert_eq!(
        relay.connections(),
        1,
        "a certificate failure is not retried"
    );
    assert_eq!(mock.call_count(), 0);
}

#[tokio::test]
async fn a_certificate_for_another_host_is_named_as_such() {
    let mock = tls_mock().await;
    // The certificate names localhost and 127.0.0.1; 127.0.0.2 reaches the same loopback server
    // under a name it does not cover.
    let relay = TcpListener::bind("127.0.0.2:0").await;
    let Ok(relay) = relay else {
        eprintln!("no 127.0.0.2 on this machine: skipped");
        return;
    };
    let port = relay.local_addr().unwrap().port();
    let target = mock.addr();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = relay.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let client = Fixture::new()
        .with(|b| b.ca_certificate(include_bytes!("../fixtures/ca.pem")))
        .client(format!("https://127.0.0.2:{port}"));
    let err = tokio::time::timeout(
        GUARD,
        client.post_model_outputs(api::PostModelOutputsRequest::default()),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(
        err.transport_fault(),
        Some(TransportFault::CertificateNotValidForHost),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("certificate not valid for host 127.0.0.2: "),
        "{err}"
    );
}

#[tokio::test]
async fn nothing_listening_is_a_connect_failure_resent_then_named() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = Fixture::new()
        .retry(fast_retries().transparent_retries(2))
        .client(format!("http://{addr}"));
    let err = post_inputs(&client).await.unwrap_err();
    assert_eq!(err.transport_fault(), Some(TransportFault::Connect));
    assert!(err.to_string().contains("cannot connect"), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_stream_that_stalls_after_its_first_message_ends_with_an_idle_error() {
    let (mock, client) = Fixture::fast()
        .with(|b| b.stream_idle_timeout(Duration::from_millis(200)))
        .start()
        .await;
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
        futures_util::stream::iter([Ok(outputs(&["first"], StatusCode::Success))])
            .chain(futures_util::stream::pending())
    });
    let mut stream = client
        .generate_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap().outputs[0].id, "first");
    let next = tokio::time::timeout(GUARD, stream.next())
        .await
        .expect("the idle timeout did not fire");
    let err = next.expect("an error item").unwrap_err();
    assert!(
        matches!(err, Error::StreamIdle { rpc: "GenerateModelOutputs", idle } if idle == Duration::from_millis(200)),
        "{err:?}"
    );
    assert!(err.is_timeout());
    assert!(stream.next().await.is_none(), "nothing after the error");
}

#[tokio::test]
async fn a_response_with_no_status_is_an_error_that_keeps_it() {
    let server = H2Server::start(|_| ConnAct::Serve, |_| Act::AnswerWithoutStatus).await;
    let client = client_for(server.url());
    let err = post_inputs(&client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingStatus {
                rpc: "PostInputs",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.response::<api::MultiInputResponse>().is_some());
    assert_eq!(server.processed(), 1, "not retried");

    // MockV2 fills in SUCCESS for a handler that sets no status, unless told not to.
    let (mock, client) = Fixture::fast().start().await;
    mock.respond::<rpc::ListModels>(api::MultiModelResponse::default());
    client
        .list_models(api::ListModelsRequest::default())
        .await
        .expect("MockV2 filled the status");
    mock.set_fill_status(false);
    let err = client
        .list_models(api::ListModelsRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MissingStatus { .. }), "{err:?}");
}

#[tokio::test]
async fn every_11xxx_code_is_in_the_group_its_name_says() {
    let (mock, client) = Fixture::new().retry(RetryPolicy::none()).start().await;
    // The handler answers with the code the request names in model_id.
    mock.on::<rpc::PostModelOutputs, _, _>(|req| {
        let code = req.into_inner().model_id.parse::<i32>().unwrap();
        async move {
            let mut response = outputs(&[], StatusCode::Success);
            response.status.as_mut().unwrap().code = code;
            Ok(response)
        }
    });
    // (auth, rate limited, invalid request) for each 11xxx name.
    let expected: HashMap<&str, (bool, bool, bool)> = [
        ("CONN_ACCOUNT_ISSUES", (false, false, false)),
        ("CONN_TOKEN_INVALID", (true, false, false)),
        ("CONN_CREDENTIALS_INVALID", (true, false, false)),
        ("CONN_EXCEED_HOURLY_LIMIT", (false, true, false)),
        ("CONN_EXCEED_MONTHLY_LIMIT", (false, true, false)),
        ("CONN_THROTTLED", (false, true, false)),
        ("CONN_EXCEEDS_LIMITS", (false, true, false)),
        ("CONN_INSUFFICIENT_SCOPES", (true, false, false)),
        ("CONN_KEY_INVALID", (true, false, false)),
        ("CONN_KEY_NOT_FOUND", (true, false, false)),
        ("CONN_BAD_REQUEST_FORMAT", (false, false, true)),
        ("CONN_DOES_NOT_EXIST", (false, false, true)),
        ("CONN_INVALID_REQUEST", (true, false, false)),
        ("CONN_METHOD_NOT_ALLOWED", (false, false, true)),
        ("CONN_NO_GDPR_CONSENT", (false, false, false)),
        ("CONN_INVALID_RANGE", (false, false, true)),
        ("CONN_AUTH_METHOD_DISABLED", (true, false, false)),
    ]
    .into_iter()
    .collect();
    let mut checked = 0;
    for number in 11000..12000 {
        let Ok(code) = StatusCode::try_from(number) else {
            continue;
        };
        let name = code.as_str_name();
        let want = *expected
            .get(name)
            .unwrap_or_else(|| panic!("{name} ({number}) is new: put it in a group"));
        let err = client
            .post_model_outputs(api::PostModelOutputsRequest {
                model_id: number.to_string(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        let got = (
            err.is_auth(),
            err.is_rate_limited(),
            err.is_invalid_request(),
        );
        assert_eq!(got, want, "{name}: {err}");
        let text = err.to_string();
        assert_eq!(
            text.contains("PAT or API key") || text.contains("scope"),
            want.0 && name != "CONN_INVALID_REQUEST" && name != "CONN_AUTH_METHOD_DISABLED",
            "{name}: credentials advice only for credentials codes: {text}"
        );
        if want.1 {
            assert!(text.contains("limit"), "{name}: {text}");
        }
        checked += 1;
    }
    assert_eq!(
        checked,
        expected.len(),
        "every listed code is in the protos"
    );
    // Permissions outside the 11xxx range are auth failures too.
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest {
            model_id: (StatusCode::ModelPermissionDenied as i32).to_string(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.is_auth() && !err.is_rate_limited(), "{err}");
}

#[test]
fn every_write_marked_safe_to_send_twice_is_listed_with_its_reason() {
    use clarifai_tonic::rpc::RetrySafety;
    let mut safe_writes: Vec<(&str, &str)> = rpc::RPCS
        .iter()
        .filter(|info| {
            ["Post", "Patch", "Put", "Delete", "Cancel"]
                .iter()
                .any(|verb| info.name.starts_with(verb))
        })
        .filter_map(|info| match info.retry {
            RetrySafety::Harmless(why) => Some((info.name, why)),
            RetrySafety::Read => Some((info.name, "a read")),
            RetrySafety::Unsafe => None,
        })
        .collect();
    safe_writes.sort();
    for (name, why) in &safe_writes {
        println!("{name}: {why}");
        assert!(!why.is_empty());
    }
    let names: Vec<&str> = safe_writes.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "PostAnnotationsSearches",
            "PostAppsSearches",
            "PostAuditLogSearches",
            "PostConceptsSearches",
            "PostInputsSearches",
            "PostMetricsQuery",
            "PostModelOutputs",
            "PostModelVersionsTrainingTimeEstimate",
            "PostModelsSearches",
            "PostSearches",
            "PostSearchesByID",
            "PostTrackAnnotationsSearches",
            "PostValidatePassword",
            "PostWorkflowResults",
        ],
        "a change to which writes are retried must be deliberate"
    );
    // Every Get and List is a read; every other write is unsafe.
    for info in rpc::RPCS {
        if info.name.starts_with("Get") || info.name.starts_with("List") {
            assert_eq!(info.retry, RetrySafety::Read, "{}", info.name);
        }
    }
    assert!(rpc::find("PostInputs").unwrap().retry == RetrySafety::Unsafe);
    assert!(rpc::find("DeleteInputs").unwrap().retry == RetrySafety::Unsafe);
    assert!(rpc::find("GenerateModelOutputs").unwrap().retry.is_safe());
}

/// A number from `n` and a fixed seed, evenly spread (splitmix64), so that a run's faults fall on
/// the same requests every time.
fn seeded(n: usize) -> u64 {
    let mut z = (n as u64)
        .wrapping_add(0x5eed)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 2,000 PostInputs, 128 at a time, against a server that drops the connection after one request
/// in ten (seeded): half of the drops with a GOAWAY that names the last stream it took, half
/// without a word. Every call returns; no input is processed twice; every failure is one the
/// server may have processed, and says so; nothing that never reached the server fails. Run
/// with `--nocapture` for the figures (BENCHMARKS.md).
#[test]
fn two_thousand_writes_through_dropped_connections_none_twice_none_lost_unexplained() {
    const CALLS: usize = 2_000;
    let mut figures = String::new();
    let (mut failed_calls, mut connections) = (0, 0);
    let log = crate::support::fixture::traced(tracing::Level::DEBUG, false, || async {
        let server = H2Server::start(
            |_| ConnAct::Serve,
            |n| match seeded(n) % 20 {
                0 => Act::GoAwayAfterReading,
                1 => Act::CloseAfterReading,
                _ => Act::Answer,
            },
        )
        .await;
        let client = client_for(server.url());
        let started = std::time::Instant::now();
        let results: Vec<(String, Result<api::MultiInputResponse, Error>)> =
            futures_util::stream::iter(0..CALLS)
                .map(|i| {
                    let client = client.clone();
                    async move {
                        let id = format!("input-{i}");
                        let request = api::PostInputsRequest {
                            inputs: vec![
                                api::Input::image_url("https://example.com/a.jpg").with_id(&id),
                            ],
                            ..Default::default()
                        };
                        let result = tokio::time::timeout(GUARD, client.post_inputs(request))
                            .await
                            .expect("a call hung");
                        (id, result)
                    }
                })
                .buffer_unordered(128)
                .collect()
                .await;
        let elapsed = started.elapsed();
        // The server's tasks for streams of dropped connections may still be reading what was
        // buffered: let every runnable task run (bounded; this runtime has one thread).
        for _ in 0..1_000 {
            tokio::task::yield_now().await;
        }
        let inputs = server.inputs.lock().unwrap().clone();
        let twice: Vec<_> = inputs.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "processed twice: {twice:?}");
        let mut failed = 0;
        let mut failed_unprocessed = 0;
        for (id, result) in &results {
            match result {
                Ok(_) => assert_eq!(inputs.get(id), Some(&1), "{id} succeeded unseen"),
                Err(e) => {
                    failed += 1;
                    let fault = e.transport_fault().unwrap_or_else(|| panic!("{id}: {e}"));
                    assert!(
                        !fault.never_processed(),
                        "{id} never reached the server: {e}"
                    );
                    assert!(e.to_string().contains("may have processed"), "{id}: {e}");
                    if !inputs.contains_key(id) {
                        failed_unprocessed += 1;
                    }
                }
            }
        }
        failed_calls = failed;
        connections = server.connections.load(Ordering::SeqCst);
        figures = format!(
            "{CALLS} PostInputs at 128 concurrent: {} ok, {failed} failed ({failed_unprocessed} \
             of them sent but never read whole by the server), {} connections, {} requests \
             read whole, {:.2?}",
            CALLS - failed,
            server.connections.load(Ordering::SeqCst),
            server.processed(),
            elapsed,
        );
    });
    let resent = log.matches("kind=Transparent").count();
    println!("{figures}; {resent} transparent re-sends");
    // The drops must have happened and taken calls down with them, or the test tests nothing.
    // (Whether any call is re-sent depends on the transport: the client's own sends every
    // request the moment it is made and sees a dead connection at once, so every call in flight
    // at a drop was already on the wire, and none qualifies; tonic's channel queued some behind
    // a dying connection. The re-send paths have tests of their own above.)
    assert!(
        failed_calls > 0 && connections > 1,
        "the drops failed no call: the test tests nothing ({figures})"
    );
}
