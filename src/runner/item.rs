//! One work item run by the model, as the SDK's `ModelRunner` runs it: dispatched on its
//! `runner_method_type`, each response of the model's a [`RunnerItemOutput`] whose top-level
//! status is derived from its outputs' statuses.

use std::sync::Arc;

use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};

use super::dispatch::{self, Reply, code_only, failure};
use super::model::Model;
use crate::api::status::{Status, StatusCode};
use crate::api::{self, PostModelOutputsRequest, RunnerItem, RunnerItemOutput, RunnerMethodType};

/// The model's request in `item`, if it carries one.
pub(crate) fn request_of(item: RunnerItem) -> Option<PostModelOutputsRequest> {
    match item.request? {
        api::runner_item::Request::PostModelOutputsRequest(request) => Some(*request),
        _ => None,
    }
}

/// The item's kind.
pub(crate) fn kind_of(item: &RunnerItem) -> RunnerMethodType {
    item.processing_info
        .as_ref()
        .and_then(|p| RunnerMethodType::try_from(p.runner_method_type).ok())
        .unwrap_or(RunnerMethodType::UnaryUnary)
}

/// The outputs of `item` (its first request), with the later requests of a stream item in
/// `chunks`.
pub(crate) fn run(
    model: Arc<Model>,
    item: RunnerItem,
    chunks: impl Stream<Item = PostModelOutputsRequest> + Send + 'static,
) -> BoxStream<'static, RunnerItemOutput> {
    let kind = kind_of(&item);
    let Some(request) = request_of(item) else {
        let failed = failure("the work item carries no model request".into());
        return futures_util::stream::once(async move { output(failed) }).boxed();
    };
    match kind {
        RunnerMethodType::UnaryStreaming => dispatch::generate(model, request)
            .map(|reply| output(derived(reply, StatusCode::Failure)))
            .boxed(),
        RunnerMethodType::StreamingStreaming => {
            let requests = futures_util::stream::once(async move { request }).chain(chunks);
            dispatch::stream(model, requests)
                .map(|reply| output(derived(reply, StatusCode::RunnerProcessingFailed)))
                .boxed()
        }
        _ => futures_util::stream::once(async move {
            output(derived(
                dispatch::predict(&model, request).await,
                StatusCode::Failure,
            ))
        })
        .boxed(),
    }
}

/// What is posted in place of an output of `size` bytes over the runner's `limit`.
pub(crate) fn too_large(size: usize, limit: usize) -> RunnerItemOutput {
    output(failure(format!(
        "the model's output is {size} bytes encoded, over the {limit} bytes a runner may post \
         (RunnerConfig::max_post_size)"
    )))
}

fn output(response: api::MultiOutputResponse) -> RunnerItemOutput {
    RunnerItemOutput {
        response: Some(api::runner_item_output::Response::MultiOutputResponse(
            Box::new(response),
        )),
    }
}

/// The response with its status derived from its outputs': SUCCESS when all succeeded, MIXED
/// when some did, else `none` (FAILURE, or RUNNER_PROCESSING_FAILED for a stream).
fn derived(reply: Reply, none: StatusCode) -> api::MultiOutputResponse {
    let mut response = match reply {
        Ok(response) => response,
        Err(cause) => return failure(cause),
    };
    let ok =
        |o: &api::Output| o.status.as_ref().map(|s| s.code) == Some(StatusCode::Success as i32);
    let succeeded = response.outputs.iter().filter(|o| ok(o)).count();
    let (code, description) = if succeeded == response.outputs.len() {
        (StatusCode::Success, "Success")
    } else if succeeded > 0 {
        (StatusCode::MixedStatus, "Mixed Status")
    } else if none == StatusCode::RunnerProcessingFailed {
        (none, "Runner Processing Failed")
    } else {
        (none, "Failed")
    };
    response.status = code_only(code).map(|s| Status {
        description: description.into(),
        ..s
    });
    response
}
