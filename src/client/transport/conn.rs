//! One HTTP/2 connection: its task, its calls, and the failures it tags (a request never sent, a keepalive that timed out).

use super::*;

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
pub(crate) struct Conn {
    pub(crate) send: h2::client::SendRequest<Bytes>,
    pub(crate) state: Arc<ConnState>,
}

/// What a connection's calls and its task share.
pub(crate) struct ConnState {
    pub(crate) stats: Arc<IoStats>,
    /// The connection is gone (or going): new calls make another.
    pub(crate) closed: AtomicBool,
    /// It was dropped because a keepalive ping went unanswered.
    pub(crate) keepalive_timed_out: AtomicBool,
}

impl Conn {
    /// Spawns the connection's task, which marks it closed (and frees its slot) when it ends.
    pub(crate) fn start(
        connected: Connected,
        keepalive: Option<Keepalive>,
        slot: Weak<Slot>,
    ) -> Arc<Conn> {
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

    pub(crate) fn is_closed(&self) -> bool {
        self.state.closed.load(Ordering::Relaxed)
    }

    pub(crate) fn close(&self) {
        self.state.closed.store(true, Ordering::Relaxed);
    }

    /// The error for a call whose stream failed: [`KeepaliveTimedOut`] when that is why the
    /// connection went, [`NotSent`] when nothing at all was written on the connection since
    /// the stream was opened (so none of the request left), else h2's own.
    pub(crate) fn failed(&self, error: h2::Error, written_before: u64) -> BoxError {
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
    pub(crate) async fn send(
        self: Arc<Self>,
        request: Request<Body>,
    ) -> Result<Response<Body>, BoxError> {
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
    pub(crate) async fn open_unary(
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
    pub(crate) async fn unary(
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

/// Marks a connection closed and frees its slot when its task ends, or is dropped with its
/// runtime.
pub(crate) struct Closing {
    pub(crate) state: Arc<ConnState>,
    pub(crate) slot: Weak<Slot>,
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
pub(crate) async fn keep_alive(mut pings: h2::PingPong, keepalive: Keepalive, stats: Arc<IoStats>) {
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

/// Whether a stream's failure is a reset that ends it cleanly (NO_ERROR or CANCEL after the
/// response), as hyper reads it.
pub(crate) fn ends_cleanly(error: &h2::Error) -> bool {
    matches!(
        error.reason(),
        Some(h2::Reason::NO_ERROR | h2::Reason::CANCEL)
    ) && error.is_reset()
}
