//! Resource handles against MockV2: the reference's ids on every request (the credentials' app
//! only for a bare id), predict's batches and options, generate's pieces, uploads with
//! MIXED_STATUS, retries per input and failed batches, and the app's list streams.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use clarifai_tonic::api::{self, Input, status::StatusCode};
use clarifai_tonic::{
    Error, TryStreamExt,
    handles::{Upload, UploadProgress},
    rpc,
};

use crate::support::fixture::{Fixture, outputs, status};

const URL: &str = "https://samples.clarifai.com/metro-north.jpg";

#[tokio::test]
async fn a_model_by_url_predicts_with_its_own_ids_and_options() {
    let (mock, client) = Fixture::fast().start().await;
    mock.model(
        "general-image-recognition",
        &[("train", 0.99), ("railway", 0.9)],
    );
    let model = client
        .model("https://clarifai.com/clarifai/main/models/general-image-recognition")
        .unwrap()
        .max_concepts(3)
        .min_value(0.5)
        .select_concepts(["train"])
        .temperature(0.25);
    let outputs = model.predict(Input::image_url(URL)).await.unwrap();
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].concepts()[0].id, "train");

    let sent = &mock.requests::<rpc::PostModelOutputs>()[0];
    let ids = sent.user_app_id.as_ref().unwrap();
    assert_eq!(
        (ids.user_id.as_str(), ids.app_id.as_str()),
        ("clarifai", "main")
    );
    assert_eq!(sent.model_id, "general-image-recognition");
    let info = sent
        .model
        .as_ref()
        .and_then(|m| m.model_version.as_ref())
        .and_then(|v| v.output_info.as_ref())
        .expect("the options travel in model.model_version.output_info");
    let config = info.output_config.as_ref().unwrap();
    assert_eq!(config.max_concepts, 3);
    assert_eq!(config.min_value, 0.5);
    assert_eq!(config.select_concepts[0].id, "train");
    let temperature = &info.params.as_ref().unwrap().fields["temperature"];
    assert_eq!(
        temperature.kind,
        Some(prost_types::value::Kind::NumberValue(0.25))
    );
}

#[tokio::test]
async fn every_form_of_reference_names_the_same_model() {
    let (mock, client) = Fixture::fast().start().await;
    mock.model("m", &[("c", 1.0)]);
    for reference in [
        "clarifai/main/m",
        "clarifai/main/models/m",
        "https://clarifai.com/clarifai/main/models/m",
        "clarifai.com/clarifai/main/models/m/",
    ] {
        client
            .model(reference)
            .unwrap()
            .predict(Input::image_url(URL))
            .await
            .unwrap_or_else(|e| panic!("{reference}: {e}"));
    }
    let by_ids = client.model_in(api::UserAppIdSet::new("clarifai", "main"), "m");
    by_ids.predict(Input::image_url(URL)).await.unwrap();
    for sent in mock.requests::<rpc::PostModelOutputs>() {
        let ids = sent.user_app_id.unwrap();
        assert_eq!(
            (
                ids.user_id.as_str(),
                ids.app_id.as_str(),
                sent.model_id.as_str()
            ),
            ("clarifai", "main", "m")
        );
    }

    // A bare id is a model of the credentials' app.
    client
        .model("m")
        .unwrap()
        .predict(Input::image_url(URL))
        .await
        .unwrap();
    let sent = mock.requests::<rpc::PostModelOutputs>().pop().unwrap();
    assert_eq!(sent.user_app_id.unwrap().app_id, "app");

    // A version travels as version_id.
    client
        .model("https://clarifai.com/clarifai/main/models/m/versions/v1")
        .unwrap()
        .predict(Input::image_url(URL))
        .await
        .unwrap();
    assert_eq!(
        mock.requests::<rpc::PostModelOutputs>()
            .pop()
            .unwrap()
            .version_id,
        "v1"
    );
}

#[tokio::test]
async fn a_bad_reference_is_an_error_naming_it_and_sends_nothing() {
    let (mock, client) = Fixture::fast().start().await;
    for bad in [
        "",
        "clarifai/main/workflows/w",
        "https://clarifai.com/clarifai/main/modles/m",
        "https://example.com/clarifai/main/models/m",
        "a b/c/d",
    ] {
        let err = client.model(bad).unwrap_err();
        assert!(
            matches!(err, Error::InvalidReference(_)),
            "{bad:?}: {err:?}"
        );
        assert!(
            err.to_string().contains("invalid Clarifai reference"),
            "{err}"
        );
    }
    let err = client.app("clarifai/main/models/m").unwrap_err();
    assert!(
        err.to_string().contains("where an app is expected"),
        "{err}"
    );
    assert_eq!(mock.call_count(), 0);
}

