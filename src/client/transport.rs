//! The HTTP/2 transport under [`ClarifaiClient`](crate::ClarifaiClient): the `h2` crate driven
//! directly, instead of tonic's `Channel`.
//!
//! A call on tonic's `Channel` crosses three tasks: the caller's, the channel's buffer worker
//! (tower's `Buffer`), then hyper's connection task, and hyper spawns one more task per request
//! to stream its body. Here the caller's task opens the stream on the connection itself and
//! hands it the request's first message at once; only the connection's own task does I/O. A
//! request body that is not ready at once (a client or bidi stream) gets a task of its own.
//!
//! [`Transport`] is what tonic's generated client and `tonic::client::Grpc` run over: either
//! this (a small pool of connections, each made lazily, remade when it dies), or a tonic
//! `Channel` a user brought ([`ClarifaiClient::from_channel`](crate::ClarifaiClient::from_channel)).
//!
//! Failures keep their causes as the error's source chain, so that [`crate::Error`] classifies
//! them as it does tonic's: a failed connect is a `tonic::ConnectError` (and a TLS failure an
//! `io::Error` around a `rustls::Error` within it), a stream the server reset or excluded is an
//! `h2::Error`, and a request that never left because the connection was already gone is
//! [`NotSent`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use http::header::USER_AGENT;
use http::uri::PathAndQuery;
use http::uri::{Authority, Scheme};
use http::{HeaderMap, HeaderValue, Method, Request, Response, Uri};
use http_body::{Body as _, Frame};
use tokio::time::Instant;
use tonic::body::Body;
use tonic::transport::Channel;

use super::connect::{BoxError, Connected, Connector, IoStats, Keepalive};
use super::deadline::{GRPC_TIMEOUT, parse_grpc_timeout};

/// The `user-agent` of every request.
pub(super) const AGENT: HeaderValue =
    HeaderValue::from_static(concat!("rust-clarifai-tonic-", env!("CARGO_PKG_VERSION")));

/// How a [`ClarifaiClient`](crate::ClarifaiClient) reaches the server: its own HTTP/2
/// connections (what [`ClientBuilder::build`](crate::ClientBuilder::build) makes), or a tonic
/// `Channel` you gave it. Cheap to clone; clones share the connections.
///
/// It is a tower service for HTTP requests with tonic's bodies, so the generated client runs
/// over it: `V2Client::new(client.transport())` (or over
/// [`AuthService`](crate::AuthService) around it, as [`ClarifaiClient::v2`](crate::ClarifaiClient::v2) does).
#[derive(Clone)]
pub struct Transport {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Own(Arc<Pool>),
    /// A tonic `Channel`, and the decoding limit its responses' frames are held to.
    Channel(Channel, usize),
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Own(pool) => f
                .debug_struct("Transport")
                .field("target", pool.connector.target())
                .field("connections", &pool.slots.len())
                .finish(),
            Kind::Channel(channel, _) => f.debug_tuple("Transport").field(channel).finish(),
        }
    }
}

impl From<Channel> for Transport {
    fn from(channel: Channel) -> Self {
        Transport {
            kind: Kind::Channel(channel, super::DEFAULT_MAX_MESSAGE_SIZE),
        }
    }
}

impl Transport {
    /// Up to `connections` HTTP/2 connections (at least one), each made by the first call that
    /// needs it.
    pub(super) fn own(connector: Connector, connections: usize) -> Self {
        let target = connector.target();
        let scheme = target.scheme().cloned().unwrap_or(Scheme::HTTP);
        let authority = target.authority().cloned();
        let slots = (0..connections.max(1))
            .map(|_| Arc::new(Slot::default()))
            .collect();
        Transport {
            kind: Kind::Own(Arc::new(Pool {
                slots,
                next: AtomicUsize::new(0),
                connector: Arc::new(connector),
                scheme,
                authority,
            })),
        }
    }

