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

pub(crate) mod connect;
pub(crate) mod proxy;

use super::codec::{GRPC_STATUS, Message, status_of_http};
use connect::{BoxError, Connected, Connector, IoStats, Keepalive};

mod body;
mod conn;
mod pool;

use super::deadline::{GRPC_TIMEOUT, parse_grpc_timeout};
use body::*;
use conn::*;
pub(crate) use conn::{KeepaliveTimedOut, NotSent};
use pool::*;
pub(crate) use proxy::ProxyError;

/// The `user-agent` of every request.
pub(super) const AGENT: HeaderValue =
    HeaderValue::from_static(crate::client::auth::REQUEST_ID_PREFIX);

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
