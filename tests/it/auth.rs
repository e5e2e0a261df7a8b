//! Credentials on the wire, asserted on what MockV2 received over a real socket: the header each
//! kind sends and the `user_app_id` it fills (on every message of a stream, never over the
//! caller's own), one request's own credentials, rotation and providers, PAT-only rpcs refused
//! before anything is sent, the interceptor and the tower service on a channel of your own, a
//! PAT without an app, and a thousand concurrent calls. Bad credentials and the secret never
//! shown are in secrets.rs; credentials from the environment and the CLI's config file in
//! cli_context.rs.

use std::sync::Arc;
use std::time::Duration;

use clarifai_tonic::api;
use clarifai_tonic::{
    ClarifaiClient, Credentials, Error,
    credentials::{CredentialKind, RotatingCredentials},
    rpc,
};
use futures_util::StreamExt;

use crate::support::credentials::{done, mock, predict, served};
use crate::support::fixture::{Fixture, no_env, stream_all};

const PREFIX: &str = concat!("rust-clarifai-tonic-", env!("CARGO_PKG_VERSION"));

fn ids(user: &str, app: &str) -> Option<api::UserAppIdSet> {
    Some(api::UserAppIdSet {
        user_id: user.into(),
        app_id: app.into(),
    })
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
    use clarifai_tonic::credentials::{AuthInterceptor, AuthService};

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