    /// This transport with responses held to `limit` bytes a message (a tonic `Channel`'s; the
    /// client's own connections take the limit per call).
    pub(super) fn decoding_limit(mut self, limit: usize) -> Self {
        if let Kind::Channel(_, held) = &mut self.kind {
            *held = limit;
        }
        self
    }

    /// The client's own connections, when it has them (not a tonic `Channel`).
    pub(super) fn pool(&self) -> Option<&Arc<Pool>> {
        match &self.kind {
            Kind::Own(pool) => Some(pool),
            Kind::Channel(..) => None,
        }
    }

    /// The tonic `Channel` this transport is, when it is one (a client made with
    /// [`ClarifaiClient::from_channel`](crate::ClarifaiClient::from_channel)).
    pub fn channel(&self) -> Option<&Channel> {
        match &self.kind {
            Kind::Channel(channel, _) => Some(channel),
            Kind::Own(_) => None,
        }
    }
}

impl tower_service::Service<Request<Body>> for Transport {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match &mut self.kind {
            // Connections are made (or awaited) inside the call, where its deadline bounds them.
            Kind::Own(_) => Poll::Ready(Ok(())),
            Kind::Channel(channel, _) => {
                tower_service::Service::<Request<Body>>::poll_ready(channel, cx).map_err(Into::into)
            }
        }
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        match &mut self.kind {
            Kind::Own(pool) => pool.call(request),
            Kind::Channel(channel, limit) => {
                let (call, limit) = (channel.call(request), *limit);
                Box::pin(async move {
                    match call.await {
                        // The response's frames held to the decoding limit as they pass.
                        Ok(response) => Ok(response
                            .map(|body| Body::new(super::limits::FrameGuard::new(body, limit)))),
                        // The channel's own timeout (`Endpoint::timeout`), as the deadline it
                        // is, by its type; tonic would make it a CANCELLED with only words.
                        Err(e) if timed_out(&e) => Err(Box::new(tonic::Status::deadline_exceeded(
                            "the channel's timeout expired",
                        )) as BoxError),
                        Err(e) => Err(e.into()),
                    }
                })
            }
        }
    }
}

/// Whether a channel's failure is its own timeout (`tonic::TimeoutExpired` in the chain).
fn timed_out(e: &tonic::transport::Error) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    // Bounded: a source chain is short, but nothing stops a cycle.
    for _ in 0..16 {
        match next {
            Some(err) if err.is::<tonic::TimeoutExpired>() => return true,
            Some(err) => next = err.source(),
            None => return false,
        }
    }
    false
}

/// The connections, and how requests name the server.
pub(super) struct Pool {
    slots: Box<[Arc<Slot>]>,
    /// The slot the next call starts from (round robin).
    next: AtomicUsize,
    connector: Arc<Connector>,
    scheme: Scheme,
    authority: Option<Authority>,
}

/// One connection's place in the pool.
#[derive(Default)]
struct Slot {
    state: Mutex<State>,
}

/// A connect attempt that every call waiting for the slot shares.
type Connecting = Shared<BoxFuture<'static, Result<Arc<Conn>, SharedError>>>;

enum State {
    /// No connection. After `failures` connects in a row have failed, the next one starts no
    /// earlier than `retry_at`.
    Idle {
        failures: u32,
        retry_at: Option<Instant>,
    },
    Connecting(Connecting),
    Ready(Arc<Conn>),
}

