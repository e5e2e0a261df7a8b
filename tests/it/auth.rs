//! Credentials and the interceptor, asserted on what MockV2 received over a real socket.

use std::sync::Arc;
use std::time::Duration;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{
    AuthInterceptor, AuthService, ClarifaiClient, CredentialKind, Credentials, Error,
    RotatingCredentials, rpc,
};
use futures_util::StreamExt;

use crate::support::fixture::{Fixture, no_env, outputs, status, stream_all, success};

const PREFIX: &str = concat!("rust-clarifai-tonic-", env!("CARGO_PKG_VERSION"));

/// MockV2 answering every rpc these tests call with SUCCESS.
async fn mock() -> MockV2 {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(done());
    mock.respond::<rpc::ListApps>(api::MultiAppResponse {
        status: success(),
        ..Default::default()
    });
    mock.respond::<rpc::PostApps>(api::MultiAppResponse {
        status: success(),
        ..Default::default()
    });
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|_| {
        futures_util::stream::iter([Ok(done()), Ok(done())])
    });
    mock.on_bidi::<rpc::StreamModelOutputs, _, _>(|req| {
        req.into_inner().map(|m| m.map(|_| done()))
    });
    mock
}

/// [`mock`], and a client for it with `credentials`.
async fn served(credentials: Credentials) -> (MockV2, ClarifaiClient) {
    let mock = mock().await;
    let client = Fixture::new().credentials(credentials).client(mock.url());
    (mock, client)
}

/// A predict response with no outputs.
fn done() -> api::MultiOutputResponse {
    outputs(&[], StatusCode::Success)
}

fn ids(user: &str, app: &str) -> Option<api::UserAppIdSet> {
    Some(api::UserAppIdSet {
        user_id: user.into(),
        app_id: app.into(),
    })
}

