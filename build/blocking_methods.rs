//! `blocking_methods.rs` (feature `blocking`): the named methods of `blocking::ClarifaiClient`,
//! one per rpc, from the same descriptors and in the same domain blocks as `client_methods.rs`.
//! Each is one line that hands the async method's future to the client's runtime: the blocking
//! client adds no behaviour of its own, so the two can never drift apart.

use prost_reflect::MethodDescriptor;

use crate::client_methods::{Templates, named_methods};

/// One domain's block: its heading and description, then its methods.
const BLOCK: &str = r#"
/// # {heading}
///
/// {about}
impl ClarifaiClient {
{methods}}
"#;

/// A unary rpc.
const UNARY: &str = r#"
    /// Calls `{name}`{doc}.
    ///
    /// Waits for the answer: the blocking form of [`crate::ClarifaiClient::{snake}`].
    pub fn {snake}(&self, request: impl tonic::IntoRequest<{req}>) -> Result<{resp}, Error> {
        self.run("{snake}", Box::pin(self.client.{snake}(request)))
    }
"#;

/// A server-streaming rpc.
const SERVER_STREAMING: &str = r#"
    /// Calls the server-streaming rpc `{name}`{doc}.
    ///
    /// The responses come as an iterator: the blocking form of [`crate::ClarifaiClient::{snake}`].
    pub fn {snake}(&self, request: impl tonic::IntoRequest<{req}>) -> Result<ResponseIter<{resp}>, Error> {
        self.stream("{snake}", Box::pin(self.client.{snake}(request)))
    }
"#;

/// A client-streaming rpc: the requests come from an iterator, pulled off the runtime thread.
const CLIENT_STREAMING: &str = r#"
    /// Calls the client-streaming rpc `{name}`{doc}.
    ///
    /// Sends each request of `requests` (an iterator, or a `std::sync::mpsc::Receiver` fed from
    /// another thread): the blocking form of [`crate::ClarifaiClient::{snake}`].
    pub fn {snake}<I>(&self, requests: I) -> Result<{resp}, Error>
    where
        I: IntoIterator<Item = {req}>,
        I::IntoIter: Send + 'static,
    {
        let requests = self.pump("{snake}", requests.into_iter())?;
        self.run("{snake}", Box::pin(self.client.{snake}(requests)))
    }
"#;

/// A bidirectional streaming rpc.
const BIDI_STREAMING: &str = r#"
    /// Calls the streaming rpc `{name}`{doc}.
    ///
    /// Sends each request of `requests` (an iterator, or a `std::sync::mpsc::Receiver` fed from
    /// another thread) while the responses come as an iterator: the blocking form of
    /// [`crate::ClarifaiClient::{snake}`].
    pub fn {snake}<I>(&self, requests: I) -> Result<ResponseIter<{resp}>, Error>
    where
        I: IntoIterator<Item = {req}>,
        I::IntoIter: Send + 'static,
    {
        let requests = self.pump("{snake}", requests.into_iter())?;
        self.stream("{snake}", Box::pin(self.client.{snake}(requests)))
    }
"#;

/// The `_stream` helper of a paged rpc, right after the rpc's own method.
const PAGINATED: &str = r#"
    /// Every item of `{name}`, page after page, fetched as the iterator is read, until a page
    /// comes back empty: the blocking form of [`crate::ClarifaiClient::{snake}_stream`].
    pub fn {snake}_stream(&self, request: impl tonic::IntoRequest<{req}>) -> ResponseIter<{item}> {
        self.iter("{snake}_stream", self.client.{snake}_stream(request))
    }
"#;

/// `blocking_methods.rs`: a named method on `blocking::ClarifaiClient` for every rpc, grouped by
/// domain and sorted by rpc name, as on the async client.
pub fn blocking_methods(methods: &[MethodDescriptor]) -> String {
    named_methods(
        methods,
        &Templates {
            block: BLOCK,
            unary: UNARY,
            server_streaming: SERVER_STREAMING,
            client_streaming: CLIENT_STREAMING,
            bidi_streaming: BIDI_STREAMING,
            paginated: PAGINATED,
        },
    )
}