impl Default for State {
    fn default() -> Self {
        State::Idle {
            failures: 0,
            retry_at: None,
        }
    }
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The wait before connect number `failures + 1` after `failures` failed in a row: none after
/// the first failure (a call's own retry backoff spaces those out), then 20 ms, doubling, to at
/// most 2 s. Concurrent calls share one connect, so a dead server sees one connect at a time.
fn reconnect_backoff(failures: u32) -> Option<Duration> {
    (failures >= 2).then(|| {
        Duration::from_millis(20)
            .saturating_mul(1 << (failures - 2).min(7))
            .min(Duration::from_secs(2))
    })
}

impl Pool {
    fn call(
        self: &Arc<Self>,
        mut request: Request<Body>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>> {
        // The origin, and the user agent unless the caller set one.
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = self.authority.clone();
        parts.path_and_query = request.uri().path_and_query().cloned();
        match Uri::from_parts(parts) {
            Ok(uri) => *request.uri_mut() = uri,
            Err(e) => return Box::pin(std::future::ready(Err(e.into()))),
        }
        request.headers_mut().entry(USER_AGENT).or_insert(AGENT);
        // tonic's channel bounds the wait for the response headers by the request's
        // `grpc-timeout`; so does this.
        let timeout = request
            .headers()
            .get(GRPC_TIMEOUT)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout);
        let conn = self.ready_conn();
        let pool = self.clone();
        let call = async move {
            let conn = match conn {
                Ok(conn) => conn,
                Err((slot, connecting)) => pool.await_connect(&slot, connecting).await?,
            };
            conn.send(request).await
        };
        match timeout {
            None => Box::pin(call),
            Some(timeout) => Box::pin(async move {
                match tokio::time::timeout(timeout, call).await {
                    Ok(result) => result,
                    Err(_) => Err(Box::new(tonic::TimeoutExpired(())) as BoxError),
                }
            }),
        }
    }

    /// A unary call whose request is one gRPC frame (`frame`) and whose `headers` are
    /// complete: the response message's bytes, or the call's failure as tonic would give it
    /// (the server's status, or a transport failure with its causes as the source chain).
    pub(super) async fn unary(
        self: &Arc<Self>,
        path: &'static str,
        headers: HeaderMap,
        frame: Bytes,
        max_decoding: usize,
    ) -> Result<Bytes, tonic::Status> {
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = self.authority.clone();
        parts.path_and_query = Some(PathAndQuery::from_static(path));
        let uri = Uri::from_parts(parts).map_err(|e| tonic::Status::from_error(Box::new(e)))?;
        let conn = match self.ready_conn() {
            Ok(conn) => conn,
            Err((slot, connecting)) => self
                .await_connect(&slot, connecting)
                .await
                .map_err(tonic::Status::from_error)?,
        };
        let mut request = Request::new(());
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        conn.unary(request, frame, max_decoding).await
    }

    /// A live connection from the next slot, or the connect to wait for.
    #[allow(clippy::type_complexity)]
    fn ready_conn(&self) -> Result<Arc<Conn>, (Arc<Slot>, Connecting)> {
        let n = self.slots.len();
        let start = if n == 1 {
            0
        } else {
            self.next.fetch_add(1, Ordering::Relaxed) % n
        };
        let slot = &self.slots[start];
        let mut state = slot.lock();
        let (failures, retry_at) = match &*state {
            State::Ready(conn) if !conn.is_closed() => return Ok(conn.clone()),
            State::Ready(_) => (0, None),
            State::Connecting(connecting) => return Err((slot.clone(), connecting.clone())),
            State::Idle { failures, retry_at } => (*failures, *retry_at),
        };
        let connecting = self.connect(slot.clone(), failures, retry_at);
        *state = State::Connecting(connecting.clone());
        Err((slot.clone(), connecting))
    }

    /// Waits for a connect; one that failed leaves its slot to the next call.
    async fn await_connect(
        &self,
        slot: &Slot,
        connecting: Connecting,
    ) -> Result<Arc<Conn>, BoxError> {
        match connecting.clone().await {
            Ok(conn) => Ok(conn),
            Err(error) => {
                // The connect task sets the slot itself; this covers a task that never finished
                // (its runtime shut down).
                let mut state = slot.lock();
                if matches!(&*state, State::Connecting(c) if c.ptr_eq(&connecting)) {
                    *state = State::Idle {
                        failures: 1,
                        retry_at: None,
                    };
                }
                Err(Box::new(tonic::ConnectError(Box::new(error))))
            }
        }
    }

