//! In-band Clarifai statuses and gRPC errors as typed errors: MIXED_STATUS keeps the partial
//! response, auth failures say what to check, unknown codes keep their number.

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::{Error, rpc};

use crate::support::fixture::{Fixture, outputs, status};

#[tokio::test]
async fn mixed_status_is_an_error_that_keeps_the_partial_outputs() {
    let (mock, client) = Fixture::fast().start().await;
    mock.respond::<rpc::PostModelOutputs>(outputs(&["first", "second"], StatusCode::MixedStatus));
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.status_code().unwrap(), StatusCode::MixedStatus);
    assert_eq!(err.rpc(), Some("PostModelOutputs"));
    let partial = err
        .response::<api::MultiOutputResponse>()
        .expect("the response is kept");
    assert_eq!(partial.outputs.len(), 2);
    let e = err.clarifai().unwrap();
    assert_eq!(e.req_id(), "req-123");
    assert_eq!(e.description(), "done");
    let text = err.to_string();
    assert!(
        text.contains("MIXED_STATUS") && text.contains("10010") && text.contains("req-123"),
        "{text}"
    );
    assert!(!err.is_retryable());
    // The raw client hands back the response untouched.
    let raw = client
        .v2()
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(raw.status.unwrap().code, StatusCode::MixedStatus as i32);
    // Take the response out by value.
    let Error::Clarifai(boxed) = err else {
        panic!()
    };
    let owned: api::MultiOutputResponse = boxed.into_response().unwrap();
    assert_eq!(owned.outputs[1].id, "second");
}

#[tokio::test]
async fn auth_failures_say_what_to_check() {
    let (mock, client) = Fixture::fast().start().await;
    mock.respond::<rpc::PostModelOutputs>(api::MultiOutputResponse {
        status: status(StatusCode::ConnKeyInvalid, "API key not found"),
        ..Default::default()
    });
    let scopes = api::MultiModelResponse {
        status: Some(api::status::Status {
            code: StatusCode::ConnInsufficientScopes as i32,
            description: "Insufficient scopes".into(),
            details: "Missing scopes: Models:Get, Predict".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    mock.respond::<rpc::ListModels>(scopes);
    mock.respond::<rpc::ListApps>(api::MultiAppResponse {
        status: status(StatusCode::ConnInvalidRequest, "Invalid request"),
        ..Default::default()
    });

    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert!(err.is_auth());
    assert!(err.to_string().contains("not recognised"), "{err}");

    let err = client
        .list_models(api::ListModelsRequest::default())
        .await
        .unwrap_err();
    assert!(err.is_auth());
    assert!(err.to_string().contains("Models:Get, Predict"), "{err}");

    let err = client
        .list_apps(api::ListAppsRequest::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no usable key"), "{err}");
}

#[tokio::test]
async fn unknown_codes_keep_their_number() {
    let (mock, client) = Fixture::fast().start().await;
    mock.respond::<rpc::PostModelOutputs>(api::MultiOutputResponse {
        status: Some(api::status::Status {
            code: 98765,
            ..Default::default()
        }),
        ..Default::default()
    });
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.status_code().unwrap().0, 98765);
    assert!(err.status_code().unwrap().known().is_none());
    let text = err.to_string();
    assert!(text.contains("98765") && !text.contains("ZERO"), "{text}");
}

#[tokio::test]
async fn grpc_errors_are_classified() {
    let (mock, client) = Fixture::fast().start().await;
    mock.on::<rpc::GetModel, _, _>(|_| async { Err(tonic::Status::not_found("no such model")) });
    let err = client
        .get_model(api::GetModelRequest::default())
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("no such model"));
    // No handler: UNIMPLEMENTED, not retried.
    let err = client
        .list_apps(api::ListAppsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.grpc_status().unwrap().code(),
        tonic::Code::Unimplemented
    );
    assert_eq!(mock.calls_to::<rpc::ListApps>().len(), 1);
}
