//! The shared setup: a MockV2 with a ClarifaiClient pointed at it ([`Fixture`]), the request and
//! response builders, and the helpers more than one test module uses.

use std::time::Duration;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, ClientBuilder, Credentials, Error, retry::RetryPolicy};
use futures_util::StreamExt;

/// How a test's ClarifaiClient is built: `Credentials::pat("pat", "me", "app")` and otherwise the
/// builder's defaults unless a knob says else. [`start`](Self::start) starts a MockV2 and points
/// the client at it.
///
/// ```ignore
/// let (mock, client) = Fixture::new().start().await;
/// let (mock, client) = Fixture::fast().retry(policy).start().await;
/// ```
pub struct Fixture(ClientBuilder);

impl Fixture {
    /// A PAT for user `me` and app `app`, every other setting the builder's default. The
    /// builder sees an empty environment ([`no_env`]), so a developer's own `CLARIFAI_*`
    /// variables change nothing.
    pub fn new() -> Self {
        Fixture(
            ClarifaiClient::builder()
                .env_lookup(no_env)
                .credentials(Credentials::pat("pat", "me", "app").unwrap()),
        )
    }

    /// [`new`](Self::new) with [`fast_retries`] and a 10 s timeout: what the retry, status,
    /// stream, pagination and load tests share.
    pub fn fast() -> Self {
        Self::new()
            .retry(fast_retries())
            .timeout(Duration::from_secs(10))
    }

    /// Other credentials.
    pub fn credentials(self, credentials: Credentials) -> Self {
        self.with(|b| b.credentials(credentials))
    }

    /// Another retry policy.
    pub fn retry(self, policy: RetryPolicy) -> Self {
        self.with(|b| b.retry_policy(policy))
    }

    /// Another default deadline.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.with(|b| b.timeout(timeout))
    }

    /// Any other builder setting.
    pub fn with(self, f: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Self {
        Fixture(f(self.0))
    }

    /// The client, for the server at `url`.
    pub fn client(self, url: impl Into<String>) -> ClarifaiClient {
        self.0
            .endpoint(url)
            .build()
            .expect("the test client builds")
    }

    /// Starts a MockV2 (no handlers yet) and builds the client for it.
    pub async fn start(self) -> (MockV2, ClarifaiClient) {
        let mock = MockV2::start().await.expect("MockV2 starts");
        let client = self.client(mock.url());
        (mock, client)
    }

    /// [`start`](Self::start), but the client reaches the MockV2's service over in-memory
    /// connections (a tonic server on `tokio::io::duplex` pairs, the client built with
    /// `ClarifaiClient::from_channel_with`). With no socket there is no I/O to wait for, so
    /// under tokio's paused clock time moves only when every task waits for a timer: the
    /// retry and deadline tests read backoffs and deadlines off that clock exactly.
    pub async fn start_in_memory(self) -> (MockV2, ClarifaiClient) {
        let mock = MockV2::start().await.expect("MockV2 starts");
        let client = ClarifaiClient::from_channel_with(in_memory_channel(&mock), self.0)
            .expect("the test client builds");
        (mock, client)
    }
}

/// An environment with nothing set, for `env_lookup`.
pub fn no_env(_: &str) -> Option<String> {
    None
}

/// A lazy channel to `mock`'s service over in-memory connections: each connect makes a new
/// `tokio::io::duplex` pair and hands its server half to a tonic server on this runtime.
pub fn in_memory_channel(mock: &MockV2) -> tonic::transport::Channel {
    let (connections, accepted) = tokio::sync::mpsc::unbounded_channel::<tokio::io::DuplexStream>();
    let incoming = futures_util::stream::unfold(accepted, |mut accepted| async move {
        let io = accepted.recv().await?;
        Some((Ok::<_, std::io::Error>(io), accepted))
    });
    tokio::spawn(tonic::transport::Server::builder().serve_with_incoming(mock.service(), incoming));
    tonic::transport::Endpoint::from_static("http://in-memory").connect_with_connector_lazy(
        tower::service_fn(move |_| {
            let (client_io, server_io) = tokio::io::duplex(1 << 20);
            let handed = connections.send(server_io);
            async move {
                handed
                    .map(|()| hyper_util::rt::TokioIo::new(client_io))
                    .map_err(|_| std::io::Error::other("the in-memory server stopped"))
            }
        }),
    )
}

