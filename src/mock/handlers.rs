//! The server side of [`MockV2`](super::MockV2): the handler types, one per kind of rpc
//! ([`UnaryHandler`], [`ServerStreamHandler`], [`BidiHandler`], [`ClientStreamHandler`]), their
//! typed lookup by rpc name, and [`MockService`], the generated `V2` server trait implemented by
//! dispatching each rpc to its registered handler (or UNIMPLEMENTED).

use std::sync::Arc;

use futures_util::future::BoxFuture;
use tonic::codegen::BoxStream;

use super::MockStream;
use super::recording::State;
use crate::ClarifaiResponse;
use crate::rpc::{BidiStreamingRpc, ClientStreamingRpc, Rpc, ServerStreamingRpc, UnaryRpc};

/// The handler of a unary rpc `R`.
pub(super) type UnaryHandler<R> = Arc<
    dyn Fn(
            tonic::Request<<R as Rpc>::Request>,
        ) -> BoxFuture<'static, Result<<R as Rpc>::Response, tonic::Status>>
        + Send
        + Sync,
>;
/// The handler of a server-streaming rpc `R`.
pub(super) type ServerStreamHandler<R> = Arc<
    dyn Fn(tonic::Request<<R as Rpc>::Request>) -> BoxStream<<R as Rpc>::Response> + Send + Sync,
>;
/// The handler of a bidi-streaming rpc `R`.
pub(super) type BidiHandler<R> = Arc<
    dyn Fn(tonic::Request<MockStream<<R as Rpc>::Request>>) -> BoxStream<<R as Rpc>::Response>
        + Send
        + Sync,
>;
/// The handler of a client-streaming rpc `R`.
pub(super) type ClientStreamHandler<R> = Arc<
    dyn Fn(
            tonic::Request<MockStream<<R as Rpc>::Request>>,
        ) -> BoxFuture<'static, Result<<R as Rpc>::Response, tonic::Status>>
        + Send
        + Sync,
>;

impl State {
    /// A handler's response, with an in-band SUCCESS where it left `status` unset.
    fn filled<T: ClarifaiResponse>(&self, mut response: T) -> T {
        if !self
            .keep_missing_status
            .load(std::sync::atomic::Ordering::Relaxed)
            && let Some(slot) = response.status_mut()
            && slot.is_none()
        {
            *slot = Some(crate::api::status::Status {
                code: crate::api::status::StatusCode::Success as i32,
                description: "Ok".into(),
                ..Default::default()
            });
        }
        response
    }

    /// [`filled`](Self::filled) for each response of a stream.
    fn filled_stream<T: ClarifaiResponse + Send + 'static>(
        self: &Arc<Self>,
        stream: BoxStream<T>,
    ) -> BoxStream<T> {
        use futures_util::StreamExt;
        let state = self.clone();
        Box::pin(stream.map(move |item| item.map(|r| state.filled(r))))
    }

    /// The handler registered for `rpc`, as its type `H` (one of the handler types above): `None`
    /// when there is none, or when it is not an `H`.
    fn handler<H: Clone + 'static>(&self, rpc: &str) -> Option<H> {
        self.handlers
            .read()
            .ok()?
            .get(rpc)?
            .downcast_ref::<H>()
            .cloned()
    }
}

fn unimplemented(rpc: &str) -> tonic::Status {
    tonic::Status::unimplemented(format!("MockV2 has no handler for {rpc}"))
}

/// The server side: the generated `V2` trait, every rpc dispatched to its registered handler.
#[derive(Clone)]
pub(super) struct MockService {
    pub(super) state: Arc<State>,
}

impl MockService {
    async fn unary<R: UnaryRpc>(
        &self,
        request: tonic::Request<R::Request>,
    ) -> Result<tonic::Response<R::Response>, tonic::Status> {
        self.state.record(
            R::INFO.name,
            request.metadata().clone(),
            Some(Arc::new(request.get_ref().clone())),
        );
        let handler: UnaryHandler<R> = self
            .state
            .handler(R::INFO.name)
            .ok_or_else(|| unimplemented(R::INFO.name))?;
        let response = handler(request).await?;
        Ok(tonic::Response::new(self.state.filled(response)))
    }

    async fn server_streaming<R: ServerStreamingRpc>(
        &self,
        request: tonic::Request<R::Request>,
    ) -> Result<tonic::Response<BoxStream<R::Response>>, tonic::Status> {
        self.state.record(
            R::INFO.name,
            request.metadata().clone(),
            Some(Arc::new(request.get_ref().clone())),
        );
        let handler: ServerStreamHandler<R> = self
            .state
            .handler(R::INFO.name)
            .ok_or_else(|| unimplemented(R::INFO.name))?;
        Ok(tonic::Response::new(
            self.state.filled_stream(handler(request)),
        ))
    }

    fn incoming<R: Rpc>(
        &self,
        request: tonic::Request<tonic::Streaming<R::Request>>,
    ) -> tonic::Request<MockStream<R::Request>> {
        let call = self
            .state
            .record(R::INFO.name, request.metadata().clone(), None);
        request.map(|inner| MockStream { inner, call })
    }

    async fn bidi_streaming<R: BidiStreamingRpc>(
        &self,
        request: tonic::Request<tonic::Streaming<R::Request>>,
    ) -> Result<tonic::Response<BoxStream<R::Response>>, tonic::Status> {
        let request = self.incoming::<R>(request);
        let handler: BidiHandler<R> = self
            .state
            .handler(R::INFO.name)
            .ok_or_else(|| unimplemented(R::INFO.name))?;
        Ok(tonic::Response::new(
            self.state.filled_stream(handler(request)),
        ))
    }

    #[allow(dead_code)]
    async fn client_streaming<R: ClientStreamingRpc>(
        &self,
        request: tonic::Request<tonic::Streaming<R::Request>>,
    ) -> Result<tonic::Response<R::Response>, tonic::Status> {
        let request = self.incoming::<R>(request);
        let handler: ClientStreamHandler<R> = self
            .state
            .handler(R::INFO.name)
            .ok_or_else(|| unimplemented(R::INFO.name))?;
        let response = handler(request).await?;
        Ok(tonic::Response::new(self.state.filled(response)))
    }
}

// The generated `impl V2 for MockService`: each rpc calls `unary`, `server_streaming`,
// `bidi_streaming` or `client_streaming` above with its `crate::rpc` marker type.
include!(concat!(env!("OUT_DIR"), "/mock_dispatch.rs"));
