//! A blocking client (feature `blocking`), for programs that are not async: a CLI, a build
//! script, a PyO3 extension, a synchronous web framework. No tokio in your own code.
//!
//! [`ClarifaiClient`] here has the async client's builder, its named methods (one per rpc,
//! generated from the same table), its resource handles and its errors; each call waits for its
//! answer instead of returning a future, and server and bidi streams come back as iterators
//! ([`ResponseIter`]).
//!
//! ```no_run
//! use clarifai_tonic::{api::{self, Input}, blocking};
//!
//! # fn main() -> Result<(), clarifai_tonic::Error> {
//! let client = blocking::ClarifaiClient::builder().build()?; // credentials from the environment
//! let model = client.model("clarifai/main/general-image-recognition")?;
//! let outputs = model.predict(Input::image_url("https://samples.clarifai.com/metro-north.jpg"))?;
//! for concept in outputs.iter().flat_map(|output| output.concepts()) {
//!     println!("{} {:.3}", concept.name, concept.value);
//! }
//! for model in client.list_models_stream(api::ListModelsRequest::default()) {
//!     println!("{}", model?.id);
//! }
//! # Ok(()) }
//! ```
//!
//! # How it runs
//!
//! The client owns a tokio runtime (current-thread) on a thread of its own, as reqwest's blocking
//! client does. The connection lives on that thread; each call is driven from the calling thread
//! with the runtime's handle, so 8 threads sharing one client encode and decode in parallel over
//! one HTTP/2 connection. Clones share the runtime, and it stops, its thread joined, when the
//! last clone (or the last handle or iterator made from one) is dropped.
//!
//! A stream's iterator reads the next message when asked; dropping it cancels the stream. A bidi
//! or client stream takes its requests from any `Send` iterator, pulled on a blocking thread of
//! the runtime and never on the connection's thread; to send as you go, pass the
//! `std::sync::mpsc::Receiver` of a channel you keep the sender of. If that iterator is still
//! waiting for its next item when the client is dropped, its thread is left to finish on its own
//! after a second.
//!
//! Inside a tokio runtime (any thread where `tokio::runtime::Handle::try_current()` succeeds,
//! `spawn_blocking` threads included), building the client or calling it returns
//! [`Error::BlockingInAsync`], never a panic: use the async [`crate::ClarifaiClient`] there.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::iter::FusedIterator;
use std::pin::Pin;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};

use crate::{Credentials, Error, ResponseStream};

/// How long the last drop waits for a request iterator that is still blocked in `next()`.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(1);

/// An async call on its way to [`ClarifaiClient::run`]: boxed, so that the ~270 named methods
/// share one `block_on` per response type instead of one per method.
type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + 'a>>;

thread_local! {
    /// Set on the runtime's blocking thread while it pulls a bidi request iterator: the runtime's
    /// handle is current there, but blocking is allowed.
    static PUMPING: Cell<bool> = const { Cell::new(false) };
}

/// [`Error::BlockingInAsync`] on a thread inside a tokio runtime, where blocking would stall it.
fn refuse_in_async(method: &'static str) -> Result<(), Error> {
    if Handle::try_current().is_ok() && !PUMPING.get() {
        return Err(Error::BlockingInAsync { method });
    }
    Ok(())
}

/// The runtime thread, shared by every clone, handle and iterator; the last drop stops it.
struct Runtime {
    handle: Handle,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Runtime {
    /// A current-thread runtime, driven by a thread of its own until the last drop.
    fn start() -> std::io::Result<Runtime> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name("clarifai-block")
            .build()?;
        let handle = runtime.handle().clone();
        let (shutdown, stop) = oneshot::channel::<()>();
        let (running, started) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = thread::Builder::new()
            .name("clarifai-block".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = running.send(());
                    let _ = stop.await;
                });
                runtime.shutdown_timeout(SHUTDOWN_WAIT);
            })?;
        // Return once the thread drives the runtime.
        let _ = started.recv();
        Ok(Runtime {
            handle,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// Drives `future` to completion from the calling thread, or refuses inside a runtime.
    fn block_on<F: Future>(&self, method: &'static str, future: F) -> Result<F::Output, Error> {
        refuse_in_async(method)?;
        Ok(self.handle.block_on(future))
    }
}

impl Runtime {
    /// `requests` as a stream for a client or bidi stream, pulled on a blocking thread of the
    /// runtime (never on its connection's thread) one message ahead of the sending.
    fn pump<R: Send + 'static>(
        &self,
        method: &'static str,
        requests: impl Iterator<Item = R> + Send + 'static,
    ) -> Result<impl Stream<Item = R> + Send + 'static, Error> {
        refuse_in_async(method)?;
        let (tx, mut rx) = mpsc::channel(1);
        self.handle.spawn_blocking(move || {
            struct Pumping;
            impl Drop for Pumping {
                fn drop(&mut self) {
                    PUMPING.set(false);
                }
            }
            PUMPING.set(true);
            let _pumping = Pumping;
            for request in requests {
                if tx.blocking_send(request).is_err() {
                    break; // the call is over: stop pulling
                }
            }
        });
        Ok(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // Never join from the runtime's own thread (a last clone dropped by a task there).
            if thread.thread().id() != thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Runtime")
    }
}