    /// Starts a connect for `slot` in a task of its own (so that it goes on if the calls
    /// waiting for it give up), after the backoff its failures call for.
    fn connect(&self, slot: Arc<Slot>, failures: u32, retry_at: Option<Instant>) -> Connecting {
        let connector = self.connector.clone();
        let task = tokio::spawn(async move {
            if let Some(at) = retry_at {
                tokio::time::sleep_until(at).await;
            }
            match connector.connect().await {
                Ok(connected) => {
                    let conn = Conn::start(connected, connector.keepalive, Arc::downgrade(&slot));
                    *slot.lock() = State::Ready(conn.clone());
                    Ok(conn)
                }
                Err(error) => {
                    let failures = failures.saturating_add(1);
                    *slot.lock() = State::Idle {
                        failures,
                        retry_at: reconnect_backoff(failures).map(|wait| Instant::now() + wait),
                    };
                    tracing::debug!(%error, failures, "connect failed");
                    Err(SharedError(Arc::from(error)))
                }
            }
        });
        async move {
            task.await.unwrap_or_else(|e| {
                Err(SharedError(Arc::new(std::io::Error::other(format!(
                    "the connect task ended: {e}"
                )))))
            })
        }
        .boxed()
        .shared()
    }
}

/// A connect failure, shared by every call that waited for the connect. Its source is the
/// failure itself (an `io::Error`, a `ProxyError`, hyper-util's connect error, ...).
#[derive(Clone, Debug)]
struct SharedError(Arc<dyn std::error::Error + Send + Sync>);

impl fmt::Display for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// A request that was never sent: the connection had failed (or was closing) before any of it
/// was written. Its source is the connection's failure.
#[derive(Debug)]
pub(crate) struct NotSent(h2::Error);

impl fmt::Display for NotSent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the request was not sent: the connection had failed ({})",
            self.0
        )
    }
}

impl std::error::Error for NotSent {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// A call failed because its connection stopped answering keepalive pings and was dropped.
/// Its source is the call's own failure.
#[derive(Debug)]
pub(crate) struct KeepaliveTimedOut(h2::Error);

impl fmt::Display for KeepaliveTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the connection did not answer a keepalive ping in time ({})",
            self.0
        )
    }
}

