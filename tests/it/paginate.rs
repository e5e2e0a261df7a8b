//! The `*_stream` paging helpers: every page requested in turn, the client's app filled in, a
//! failing page ending the stream, the default and the configured page size, an exactly empty
//! last page, and every helper of the build against the rpcs that page.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::prost::Message as _;
use clarifai_tonic::rpc::{self, UnaryRpc};
use clarifai_tonic::{ClarifaiClient, Error, defaults::DEFAULT_PAGE_SIZE, rpc::Paged};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use prost_reflect::{DescriptorPool, DynamicMessage, Kind, Value};

use crate::support::fixture::{Fixture, status, success};

#[tokio::test]
async fn pagination_yields_every_item_and_stops_at_the_first_empty_page() {
    let (mock, client) = Fixture::fast().start().await;
    serve_models(&mock, 25);
    let request = api::ListModelsRequest {
        per_page: 10,
        ..Default::default()
    };
    let models: Vec<_> = client
        .list_models_stream(request)
        .map(|m| m.unwrap().id)
        .collect()
        .await;
    assert_eq!(models.len(), 25);
    assert_eq!(models.first().unwrap(), "model-00");
    assert_eq!(models.last().unwrap(), "model-24");
    // The short third page is not taken for the last: only an empty page ends the stream.
    assert_eq!(
        pages::<rpc::ListModels>(&mock),
        [(1, 10), (2, 10), (3, 10), (4, 10)]
    );
    assert_eq!(
        mock.requests::<rpc::ListModels>()[0]
            .user_app_id
            .as_ref()
            .unwrap()
            .app_id,
        "app"
    );

    // A failing page ends the stream with its error.
    mock.clear_calls();
    mock.respond::<rpc::ListModels>(api::MultiModelResponse {
        status: status(StatusCode::ConnKeyInvalid, "API key not found"),
        ..Default::default()
    });
    let items: Vec<_> = client
        .list_models_stream(api::ListModelsRequest::default())
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    assert!(items[0].as_ref().unwrap_err().is_auth());
    // per_page 0 means the client's page size.
    assert_eq!(
        mock.requests::<rpc::ListModels>()[0].per_page,
        DEFAULT_PAGE_SIZE
    );
}

#[tokio::test]
async fn a_server_that_caps_per_page_below_the_ask_loses_no_item() {
    let (mock, client) = Fixture::fast().start().await;
    let models: Vec<api::Model> = (0..120)
        .map(|i| api::Model {
            id: format!("m{i}"),
            ..Default::default()
        })
        .collect();
    mock.respond_pages::<rpc::ListModels>(models, 50);
    // Per-call options reach every page: here, other credentials.
    let mut request = tonic::Request::new(api::ListModelsRequest {
        per_page: 100,
        ..Default::default()
    });
    request
        .extensions_mut()
        .insert(clarifai_tonic::Credentials::pat("other-pat", "someone", "their-app").unwrap());
    let ids: Vec<String> = client
        .list_models_stream(request)
        .map(|m| m.unwrap().id)
        .collect()
        .await;
    assert_eq!(ids.len(), 120, "the server capped pages at 50, none lost");
    let calls = mock.calls_to::<rpc::ListModels>();
    assert_eq!(calls.len(), 4, "50 + 50 + 20, then an empty page");
    assert!(
        calls
            .iter()
            .all(|c| c.header("authorization") == Some("Key other-pat")),
        "the per-call credentials went with every page"
    );
}

/// `page_size(..)` sets `per_page` when a request leaves it at 0, and a last page that is
/// exactly empty ends the stream: 20 items at 10 a page take three requests, not four.
#[tokio::test]
async fn page_size_and_an_exactly_empty_last_page() {
    let (mock, client) = Fixture::fast().with(|b| b.page_size(10)).start().await;
    serve_models(&mock, 20);
    let models: Vec<_> = client
        .list_models_stream(api::ListModelsRequest::default())
        .map(|m| m.unwrap().id)
        .collect()
        .await;
    assert_eq!(models.len(), 20);
    assert_eq!(pages::<rpc::ListModels>(&mock), [(1, 10), (2, 10), (3, 10)]);
}

