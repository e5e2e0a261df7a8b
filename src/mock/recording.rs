//! What [`MockV2`](super::MockV2) remembers: [`RecordedCall`], each call it received with its
//! metadata and decoded request message(s); [`MockStream`], a client or bidi stream that records
//! each message as it arrives; and the server's shared state (registered handlers, recorded calls
//! and the two switches).

use std::any::Any;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};

use futures_core::Stream;
use tonic::metadata::MetadataMap;

/// A request message, kept as its own type behind `Any`.
type Message = Arc<dyn Any + Send + Sync>;

/// The state a [`MockV2`](super::MockV2) shares with its service: the handlers, by rpc name (their
/// typed lookup and the status filling are in `handlers.rs`), and the calls received.
#[derive(Default)]
pub(super) struct State {
    pub(super) handlers: RwLock<HashMap<&'static str, Arc<dyn Any + Send + Sync>>>,
    pub(super) calls: Mutex<Vec<RecordedCall>>,
    /// Set to stop recording (benchmarks, long soak runs).
    pub(super) not_recording: std::sync::atomic::AtomicBool,
    /// Set to send handlers' responses without a status as they are.
    pub(super) keep_missing_status: std::sync::atomic::AtomicBool,
}

impl State {
    /// Records a call of `rpc` (unless recording is off) with its first message, if it has one
    /// yet, and returns it: a stream's later messages are added to it as they arrive.
    pub(super) fn record(
        &self,
        rpc: &'static str,
        metadata: MetadataMap,
        first: Option<Message>,
    ) -> RecordedCall {
        let call = RecordedCall {
            rpc,
            metadata,
            messages: Arc::new(Mutex::new(first.into_iter().collect())),
        };
        if !self
            .not_recording
            .load(std::sync::atomic::Ordering::Relaxed)
            && let Ok(mut calls) = self.calls.lock()
        {
            calls.push(call.clone());
        }
        call
    }
}

/// One call the server received.
#[derive(Clone)]
pub struct RecordedCall {
    /// The rpc's name.
    pub rpc: &'static str,
    /// The request metadata as received (`authorization` included, so keep test keys fake).
    pub metadata: MetadataMap,
    messages: Arc<Mutex<Vec<Message>>>,
}

impl std::fmt::Debug for RecordedCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedCall")
            .field("rpc", &self.rpc)
            .field(
                "messages",
                &self.messages.lock().map(|m| m.len()).unwrap_or(0),
            )
            .finish_non_exhaustive()
    }
}

impl RecordedCall {
    /// A metadata value as text.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(|v| v.to_str().ok())
    }

    /// The (first) request message, as its type.
    pub fn request<T: Clone + 'static>(&self) -> Option<T> {
        self.messages
            .lock()
            .ok()?
            .first()?
            .downcast_ref::<T>()
            .cloned()
    }

    /// Every request message received so far on this call (one for unary and server-streaming
    /// calls; each message of a client or bidi stream).
    pub fn messages<T: Clone + 'static>(&self) -> Vec<T> {
        self.messages
            .lock()
            .map(|m| {
                m.iter()
                    .filter_map(|m| m.downcast_ref::<T>().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The incoming messages of a client or bidi stream, as a handler sees them. Each message is
/// recorded as it arrives.
pub struct MockStream<T> {
    pub(super) inner: tonic::Streaming<T>,
    pub(super) call: RecordedCall,
}

impl<T: Clone + Send + Sync + 'static> Stream for MockStream<T> {
    type Item = Result<T, tonic::Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(message))) = &item
            && let Ok(mut messages) = self.call.messages.lock()
        {
            messages.push(Arc::new(message.clone()));
        }
        item
    }
}