/// The default policy with 5-20 ms backoffs, so that retried tests stay quick.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().backoff(Duration::from_millis(5), Duration::from_millis(20))
}

/// An in-band status `code` with `description`, and `req-123` as its request id.
pub fn status(code: StatusCode, description: &str) -> Option<api::status::Status> {
    Some(api::status::Status {
        code: code as i32,
        description: description.into(),
        req_id: "req-123".into(),
        ..Default::default()
    })
}

/// A predict request for the model `id`.
pub fn predict(id: &str) -> api::PostModelOutputsRequest {
    api::PostModelOutputsRequest {
        model_id: id.into(),
        ..Default::default()
    }
}

/// An in-band SUCCESS.
pub fn success() -> Option<api::status::Status> {
    status(StatusCode::Success, "Ok")
}

/// A predict response with one output per id, under `status(code, "done")`.
pub fn outputs(ids: &[&str], code: StatusCode) -> api::MultiOutputResponse {
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

/// Sends `messages` on the StreamModelOutputs bidi stream through `client` and collects every
/// response item, errors included.
pub async fn stream_all(
    client: &ClarifaiClient,
    messages: Vec<api::PostModelOutputsRequest>,
) -> Vec<Result<api::MultiOutputResponse, Error>> {
    client
        .stream_model_outputs(futures_util::stream::iter(messages))
        .await
        .expect("the stream starts")
        .collect()
        .await
}

/// Parses a `grpc-timeout` header value.
pub fn grpc_timeout(value: &str) -> Duration {
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

/// Runs `body` on a current-thread runtime under a fmt subscriber at `level` (also writing span
/// closings with their fields when `span_closings`), and gives everything the subscriber wrote.
pub fn traced<F>(level: tracing::Level, span_closings: bool, body: impl FnOnce() -> F) -> String
where
    F: std::future::Future<Output = ()>,
{
    #[derive(Clone, Default)]
    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    use tracing_subscriber::fmt::format::FmtSpan;
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_span_events(if span_closings {
            FmtSpan::CLOSE
        } else {
            FmtSpan::NONE
        })
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // tracing caches each callsite's interest globally. While only one subscriber is
    // registered, tracing-core computes that cache from the default subscriber of whichever
    // thread registers the callsite: a test on another thread (which has none) making the first
    // call would cache the client's spans as unwanted, and they would never show here. A second
    // registered subscriber, which wants nothing, makes it ask every registered subscriber.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(body())
    });
    String::from_utf8(sink.0.lock().unwrap().clone()).unwrap()
}

/// A MockV2 over TLS, with the test certificate for `localhost` (signed by tests/fixtures/ca.pem).
pub async fn tls_mock() -> MockV2 {
    MockV2::start_tls(
        include_bytes!("../../fixtures/server.pem"),
        include_bytes!("../../fixtures/server.key"),
    )
    .await
    .unwrap()
}

/// A client for `mock` (a [`tls_mock`]) that trusts the test CA, with `credentials`.
pub fn tls_client(mock: &MockV2, credentials: Credentials) -> ClarifaiClient {
    ClarifaiClient::builder()
        .env_lookup(no_env)
        .endpoint(mock.url())
        .ca_certificate(include_bytes!("../../fixtures/ca.pem"))
        .credentials(credentials)
        .build()
        .unwrap()
}

/// The accepted connections of `listener`, as tonic's `serve_with_incoming` takes them.
pub fn accepted(
    listener: tokio::net::TcpListener,
) -> impl futures_util::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures_util::stream::unfold(listener, |listener| async move {
        let accepted = listener.accept().await.map(|(stream, _)| stream);
        Some((accepted, listener))
    })
}