#[tokio::test]
async fn predict_batches_past_the_limit_and_keeps_the_order() {
    let (mock, client) = Fixture::fast().start().await;
    mock.model("m", &[("c", 1.0)]);
    let inputs: Vec<Input> = (0..300)
        .map(|i| Input::image_url(URL).with_id(format!("in-{i}")))
        .collect();
    let outputs = client
        .model("me/app/m")
        .unwrap()
        .predict(inputs)
        .await
        .unwrap();
    let ids: Vec<String> = outputs
        .iter()
        .map(|o| o.input.as_ref().unwrap().id.clone())
        .collect();
    let want: Vec<String> = (0..300).map(|i| format!("in-{i}")).collect();
    assert_eq!(ids, want);
    let mut sizes: Vec<usize> = mock
        .requests::<rpc::PostModelOutputs>()
        .iter()
        .map(|r| r.inputs.len())
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [44, 128, 128]);
}

#[tokio::test]
async fn a_mixed_status_predict_gives_every_output_with_its_own_status() {
    let (mock, client) = Fixture::fast().start().await;
    mock.on::<rpc::PostModelOutputs, _, _>(|_| async {
        let mut response = outputs(&["good", "bad"], StatusCode::MixedStatus);
        response.outputs[0].status = status(StatusCode::Success, "ok");
        response.outputs[1].status = status(StatusCode::InputFailed, "not an image");
        Ok(response)
    });
    let outputs = client
        .model("me/app/m")
        .unwrap()
        .predict([Input::image_url(URL), Input::image_url("x")])
        .await
        .unwrap();
    assert!(outputs[0].succeeded());
    assert!(!outputs[1].succeeded());
    assert_eq!(
        outputs[1].status.as_ref().unwrap().description,
        "not an image"
    );

    // Any other failure is the error.
    mock.fail::<rpc::PostModelOutputs>(StatusCode::ModelDoesNotExist, "no such model");
    let err = client
        .model("me/app/m")
        .unwrap()
        .predict(Input::image_url(URL))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn generate_yields_each_output_as_it_comes() {
    let (mock, client) = Fixture::fast().start().await;
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
        futures_util::stream::iter(["A cat", " is", " an animal."].map(|piece| {
            let mut response = outputs(&["o"], StatusCode::Success);
            response.outputs[0].set_data(api::Data::default().with_text(api::Text::raw(piece)));
            Ok(response)
        }))
    });
    let text: Vec<String> = client
        .model("openai/chat-completion/gpt-4o")
        .unwrap()
        .generate(Input::from_text("What is a cat?"))
        .await
        .unwrap()
        .map_ok(|output| output.text().unwrap_or_default().to_owned())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(text.concat(), "A cat is an animal.");
    let sent = &mock.requests::<rpc::GenerateModelOutputs>()[0];
    assert_eq!(sent.user_app_id.as_ref().unwrap().user_id, "openai");
}