impl std::error::Error for KeepaliveTimedOut {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// One live HTTP/2 connection: the handle that opens streams on it. Its I/O runs in a task of
/// its own ([`Conn::start`]), which holds only the [`ConnState`]: once the pool and every call
/// let go of the handle, h2 closes the connection and the task ends.
struct Conn {
    send: h2::client::SendRequest<Bytes>,
    state: Arc<ConnState>,
}

/// What a connection's calls and its task share.
struct ConnState {
    stats: Arc<IoStats>,
    /// The connection is gone (or going): new calls make another.
    closed: AtomicBool,
    /// It was dropped because a keepalive ping went unanswered.
    keepalive_timed_out: AtomicBool,
}

impl Conn {
    /// Spawns the connection's task, which marks it closed (and frees its slot) when it ends.
    fn start(connected: Connected, keepalive: Option<Keepalive>, slot: Weak<Slot>) -> Arc<Conn> {
        let Connected {
            send,
            mut connection,
            stats,
        } = connected;
        let state = Arc::new(ConnState {
            stats: stats.clone(),
            closed: AtomicBool::new(false),
            keepalive_timed_out: AtomicBool::new(false),
        });
        let conn = Arc::new(Conn {
            send,
            state: state.clone(),
        });
        let pings = keepalive.and_then(|k| Some((connection.ping_pong()?, k)));
        let guard = Closing { state, slot };
        tokio::spawn(async move {
            let guard = guard;
            match pings {
                None => {
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "connection ended");
                    }
                }
                Some((pings, keepalive)) => {
                    tokio::select! {
                        ended = &mut connection => {
                            if let Err(error) = ended {
                                tracing::debug!(%error, "connection ended");
                            }
                        }
                        () = keep_alive(pings, keepalive, stats) => {
                            tracing::debug!("keepalive ping unanswered: dropping the connection");
                            guard.state.keepalive_timed_out.store(true, Ordering::SeqCst);
                        }
                    }
                }
            }
            drop(guard);
        });
        conn
    }

    fn is_closed(&self) -> bool {
        self.state.closed.load(Ordering::Relaxed)
    }

    fn close(&self) {
        self.state.closed.store(true, Ordering::Relaxed);
    }

    /// The error for a call whose stream failed: [`KeepaliveTimedOut`] when that is why the
    /// connection went, [`NotSent`] when nothing at all was written on the connection since
    /// the stream was opened (so none of the request left), else h2's own.
    fn failed(&self, error: h2::Error, written_before: u64) -> BoxError {
        if self.state.keepalive_timed_out.load(Ordering::SeqCst) {
            return Box::new(KeepaliveTimedOut(error));
        }
        if !error.is_remote() && self.state.stats.written() == written_before {
            self.close();
            return Box::new(NotSent(error));
        }
        if error.is_go_away() || error.is_io() {
            self.close();
        }
        Box::new(error)
    }

    /// One request on this connection: opens the stream, sends what of the body is ready at
    /// once (a unary call's whole message, with END_STREAM), leaves the rest to a task, and
    /// waits for the response headers.
    async fn send(self: Arc<Self>, request: Request<Body>) -> Result<Response<Body>, BoxError> {
        let mut send = match self.send.clone().ready().await {
            Ok(send) => send,
            Err(error) => {
                self.close();
                return Err(Box::new(NotSent(error)));
            }
        };
        let (parts, mut body) = request.into_parts();
        let end = body.is_end_stream();
        let written_before = self.state.stats.written();
        let (response, mut stream) = match send.send_request(Request::from_parts(parts, ()), end) {
            Ok(opened) => opened,
            Err(error) => {
                if error.is_go_away() || error.is_io() {
                    self.close();
                }
                return Err(Box::new(NotSent(error)));
            }
        };
        if !end {
            let first =
                std::future::poll_fn(|cx| Poll::Ready(send_ready(&mut body, &mut stream, cx)))
                    .await;
            match first {
                Ok(Sent::All) => {}
                Ok(Sent::Part(held)) => {
                    tokio::spawn(Pipe { body, stream, held }.run());
                }
                Err(error) => return Err(error),
            }
        }
        let response = response
            .await
            .map_err(|error| self.failed(error, written_before))?;
        Ok(response.map(|recv| {
            Body::new(Incoming {
                recv,
                conn: self,
                trailers: false,
            })
        }))
    }
}

impl Conn {
    /// Opens a stream for a unary call and sends its whole request: HEADERS, then the frame as
    /// one DATA frame with END_STREAM.
    async fn open_unary(
        &self,
        request: Request<()>,
        frame: Bytes,
    ) -> Result<(h2::client::ResponseFuture, u64), BoxError> {
        let mut send = match self.send.clone().ready().await {
            Ok(send) => send,
            Err(error) => {
                self.close();
                return Err(Box::new(NotSent(error)));
            }
        };
        let written_before = self.state.stats.written();
        let (response, mut stream) = match send.send_request(request, false) {
            Ok(opened) => opened,
            Err(error) => {
                if error.is_go_away() || error.is_io() {
                    self.close();
                }
                return Err(Box::new(NotSent(error)));
            }
        };
        if let Err(error) = stream.send_data(frame, true) {
            return Err(self.failed(error, written_before));
        }
        Ok((response, written_before))
    }

