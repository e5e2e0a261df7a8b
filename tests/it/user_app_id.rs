//! `user_app_id` filled "for every request type wherever the field sits", as a property of the
//! build: every rpc of `rpc::RPCS` is called through a PAT client against MockV2, and for each
//! whose request type has the field in the official client's descriptors, the request the server
//! received, read back by those descriptors (by field number, not through our generated type),
//! names the PAT's user and app.

use clarifai_tonic::ClarifaiClient;
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::prost::Message as _;
use clarifai_tonic::rpc::{self, BidiStreamingRpc, Rpc, ServerStreamingRpc, UnaryRpc};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use prost_reflect::{DynamicMessage, Value};

use crate::support::fixture::Fixture;

/// Calls one rpc with an empty request through the client, and gives the request the server
/// received, encoded, or why there is none.
type Caller = for<'a> fn(&'a ClarifaiClient, &'a MockV2) -> BoxFuture<'a, Result<Vec<u8>, String>>;

/// What MockV2 received on the last call of `R`: its first request message, encoded.
fn received<R: Rpc>(mock: &MockV2) -> Result<Vec<u8>, String> {
    let call = mock.calls_to::<R>().pop().ok_or("no call arrived")?;
    let first = call.messages::<R::Request>().into_iter().next();
    first
        .map(|m| m.encode_to_vec())
        .ok_or_else(|| "the call carried no request".into())
}

/// [`received`], for a call of `R` that MockV2 has no handler for: it must have failed with
/// UNIMPLEMENTED, after the server recorded the request.
fn received_unimplemented<R: Rpc>(
    outcome: Result<(), clarifai_tonic::Error>,
    mock: &MockV2,
) -> Result<Vec<u8>, String> {
    match outcome {
        Err(e) if e.grpc_status().map(|s| s.code()) == Some(tonic::Code::Unimplemented) => {
            received::<R>(mock)
        }
        other => Err(format!("expected UNIMPLEMENTED, got {other:?}")),
    }
}

fn unary<'a, R: UnaryRpc>(
    client: &'a ClarifaiClient,
    mock: &'a MockV2,
) -> BoxFuture<'a, Result<Vec<u8>, String>> {
    Box::pin(async move {
        let outcome = client
            .unary::<R>(tonic::Request::new(R::Request::default()))
            .await;
        received_unimplemented::<R>(outcome.map(drop), mock)
    })
}

fn server_streaming<'a, R: ServerStreamingRpc>(
    client: &'a ClarifaiClient,
    mock: &'a MockV2,
) -> BoxFuture<'a, Result<Vec<u8>, String>> {
    Box::pin(async move {
        let outcome = match client
            .server_streaming::<R>(tonic::Request::new(R::Request::default()))
            .await
        {
            Ok(mut stream) => stream.next().await.unwrap_or(Ok(Default::default())),
            Err(e) => Err(e),
        };
        received_unimplemented::<R>(outcome.map(drop), mock)
    })
}

/// A bidi stream sending one empty message to a handler that reads every message and answers
/// none; the stream must end cleanly.
fn bidi_streaming<'a, R: BidiStreamingRpc>(
    client: &'a ClarifaiClient,
    mock: &'a MockV2,
) -> BoxFuture<'a, Result<Vec<u8>, String>> {
    Box::pin(async move {
        mock.on_bidi::<R, _, _>(|request| {
            request
                .into_inner()
                .filter_map(|_| async { None::<Result<R::Response, tonic::Status>> })
        });
        let sent = futures_util::stream::iter([R::Request::default()]);
        let items: Vec<_> = client
            .streaming::<R, _>(sent)
            .await
            .map_err(|e| format!("the stream did not start: {e:?}"))?
            .collect()
            .await;
        if !items.is_empty() {
            let errors: Vec<_> = items.iter().filter_map(|i| i.as_ref().err()).collect();
            return Err(format!(
                "expected no responses, got {} ({errors:?})",
                items.len()
            ));
        }
        received::<R>(mock)
    })
}

/// The rpcs by streaming kind, each with its caller. Adding an rpc to the protos fails
/// `every_rpc_is_listed` until it is listed here.
macro_rules! callers {
    ($($kind:ident: [$($rpc:ident),* $(,)?]),* $(,)?) => {
        [$($((stringify!($rpc), $kind::<rpc::$rpc> as Caller),)*)*]
    };
}

