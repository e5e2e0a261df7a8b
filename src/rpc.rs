//! The per-rpc table, generated from the protos' method options (which prost drops): for every rpc
//! of `clarifai.api.V2`, its path, auth type (`cl_auth_type`), required scopes
//! (`cl_depending_scopes`), streaming kind, whether it works inside an app, and whether it is
//! safe to send twice ([`RetrySafety`]).
//!
//! Each rpc also has a marker type here, named like the rpc (`rpc::PostModelOutputs`), which ties
//! its request and response types together for generic code such as
//! [`MockV2::on`](crate::mock::MockV2::on).
//!
//! ```
//! use clarifai_tonic::rpc::{self, AuthType, Streaming};
//! use clarifai_tonic::auth::scope::S;
//!
//! let info = rpc::find("PostModelOutputs").unwrap();
//! assert_eq!(info.auth, AuthType::KeyAuth);
//! assert!(info.scopes.contains(&S::Predict));
//! assert_eq!(rpc::find("PostApps").unwrap().auth, AuthType::PatAuth);
//! assert_eq!(rpc::find("StreamModelOutputs").unwrap().streaming, Streaming::BidiStreaming);
//! ```

pub use crate::accessors::{ClarifaiResponse, Paged, UserAppScoped};
use crate::api::status::StatusCode;
use crate::auth::scope::S;
pub use crate::auth::types::AuthType;

/// How an rpc streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Streaming {
    /// One request, one response.
    Unary,
    /// One request, a stream of responses.
    ServerStreaming,
    /// A stream of requests, one response.
    ClientStreaming,
    /// A stream each way.
    BidiStreaming,
}

/// Whether an rpc may be sent a second time after the server may have received it: the rule the
/// default [`RetryPolicy`](crate::RetryPolicy) follows for failures after sending (gRPC
/// UNAVAILABLE, a connection lost mid-call). Requests that never reached the server are resent
/// whatever this says.
///
/// The rule, applied to the protos when the crate is built:
/// - [`Read`](Self::Read): the rpc's REST route (its `google.api.http` option, leaving out
///   additional bindings) is a GET.
///   Get*, List*, MyScopes*, StreamInputs, StreamLogEntries.
/// - [`Harmless`](Self::Harmless): not a GET, but a second execution does no harm, for the reason
///   it carries: searches and queries, scope and password checks, and predictions
///   (PostModelOutputs, PostWorkflowResults, GenerateModelOutputs). A prediction stores nothing,
///   so a repeat gives an equivalent answer, but one that ran before the failure is billed again:
///   set `RetryPolicy::none()` on calls where that matters more than the failure.
/// - [`Unsafe`](Self::Unsafe): everything else (every other Post, Patch, Put, Delete and Cancel),
///   since a repeat may create a second copy, apply a change twice, or report a deletion that
///   did happen as not found.
///
/// ```
/// use clarifai_tonic::rpc::{self, RetrySafety};
/// assert_eq!(rpc::find("ListModels").unwrap().retry, RetrySafety::Read);
/// assert!(rpc::find("PostModelOutputs").unwrap().retry.is_safe());
/// assert_eq!(rpc::find("PostInputs").unwrap().retry, RetrySafety::Unsafe);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetrySafety {
    /// It only reads.
    Read,
    /// It is not a read, but a second execution does no harm, for the reason given.
    Harmless(&'static str),
    /// A second execution may do the work twice.
    Unsafe,
}

impl RetrySafety {
    /// Whether a second execution does no harm ([`Read`](Self::Read) or
    /// [`Harmless`](Self::Harmless)).
    pub fn is_safe(self) -> bool {
        !matches!(self, RetrySafety::Unsafe)
    }
}

/// What the protos say about one rpc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RpcInfo {
    /// The rpc's name, e.g. `"PostModelOutputs"`.
    pub name: &'static str,
    /// The gRPC path, e.g. `"/clarifai.api.V2/PostModelOutputs"`.
    pub path: &'static str,
    /// Which credentials the server accepts (`cl_auth_type`).
    pub auth: AuthType,
    /// The scopes a key must have (`cl_depending_scopes`).
    pub scopes: &'static [S],
    /// How it streams.
    pub streaming: Streaming,
    /// Marked internal-only by Clarifai (`cl_private_rpc`).
    pub private: bool,
    /// Whether it works inside an app, so that a PAT's `user_app_id` must name one. From the
    /// REST routes: true unless a route names the user (`{user_app_id.user_id}`) and none names
    /// the app.
    pub needs_app: bool,
    /// Whether it is safe to send twice.
    pub retry: RetrySafety,
    /// The full proto name of the request message.
    pub request_type: &'static str,
    /// The full proto name of the response message.
    pub response_type: &'static str,
}