/// The (page, per_page) of every call of `R`, in order.
fn pages<R: UnaryRpc>(mock: &MockV2) -> Vec<(u32, u32)>
where
    R::Request: Paged,
{
    mock.requests::<R>()
        .iter()
        .map(|r| (r.page(), r.per_page()))
        .collect()
}

/// Answers ListModels with `total` models, `per_page` at a time.
fn serve_models(mock: &MockV2, total: usize) {
    mock.on::<rpc::ListModels, _, _>(move |req| async move {
        let r = req.into_inner();
        let start = ((r.page.max(1) - 1) * r.per_page) as usize;
        let end = (start + r.per_page as usize).min(total);
        Ok(api::MultiModelResponse {
            status: success(),
            models: (start.min(end)..end)
                .map(|i| api::Model {
                    id: format!("model-{i:02}"),
                    ..Default::default()
                })
                .collect(),
        })
    });
}

/// Runs one `*_stream` helper with an empty request, and counts the items it yields.
type Helper = fn(ClarifaiClient) -> BoxFuture<'static, Result<usize, Error>>;

/// Makes MockV2 answer `R`'s first call with a full response, its later calls with an empty
/// one; gives the count of items in each repeated message field of the full response (3, 4,
/// ...), and how to read the pages `R` was asked for.
type Responder = fn(&MockV2, &DescriptorPool) -> (Vec<usize>, Pages);

/// Reads the (page, per_page) of every call of one rpc.
type Pages = fn(&MockV2) -> Vec<(u32, u32)>;

fn respond<R>(mock: &MockV2, pool: &DescriptorPool) -> (Vec<usize>, Pages)
where
    R: UnaryRpc,
    R::Request: Paged,
{
    let descriptor = pool.get_message_by_name(R::INFO.response_type).unwrap();
    let mut full = DynamicMessage::new(descriptor.clone());
    let mut counts = Vec::new();
    for field in descriptor.fields() {
        if let (true, Kind::Message(item)) = (field.is_list(), field.kind()) {
            let count = 3 + counts.len();
            let items = (0..count)
                .map(|_| Value::Message(DynamicMessage::new(item.clone())))
                .collect();
            full.set_field(&field, Value::List(items));
            counts.push(count);
        }
    }
    let full = R::Response::decode(full.encode_to_vec().as_slice()).unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    mock.on::<R, _, _>(move |_| {
        let first = served.fetch_add(1, Ordering::SeqCst) == 0;
        let response = if first {
            full.clone()
        } else {
            R::Response::default()
        };
        async move { Ok(response) }
    });
    (counts, pages::<R>)
}

macro_rules! helpers {
    ($(($method:ident, $rpc:ident)),* $(,)?) => {
        vec![$((
            stringify!($rpc),
            (|client: ClarifaiClient| -> BoxFuture<'static, Result<usize, Error>> {
                Box::pin(async move {
                    let request = <rpc::$rpc as clarifai_tonic::rpc::Rpc>::Request::default();
                    let items: Vec<_> = client.$method(request).collect().await;
                    items.into_iter().collect::<Result<Vec<_>, _>>().map(|v| v.len())
                })
            }) as Helper,
            respond::<rpc::$rpc> as Responder,
        )),*]
    };
}

