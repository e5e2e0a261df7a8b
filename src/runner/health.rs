//! The health endpoints a platform probes, on hyper's HTTP/1 server: `/healthz/liveness` (200
//! while the runner runs), `/healthz/readiness` (200 while it takes work, 503 once it stops
//! taking any) and `/healthz/startup` (200 once it started), as the official runner serves them.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;

use super::error::RunnerError;
use super::protocol::Shared;

/// Listens on `addr`; returns the address it got and the task that serves it.
pub(crate) async fn start(
    addr: SocketAddr,
    shared: Arc<Shared>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), RunnerError> {
    let health = |source| RunnerError::Health { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(health)?;
    let bound = listener.local_addr().map_err(health)?;
    let task = tokio::spawn(async move {
        // The connections end with the endpoints.
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let io = match listener.accept().await {
                Ok((io, _)) => io,
                Err(e) => {
                    // Out of file descriptors, say: pause rather than spin.
                    tracing::warn!(error = %e, "runner: health endpoints cannot accept");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            while connections.try_join_next().is_some() {}
            let shared = shared.clone();
            connections.spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let answer = answer(&shared, &request);
                    async move { Ok::<_, Infallible>(answer) }
                });
                let io = hyper_util::rt::TokioIo::new(io);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    Ok((bound, task))
}

fn answer(shared: &Shared, request: &Request<Incoming>) -> Response<String> {
    let up = match request.uri().path() {
        "/healthz/liveness" | "/healthz/startup" => Some(true),
        "/healthz/readiness" => Some(!shared.stopping()),
        _ => None,
    };
    let (status, text) = match up {
        Some(true) => (StatusCode::OK, "OK"),
        Some(false) => (StatusCode::SERVICE_UNAVAILABLE, "stopping"),
        None => (StatusCode::NOT_FOUND, "not found"),
    };
    let mut response = Response::new(format!("{text}\n"));
    *response.status_mut() = status;
    response
}