    /// One unary call: the response's one message, checked against `max_decoding`, and its
    /// status (from the trailers, or from the headers of a trailers-only response).
    async fn unary(
        &self,
        request: Request<()>,
        frame: Bytes,
        max_decoding: usize,
    ) -> Result<Bytes, tonic::Status> {
        let (response, written_before) = self
            .open_unary(request, frame)
            .await
            .map_err(tonic::Status::from_error)?;
        let response = response
            .await
            .map_err(|e| tonic::Status::from_error(self.failed(e, written_before)))?;
        let (head, mut recv) = response.into_parts();
        if let Some(status) = tonic::Status::from_header_map(&head.headers) {
            // Trailers-only: the status is all there is.
            return Err(if status.code() == tonic::Code::Ok {
                tonic::Status::internal("Missing response message.")
            } else {
                status
            });
        }
        if head.status != http::StatusCode::OK {
            return Err(status_of_http(head.status));
        }
        let mut message = Message::default();
        loop {
            match recv.data().await {
                Some(Ok(chunk)) => {
                    let _ = recv.flow_control().release_capacity(chunk.len());
                    message.push(chunk, max_decoding)?;
                }
                Some(Err(error)) if ends_cleanly(&error) => break,
                Some(Err(error)) => {
                    return Err(tonic::Status::from_error(self.failed(error, u64::MAX)));
                }
                None => break,
            }
        }
        let trailers = match recv.trailers().await {
            Ok(trailers) => trailers,
            Err(error) if ends_cleanly(&error) => None,
            Err(error) => return Err(tonic::Status::from_error(self.failed(error, u64::MAX))),
        };
        // Success, read without building a status (tonic's allocates its message and metadata).
        if trailers
            .as_ref()
            .and_then(|t| t.get(GRPC_STATUS))
            .is_some_and(|code| code.as_bytes() == b"0")
        {
            return message.finish();
        }
        match trailers.as_ref().and_then(tonic::Status::from_header_map) {
            Some(status) if status.code() == tonic::Code::Ok => message.finish(),
            Some(status) => Err(status),
            None => Err(status_of_http(head.status)),
        }
    }
}

/// The trailer that carries a call's status code.
const GRPC_STATUS: http::HeaderName = http::HeaderName::from_static("grpc-status");

/// Whether a stream's failure is a reset that ends it cleanly (NO_ERROR or CANCEL after the
/// response), as hyper reads it.
fn ends_cleanly(error: &h2::Error) -> bool {
    matches!(
        error.reason(),
        Some(h2::Reason::NO_ERROR | h2::Reason::CANCEL)
    ) && error.is_reset()
}

/// The status of a response with no `grpc-status`, from its HTTP status, as gRPC maps them.
fn status_of_http(status: http::StatusCode) -> tonic::Status {
    use http::StatusCode as H;
    let code = match status {
        H::BAD_REQUEST => tonic::Code::Internal,
        H::UNAUTHORIZED => tonic::Code::Unauthenticated,
        H::FORBIDDEN => tonic::Code::PermissionDenied,
        H::NOT_FOUND => tonic::Code::Unimplemented,
        H::TOO_MANY_REQUESTS | H::BAD_GATEWAY | H::SERVICE_UNAVAILABLE | H::GATEWAY_TIMEOUT => {
            tonic::Code::Unavailable
        }
        _ => tonic::Code::Unknown,
    };
    tonic::Status::new(
        code,
        format!("the response has no grpc-status (HTTP status {status})"),
    )
}

/// A unary response's message, gathered from its DATA frames: the first frame kept as it is
/// when it holds the whole message (no copy), else the frames joined.
#[derive(Default)]
struct Message {
    first: Bytes,
    joined: Option<bytes::BytesMut>,
}

impl Message {
    fn push(&mut self, chunk: Bytes, max_decoding: usize) -> Result<(), tonic::Status> {
        if self.joined.is_none() && self.first.is_empty() {
            self.first = chunk;
            return self.check(max_decoding).map(|_| ());
        }
        let joined = match &mut self.joined {
            Some(joined) => joined,
            None => {
                // A buffer for the whole message once its length is known (as tonic reserves
                // it), so that joining the frames copies each once and never reallocates.
                let first = std::mem::take(&mut self.first);
                let mut joined = bytes::BytesMut::with_capacity(first.len() + chunk.len());
                joined.extend_from_slice(&first);
                self.joined.insert(joined)
            }
        };
        if let Some(len) = frame_len(joined).filter(|len| *len <= max_decoding) {
            let want = (5 + len).max(joined.len() + chunk.len());
            joined.reserve(want - joined.len());
        }
        joined.extend_from_slice(&chunk);
        self.check(max_decoding).map(|_| ())
    }