fn helpers() -> Vec<(&'static str, Helper, Responder)> {
    helpers![
        (get_concept_counts_stream, GetConceptCounts),
        (list_evaluations_stream, ListEvaluations),
        (list_model_concepts_stream, ListModelConcepts),
        (list_model_inputs_stream, ListModelInputs),
        (list_model_references_stream, ListModelReferences),
        (
            list_model_version_evaluations_stream,
            ListModelVersionEvaluations
        ),
        (
            list_model_version_input_examples_stream,
            ListModelVersionInputExamples
        ),
        (list_model_versions_stream, ListModelVersions),
        (list_models_stream, ListModels),
        (list_annotation_filters_stream, ListAnnotationFilters),
        (list_annotation_tracks_stream, ListAnnotationTracks),
        (list_annotations_stream, ListAnnotations),
        (list_bulk_operations_stream, ListBulkOperations),
        (list_dataset_inputs_stream, ListDatasetInputs),
        (
            list_dataset_version_metrics_groups_stream,
            ListDatasetVersionMetricsGroups
        ),
        (list_dataset_versions_stream, ListDatasetVersions),
        (list_datasets_stream, ListDatasets),
        (list_inputs_stream, ListInputs),
        (list_inputs_add_jobs_stream, ListInputsAddJobs),
        (list_inputs_extraction_jobs_stream, ListInputsExtractionJobs),
        (list_uploads_stream, ListUploads),
        (list_concept_languages_stream, ListConceptLanguages),
        (list_concept_relations_stream, ListConceptRelations),
        (list_concepts_stream, ListConcepts),
        (
            list_workflow_version_evaluation_data_stream,
            ListWorkflowVersionEvaluationData
        ),
        (
            list_workflow_version_evaluations_stream,
            ListWorkflowVersionEvaluations
        ),
        (list_workflow_versions_stream, ListWorkflowVersions),
        (list_workflows_stream, ListWorkflows),
        (list_artifact_versions_stream, ListArtifactVersions),
        (list_artifacts_stream, ListArtifacts),
        (list_pipeline_step_versions_stream, ListPipelineStepVersions),
        (list_pipeline_steps_stream, ListPipelineSteps),
        (
            list_pipeline_version_run_status_logs_stream,
            ListPipelineVersionRunStatusLogs
        ),
        (list_pipeline_version_runs_stream, ListPipelineVersionRuns),
        (list_pipeline_versions_stream, ListPipelineVersions),
        (list_pipelines_stream, ListPipelines),
        (list_compute_clusters_stream, ListComputeClusters),
        (list_deployments_stream, ListDeployments),
        (list_nodepools_stream, ListNodepools),
        (list_runners_stream, ListRunners),
        (list_app_duplications_stream, ListAppDuplications),
        (list_app_keys_stream, ListAppKeys),
        (list_apps_stream, ListApps),
        (list_collaborations_stream, ListCollaborations),
        (list_collaborators_stream, ListCollaborators),
        (list_keys_stream, ListKeys),
        (list_secrets_stream, ListSecrets),
        (list_annotation_workers_stream, ListAnnotationWorkers),
        (list_label_orders_stream, ListLabelOrders),
        (list_tasks_stream, ListTasks),
        (list_log_entries_stream, ListLogEntries),
    ]
}

/// Every `*_stream` paging helper (`list_*_stream` and `get_concept_counts_stream`), one for each rpc that pages by the descriptors (`page` and
/// `per_page` in the request, exactly one repeated message field in the response): at a page
/// size of 3, it yields the first page's items from that field, asks for page 2, and stops at
/// its empty answer.
#[tokio::test]
async fn every_list_stream_helper_pages_until_an_empty_page() {
    let pool = crate::support::descriptors::ours();
    let paged: Vec<&str> = rpc::RPCS
        .iter()
        .filter(|info| {
            let request = pool.get_message_by_name(info.request_type).unwrap();
            let response = pool.get_message_by_name(info.response_type).unwrap();
            let lists = response
                .fields()
                .filter(|f| f.is_list() && matches!(f.kind(), Kind::Message(_)))
                .count();
            info.streaming == rpc::Streaming::Unary
                && request.get_field_by_name("page").is_some()
                && request.get_field_by_name("per_page").is_some()
                && lists == 1
        })
        .map(|info| info.name)
        .collect();
    let mut listed: Vec<&str> = helpers().iter().map(|(name, _, _)| *name).collect();
    listed.sort_unstable();
    assert_eq!(
        listed, paged,
        "a paged rpc without a helper, or the reverse"
    );

    let mut failures = Vec::new();
    for (name, helper, respond) in helpers() {
        let (mock, client) = Fixture::fast().with(|b| b.page_size(3)).start().await;
        let (counts, pages) = respond(&mock, &pool);
        match helper(client).await {
            Ok(n) if counts == [n] => {}
            other => failures.push(format!("{name}: {other:?} items, fields hold {counts:?}")),
        }
        let pages = pages(&mock);
        if pages != [(1, 3), (2, 3)] {
            failures.push(format!("{name}: asked for pages {pages:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
