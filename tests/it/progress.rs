//! Streams whose non-SUCCESS statuses report progress (`rpc::progress_codes`): the model upload's
//! UPLOAD_IN_PROGRESS and MODEL_BUILDING, and the runner protocol's control codes, come through
//! as items, while a real failure still ends the stream; a runner's stream waits for work
//! without an idle limit, where any other stream is cut by it.

use std::time::Duration;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::{Error, StreamExt, rpc, stream};

use crate::support::fixture::{Fixture, status};

fn upload_answer(code: StatusCode) -> api::PostModelVersionsUploadResponse {
    api::PostModelVersionsUploadResponse {
        status: status(code, "upload"),
        model_version_id: "v1".into(),
        ..Default::default()
    }
}

fn runner_answer(code: StatusCode) -> api::MultiRunnerItemResponse {
    api::MultiRunnerItemResponse {
        status: status(code, "runner"),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_model_upload_reports_progress_and_then_its_failure() {
    let (mock, client) = Fixture::fast().start().await;
    mock.on_bidi::<rpc::PostModelVersionsUpload, _, _>(|_| {
        stream::iter([
            StatusCode::UploadInProgress,
            StatusCode::UploadInProgress,
            StatusCode::ModelBuilding,
            StatusCode::ModelUploadingFailed,
            StatusCode::ModelBuilding,
        ])
        .map(|code| Ok(upload_answer(code)))
    });
    let items: Vec<_> = client
        .post_model_versions_upload(stream::iter([
            api::PostModelVersionsUploadRequest::default(),
        ]))
        .await
        .unwrap()
        .collect()
        .await;
    let codes: Vec<Option<i32>> = items
        .iter()
        .map(|item| {
            item.as_ref()
                .ok()
                .and_then(|r| r.status.as_ref())
                .map(|s| s.code)
        })
        .collect();
    assert_eq!(
        codes[..3],
        [
            Some(StatusCode::UploadInProgress as i32),
            Some(StatusCode::UploadInProgress as i32),
            Some(StatusCode::ModelBuilding as i32)
        ]
    );
    assert_eq!(items.len(), 4, "the failure ends the stream: {items:?}");
    let e = items[3].as_ref().unwrap_err();
    assert_eq!(
        e.status_code().and_then(|c| c.known()),
        Some(StatusCode::ModelUploadingFailed)
    );
}

#[tokio::test(start_paused = true)]
async fn a_runner_waits_for_work_without_an_idle_limit() {
    let (mock, client) = Fixture::new()
        .with(|b| b.stream_idle_timeout(Duration::from_secs(1)))
        .start_in_memory()
        .await;
    mock.on_bidi::<rpc::ProcessRunnerItems, _, _>(|_| {
        let work = async {
            // An hour without work, then a cancellation, an item, and a failure.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            stream::iter([
                StatusCode::RunnerItemCancelled,
                StatusCode::Success,
                StatusCode::RunnerNeedsRetry,
                StatusCode::RunnerProcessingFailed,
            ])
            .map(|code| Ok(runner_answer(code)))
        };
        stream::once(work).flatten()
    });
    let hello = api::PostRunnerItemOutputsRequest::default();
    let items: Vec<_> = client
        .process_runner_items(stream::iter([hello]).chain(stream::pending()))
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 4, "{items:?}");
    assert!(items[..3].iter().all(Result::is_ok), "{items:?}");
    let e = items[3].as_ref().unwrap_err();
    assert_eq!(
        e.status_code().and_then(|c| c.known()),
        Some(StatusCode::RunnerProcessingFailed)
    );

    // Any other stream is cut by the idle limit.
    mock.on_bidi::<rpc::StreamModelOutputs, _, _>(|_| {
        stream::once(async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(api::MultiOutputResponse::default())
        })
    });
    let items: Vec<_> = client
        .stream_model_outputs(
            stream::iter([api::PostModelOutputsRequest::default()]).chain(stream::pending()),
        )
        .await
        .unwrap()
        .collect()
        .await;
    assert!(
        matches!(items[..], [Err(Error::StreamIdle { .. })]),
        "{items:?}"
    );
}
