//! [`MockV2`]: a real tonic server for the Clarifai V2 service, for tests (feature `mock`).
//!
//! Start it in one line on `127.0.0.1:0`, register typed handlers for the rpcs a test needs, and
//! assert on what the server received: every call is recorded with its metadata and its decoded
//! request message(s). An rpc with no handler answers UNIMPLEMENTED.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use clarifai_tonic::{api, rpc, mock::MockV2, Credentials};
//!
//! let mock = MockV2::start().await?;
//! mock.on::<rpc::ListModels, _, _>(|_request| async {
//!     Ok(api::MultiModelResponse { models: vec![api::Model { id: "m1".into(), ..Default::default() }], ..Default::default() })
//! });
//! let client = mock.client(Credentials::pat("pat", "me", "my-app")?)?;
//! let models = client.list_models(api::ListModelsRequest::default()).await?;
//! assert_eq!(models.models[0].id, "m1");
//!
//! let call = &mock.calls_to::<rpc::ListModels>()[0];
//! assert_eq!(call.header("authorization"), Some("Key pat"));
//! assert_eq!(call.request::<api::ListModelsRequest>().unwrap().user_app_id.unwrap().app_id, "my-app");
//! # Ok(()) }
//! ```

use std::any::Any;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use futures_core::Stream;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::api::v2_server::V2Server;
use crate::rpc::{
    BidiStreamingRpc, ClientStreamingRpc, PagedRpc, Rpc, ServerStreamingRpc, UnaryRpc,
};
use crate::{ClarifaiClient, ClarifaiResponse, Credentials, Error, Paged};

// MockV2 itself is here; the server's dispatch to handlers in handlers.rs, the recorded calls and
// shared state in recording.rs, the connections drop_connections cuts in connections.rs.
mod connections;
mod handlers;
mod recording;
mod runner_api;

use handlers::{BidiHandler, ClientStreamHandler, MockService, ServerStreamHandler, UnaryHandler};
use recording::State;
pub use recording::{MockStream, RecordedCall};
pub use runner_api::{RunnerApi, Work};

/// A running mock V2 server. Dropping it stops the server.
pub struct MockV2 {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    kill: watch::Sender<u64>,
    tls: bool,
}

impl MockV2 {
    /// Starts a server on `127.0.0.1:0` (a free port).
    #[inline(never)]
    pub async fn start() -> io::Result<MockV2> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts a server on `addr`.
    #[inline(never)]
    pub async fn start_on(addr: SocketAddr) -> io::Result<MockV2> {
        Self::launch(addr, None).await
    }

    /// Starts a TLS server on `127.0.0.1:0` with the given certificate chain and key (PEM), to
    /// test TLS settings such as a custom CA. Its [`url`](Self::url) is `https://localhost:<port>`,
    /// so the certificate must name `localhost`.
    #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
    #[inline(never)]
    pub async fn start_tls(
        cert_pem: impl AsRef<[u8]>,
        key_pem: impl AsRef<[u8]>,
    ) -> io::Result<MockV2> {
        let identity = tonic::transport::Identity::from_pem(cert_pem, key_pem);
        let tls = tonic::transport::ServerTlsConfig::new().identity(identity);
        Self::launch(SocketAddr::from(([127, 0, 0, 1], 0)), Some(tls)).await
    }

    #[cfg(any(feature = "tls-ring", feature = "tls-aws-lc"))]
    #[inline(never)]
    async fn launch(
        addr: SocketAddr,
        tls: Option<tonic::transport::ServerTlsConfig>,
    ) -> io::Result<MockV2> {
        let mut builder = tonic::transport::Server::builder();
        let is_tls = tls.is_some();
        if let Some(tls) = tls {
            builder = builder.tls_config(tls).map_err(io::Error::other)?;
        }
        Self::serve(TcpListener::bind(addr).await?, builder, is_tls)
    }

    #[cfg(not(any(feature = "tls-ring", feature = "tls-aws-lc")))]
    async fn launch(
        addr: SocketAddr,
        _tls: Option<std::convert::Infallible>,
    ) -> io::Result<MockV2> {
        Self::serve(
            TcpListener::bind(addr).await?,
            tonic::transport::Server::builder(),
            false,
        )
    }