impl RpcInfo {
    /// Whether only a personal access token (not an app-specific API key) may call it.
    pub fn needs_pat(&self) -> bool {
        self.auth == AuthType::PatAuth
    }

    /// The scope names as written in the proto (`"Predict"`, `"Models_Get"`, ...).
    pub fn scope_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.scopes.iter().map(|s| s.as_str_name())
    }
}

/// Ties an rpc's types together. Implemented by the marker types in this module.
pub trait Rpc: Send + Sync + 'static {
    /// The request message.
    type Request: prost::Message + Default + Clone + UserAppScoped + Send + Sync + 'static;
    /// The response message.
    type Response: prost::Message + Default + Clone + ClarifaiResponse + Send + Sync + 'static;
    /// What the protos say about it.
    const INFO: &'static RpcInfo;
}

/// An rpc with one request and one response.
pub trait UnaryRpc: Rpc {}
/// An rpc with one request and a stream of responses.
pub trait ServerStreamingRpc: Rpc {}
/// An rpc with a stream of requests and one response.
pub trait ClientStreamingRpc: Rpc {}
/// An rpc with a stream each way.
pub trait BidiStreamingRpc: Rpc {}

/// A List rpc that pages (its request has `page` and `per_page`): where its response keeps the
/// items. What `list_*_stream` and [`MockV2::respond_pages`](crate::mock::MockV2::respond_pages)
/// build on.
pub trait PagedRpc: UnaryRpc<Request: crate::Paged> {
    /// One item (`Model` for ListModels).
    type Item: Clone + Send + Sync + 'static;
    /// The response's list of items.
    fn items(response: &mut Self::Response) -> &mut Vec<Self::Item>;
}

/// Looks an rpc up by name (`"PostApps"`), or by path (`"/clarifai.api.V2/PostApps"`).
pub fn find(name: &str) -> Option<&'static RpcInfo> {
    let name = short_name(name);
    RPCS.binary_search_by(|info| info.name.cmp(name))
        .ok()
        .map(|i| &RPCS[i])
}

/// An rpc's name, from its name or its path (`/clarifai.api.V2/<name>`).
fn short_name(rpc: &str) -> &str {
    rpc.strip_prefix('/')
        .and_then(|path| path.strip_prefix(SERVICE))
        .and_then(|path| path.strip_prefix('/'))
        .unwrap_or(rpc)
}

/// The non-SUCCESS in-band codes that a stream of `rpc` uses to report progress rather than
/// failure: they come through the stream as items, where any other non-SUCCESS code ends it
/// with an error.
///
/// - `PostModelVersionsUpload`: UPLOAD_IN_PROGRESS while the upload goes on, then
///   MODEL_BUILDING once it is in and the image is being built (the SDK's model upload waits for
///   exactly that answer).
/// - `ProcessRunnerItems`: the runner protocol's control codes, RUNNER_NEEDS_RETRY,
///   RUNNER_STREAM_START, RUNNER_STREAM_END, RUNNER_ITEM_CANCELLED and
///   RUNNER_SPECIAL_HANDLING_NOT_COMPLETE. The other RUNNER_* codes (does not exist, permission
///   denied, invalid argument or request, processing failed) are failures.
///
/// ```
/// use clarifai_tonic::{api::status::StatusCode, rpc};
/// assert!(rpc::progress_codes("PostModelVersionsUpload").contains(&StatusCode::UploadInProgress));
/// assert!(rpc::progress_codes("StreamModelOutputs").is_empty());
/// ```
pub fn progress_codes(rpc: &str) -> &'static [StatusCode] {
    const UPLOAD: &[StatusCode] = &[StatusCode::UploadInProgress, StatusCode::ModelBuilding];
    const RUNNER: &[StatusCode] = &[
        StatusCode::RunnerNeedsRetry,
        StatusCode::RunnerStreamStart,
        StatusCode::RunnerStreamEnd,
        StatusCode::RunnerItemCancelled,
        StatusCode::RunnerSpecialHandlingNotComplete,
    ];
    match short_name(rpc) {
        "PostModelVersionsUpload" => UPLOAD,
        "ProcessRunnerItems" => RUNNER,
        _ => &[],
    }
}

/// Whether a stream of `rpc` may rightly stay silent for long: a runner's `ProcessRunnerItems`
/// waits for work as long as there is none, so neither the client's stream idle timeout nor its
/// timeout on a stream's start (the response headers may come with the first work item) apply
/// to it.
pub fn waits_for_work(rpc: &str) -> bool {
    short_name(rpc) == "ProcessRunnerItems"
}

include!(concat!(env!("OUT_DIR"), "/rpc_table.rs"));