#[tokio::test]
async fn an_upload_reports_each_input_and_resends_the_throttled_ones() {
    let (mock, client) = Fixture::fast().start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    // Inputs named "bad-*" are rejected; "slow-*" are throttled the first time they come; a
    // batch holding "down-*" fails as a whole.
    mock.on::<rpc::PostInputs, _, _>(move |request| {
        let first_time = seen.fetch_add(1, Ordering::SeqCst) < 3;
        let request = request.into_inner();
        async move {
            if request.inputs.iter().any(|i| i.id.starts_with("down")) {
                return Err(tonic::Status::permission_denied("no access"));
            }
            let mut mixed = false;
            let inputs = request
                .inputs
                .into_iter()
                .map(|mut input| {
                    let (code, why) = if input.id.starts_with("bad") {
                        (StatusCode::InputFailed, "not an image")
                    } else if input.id.starts_with("slow") && first_time {
                        (StatusCode::ConnThrottled, "later")
                    } else {
                        (StatusCode::InputPending, "queued")
                    };
                    mixed |= code != StatusCode::InputPending;
                    input.status = status(code, why);
                    input
                })
                .collect();
            let code = if mixed {
                StatusCode::MixedStatus
            } else {
                StatusCode::Success
            };
            Ok(api::MultiInputResponse {
                status: status(code, "done"),
                inputs,
                ..Default::default()
            })
        }
    });
    let mut inputs: Vec<Input> = Vec::new();
    for (prefix, n) in [("ok", 5), ("bad", 2), ("slow", 2)] {
        inputs.extend((0..n).map(|i| Input::image_url(URL).with_id(format!("{prefix}-{i}"))));
    }
    let reports: Arc<Mutex<Vec<UploadProgress>>> = Arc::default();
    let log = reports.clone();
    let app = client.app("me/uploads").unwrap();
    let summary = app
        .upload(
            Upload::default()
                .batch_size(3)
                .concurrency(2)
                .on_progress(move |p| log.lock().unwrap().push(*p)),
        )
        .run(futures_util::stream::iter(inputs))
        .await;
    let mut accepted = summary.accepted.clone();
    accepted.sort();
    assert_eq!(
        accepted,
        ["ok-0", "ok-1", "ok-2", "ok-3", "ok-4", "slow-0", "slow-1"]
    );
    let rejected: Vec<&str> = summary.rejected.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(rejected.len(), 2);
    assert!(rejected.iter().all(|id| id.starts_with("bad")));
    assert_eq!(summary.rejected[0].1.description, "not an image");
    assert!(!summary.is_complete());
    let last = *reports.lock().unwrap().last().unwrap();
    assert_eq!(
        last,
        UploadProgress {
            done: 9,
            accepted: 7,
            failed: 2
        }
    );
    for sent in mock.requests::<rpc::PostInputs>() {
        assert_eq!(sent.user_app_id.unwrap().app_id, "uploads");
        assert!(sent.inputs.len() <= 3);
    }

    // A batch that fails as a whole is in the summary with its error; the rest go on.
    let summary = app
        .upload_inputs([
            Input::image_url(URL).with_id("fine"),
            Input::image_url(URL).with_id("down-1"),
        ])
        .await;
    assert_eq!(summary.failed_batches.len(), 1);
    assert_eq!(summary.failed_batches[0].0, ["fine", "down-1"]);
    assert_eq!(summary.failed(), 2);
    assert!(summary.failed_batches[0].1.is_auth());
}

#[tokio::test]
async fn an_app_lists_every_model_and_a_model_its_versions() {
    let (mock, client) = Fixture::fast().start().await;
    let models: Vec<api::Model> = (0..130)
        .map(|i| api::Model {
            id: format!("m{i}"),
            ..Default::default()
        })
        .collect();
    mock.respond_pages::<rpc::ListModels>(models, 0);
    let app = client.app("https://clarifai.com/clarifai/main").unwrap();
    let listed: Vec<api::Model> = app.list_models().try_collect().await.unwrap();
    assert_eq!(listed.len(), 130);
    assert!(
        mock.requests::<rpc::ListModels>()
            .iter()
            .all(|r| r.user_app_id.as_ref().unwrap().app_id == "main")
    );

    mock.respond_pages::<rpc::ListModelVersions>(
        vec![api::ModelVersion {
            id: "v1".into(),
            ..Default::default()
        }],
        0,
    );
    let versions: Vec<api::ModelVersion> = app.model("m0").versions().try_collect().await.unwrap();
    assert_eq!(versions[0].id, "v1");
    assert_eq!(mock.requests::<rpc::ListModelVersions>()[0].model_id, "m0");

    mock.respond::<rpc::GetModel>(api::SingleModelResponse {
        model: Some(Box::new(api::Model {
            id: "m0".into(),
            ..Default::default()
        })),
        ..Default::default()
    });
    assert_eq!(app.model("m0").get().await.unwrap().id, "m0");

    mock.respond::<rpc::DeleteInputs>(api::status::BaseResponse::default());
    app.delete_inputs(["a", "b"]).await.unwrap();
    assert_eq!(mock.requests::<rpc::DeleteInputs>()[0].ids, ["a", "b"]);
}

#[tokio::test]
async fn a_workflow_runs_on_inputs() {
    let (mock, client) = Fixture::fast().start().await;
    mock.respond::<rpc::PostWorkflowResults>(api::PostWorkflowResultsResponse {
        results: vec![api::WorkflowResult {
            id: "r".into(),
            ..Default::default()
        }],
        ..Default::default()
    });
    let results = client
        .workflow("clarifai/main/General")
        .unwrap()
        .run(Input::image_url(URL))
        .await
        .unwrap();
    assert_eq!(results[0].id, "r");
    let sent = &mock.requests::<rpc::PostWorkflowResults>()[0];
    assert_eq!(sent.workflow_id, "General");
    assert_eq!(sent.user_app_id.as_ref().unwrap().user_id, "clarifai");
}
