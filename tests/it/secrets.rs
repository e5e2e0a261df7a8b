//! The secret in credentials: bad secrets and ids are typed errors that never echo the secret, and
//! the secret never shows: not in the Debug or Display of the credentials, the client or an
//! error, not in http's Debug of the outgoing header (which the interceptor and the tower service
//! mark sensitive), and nowhere in the TRACE output of a client at work.

use std::sync::Arc;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::{
    Credentials, Error,
    credentials::{AuthInterceptor, AuthService, RotatingCredentials},
    rpc,
};
use futures_util::StreamExt;

use crate::support::credentials::{SECRET, predict, served};
use crate::support::fixture::status;

#[test]
fn bad_secrets_get_typed_errors_that_do_not_echo_them() {
    let cases: &[(&str, &str)] = &[
        ("", "empty"),
        ("   ", "empty"),
        ("s3cr3t-VALUE\nsecond-line", "line break"),
        ("s3cr3t-VALUE\r\n", "line break"),
        ("s3cr3t-VALUE\0x", "NUL"),
        ("s3cr3t-VALUE-é", "non-ASCII"),
        ("s3cr3t VALUE", "white space"),
        ("s3cr3t-VALUE\u{7}", "control"),
        ("Key s3cr3t-VALUE", "Key"),
    ];
    for (secret, why) in cases {
        for result in [
            Credentials::pat(secret, "me", "app"),
            Credentials::api_key(secret),
            Credentials::session_token(secret, "me", "app"),
        ] {
            let err = result.unwrap_err();
            assert!(matches!(err, Error::InvalidCredentials { .. }), "{err:?}");
            let shown = format!("{err} {err:?}");
            assert!(shown.contains(why), "{secret:?}: {shown}");
            if secret.len() > 4 {
                assert!(!shown.contains("s3cr3t"), "the secret leaked: {shown}");
            }
        }
    }
}

#[test]
fn bad_ids_get_typed_errors() {
    let err = Credentials::pat(SECRET, "", "app").unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidCredentials {
                what: "user_id",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("user_id"));
    assert!(!format!("{err:?}").contains(SECRET));
    for bad in ["me\nyou", "me\0", "mé", "a b"] {
        let err = Credentials::pat(SECRET, bad, "app").unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidCredentials {
                    what: "user_id",
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
        let err = Credentials::pat(SECRET, "me", bad).unwrap_err();
        assert!(
            matches!(err, Error::InvalidCredentials { what: "app_id", .. }),
            "{bad:?}: {err:?}"
        );
    }
    assert!(Credentials::session_token(SECRET, " ", "app").is_err());
    // An API key needs no ids at all.
    let key = Credentials::api_key(SECRET).unwrap();
    assert_eq!(key.user_app_id(), None);
}

#[test]
fn debug_and_display_never_show_the_secret() {
    for creds in [
        Credentials::pat(SECRET, "me", "app").unwrap(),
        Credentials::api_key(SECRET).unwrap(),
        Credentials::session_token(SECRET, "me", "app").unwrap(),
    ] {
        let shown = format!(
            "{creds:?} {creds} {:?}",
            RotatingCredentials::new(creds.clone())
        );
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }
    let creds = Credentials::pat(SECRET, "me", "app").unwrap();
    assert!(format!("{creds:?}").contains("\"me\""));
}

#[tokio::test]
async fn client_debug_never_shows_the_secret() {
    let (mock, client) = served(Credentials::pat(SECRET, "me", "app").unwrap()).await;
    let shown = format!("{client:?} {:?}", client.v2());
    assert!(!shown.contains(SECRET), "{shown}");
    client.post_model_outputs(predict()).await.unwrap();
    let received = mock.calls()[0].metadata.clone();
    assert_eq!(
        received.get("authorization").unwrap().to_str().unwrap(),
        format!("Key {SECRET}")
    );
}

/// The credentials header leaves both the interceptor and the tower service marked sensitive,
/// so that http's Debug of the outgoing request (as tonic and hyper log it) hides the secret.
#[tokio::test]
async fn the_outgoing_credentials_header_is_sensitive() {
    use tonic::service::Interceptor;
    let creds = RotatingCredentials::new(Credentials::pat(SECRET, "me", "app").unwrap());
    let mut interceptor = AuthInterceptor::new(creds);
    let request = interceptor.call(tonic::Request::new(())).unwrap();
    let value = request.metadata().get("authorization").unwrap();
    assert!(value.as_encoded_bytes().ends_with(SECRET.as_bytes()));
    let shown = format!("{:?}", request.metadata());
    assert!(
        !shown.contains(SECRET) && shown.contains("Sensitive"),
        "{shown}"
    );

    // The same through AuthService, the client's own path, seen by the service behind it.
    let seen = Arc::new(std::sync::Mutex::new(None));
    let record = seen.clone();
    let inner = tower::service_fn(move |request: http::Request<()>| {
        *record.lock().unwrap() = Some(request.headers().clone());
        async { Ok::<_, std::convert::Infallible>(http::Response::new(())) }
    });
    let mut service = AuthService::new(inner, interceptor);
    tower::ServiceExt::oneshot(&mut service, http::Request::new(()))
        .await
        .unwrap();
    let headers = seen.lock().unwrap().take().unwrap();
    let value = &headers["authorization"];
    assert!(value.is_sensitive());
    assert_eq!(value.as_bytes(), format!("Key {SECRET}").as_bytes());
    let shown = format!("{headers:?}");
    assert!(
        !shown.contains(SECRET) && shown.contains("Sensitive"),
        "{shown}"
    );
}

/// Everything logged at TRACE level by the client, the interceptor, tonic, h2 and the mock server,
/// through a successful call, a failing call and a stream, never contains the secret. Span
/// closings are logged too, so that every call span is printed with all its fields: on the
/// client's own transport few events happen inside a call's span, so without them whether the
/// span shows at all would depend on timing.
#[test]
fn tracing_output_never_shows_the_secret() {
    let text = crate::support::fixture::traced(tracing::Level::TRACE, true, || async {
        let (mock, client) = served(Credentials::pat(SECRET, "me", "app").unwrap()).await;
        mock.respond::<rpc::ListModels>(api::MultiModelResponse {
            status: status(StatusCode::ConnKeyInvalid, "API key not found"),
            ..Default::default()
        });
        client.post_model_outputs(predict()).await.unwrap();
        let err = client
            .list_models(api::ListModelsRequest::default())
            .await
            .unwrap_err();
        tracing::error!(error = %err, debug = ?err, "logged by the application");
        let streamed: Vec<_> = client
            .generate_model_outputs(predict())
            .await
            .unwrap()
            .collect()
            .await;
        assert_eq!(streamed.len(), 2);
        for item in streamed {
            item.unwrap();
        }
        let key = client.with_credentials(Credentials::api_key(SECRET).unwrap());
        let err = key
            .post_apps(api::PostAppsRequest::default())
            .await
            .unwrap_err();
        tracing::error!(error = %err, debug = ?err, "logged by the application");
    });
    assert!(
        text.len() > 1000,
        "expected trace output, got {} bytes",
        text.len()
    );
    assert!(
        text.contains("PostModelOutputs") || text.contains("clarifai.call"),
        "no client spans logged"
    );
    assert!(
        !text.contains(SECRET),
        "the secret appeared in the trace output"
    );
}
