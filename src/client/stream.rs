//! Bidi and client streams: `user_app_id` filled on every outgoing message, every response
//! checked. They are not retried: their input cannot be replayed.

use std::sync::{Arc, Mutex};
use tokio::time::Instant;

use futures_core::Stream;
use futures_util::StreamExt;
use tonic::codegen::http::uri::PathAndQuery;
use tracing::Instrument;

use super::call::{call_span, checked, decode_checked, fill_user_app_id, ready, record_outcome};
use super::deadline::timed;
use super::{ClarifaiClient, ResponseStream};
use crate::Error;
use crate::accessors::UserAppScoped;
use crate::client::auth::{check_pat_only, resolve};
use crate::client::codec::{RawCodec, SharedMessage};
use crate::rpc::{BidiStreamingRpc, ClientStreamingRpc, Rpc};
use tonic::metadata::MetadataMap;

/// Where the outgoing half of a stream leaves the error that stopped it, for the caller's side.
type Failure = Arc<Mutex<Option<Error>>>;

impl ClarifaiClient {
    /// Calls a bidi-streaming rpc: `user_app_id` is filled on every outgoing message, every
    /// response is checked. Not retried (the input cannot be replayed). If a message needs an app
    /// the credentials lack, sending stops there and the response stream ends with
    /// [`Error::MissingAppId`].
    pub async fn streaming<R: BidiStreamingRpc, S>(
        &self,
        requests: S,
    ) -> Result<ResponseStream<R::Response>, Error>
    where
        S: Stream<Item = R::Request> + Send + 'static,
    {
        let rpc = R::INFO.name;
        let (outgoing, failure, metadata) = self.outgoing::<R, S>(requests)?;
        let mut request = tonic::Request::new(outgoing);
        *request.metadata_mut() = metadata;
        let mut grpc = self.grpc.clone();
        // A runner's stream may get its headers only with its first work item (the official
        // runner waits for them as long as the stream lives): no deadline on its start either.
        let timeout = self
            .config
            .timeout
            .filter(|_| !crate::rpc::waits_for_work(rpc));
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let start = async move {
            ready(&mut grpc, rpc).await?;
            grpc.streaming(request, PathAndQuery::from_static(R::INFO.path), RawCodec)
                .await
                .map_err(|s| self.failed(rpc, s))
        };
        let span = call_span(R::INFO);
        let started = timed(rpc, timeout, deadline, start)
            .instrument(span.clone())
            .await;
        record_outcome(&span, started.as_ref().map(|_| None), 0);
        let stream = started?.into_inner();
        let tail = futures_util::stream::once(async move { take(&failure) })
            .filter_map(|e| async move { e.map(Err) });
        let items = checked(rpc, stream, self.config.stream_idle);
        Ok(Box::pin(items.chain(tail)))
    }

    /// Calls a client-streaming rpc, with `user_app_id` filled on every outgoing message.
    pub async fn client_streaming<R: ClientStreamingRpc, S>(
        &self,
        requests: S,
    ) -> Result<R::Response, Error>
    where
        S: Stream<Item = R::Request> + Send + 'static,
    {
        let rpc = R::INFO.name;
        let (outgoing, failure, metadata) = self.outgoing::<R, S>(requests)?;
        let mut request = tonic::Request::new(outgoing);
        *request.metadata_mut() = metadata;
        let mut grpc = self.grpc.clone();
        let span = call_span(R::INFO);
        let response = async {
            ready(&mut grpc, rpc).await?;
            grpc.client_streaming(request, PathAndQuery::from_static(R::INFO.path), RawCodec)
                .await
                .map_err(|s| self.failed(rpc, s))
        }
        .instrument(span.clone())
        .await;
        record_outcome(&span, response.as_ref().map(|_| None), 0);
        if let Some(e) = take(&failure) {
            return Err(e);
        }
        decode_checked(rpc, response?.into_inner())
    }

    /// The outgoing half of a client or bidi stream, with `user_app_id` filled per message, and
    /// the stream's metadata: the [`CallOptions`](crate::CallOptions) headers and the
    /// credentials, resolved once as for every call (so that `AuthService` finds them set).
    fn outgoing<R: Rpc, S>(
        &self,
        requests: S,
    ) -> Result<
        (
            impl Stream<Item = SharedMessage> + Send + 'static,
            Failure,
            MetadataMap,
        ),
        Error,
    >
    where
        S: Stream<Item = R::Request> + Send + 'static,
    {
        let mut metadata = MetadataMap::from_headers(self.config.metadata.clone());
        let per_call = self.config.call_credentials.as_ref();
        let creds = resolve(&[metadata.as_ref()], per_call, || self.credentials());
        if let Some(creds) = &creds {
            check_pat_only(R::INFO, creds)?;
            let (name, value) = creds.header();
            metadata.as_mut().insert(name.clone(), value.clone());
        }
        let failure: Failure = Arc::new(Mutex::new(None));
        let slot = failure.clone();
        let outgoing = requests
            .map(move |mut message| {
                let filled = match &creds {
                    Some(creds) => fill_user_app_id(R::INFO, creds, message.user_app_id_mut()),
                    None => Ok(()),
                };
                filled.map(|()| Arc::new(message) as SharedMessage)
            })
            .take_while(move |item| {
                // fill_user_app_id fails only with MissingAppId, which cannot be cloned out of
                // the borrowed item; it is rebuilt for the response stream's last item.
                if item.is_err()
                    && let Ok(mut f) = slot.lock()
                {
                    *f = Some(Error::MissingAppId { rpc: R::INFO.name });
                }
                futures_util::future::ready(item.is_ok())
            })
            .filter_map(|item| futures_util::future::ready(item.ok()));
        Ok((outgoing, failure, metadata))
    }
}

/// The error the outgoing half stopped on, if any.
fn take(failure: &Failure) -> Option<Error> {
    failure.lock().ok().and_then(|mut f| f.take())
}