    #[inline(never)]
    /// Spawns the server task. Deliberately not `async`: an async fn's body is compiled in the
    /// crate that awaits it, and this one pulls in the whole 273-rpc server stack. As a plain
    /// function it is compiled once, here, instead of once per test or example binary.
    fn serve(
        listener: TcpListener,
        builder: tonic::transport::Server,
        tls: bool,
    ) -> io::Result<MockV2> {
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        let (shutdown, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let (kill, kill_rx) = watch::channel(0u64);
        let incoming = connections::incoming(listener, kill_rx);
        let service = Self::service_for(state.clone());
        tokio::spawn(async move {
            // The one service is served as is, not through a `Router`: tonic's `router` feature
            // (axum) is only needed to route between several services. The generated `V2Server`
            // answers UNIMPLEMENTED for any path that is not one of its rpcs.
            let served = builder
                .serve_with_incoming_shutdown(service, incoming, async {
                    let _ = shutdown_rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "MockV2 stopped");
            }
        });
        Ok(MockV2 {
            addr,
            state,
            shutdown: Some(shutdown),
            kill,
            tls,
        })
    }

    #[inline(never)]
    fn service_for(state: Arc<State>) -> V2Server<MockService> {
        let server = V2Server::new(MockService { state })
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX);
        // With `gzip`, it takes gzip requests and answers in gzip whoever asks for it, as
        // Clarifai's API does.
        #[cfg(feature = "gzip")]
        let server = server
            .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
            .send_compressed(tonic::codec::CompressionEncoding::Gzip);
        server
    }

