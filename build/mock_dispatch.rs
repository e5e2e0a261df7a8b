//! `mock_dispatch.rs` (feature `mock` only): `MockV2`'s implementation of the generated server
//! trait.

use heck::ToSnakeCase;
use prost_reflect::MethodDescriptor;

use crate::names::rust_type;
use crate::rpc_table::Streaming;
use crate::template::fill;

/// The whole file; `{methods}` is one `METHOD` per rpc.
const MOCK_DISPATCH: &str = r#"
#[tonic::async_trait]
impl crate::generated::clarifai::api::v2_server::V2 for MockService {
{methods}}
"#;

/// One rpc of the server trait: `{request}` and `{response}` are the message types, wrapped in
/// `tonic::Streaming` or `BoxStream` on a streaming side; `{handler}` is `MockService`'s method for
/// that kind of rpc.
const METHOD: &str = r#"
    async fn {snake}(&self, request: tonic::Request<{request}>) -> Result<tonic::Response<{response}>, tonic::Status> {
        self.{handler}::<crate::rpc::{name}>(request).await
    }
"#;

/// `mock_dispatch.rs`: the generated `V2` server trait implemented for `MockService`, each rpc
/// handing off to the handler registered for it (or UNIMPLEMENTED).
pub fn mock_dispatch(methods: &[MethodDescriptor]) -> String {
    let mut out = String::new();
    for m in methods {
        let req = rust_type(&m.input());
        let resp = rust_type(&m.output());
        let (request, response, handler) = match Streaming::of(m) {
            Streaming::Unary => (req, resp, "unary"),
            Streaming::Server => (req, boxed_stream(&resp), "server_streaming"),
            Streaming::Bidi => (streaming(&req), boxed_stream(&resp), "bidi_streaming"),
            Streaming::Client => (streaming(&req), resp, "client_streaming"),
        };
        out.push_str(&fill(
            METHOD,
            &[
                ("snake", &m.name().to_snake_case()),
                ("request", &request),
                ("response", &response),
                ("handler", handler),
                ("name", m.name()),
            ],
        ));
    }
    fill(MOCK_DISPATCH, &[("methods", &out)])
}

/// The type of a stream of requests, as the server trait receives it.
fn streaming(req: &str) -> String {
    format!("tonic::Streaming<{req}>")
}

/// The type of a stream of responses, as the server trait returns it.
fn boxed_stream(resp: &str) -> String {
    format!("tonic::codegen::BoxStream<{resp}>")
}