    /// The message's length once its prefix is in, refused over `max_decoding`.
    fn check(&self, max_decoding: usize) -> Result<Option<usize>, tonic::Status> {
        let held = self.joined.as_deref().unwrap_or(&self.first);
        match frame_len(held) {
            Some(len) if len > max_decoding => Err(super::limits::SizeLimit {
                direction: super::limits::Direction::Decoding,
                found: len,
                limit: max_decoding,
            }
            .status()),
            found => Ok(found),
        }
    }

    /// The one message, or why there is not exactly one.
    fn finish(self) -> Result<Bytes, tonic::Status> {
        let all = match self.joined {
            Some(joined) => joined.freeze(),
            None => self.first,
        };
        if all.is_empty() {
            return Err(tonic::Status::internal("Missing response message."));
        }
        if all[0] != 0 {
            return Err(tonic::Status::internal(
                "the response message is compressed, but no compression was asked for",
            ));
        }
        match frame_len(&all) {
            Some(len) if all.len() == 5 + len => Ok(all.slice(5..)),
            Some(len) if all.len() < 5 + len => Err(tonic::Status::internal(
                "the response message was cut short",
            )),
            Some(_) => Err(tonic::Status::internal(
                "more than one response message for a unary call",
            )),
            None => Err(tonic::Status::internal(
                "the response message was cut short",
            )),
        }
    }
}

/// The length a gRPC frame's 5-byte prefix gives, once the prefix is there.
fn frame_len(frame: &[u8]) -> Option<usize> {
    let prefix: [u8; 4] = frame.get(1..5)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(prefix)).ok()
}

/// Marks a connection closed and frees its slot when its task ends, or is dropped with its
/// runtime.
struct Closing {
    state: Arc<ConnState>,
    slot: Weak<Slot>,
}

impl Drop for Closing {
    fn drop(&mut self) {
        self.state.closed.store(true, Ordering::Relaxed);
        if let Some(slot) = self.slot.upgrade() {
            let mut state = slot.lock();
            if matches!(&*state, State::Ready(c) if Arc::ptr_eq(&c.state, &self.state)) {
                *state = State::default();
            }
        }
    }
}

/// Pings the connection whenever it has read nothing for the keepalive interval; returns when
/// a ping goes unanswered for the keepalive timeout.
async fn keep_alive(mut pings: h2::PingPong, keepalive: Keepalive, stats: Arc<IoStats>) {
    let mut reads = stats.reads();
    loop {
        tokio::time::sleep(keepalive.interval).await;
        let now = stats.reads();
        if now != reads {
            reads = now;
            continue;
        }
        match tokio::time::timeout(keepalive.timeout, pings.ping(h2::Ping::opaque())).await {
            Ok(Ok(_pong)) => reads = stats.reads(),
            // The connection failed: its own task ends with the error.
            Ok(Err(_)) => std::future::pending::<()>().await,
            Err(_) => return,
        }
    }
}

/// How much of a request body went out at once.
enum Sent {
    /// All of it, END_STREAM included.
    All,
    /// Some (or none): the body has more to come, and maybe a frame already taken from it.
    Part(Option<Bytes>),
}