    /// The tonic service, to mount in your own server or serve over an in-memory transport.
    /// It shares handlers and recorded calls with this mock.
    #[inline(never)]
    pub fn service(&self) -> V2Server<impl crate::api::v2_server::V2> {
        Self::service_for(self.state.clone())
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL: `http://127.0.0.1:<port>`, or `https://localhost:<port>` for a TLS server.
    pub fn url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://{}", self.addr)
        }
    }

    /// A [`ClarifaiClient`] for this server, with the given credentials and default settings.
    /// It reads nothing from the environment (`CLARIFAI_ROOT_CERTIFICATES_PATH` included), so
    /// that a developer's own settings cannot change a test's result.
    #[inline(never)]
    pub fn client(&self, credentials: Credentials) -> Result<ClarifaiClient, Error> {
        ClarifaiClient::builder()
            .env_lookup(|_| None)
            .endpoint(self.url())
            .credentials(credentials)
            .build()
    }

    /// Cuts every open connection at once, as a crashed server or a broken network would. The
    /// server keeps accepting new connections.
    pub fn drop_connections(&self) {
        self.kill.send_modify(|generation| *generation += 1);
    }

    fn set_handler(&self, rpc: &'static str, handler: Arc<dyn Any + Send + Sync>) {
        if let Ok(mut handlers) = self.state.handlers.write() {
            handlers.insert(rpc, handler);
        }
    }

    /// Handles the unary rpc `R` with `handler`, replacing any earlier handler.
    pub fn on<R, F, Fut>(&self, handler: F)
    where
        R: UnaryRpc,
        F: Fn(tonic::Request<R::Request>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R::Response, tonic::Status>> + Send + 'static,
    {
        let handler: UnaryHandler<R> = Arc::new(move |request| Box::pin(handler(request)));
        self.set_handler(R::INFO.name, Arc::new(handler));
    }

    /// Answers every call of the unary rpc `R` with a copy of `response`.
    pub fn respond<R: UnaryRpc>(&self, response: R::Response) {
        self.on::<R, _, _>(move |_| {
            let response = response.clone();
            async move { Ok(response) }
        });
    }

    /// Answers every call of the unary rpc `R` with Clarifai's in-band status `code` (gRPC OK, as
    /// the API answers its failures) and `description`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clarifai_tonic::{api, api::status::StatusCode, mock::MockV2, rpc, Credentials};
    /// let mock = MockV2::start().await?;
    /// mock.fail::<rpc::GetModel>(StatusCode::ModelDoesNotExist, "no such model");
    /// let client = mock.client(Credentials::pat("pat", "me", "app")?)?;
    /// let err = client.get_model(api::GetModelRequest::default()).await.unwrap_err();
    /// assert!(err.is_not_found());
    /// # Ok(()) }
    /// ```
    pub fn fail<R: UnaryRpc>(&self, code: crate::api::status::StatusCode, description: &str) {
        let mut response = R::Response::default();
        if let Some(slot) = response.status_mut() {
            *slot = Some(crate::api::status::Status {
                code: code as i32,
                description: description.to_owned(),
                req_id: "mock".into(),
                ..Default::default()
            });
        }
        self.respond::<R>(response);
    }

    /// Answers the List rpc `R` page by page out of `items`, as the API does: `page` (from 1) and
    /// `per_page` pick the slice, `per_page` capped at `cap` (0: no cap) as a server may cap it;
    /// a page past the end is empty.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clarifai_tonic::{api, mock::MockV2, rpc, Credentials, TryStreamExt};
    /// let mock = MockV2::start().await?;
    /// let models: Vec<api::Model> = (0..120)
    ///     .map(|i| api::Model { id: format!("m{i}"), ..Default::default() })
    ///     .collect();
    /// mock.respond_pages::<rpc::ListModels>(models, 50);
    /// let client = mock.client(Credentials::pat("pat", "me", "app")?)?;
    /// let all: Vec<api::Model> = client
    ///     .list_models_stream(api::ListModelsRequest { per_page: 100, ..Default::default() })
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(all.len(), 120);
    /// # Ok(()) }
    /// ```
    pub fn respond_pages<R: PagedRpc>(&self, items: Vec<R::Item>, cap: u32) {
        let items = Arc::new(items);
        self.on::<R, _, _>(move |request| {
            let request = request.into_inner();
            let per_page = match (request.per_page(), cap) {
                (0, 0) => 128,
                (0, cap) => cap,
                (asked, 0) => asked,
                (asked, cap) => asked.min(cap),
            } as usize;
            let start = (request.page().max(1) as usize - 1).saturating_mul(per_page);
            let page: Vec<R::Item> = items.iter().skip(start).take(per_page).cloned().collect();
            async move {
                let mut response = R::Response::default();
                *R::items(&mut response) = page;
                Ok(response)
            }
        });
    }

    /// Answers PostModelOutputs (when the request names `model_id`) with one output per input,
    /// each with these concepts and values, as the request's `output_config` selects them
    /// (`select_concepts`, `min_value`, `max_concepts`): a model to test a service's predict path
    /// against. Another model id is MODEL_DOES_NOT_EXIST.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use clarifai_tonic::{api, mock::MockV2, Credentials};
    /// let mock = MockV2::start().await?;
    /// mock.model("general-image-recognition", &[("train", 0.99), ("railway", 0.97)]);
    /// let client = mock.client(Credentials::pat("pat", "me", "app")?)?;
    /// let response = client
    ///     .post_model_outputs(api::PostModelOutputsRequest {
    ///         model_id: "general-image-recognition".into(),
    ///         inputs: vec![api::Input::image_url("https://samples.clarifai.com/metro-north.jpg")],
    ///         ..Default::default()
    ///     })
    ///     .await?;
    /// assert_eq!(response.outputs[0].concepts()[0].id, "train");
    /// # Ok(()) }
    /// ```
    pub fn model(&self, model_id: &str, concepts: &[(&str, f32)]) {
        use crate::api;
        let model_id = model_id.to_owned();
        let concepts: Arc<Vec<api::Concept>> = Arc::new(
            concepts
                .iter()
                .map(|(id, value)| api::Concept::new(*id).with_name(*id).with_value(*value))
                .collect(),
        );
        self.on::<crate::rpc::PostModelOutputs, _, _>(move |request| {
            let request = request.into_inner();
            let known = request.model_id == model_id;
            let concepts = concepts.clone();
            async move {
                if !known {
                    return Ok(api::MultiOutputResponse {
                        status: Some(api::status::Status {
                            code: api::status::StatusCode::ModelDoesNotExist as i32,
                            description: format!("MockV2 has no model {:?}", request.model_id),
                            ..Default::default()
                        }),
                        ..Default::default()
                    });
                }
                let config = request
                    .model
                    .as_ref()
                    .and_then(|m| m.model_version.as_ref())
                    .and_then(|v| v.output_info.as_ref())
                    .and_then(|i| i.output_config.as_deref())
                    .cloned()
                    .unwrap_or_default();
                let selected: Vec<api::Concept> = concepts
                    .iter()
                    .filter(|c| {
                        config.select_concepts.is_empty()
                            || config.select_concepts.iter().any(|s| s.id == c.id)
                    })
                    .filter(|c| c.value >= config.min_value)
                    .take(match config.max_concepts {
                        0 => usize::MAX,
                        n => n as usize,
                    })
                    .cloned()
                    .collect();
                let outputs = request
                    .inputs
                    .into_iter()
                    .map(|input| api::Output {
                        id: format!("output-{}", input.id),
                        status: Some(api::status::Status {
                            code: api::status::StatusCode::Success as i32,
                            ..Default::default()
                        }),
                        input: Some(Box::new(input)),
                        data: Some(Box::new(api::Data {
                            concepts: selected.clone(),
                            ..Default::default()
                        })),
                        ..Default::default()
                    })
                    .collect();
                Ok(api::MultiOutputResponse {
                    outputs,
                    ..Default::default()
                })
            }
        });
    }

    /// Handles the server-streaming rpc `R`: `handler` turns the request into a stream of
    /// responses (an `Err` item ends the stream with that status).
    pub fn on_server_stream<R, F, S>(&self, handler: F)
    where
        R: ServerStreamingRpc,
        F: Fn(tonic::Request<R::Request>) -> S + Send + Sync + 'static,
        S: Stream<Item = Result<R::Response, tonic::Status>> + Send + 'static,
    {
        let handler: ServerStreamHandler<R> = Arc::new(move |request| Box::pin(handler(request)));
        self.set_handler(R::INFO.name, Arc::new(handler));
    }

    /// Handles the bidi-streaming rpc `R`: `handler` gets the incoming messages as a stream and
    /// returns the stream of responses.
    pub fn on_bidi<R, F, S>(&self, handler: F)
    where
        R: BidiStreamingRpc,
        F: Fn(tonic::Request<MockStream<R::Request>>) -> S + Send + Sync + 'static,
        S: Stream<Item = Result<R::Response, tonic::Status>> + Send + 'static,
    {
        let handler: BidiHandler<R> = Arc::new(move |request| Box::pin(handler(request)));
        self.set_handler(R::INFO.name, Arc::new(handler));
    }

    /// Handles the client-streaming rpc `R`.
    pub fn on_client_stream<R, F, Fut>(&self, handler: F)
    where
        R: ClientStreamingRpc,
        F: Fn(tonic::Request<MockStream<R::Request>>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R::Response, tonic::Status>> + Send + 'static,
    {
        let handler: ClientStreamHandler<R> = Arc::new(move |request| Box::pin(handler(request)));
        self.set_handler(R::INFO.name, Arc::new(handler));
    }

    /// Removes the handler of `R`: its calls answer UNIMPLEMENTED again.
    pub fn remove<R: Rpc>(&self) {
        if let Ok(mut handlers) = self.state.handlers.write() {
            handlers.remove(R::INFO.name);
        }
    }

    /// Every call received, in order of arrival.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.state
            .calls
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    /// The calls of rpc `R`.
    pub fn calls_to<R: Rpc>(&self) -> Vec<RecordedCall> {
        self.calls()
            .into_iter()
            .filter(|c| c.rpc == R::INFO.name)
            .collect()
    }

    /// The (first) request message of every call of `R`.
    pub fn requests<R: Rpc>(&self) -> Vec<R::Request> {
        self.calls_to::<R>()
            .iter()
            .filter_map(|c| c.request::<R::Request>())
            .collect()
    }

    /// How many calls arrived.
    pub fn call_count(&self) -> usize {
        self.state.calls.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// Turns recording of calls on (the default) or off. Off, the server keeps no copies of
    /// requests: for benchmarks and long runs.
    pub fn set_recording(&self, on: bool) {
        self.state
            .not_recording
            .store(!on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a handler's response that leaves `status` unset is sent with an in-band SUCCESS
    /// filled in (the default, so that a handler need not build one: the client takes a
    /// response without a status for a failure, [`Error::MissingStatus`]), or as it is (`false`:
    /// to test that failure).
    pub fn set_fill_status(&self, on: bool) {
        self.state
            .keep_missing_status
            .store(!on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Forgets the recorded calls.
    pub fn clear_calls(&self) {
        if let Ok(mut calls) = self.state.calls.lock() {
            calls.clear();
        }
    }
}

impl Drop for MockV2 {
    fn drop(&mut self) {
        self.drop_connections();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl std::fmt::Debug for MockV2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockV2")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}
