//! The local model server: `PostModelOutputs`, `GenerateModelOutputs` and `StreamModelOutputs`
//! answered by a [`Model`]'s methods, as the SDK's `python -m clarifai.runners.server --grpc`
//! answers them, so that the SDK's own `ModelClient.from_local_grpc(port)` (and this crate's
//! [`ClarifaiClient::local`](crate::ClarifaiClient::local)) can list and call every method.

use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::StreamExt;

use super::dispatch::{self, Reply, failure};
use super::model::Model;
use crate::api;
use crate::mock::MockV2;
use crate::rpc;

/// A model served on a port; stops when dropped.
#[derive(Debug)]
pub struct LocalServer {
    server: MockV2,
}

impl LocalServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Its URL, `http://<address it listens on>`.
    pub fn url(&self) -> String {
        self.server.url()
    }
}

/// Serves `model` on `addr` (`127.0.0.1:0` for a free port): the twin of the SDK's
/// `python -m clarifai.runners.server --grpc`. Any other rpc answers UNIMPLEMENTED.
pub async fn serve(model: Model, addr: SocketAddr) -> std::io::Result<LocalServer> {
    // The V2 server engine of MockV2, without its recording: a long-running server keeps
    // nothing per call.
    let server = MockV2::start_on(addr).await?;
    server.set_recording(false);
    server.set_fill_status(false);
    let model = Arc::new(model);
    let m = model.clone();
    server.on::<rpc::PostModelOutputs, _, _>(move |request| {
        let model = m.clone();
        async move {
            Ok(reported(
                dispatch::predict(&model, request.into_inner()).await,
            ))
        }
    });
    let m = model.clone();
    server.on_server_stream::<rpc::GenerateModelOutputs, _, _>(move |request| {
        dispatch::generate(m.clone(), request.into_inner()).map(|r| Ok(reported(r)))
    });
    let m = model;
    server.on_bidi::<rpc::StreamModelOutputs, _, _>(move |request| {
        let incoming = request.into_inner().filter_map(|r| async move { r.ok() });
        dispatch::stream(m.clone(), incoming).map(|r| Ok(reported(r)))
    });
    Ok(LocalServer { server })
}

/// A reply as the SDK's model server answers it: a failure is FAILURE with its cause (measured:
/// its servicer's MODEL_PREDICTION_FAILED is only for a failure of the model wrapper itself, which
/// catches every handler's).
fn reported(reply: Reply) -> api::MultiOutputResponse {
    reply.unwrap_or_else(failure)
}