/// Sends the body's frames that are ready now. A data frame is held back until the next poll
/// says whether the body ends after it, so that a unary request goes out as one DATA frame
/// with END_STREAM. Stops after the first data frame that is not the last (the rest waits for
/// flow control, in [`Pipe`]).
fn send_ready(
    body: &mut Body,
    stream: &mut h2::SendStream<Bytes>,
    cx: &mut Context<'_>,
) -> Result<Sent, BoxError> {
    let mut held: Option<Bytes> = None;
    loop {
        match Pin::new(&mut *body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) => {
                    if let Some(earlier) = held.replace(data) {
                        stream.send_data(earlier, false)?;
                        return Ok(Sent::Part(held));
                    }
                }
                Err(frame) => {
                    if let Some(earlier) = held.take() {
                        stream.send_data(earlier, false)?;
                    }
                    if let Ok(trailers) = frame.into_trailers() {
                        stream.send_trailers(trailers)?;
                        return Ok(Sent::All);
                    }
                }
            },
            Poll::Ready(None) => {
                stream.send_data(held.take().unwrap_or_default(), true)?;
                return Ok(Sent::All);
            }
            Poll::Ready(Some(Err(status))) => {
                stream.send_reset(h2::Reason::CANCEL);
                return Err(Box::new(status));
            }
            Poll::Pending => return Ok(Sent::Part(held)),
        }
    }
}

/// The rest of a request body, sent as flow control allows (a client or bidi stream).
struct Pipe {
    body: Body,
    stream: h2::SendStream<Bytes>,
    /// A frame taken from the body and not yet sent.
    held: Option<Bytes>,
}

impl Pipe {
    async fn run(mut self) {
        if let Err(error) = std::future::poll_fn(|cx| self.poll(cx)).await {
            tracing::debug!(%error, "the request stream ended early");
            self.stream.send_reset(h2::Reason::CANCEL);
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        loop {
            // The server may end the stream (reset) while the body waits.
            if let Poll::Ready(reset) = self.stream.poll_reset(cx) {
                return Poll::Ready(match reset {
                    Ok(_) => Ok(()),
                    Err(e) => Err(e.into()),
                });
            }
            if let Some(data) = self.held.take() {
                // Wait for window before sending more, so that memory stays bounded.
                self.stream.reserve_capacity(data.len().max(1));
                if self.stream.capacity() == 0 {
                    match self.stream.poll_capacity(cx) {
                        Poll::Pending => {
                            self.held = Some(data);
                            return Poll::Pending;
                        }
                        Poll::Ready(None) => return Poll::Ready(Ok(())),
                        Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e.into())),
                        Poll::Ready(Some(Ok(_))) => {}
                    }
                }
                self.stream.send_data(data, false)?;
                continue;
            }
            match ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => self.held = Some(data),
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            self.stream.send_trailers(trailers)?;
                            return Poll::Ready(Ok(()));
                        }
                    }
                },
                None => {
                    self.stream.send_data(Bytes::new(), true)?;
                    return Poll::Ready(Ok(()));
                }
                Some(Err(status)) => return Poll::Ready(Err(Box::new(status))),
            }
        }
    }
}

/// A response body: its DATA frames (their window given back as they are read), then its
/// trailers.
struct Incoming {
    recv: h2::RecvStream,
    conn: Arc<Conn>,
    trailers: bool,
}

impl http_body::Body for Incoming {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if !this.trailers {
            match ready!(this.recv.poll_data(cx)) {
                Some(Ok(data)) => {
                    let _ = this.recv.flow_control().release_capacity(data.len());
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Some(Err(error)) if ends_cleanly(&error) => return Poll::Ready(None),
                Some(Err(error)) => {
                    return Poll::Ready(Some(Err(this.conn.failed(error, u64::MAX))));
                }
                None => this.trailers = true,
            }
        }
        match ready!(this.recv.poll_trailers(cx)) {
            Ok(Some(trailers)) => Poll::Ready(Some(Ok(Frame::trailers(trailers)))),
            Ok(None) => Poll::Ready(None),
            Err(error) if ends_cleanly(&error) => Poll::Ready(None),
            Err(error) => Poll::Ready(Some(Err(this.conn.failed(error, u64::MAX)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.recv.is_end_stream()
    }
}