/// Builds a blocking [`ClarifaiClient`]: every setting of the async
/// [`ClientBuilder`](crate::ClientBuilder), through [`configure`](Self::configure).
///
/// ```no_run
/// use std::time::Duration;
/// use clarifai_tonic::{blocking, Credentials};
///
/// # fn main() -> Result<(), clarifai_tonic::Error> {
/// let client = blocking::ClarifaiClient::builder()
///     .configure(|b| {
///         b.credentials(Credentials::from_env().unwrap())
///             .timeout(Duration::from_secs(30))
///     })
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct ClientBuilder(crate::ClientBuilder);

/// Writes each listed setter on the blocking builder as a forward to the async one's.
macro_rules! forward_setters {
    ($($(#[$attr:meta])* $name:ident($($arg:ident: $ty:ty),*) => |$b:ident| $body:expr;)*) => {
        impl ClientBuilder {
            $(
                $(#[$attr])*
                pub fn $name(self, $($arg: $ty),*) -> Self {
                    ClientBuilder(self.0.$name($($arg),*))
                }
            )*
        }
    };
}

// Every setter of the async builder, with its docs: one list, so the two cannot drift apart.
crate::client::client_builder_setters!(forward_setters);

impl ClientBuilder {
    /// Applies settings of the async [`ClientBuilder`](crate::ClientBuilder): `.configure(|b|
    /// b.endpoint(url).timeout(t))`. The blocking builder has every setter itself too.
    pub fn configure(self, f: impl FnOnce(crate::ClientBuilder) -> crate::ClientBuilder) -> Self {
        ClientBuilder(f(self.0))
    }

    /// Starts the client's runtime thread and builds the client on it. No network traffic
    /// happens until the first call. Inside a tokio runtime this is
    /// [`Error::BlockingInAsync`]; a runtime that cannot start (no thread to be had) is a gRPC
    /// RESOURCE_EXHAUSTED [`Error::Grpc`].
    pub fn build(self) -> Result<ClarifaiClient, Error> {
        refuse_in_async("ClientBuilder::build")?;
        let runtime = Runtime::start().map_err(|e| Error::Grpc {
            rpc: "",
            status: Box::new(tonic::Status::resource_exhausted(format!(
                "cannot start the blocking client's runtime thread: {e}"
            ))),
        })?;
        let client = {
            let _in_runtime = runtime.handle.enter();
            self.0.build()?
        };
        Ok(ClarifaiClient {
            client,
            runtime: Arc::new(runtime),
        })
    }
}

/// The async builder, with every setting it has, ready to [`build`](ClientBuilder::build) a
/// blocking client.
impl From<crate::ClientBuilder> for ClientBuilder {
    fn from(builder: crate::ClientBuilder) -> Self {
        ClientBuilder(builder)
    }
}

/// A blocking client for the Clarifai V2 API: [`crate::ClarifaiClient`]'s methods, each waiting
/// for its answer. Cheap to clone; `Send + Sync`; the runtime thread stops when the last clone
/// (and every handle and iterator made from it) is dropped. See [the module](self).
#[derive(Clone)]
pub struct ClarifaiClient {
    // Dropped first, so that its connection goes before the runtime stops.
    client: crate::ClarifaiClient,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for ClarifaiClient {
    /// What the async client shows: the credentials redacted, the endpoint, timeout and retries.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::ClarifaiClient")
            .field(&self.client)
            .finish()
    }
}

/// # Making a client
impl ClarifaiClient {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The async client this one drives (for its raw [`v2`](crate::ClarifaiClient::v2) client,
    /// say): run its futures with [`block_on`](Self::block_on).
    pub fn as_async(&self) -> &crate::ClarifaiClient {
        &self.client
    }

    /// Runs any future on the client's runtime, from this thread, and returns its output:
    /// `client.block_on(client.as_async().v2().list_models(request))`. Inside a tokio runtime
    /// this is [`Error::BlockingInAsync`], and the future is dropped unpolled.
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, Error> {
        self.runtime.block_on("block_on", future)
    }

    /// The endpoint the builder chose: see [`crate::ClarifaiClient::endpoint`].
    pub fn endpoint(&self) -> Option<&str> {
        self.client.endpoint()
    }

    /// The credentials calls use now.
    pub fn credentials(&self) -> Credentials {
        self.client.credentials()
    }

    /// Replaces the credentials for every call from now on: see
    /// [`crate::ClarifaiClient::rotate_credentials`].
    pub fn rotate_credentials(&self, credentials: Credentials) -> bool {
        self.client.rotate_credentials(credentials)
    }

    /// A client sharing this one's connection and runtime, with other credentials.
    pub fn with_credentials(&self, credentials: Credentials) -> Self {
        ClarifaiClient {
            client: self.client.with_credentials(credentials),
            runtime: self.runtime.clone(),
        }
    }

    /// This client with `options` on every call made through it: see
    /// [`crate::ClarifaiClient::with_options`].
    pub fn with_options(&self, options: crate::CallOptions) -> Self {
        ClarifaiClient {
            client: self.client.with_options(options),
            runtime: self.runtime.clone(),
        }
    }

    /// A unary call's answer.
    fn run<T>(&self, method: &'static str, call: Call<'_, T>) -> Result<T, Error> {
        self.runtime.block_on(method, call)?
    }

    /// A streaming call's responses, as an iterator.
    fn stream<T>(
        &self,
        method: &'static str,
        call: Call<'_, ResponseStream<T>>,
    ) -> Result<ResponseIter<T>, Error> {
        let stream = self.run(method, call)?;
        Ok(self.iter(method, stream))
    }

    /// A stream as an iterator.
    fn iter<T>(&self, method: &'static str, stream: ResponseStream<T>) -> ResponseIter<T> {
        ResponseIter::new(&self.runtime, method, stream)
    }

    /// `requests` as a stream: see [`Runtime::pump`].
    fn pump<R: Send + 'static>(
        &self,
        method: &'static str,
        requests: impl Iterator<Item = R> + Send + 'static,
    ) -> Result<impl Stream<Item = R> + Send + 'static, Error> {
        self.runtime.pump(method, requests)
    }
}

/// The responses of a server or bidi stream (or a List rpc's items, page after page), each
/// checked for Clarifai's in-band status; a failure is its last item. Each `next()` waits for
/// the next message. Dropping it cancels the stream.
///
/// ```no_run
/// # use clarifai_tonic::{api, blocking};
/// # fn run(client: blocking::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
/// for model in client.list_models_stream(api::ListModelsRequest::default()) {
///     println!("{}", model?.id);
/// }
/// let all: Vec<api::Model> = client
///     .list_models_stream(api::ListModelsRequest::default())
///     .collect::<Result<_, _>>()?;
/// # Ok(()) }
/// ```
pub struct ResponseIter<T> {
    stream: Option<ResponseStream<T>>,
    runtime: Arc<Runtime>,
    method: &'static str,
}

impl<T> ResponseIter<T> {
    /// `stream` as an iterator that keeps `runtime` alive.
    fn new(runtime: &Arc<Runtime>, method: &'static str, stream: ResponseStream<T>) -> Self {
        ResponseIter {
            stream: Some(stream),
            runtime: runtime.clone(),
            method,
        }
    }
}

impl<T> Iterator for ResponseIter<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let stream = self.stream.as_mut()?;
        match self.runtime.block_on(self.method, stream.next()) {
            Ok(Some(item)) => Some(item),
            Ok(None) => {
                self.stream = None;
                None
            }
            Err(refused) => {
                self.stream = None;
                Some(Err(refused))
            }
        }
    }
}

impl<T> FusedIterator for ResponseIter<T> {}

impl<T> fmt::Debug for ResponseIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseIter")
            .field("method", &self.method)
            .field("done", &self.stream.is_none())
            .finish_non_exhaustive()
    }
}

mod handles;
mod methods;

pub use handles::{AppHandle, ModelHandle, Uploader, WorkflowHandle};
pub use methods::MethodCall;