fn callers() -> Vec<(&'static str, Caller)> {
    callers! {
        unary: [
            CancelBulkOperations,
            CancelInputsAddJob,
            CancelInputsExtractionJobs,
            DeleteAnnotation,
            DeleteAnnotationFilters,
            DeleteAnnotationTracks,
            DeleteAnnotations,
            DeleteApp,
            DeleteArtifact,
            DeleteArtifactVersion,
            DeleteBulkOperations,
            DeleteCollaborators,
            DeleteComputeClusters,
            DeleteConceptRelations,
            DeleteDatasetInputs,
            DeleteDatasetVersions,
            DeleteDatasets,
            DeleteDeployments,
            DeleteInput,
            DeleteInputs,
            DeleteKey,
            DeleteLabelOrders,
            DeleteModel,
            DeleteModelMigration,
            DeleteModelVersion,
            DeleteModels,
            DeleteNodepools,
            DeletePipelineStepVersions,
            DeletePipelineSteps,
            DeletePipelineVersions,
            DeletePipelines,
            DeleteRunners,
            DeleteSearch,
            DeleteSecrets,
            DeleteTasks,
            DeleteUploads,
            DeleteWorkflow,
            DeleteWorkflowVersions,
            DeleteWorkflows,
            GetAnnotation,
            GetAnnotationFilter,
            GetApp,
            GetAppDuplication,
            GetArtifact,
            GetArtifactVersion,
            GetBulkOperation,
            GetComputeCluster,
            GetConcept,
            GetConceptCounts,
            GetConceptLanguage,
            GetDataset,
            GetDatasetInput,
            GetDatasetVersion,
            GetDeployment,
            GetEvaluation,
            GetInput,
            GetInputCount,
            GetInputSamples,
            GetInputVideoManifest,
            GetInputsAddJob,
            GetInputsExtractionJob,
            GetKey,
            GetLabelOrder,
            GetModel,
            GetModelOutputInfo,
            GetModelType,
            GetModelVersion,
            GetModelVersionEvaluation,
            GetModelVersionExport,
            GetModelVersionInputExample,
            GetModelVersionMetrics,
            GetNodepool,
            GetPipeline,
            GetPipelineStep,
            GetPipelineStepVersion,
            GetPipelineVersion,
            GetPipelineVersionRun,
            GetResourceCounts,
            GetRunner,
            GetSearch,
            GetSecret,
            GetStatusCode,
            GetTask,
            GetTaskAnnotationCount,
            GetTaskInputCount,
            GetUpload,
            GetUser,
            GetWorkflow,
            GetWorkflowVersion,
            GetWorkflowVersionEvaluation,
            ListAnnotationFilters,
            ListAnnotationTracks,
            ListAnnotationWorkers,
            ListAnnotations,
            ListAppDuplications,
            ListAppKeys,
            ListApps,
            ListArtifactVersions,
            ListArtifacts,
            ListBulkOperations,
            ListCloudProviders,
            ListCloudRegions,
            ListCollaborations,
            ListCollaborators,
            ListComputeClusters,
            ListConceptLanguages,
            ListConceptRelations,
            ListConcepts,
            ListDatasetInputs,
            ListDatasetVersionMetricsGroups,
            ListDatasetVersions,
            ListDatasets,
            ListDeployments,
            ListEvaluations,
            ListInputs,
            ListInputsAddJobs,
            ListInputsExtractionJobs,
            ListInstanceTypes,
            ListKeys,
            ListKnowledgeGraphs,
            ListLabelOrders,
            ListLogEntries,
            ListMetricLabels,
            ListModelConcepts,
            ListModelInputs,
            ListModelReferences,
            ListModelTypes,
            ListModelVersionEvaluations,
            ListModelVersionInputExamples,
            ListModelVersions,
            ListModels,
            ListNextTaskAssignments,
            ListNodepools,
            ListOpenSourceLicenses,
            ListPipelineStepVersions,
            ListPipelineSteps,
            ListPipelineTemplates,
            ListPipelineVersionRunStatusLogs,
            ListPipelineVersionRuns,
            ListPipelineVersions,
            ListPipelines,
            ListRunnerItems,
            ListRunners,
            ListScopes,
            ListSearches,
            ListSecrets,
            ListStatusCodes,
            ListTasks,
            ListUploads,
            ListWorkflowEvaluationTemplates,
            ListWorkflowVersionEvaluationData,
            ListWorkflowVersionEvaluations,
            ListWorkflowVersions,
            ListWorkflows,
            MyScopes,
            MyScopesRoot,
            MyScopesUser,
            PatchAnnotationFilters,
            PatchAnnotationTracks,
            PatchAnnotations,
            PatchAnnotationsSearches,
            PatchAnnotationsStatus,
            PatchApp,
            PatchApps,
            PatchAppsDetails,
            PatchAppsIds,
            PatchCollaborators,
            PatchComputeClusters,
            PatchConceptLanguages,
            PatchConcepts,
            PatchDatasetVersions,
            PatchDatasets,
            PatchDeployments,
            PatchInputs,
            PatchInputsSearches,
            PatchKeys,
            PatchLabelOrders,
            PatchModelCheckConsents,
            PatchModelIds,
            PatchModelLanguages,
            PatchModelToolkits,
            PatchModelUseCases,
            PatchModelVersions,
            PatchModels,
            PatchNodepools,
            PatchPipelineVersionRuns,
            PatchPipelineVersions,
            PatchPipelines,
            PatchRunners,
            PatchSearches,
            PatchSecrets,
            PatchTasks,
            PatchWorkflowIds,
            PatchWorkflowVersionEvaluations,
            PatchWorkflowVersions,
            PatchWorkflows,
            PostAnnotationFilters,
            PostAnnotationTracks,
            PostAnnotations,
            PostAnnotationsSearches,
            PostAppDuplications,
            PostApps,
            PostAppsSearches,
            PostArtifacts,
            PostAuditLogSearches,
            PostBulkOperations,
            PostCollaborators,
            PostComputeClusters,
            PostComputePlaneMetrics,
            PostConceptLanguages,
            PostConceptRelations,
            PostConcepts,
            PostConceptsSearches,
            PostDatasetInputs,
            PostDatasetVersions,
            PostDatasets,
            PostDeployments,
            PostEvaluations,
            PostInputs,
            PostInputsDataSources,
            PostInputsSearches,
            PostInputsUploads,
            PostKeys,
            PostKnowledgeGraphs,
            PostLabelOrders,
            PostLogEntries,
            PostMetricsQuery,
            PostModelMigration,
            PostModelOutputs,
            PostModelVersionEvaluations,
            PostModelVersionMetrics,
            PostModelVersions,
            PostModelVersionsPublish,
            PostModelVersionsTrainingTimeEstimate,
            PostModelVersionsUnPublish,
            PostModels,
            PostModelsSearches,
            PostNodepoolStatus,
            PostNodepools,
            PostPipelineSteps,
            PostPipelineVersionRunFromTemplate,
            PostPipelineVersionRuns,
            PostPipelines,
            PostRunnerItemOutputs,
            PostRunnerReplicaTaskMetrics,
            PostRunners,
            PostSearches,
            PostSearchesByID,
            PostSecrets,
            PostTasks,
            PostTrackAnnotationsSearches,
            PostUploads,
            PostValidatePassword,
            PostWorkflowResults,
            PostWorkflowVersionEvaluationData,
            PostWorkflowVersionEvaluations,
            PostWorkflowVersionsPublish,
            PostWorkflowVersionsUnPublish,
            PostWorkflows,
            PutDatasetVersionExports,
            PutModelVersionExports,
            PutTaskAssignments,
            PutUploadContentParts,
            StreamInputs,
        ],
        server_streaming: [
            GenerateModelOutputs,
            StreamAnnotations,
            StreamLivestreamAnnotations,
            StreamLogEntries,
        ],
        bidi_streaming: [
            PostArtifactVersionsUpload,
            PostModelVersionsUpload,
            PostPipelineStepVersionsUpload,
            ProcessRunnerItems,
            StreamModelOutputs,
        ],
    }
    .to_vec()
}

