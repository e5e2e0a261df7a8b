//! In-band Clarifai statuses and gRPC errors as typed errors: MIXED_STATUS keeps the partial
//! response, a response with no status is an error that keeps it, auth failures say what to
//! check, every 11xxx code is in the group (auth, rate limited, invalid request) its name says,
//! unknown codes keep their number.

use std::collections::HashMap;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::{Error, retry::RetryPolicy, rpc};

use crate::support::faults::{client_for, post_inputs};
use crate::support::fixture::{Fixture, outputs, status};
use crate::support::h2_server::{Act, ConnAct, H2Server};

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
async fn a_response_with_no_status_is_an_error_that_keeps_it() {
    let server = H2Server::start(|_| ConnAct::Serve, |_| Act::AnswerWithoutStatus).await;
    let client = client_for(server.url());
    let err = post_inputs(&client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingStatus {
                rpc: "PostInputs",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.response::<api::MultiInputResponse>().is_some());
    assert_eq!(server.processed(), 1, "not retried");

    // MockV2 fills in SUCCESS for a handler that sets no status, unless told not to.
    let (mock, client) = Fixture::fast().start().await;
    mock.respond::<rpc::ListModels>(api::MultiModelResponse::default());
    client
        .list_models(api::ListModelsRequest::default())
        .await
        .expect("MockV2 filled the status");
    mock.set_fill_status(false);
    let err = client
        .list_models(api::ListModelsRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MissingStatus { .. }), "{err:?}");
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
async fn every_11xxx_code_is_in_the_group_its_name_says() {
    let (mock, client) = Fixture::new().retry(RetryPolicy::none()).start().await;
    // The handler answers with the code the request names in model_id.
    mock.on::<rpc::PostModelOutputs, _, _>(|req| {
        let code = req.into_inner().model_id.parse::<i32>().unwrap();
        async move {
            let mut response = outputs(&[], StatusCode::Success);
            response.status.as_mut().unwrap().code = code;
            Ok(response)
        }
    });
    // (auth, rate limited, invalid request) for each 11xxx name.
    let expected: HashMap<&str, (bool, bool, bool)> = [
        ("CONN_ACCOUNT_ISSUES", (false, false, false)),
        ("CONN_TOKEN_INVALID", (true, false, false)),
        ("CONN_CREDENTIALS_INVALID", (true, false, false)),
        ("CONN_EXCEED_HOURLY_LIMIT", (false, true, false)),
        ("CONN_EXCEED_MONTHLY_LIMIT", (false, true, false)),
        ("CONN_THROTTLED", (false, true, false)),
        ("CONN_EXCEEDS_LIMITS", (false, true, false)),
        ("CONN_INSUFFICIENT_SCOPES", (true, false, false)),
        ("CONN_KEY_INVALID", (true, false, false)),
        ("CONN_KEY_NOT_FOUND", (true, false, false)),
        ("CONN_BAD_REQUEST_FORMAT", (false, false, true)),
        ("CONN_DOES_NOT_EXIST", (false, false, true)),
        ("CONN_INVALID_REQUEST", (true, false, false)),
        ("CONN_METHOD_NOT_ALLOWED", (false, false, true)),
        ("CONN_NO_GDPR_CONSENT", (false, false, false)),
        ("CONN_INVALID_RANGE", (false, false, true)),
        ("CONN_AUTH_METHOD_DISABLED", (true, false, false)),
    ]
    .into_iter()
    .collect();
    let mut checked = 0;
    for number in 11000..12000 {
        let Ok(code) = StatusCode::try_from(number) else {
            continue;
        };
        let name = code.as_str_name();
        let want = *expected
            .get(name)
            .unwrap_or_else(|| panic!("{name} ({number}) is new: put it in a group"));
        let err = client
            .post_model_outputs(api::PostModelOutputsRequest {
                model_id: number.to_string(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        let got = (
            err.is_auth(),
            err.is_rate_limited(),
            err.is_invalid_request(),
        );
        assert_eq!(got, want, "{name}: {err}");
        let text = err.to_string();
        assert_eq!(
            text.contains("PAT or API key") || text.contains("scope"),
            want.0 && name != "CONN_INVALID_REQUEST" && name != "CONN_AUTH_METHOD_DISABLED",
            "{name}: credentials advice only for credentials codes: {text}"
        );
        if want.1 {
            assert!(text.contains("limit"), "{name}: {text}");
        }
        checked += 1;
    }
    assert_eq!(
        checked,
        expected.len(),
        "every listed code is in the protos"
    );
    // Permissions outside the 11xxx range are auth failures too.
    let err = client
        .post_model_outputs(api::PostModelOutputsRequest {
            model_id: (StatusCode::ModelPermissionDenied as i32).to_string(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.is_auth() && !err.is_rate_limited(), "{err}");
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
