//! [`H2Server`], a hand-driven HTTP/2 gRPC server (the `h2` crate) that treats each connection
//! and answers each request as its script says: refused streams, resets, GOAWAYs, closed
//! connections and responses without a status, for the tests of what the client does with them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use clarifai_tonic::api;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::faults::GUARD;
use super::fixture::success;

/// What [`H2Server`] does with one request (numbered from 0 across all its connections).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Act {
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
pub enum ConnAct {
    /// Serves HTTP/2, each request as the request script says.
    Serve,
    /// Speaks just enough raw HTTP/2 to read the first request's HEADERS, then sends GOAWAY with
    /// last_stream_id 0 (so that stream is excluded: not processed) and closes.
    GoAwayFirst,
}

/// A hand-driven HTTP/2 gRPC server on 127.0.0.1:0.
pub struct H2Server {
    addr: SocketAddr,
    /// How many requests it read whole (processed), in all.
    processed: Arc<AtomicUsize>,
    /// How many connections it accepted.
    pub connections: Arc<AtomicUsize>,
    /// How many times it read each input id (of PostInputs requests).
    pub inputs: Arc<Mutex<HashMap<String, usize>>>,
    task: JoinHandle<()>,
}

impl H2Server {
    pub async fn start(conns: fn(usize) -> ConnAct, acts: fn(usize) -> Act) -> H2Server {
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

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn processed(&self) -> usize {
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