#[test]
fn every_rpc_is_listed() {
    let mut listed: Vec<&str> = callers().iter().map(|(name, _)| *name).collect();
    listed.sort_unstable();
    let table: Vec<&str> = rpc::RPCS.iter().map(|info| info.name).collect();
    assert_eq!(
        listed, table,
        "list every rpc of rpc::RPCS, once, in callers!"
    );
}

/// `user_app_id` of `encoded`, a `request_type` read by the official descriptors: `None` when
/// the type has no such field, else the (user, app) it names.
fn official_user_app_id(
    pool: &prost_reflect::DescriptorPool,
    request_type: &str,
    encoded: &[u8],
) -> Result<Option<(String, String)>, String> {
    let descriptor = pool
        .get_message_by_name(request_type)
        .ok_or_else(|| format!("{request_type} is not in the official descriptors"))?;
    let Some(field) = descriptor.get_field_by_name("user_app_id") else {
        return Ok(None);
    };
    let message = DynamicMessage::decode(descriptor, encoded).map_err(|e| e.to_string())?;
    let ids = match message.get_field(&field).as_ref() {
        Value::Message(ids) => ids.clone(),
        other => return Err(format!("user_app_id is {other:?}")),
    };
    let text = |name: &str| {
        ids.get_field_by_name(name)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    Ok(Some((text("user_id"), text("app_id"))))
}

#[tokio::test]
async fn a_pat_client_fills_user_app_id_in_every_request_type_that_has_it() {
    let (_, pool) = crate::support::descriptors::official();
    let (mock, client) = Fixture::new().start().await;
    let mut failures = Vec::new();
    let mut filled = std::collections::BTreeSet::new();
    for (name, call) in callers() {
        let info = rpc::find(name).unwrap();
        let outcome = call(&client, &mock)
            .await
            .and_then(|encoded| official_user_app_id(&pool, info.request_type, &encoded));
        match outcome {
            Ok(Some(ids)) if ids == ("me".to_owned(), "app".to_owned()) => {
                filled.insert(info.request_type);
            }
            Ok(None) => {}
            Ok(Some(ids)) => failures.push(format!("{name}: user_app_id {ids:?}")),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The README's count of request types with the field.
    assert_eq!(filled.len(), 254);
}