fn predict() -> api::PostModelOutputsRequest {
    api::PostModelOutputsRequest {
        model_id: "general".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn pat_sends_key_header_and_fills_user_app_id() {
    let (mock, client) = served(Credentials::pat("pat-secret-1", "me", "my-app").unwrap()).await;
    client.post_model_outputs(predict()).await.unwrap();
    let call = &mock.calls_to::<rpc::PostModelOutputs>()[0];
    assert_eq!(call.header("authorization"), Some("Key pat-secret-1"));
    assert_eq!(call.header("x-clarifai-session-token"), None);
    assert_eq!(call.header("x-clarifai-request-id-prefix"), Some(PREFIX));
    let got = call.request::<api::PostModelOutputsRequest>().unwrap();
    assert_eq!(got.user_app_id, ids("me", "my-app"));
    assert_eq!(got.model_id, "general");
}

#[tokio::test]
async fn api_key_sends_key_header_and_leaves_user_app_id_empty() {
    let (mock, client) = served(Credentials::api_key("app-key-2").unwrap()).await;
    client.post_model_outputs(predict()).await.unwrap();
    let call = &mock.calls()[0];
    assert_eq!(call.header("authorization"), Some("Key app-key-2"));
    assert_eq!(
        call.request::<api::PostModelOutputsRequest>()
            .unwrap()
            .user_app_id,
        None
    );
}

#[tokio::test]
async fn session_token_uses_its_own_header() {
    let (mock, client) = served(Credentials::session_token("sess-3", "me", "app").unwrap()).await;
    client.post_model_outputs(predict()).await.unwrap();
    let call = &mock.calls()[0];
    assert_eq!(call.header("x-clarifai-session-token"), Some("sess-3"));
    assert_eq!(call.header("authorization"), None);
    assert_eq!(
        call.request::<api::PostModelOutputsRequest>()
            .unwrap()
            .user_app_id,
        ids("me", "app")
    );
}

#[tokio::test]
async fn callers_user_app_id_is_never_overwritten() {
    let (mock, client) = served(Credentials::pat("pat", "me", "my-app").unwrap()).await;
    let request = api::PostModelOutputsRequest {
        user_app_id: ids("clarifai", "main"),
        ..predict()
    };
    client.post_model_outputs(request).await.unwrap();
    let got = mock.requests::<rpc::PostModelOutputs>();
    assert_eq!(got[0].user_app_id, ids("clarifai", "main"));
}

#[tokio::test]
async fn streams_fill_user_app_id_on_every_message() {
    let (mock, client) = served(Credentials::pat("pat", "me", "my-app").unwrap()).await;

    let items: Vec<_> = client
        .generate_model_outputs(predict())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert_eq!(
        mock.requests::<rpc::GenerateModelOutputs>()[0].user_app_id,
        ids("me", "my-app")
    );

    let outgoing = vec![
        predict(),
        api::PostModelOutputsRequest {
            user_app_id: ids("clarifai", "main"),
            ..predict()
        },
        predict(),
    ];
    let responses = stream_all(&client, outgoing).await;
    assert_eq!(responses.len(), 3);
    assert!(responses.iter().all(Result::is_ok));
    let call = &mock.calls_to::<rpc::StreamModelOutputs>()[0];
    assert_eq!(call.header("authorization"), Some("Key pat"));
    let sent: Vec<_> = call
        .messages::<api::PostModelOutputsRequest>()
        .into_iter()
        .map(|m| m.user_app_id)
        .collect();
    assert_eq!(
        sent,
        [
            ids("me", "my-app"),
            ids("clarifai", "main"),
            ids("me", "my-app")
        ]
    );
}

#[tokio::test]
async fn one_request_can_override_the_credentials() {
    let (mock, client) = served(Credentials::pat("pat-default", "me", "app").unwrap()).await;

    // By header: the caller's value is kept, and its user_app_id is not touched.
    let mut request = tonic::Request::new(predict());
    request
        .metadata_mut()
        .insert("authorization", "Key by-header".parse().unwrap());
    client.post_model_outputs(request).await.unwrap();

    // By extension: other credentials for this call only.
    let mut request = tonic::Request::new(predict());
    request
        .extensions_mut()
        .insert(Credentials::pat("by-extension", "you", "yours").unwrap());
    client.post_model_outputs(request).await.unwrap();

    // Through the raw client too.
    let mut request = tonic::Request::new(predict());
    request
        .metadata_mut()
        .insert("authorization", "Key raw-header".parse().unwrap());
    client.v2().post_model_outputs(request).await.unwrap();

    // A sibling client with other credentials shares the connection.
    client
        .with_credentials(Credentials::api_key("sibling").unwrap())
        .post_model_outputs(predict())
        .await
        .unwrap();

    client.post_model_outputs(predict()).await.unwrap();

    let calls = mock.calls();
    let headers: Vec<_> = calls
        .iter()
        .map(|c| c.header("authorization").unwrap().to_owned())
        .collect();
    assert_eq!(
        headers,
        [
            "Key by-header",
            "Key by-extension",
            "Key raw-header",
            "Key sibling",
            "Key pat-default"
        ]
    );
    let ids_seen: Vec<_> = calls
        .iter()
        .map(|c| {
            c.request::<api::PostModelOutputsRequest>()
                .unwrap()
                .user_app_id
        })
        .collect();
    assert_eq!(
        ids_seen,
        [None, ids("you", "yours"), None, None, ids("me", "app")]
    );
}

/// Starts a predict call through `client` in a task, and returns once the server's handler has
/// it (told by `arrived`, at most 10 s: a call that never arrives fails the test).
async fn call_until_seen(
    client: &ClarifaiClient,
    arrived: &mut tokio::sync::mpsc::UnboundedReceiver<()>,
) -> tokio::task::JoinHandle<Result<api::MultiOutputResponse, Error>> {
    let task = tokio::spawn({
        let client = client.clone();
        async move { client.post_model_outputs(predict()).await }
    });
    tokio::time::timeout(Duration::from_secs(10), arrived.recv())
        .await
        .expect("the call reached the server within 10 s")
        .expect("the handler is registered");
    task
}

#[tokio::test]
async fn rotation_applies_to_calls_that_start_after_it() {
    let (mock, client) = Fixture::new()
        .credentials(Credentials::pat("old-pat", "me", "app").unwrap())
        .start()
        .await;
    // Each call tells the test it arrived, then holds until the gate lets it through.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let (arrival, mut arrived) = tokio::sync::mpsc::unbounded_channel();
    let held = gate.clone();
    mock.on::<rpc::PostModelOutputs, _, _>(move |_| {
        let gate = held.clone();
        let _ = arrival.send(());
        async move {
            gate.acquire().await.unwrap().forget();
            Ok(done())
        }
    });
    let in_flight = call_until_seen(&client, &mut arrived).await;
    assert_eq!(mock.call_count(), 1);
    assert!(client.rotate_credentials(Credentials::pat("new-pat", "me", "app2").unwrap()));
    let second = call_until_seen(&client, &mut arrived).await;
    assert_eq!(mock.call_count(), 2);
    gate.add_permits(2);
    let guard = Duration::from_secs(10);
    tokio::time::timeout(guard, in_flight)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    tokio::time::timeout(guard, second)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let calls = mock.calls();
    assert_eq!(calls[0].header("authorization"), Some("Key old-pat"));
    assert_eq!(calls[1].header("authorization"), Some("Key new-pat"));
    assert_eq!(
        calls[1]
            .request::<api::PostModelOutputsRequest>()
            .unwrap()
            .user_app_id,
        ids("me", "app2")
    );
    assert_eq!(client.credentials().kind(), CredentialKind::Pat);
}

#[tokio::test]
async fn a_provider_is_asked_on_every_call() {
    let mock = mock().await;
    let slot = RotatingCredentials::new(Credentials::api_key("first").unwrap());
    let client = ClarifaiClient::builder()
        .env_lookup(no_env)
        .endpoint(mock.url())
        .credential_provider(slot.clone())
        .build()
        .unwrap();
    client.post_model_outputs(predict()).await.unwrap();
    slot.rotate(Credentials::api_key("second").unwrap());
    client.post_model_outputs(predict()).await.unwrap();
    // rotate_credentials does not apply to a user's own provider.
    assert!(!client.rotate_credentials(Credentials::api_key("third").unwrap()));
    let headers: Vec<_> = mock
        .calls()
        .iter()
        .map(|c| c.header("authorization").unwrap().to_owned())
        .collect();
    assert_eq!(headers, ["Key first", "Key second"]);
}

#[tokio::test]
async fn api_key_cannot_call_pat_only_rpcs_and_nothing_is_sent() {
    let (mock, client) = served(Credentials::api_key("app-key").unwrap()).await;
    let err = client
        .post_apps(api::PostAppsRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::PatRequired { rpc: "PostApps" }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("PostApps") && text.contains("PAT"), "{text}");
    assert!(err.is_auth());
    let err = client
        .post_keys(api::PostKeysRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PatRequired { rpc: "PostKeys" }));

    // The raw client is guarded by the interceptor itself.
    let status = client
        .v2()
        .post_apps(api::PostAppsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    assert!(status.message().contains("PostApps"));
    assert_eq!(mock.call_count(), 0, "the server must see no call");

    // With a PAT it goes through.
    let pat = client.with_credentials(Credentials::pat("pat", "me", "").unwrap());
    pat.post_apps(api::PostAppsRequest::default())
        .await
        .unwrap();
    assert_eq!(mock.call_count(), 1);
}

/// The two standalone forms, on a channel the user built: tonic's `with_interceptor`, and
/// `AuthService` around the channel. Both send the same headers and refuse the same calls.
#[tokio::test]
async fn the_interceptor_and_the_service_work_on_your_own_channel() {
    use clarifai_tonic::api::v2_client::V2Client;
    use clarifai_tonic::{AuthInterceptor, AuthService};

    let mock = mock().await;
    let channel = tonic::transport::Endpoint::from_shared(mock.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let pat = || {
        AuthInterceptor::new(RotatingCredentials::new(
            Credentials::pat("p-1", "me", "app").unwrap(),
        ))
    };
    let key = || {
        AuthInterceptor::new(RotatingCredentials::new(
            Credentials::api_key("k-1").unwrap(),
        ))
    };

    V2Client::with_interceptor(channel.clone(), pat())
        .post_model_outputs(predict())
        .await
        .unwrap();
    V2Client::new(AuthService::new(channel.clone(), pat()))
        .post_model_outputs(predict())
        .await
        .unwrap();
    let calls = mock.calls();
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(call.header("authorization"), Some("Key p-1"));
        assert_eq!(call.header("x-clarifai-request-id-prefix"), Some(PREFIX));
    }

    // A caller's own header wins in both forms.
    mock.clear_calls();
    let mut own = tonic::Request::new(predict());
    own.metadata_mut()
        .insert("authorization", "Key mine".parse().unwrap());
    V2Client::new(AuthService::new(channel.clone(), pat()))
        .post_model_outputs(own)
        .await
        .unwrap();
    assert_eq!(mock.calls()[0].header("authorization"), Some("Key mine"));

    // An API key on a PAT-only rpc is refused locally by both.
    mock.clear_calls();
    let refused = [
        V2Client::with_interceptor(channel.clone(), key())
            .post_apps(api::PostAppsRequest::default())
            .await
            .unwrap_err(),
        V2Client::new(AuthService::new(channel.clone(), key()))
            .post_apps(api::PostAppsRequest::default())
            .await
            .unwrap_err(),
    ];
    for status in refused {
        assert_eq!(status.code(), tonic::Code::PermissionDenied);
        assert!(status.message().contains("PostApps"), "{status:?}");
    }
    assert_eq!(mock.call_count(), 0, "the server must see no call");
}

#[tokio::test]
async fn pat_without_app_works_for_user_level_rpcs_only() {
    let (mock, client) = served(Credentials::pat("pat", "me", "").unwrap()).await;
    client
        .list_apps(api::ListAppsRequest::default())
        .await
        .unwrap();
    assert_eq!(
        mock.requests::<rpc::ListApps>()[0].user_app_id,
        ids("me", "")
    );

    let err = client.post_model_outputs(predict()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingAppId {
                rpc: "PostModelOutputs"
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("app_id"), "{err}");
    assert_eq!(mock.calls_to::<rpc::PostModelOutputs>().len(), 0);

    // Naming the app in the request is enough.
    let request = api::PostModelOutputsRequest {
        user_app_id: ids("clarifai", "main"),
        ..predict()
    };
    client.post_model_outputs(request).await.unwrap();

    // In a bidi stream, sending stops at the message that needs an app, and the stream says why.
    let outgoing = vec![
        api::PostModelOutputsRequest {
            user_app_id: ids("clarifai", "main"),
            ..predict()
        },
        predict(),
    ];
    let items = stream_all(&client, outgoing).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok());
    assert!(
        matches!(
            items[1],
            Err(Error::MissingAppId {
                rpc: "StreamModelOutputs"
            })
        ),
        "{items:?}"
    );
    assert_eq!(
        mock.calls_to::<rpc::StreamModelOutputs>()[0]
            .messages::<api::PostModelOutputsRequest>()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_all_carry_the_header() {
    let (mock, client) = served(Credentials::pat("pat-concurrent", "me", "app").unwrap()).await;
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let request = api::PostModelOutputsRequest {
                    model_id: format!("m{i}"),
                    ..Default::default()
                };
                client.post_model_outputs(request).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let calls = mock.calls();
    assert_eq!(calls.len(), 1000);
    let mut models: Vec<String> = Vec::new();
    for call in &calls {
        assert_eq!(call.header("authorization"), Some("Key pat-concurrent"));
        let request = call.request::<api::PostModelOutputsRequest>().unwrap();
        assert_eq!(request.user_app_id, ids("me", "app"));
        models.push(request.model_id);
    }
    models.sort();
    models.dedup();
    assert_eq!(models.len(), 1000, "every call arrived once");
}

const SECRET: &str = "s3cr3t-VALUE-do-not-print";

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

fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn from_env_picks_the_one_credential_set() {
    let c = Credentials::from_lookup(lookup(&[
        ("CLARIFAI_PAT", SECRET),
        ("CLARIFAI_USER_ID", "me"),
        ("CLARIFAI_APP_ID", "app"),
    ]))
    .unwrap();
    assert_eq!(
        (c.kind(), c.user_id(), c.app_id()),
        (CredentialKind::Pat, "me", "app")
    );
    let c = Credentials::from_lookup(lookup(&[("CLARIFAI_API_KEY", SECRET)])).unwrap();
    assert_eq!(c.kind(), CredentialKind::ApiKey);
    let c = Credentials::from_lookup(lookup(&[
        ("CLARIFAI_SESSION_TOKEN", SECRET),
        ("CLARIFAI_USER_ID", "me"),
    ]))
    .unwrap();
    assert_eq!(c.kind(), CredentialKind::SessionToken);

    let err = Credentials::from_lookup(lookup(&[("CLARIFAI_PAT", SECRET)])).unwrap_err();
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
    assert!(err.to_string().contains("CLARIFAI_USER_ID"));

    let err = Credentials::from_lookup(lookup(&[
        ("CLARIFAI_PAT", SECRET),
        ("CLARIFAI_API_KEY", SECRET),
    ]))
    .unwrap_err();
    match &err {
        Error::ConflictingCredentials { names } => {
            assert_eq!(names, &["CLARIFAI_PAT", "CLARIFAI_API_KEY"])
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("CLARIFAI_PAT, CLARIFAI_API_KEY"));
    assert!(!format!("{err} {err:?}").contains(SECRET));

    // Nothing set and no config file: say what to set.
    let err =
        Credentials::from_lookup(lookup(&[("HOME", "/nonexistent-home-for-test")])).unwrap_err();
    assert!(matches!(err, Error::MissingCredentials { .. }), "{err:?}");
    assert!(
        err.to_string().contains("CLARIFAI_PAT") && err.to_string().contains("CLARIFAI_API_KEY")
    );
}

fn config_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("clarifai-tonic-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn config_file_contexts_and_envvar() {
    let path = config_file(
        "ok",
        &format!(
            "current_context: work\ncontexts:\n  work:\n    env:\n      CLARIFAI_PAT: {SECRET}\n      CLARIFAI_USER_ID: me\n      CLARIFAI_APP_ID: app\n      CLARIFAI_API_BASE: https://api.clarifai.com\n  flat:\n    CLARIFAI_API_KEY: {SECRET}\n  fromenv:\n    env:\n      CLARIFAI_PAT: ENVVAR\n      CLARIFAI_USER_ID: me\n"
        ),
    );
    let c = Credentials::from_config(&path, None).unwrap();
    assert_eq!(
        (c.kind(), c.user_id(), c.app_id()),
        (CredentialKind::Pat, "me", "app")
    );
    let c = Credentials::from_config(&path, Some("flat")).unwrap();
    assert_eq!(c.kind(), CredentialKind::ApiKey);

    let err = Credentials::from_config(&path, Some("nope")).unwrap_err();
    assert!(
        err.to_string().contains("nope") && err.to_string().contains("work"),
        "{err}"
    );

    // from_env falls back to the file; env ids win over the file's.
    let path_str: &'static str = Box::leak(path.display().to_string().into_boxed_str());
    let env: &'static [(&'static str, &'static str)] = Box::leak(
        vec![
            ("CLARIFAI_CONFIG", path_str),
            ("CLARIFAI_APP_ID", "other-app"),
        ]
        .into_boxed_slice(),
    );
    let c = Credentials::from_lookup(lookup(env)).unwrap();
    assert_eq!((c.user_id(), c.app_id()), ("me", "other-app"));
    // An env secret wins over the file entirely.
    let env: &'static [(&'static str, &'static str)] = Box::leak(
        vec![
            ("CLARIFAI_CONFIG", path_str),
            ("CLARIFAI_API_KEY", "env-key"),
        ]
        .into_boxed_slice(),
    );
    assert_eq!(
        Credentials::from_lookup(lookup(env)).unwrap().kind(),
        CredentialKind::ApiKey
    );

    // ENVVAR reads the variable (through the lookup, never the process's environment), and
    // says which one is missing.
    let env: &'static [(&'static str, &'static str)] =
        Box::leak(vec![("CLARIFAI_CONFIG", path_str)].into_boxed_slice());
    let err = ClarifaiClient::builder()
        .env_lookup(lookup(env))
        .cli_context("fromenv")
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config { line: Some(_), .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("ENVVAR") && err.to_string().contains("CLARIFAI_PAT"),
        "{err}"
    );
}

#[test]
fn broken_config_files_name_the_file_and_line_but_not_the_secret() {
    let broken = [
        (
            "syntax",
            format!(
                "current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: {SECRET}\n   bad: [unclosed\n"
            ),
        ),
        (
            "shape",
            format!("current_context: a\ncontexts: [{SECRET}]\n"),
        ),
        (
            "value",
            format!("contexts:\n  a:\n    CLARIFAI_PAT: [{SECRET}]\n"),
        ),
        (
            "nonsecret",
            "contexts:\n  a:\n    CLARIFAI_PAT: \"a b\"\n".to_owned(),
        ),
    ];
    for (name, text) in broken {
        let path = config_file(name, &text);
        let err = Credentials::from_config(&path, None).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(SECRET), "{name}: secret leaked: {shown}");
        assert!(
            shown.contains(&path.display().to_string()),
            "{name}: {shown}"
        );
        if name != "nonsecret" {
            assert!(
                matches!(err, Error::Config { line: Some(_), .. }),
                "{name}: {err:?}"
            );
        }
    }
    let err = Credentials::from_config("/no/such/dir/config", None).unwrap_err();
    assert!(matches!(err, Error::Config { line: None, .. }));
    assert!(err.to_string().contains("/no/such/dir/config"));
}

#[tokio::test]
async fn unparseable_endpoints_are_typed_errors() {
    let creds = Credentials::api_key("k").unwrap();
    for bad in [
        "",
        "ftp://host",
        "https://",
        "http://exa mple.com",
        "https://host:99999",
        "https://host/path",
    ] {
        match ClarifaiClient::builder()
            .env_lookup(no_env)
            .endpoint(bad)
            .credentials(creds.clone())
            .build()
        {
            Err(Error::InvalidEndpoint { endpoint, reason }) => {
                assert_eq!(endpoint, bad);
                assert!(!reason.is_empty());
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
    let err = ClarifaiClient::builder()
        .env_lookup(no_env)
        .endpoint("http://10.1.2.3:80")
        .credentials(creds.clone())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("clear"), "{err}");
    assert!(
        ClarifaiClient::builder()
            .env_lookup(no_env)
            .endpoint("http://10.1.2.3:80")
            .allow_insecure(true)
            .credentials(creds)
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn endpoints_that_parse() {
    let creds = Credentials::api_key("k").unwrap();
    for good in [
        "api.clarifai.com",
        "https://api.clarifai.com:443",
        "http://127.0.0.1:5000",
        "http://[::1]:5000",
        "http://localhost:5000",
        "https://[::1]",
    ] {
        let built = ClarifaiClient::builder()
            .env_lookup(no_env)
            .endpoint(good)
            .credentials(creds.clone())
            .build();
        assert!(built.is_ok(), "{good:?}: {built:?}");
    }
}

#[test]
fn endpoint_from_the_environment() {
    use clarifai_tonic::{DEFAULT_ENDPOINT, endpoint_from_env};
    assert_eq!(endpoint_from_env(lookup(&[])), DEFAULT_ENDPOINT);
    assert_eq!(
        endpoint_from_env(lookup(&[("CLARIFAI_GRPC_BASE", "api-dev.clarifai.com")])),
        "https://api-dev.clarifai.com"
    );
    assert_eq!(
        endpoint_from_env(lookup(&[
            ("CLARIFAI_GRPC_BASE", "a.com"),
            ("CLARIFAI_API_BASE", "http://127.0.0.1:9")
        ])),
        "http://127.0.0.1:9"
    );
}

#[test]
fn build_outside_a_runtime_is_an_error_not_a_panic() {
    let err = ClarifaiClient::builder()
        .env_lookup(no_env)
        .endpoint("http://127.0.0.1:1")
        .credentials(Credentials::api_key("k").unwrap())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("tokio runtime"), "{err}");
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
