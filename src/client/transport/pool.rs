//! The pool: a few HTTP/2 connections, each made by the first call that needs it and remade when it dies, shared round robin.

use super::*;

/// The connections, and how requests name the server.
pub(crate) struct Pool {
    pub(crate) slots: Box<[Arc<Slot>]>,
    /// The slot the next call starts from (round robin).
    pub(crate) next: AtomicUsize,
    pub(crate) connector: Arc<Connector>,
    pub(crate) scheme: Scheme,
    pub(crate) authority: Option<Authority>,
}

/// One connection's place in the pool.
#[derive(Default)]
pub(crate) struct Slot {
    pub(crate) state: Mutex<State>,
}

/// A connect attempt that every call waiting for the slot shares.
pub(crate) type Connecting = Shared<BoxFuture<'static, Result<Arc<Conn>, SharedError>>>;

pub(crate) enum State {
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
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The wait before connect number `failures + 1` after `failures` failed in a row: none after
/// the first failure (a call's own retry backoff spaces those out), then 20 ms, doubling, to at
/// most 2 s. Concurrent calls share one connect, so a dead server sees one connect at a time.
pub(crate) fn reconnect_backoff(failures: u32) -> Option<Duration> {
    (failures >= 2).then(|| {
        Duration::from_millis(20)
            .saturating_mul(1 << (failures - 2).min(7))
            .min(Duration::from_secs(2))
    })
}

impl Pool {
    pub(crate) fn call(
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
    pub(crate) async fn unary(
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
    pub(crate) fn ready_conn(&self) -> Result<Arc<Conn>, (Arc<Slot>, Connecting)> {
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
    pub(crate) async fn await_connect(
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
    pub(crate) fn connect(
        &self,
        slot: Arc<Slot>,
        failures: u32,
        retry_at: Option<Instant>,
    ) -> Connecting {
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
pub(crate) struct SharedError(Arc<dyn std::error::Error + Send + Sync>);

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
