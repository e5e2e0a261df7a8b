//! What the code leaves out, from the environment and the Clarifai CLI's config file: the one set
//! of credentials the `CLARIFAI_*` variables may name; the config file as the SDK writes it (a
//! context's credentials with its `CLARIFAI_API_BASE`, the current context or one by name, the
//! older `env:` form, `ENVVAR` values) and broken files named without their secrets; the endpoint
//! from the environment and its precedence; `CLARIFAI_ROOT_CERTIFICATES_PATH`; and
//! `$HOME/.config/clarifai/config` found on its own. The environment is always injected
//! (`env_lookup`), never the process's own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{
    ClarifaiClient, Credentials, Error, credentials::CredentialKind, defaults::DEFAULT_ENDPOINT,
    rpc,
};

use crate::support::credentials::SECRET;
use crate::support::fixture::{outputs, tls_mock};

/// A config file in a fresh temporary folder, removed on drop.
struct ConfigDir(PathBuf);

impl ConfigDir {
    fn new(test: &str, yaml: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "clarifai-tonic-{test}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config"), yaml).unwrap();
        ConfigDir(dir)
    }
    fn path(&self) -> PathBuf {
        self.0.join("config")
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for ConfigDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The form `clarifai login` writes (clarifai 12.5): `CLARIFAI_*` keys directly under each
/// context.
fn sdk_config(local_base: &str, prod_base: &str) -> String {
    format!(
        "contexts:\n  local:\n    CLARIFAI_API_BASE: {local_base}\n    CLARIFAI_PAT: local-pat\n    \
         CLARIFAI_USER_ID: local-user\n  prod:\n    CLARIFAI_API_BASE: {prod_base}\n    \
         CLARIFAI_PAT: prod-pat\n    CLARIFAI_USER_ID: prod-user\ncurrent_context: local\n"
    )
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

fn with_config(
    path: &Path,
    more: &[(&str, &str)],
) -> impl Fn(&str) -> Option<String> + Send + Sync + use<> {
    let mut pairs = vec![("CLARIFAI_CONFIG", path.to_str().unwrap())];
    pairs.extend_from_slice(more);
    env(&pairs)
}

async fn serving() -> MockV2 {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::ListApps>(api::MultiAppResponse {
        status: crate::support::fixture::success(),
        ..Default::default()
    });
    mock
}

#[test]
fn from_env_picks_the_one_credential_set() {
    let c = Credentials::from_lookup(env(&[
        ("CLARIFAI_PAT", SECRET),
        ("CLARIFAI_USER_ID", "me"),
        ("CLARIFAI_APP_ID", "app"),
    ]))
    .unwrap();
    assert_eq!(
        (c.kind(), c.user_id(), c.app_id()),
        (CredentialKind::Pat, "me", "app")
    );
    let c = Credentials::from_lookup(env(&[("CLARIFAI_API_KEY", SECRET)])).unwrap();
    assert_eq!(c.kind(), CredentialKind::ApiKey);
    let c = Credentials::from_lookup(env(&[
        ("CLARIFAI_SESSION_TOKEN", SECRET),
        ("CLARIFAI_USER_ID", "me"),
    ]))
    .unwrap();
    assert_eq!(c.kind(), CredentialKind::SessionToken);

    let err = Credentials::from_lookup(env(&[("CLARIFAI_PAT", SECRET)])).unwrap_err();
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

    let err = Credentials::from_lookup(env(&[
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
    let err = Credentials::from_lookup(env(&[("HOME", "/nonexistent-home-for-test")])).unwrap_err();
    assert!(matches!(err, Error::MissingCredentials { .. }), "{err:?}");
    assert!(
        err.to_string().contains("CLARIFAI_PAT") && err.to_string().contains("CLARIFAI_API_KEY")
    );
}

#[tokio::test]
async fn the_current_context_gives_credentials_and_the_endpoint() {
    let local = serving().await;
    let prod = serving().await;
    let dir = ConfigDir::new("current", &sdk_config(&local.url(), &prod.url()));
    let client = ClarifaiClient::builder()
        .env_lookup(with_config(&dir.path(), &[]))
        .build()
        .unwrap();
    assert_eq!(client.endpoint(), Some(local.url().as_str()));
    assert_eq!(client.credentials().cli_context(), Some("local"));
    client
        .list_apps(api::ListAppsRequest::default())
        .await
        .unwrap();
    let call = &local.calls()[0];
    assert_eq!(call.header("authorization"), Some("Key local-pat"));
    let sent = call.request::<api::ListAppsRequest>().unwrap();
    assert_eq!(sent.user_app_id.unwrap().user_id, "local-user");
    assert_eq!(prod.call_count(), 0);

    // The other context by name: its credentials and its base, never the current one's.
    let client = ClarifaiClient::builder()
        .env_lookup(with_config(&dir.path(), &[]))
        .cli_context("prod")
        .build()
        .unwrap();
    client
        .list_apps(api::ListAppsRequest::default())
        .await
        .unwrap();
    assert_eq!(
        prod.calls()[0].header("authorization"),
        Some("Key prod-pat")
    );
    assert_eq!(local.call_count(), 1);
}

#[tokio::test]
async fn the_older_env_form_carries_its_base_too() {
    let mock = serving().await;
    let yaml = format!(
        "current_context: dev\ncontexts:\n  dev:\n    name: dev\n    env:\n      CLARIFAI_API_BASE: {}\n      \
         CLARIFAI_PAT: dev-pat\n      CLARIFAI_USER_ID: dev-user\n",
        mock.url()
    );
    let dir = ConfigDir::new("envform", &yaml);
    let client = ClarifaiClient::builder()
        .env_lookup(with_config(&dir.path(), &[]))
        .build()
        .unwrap();
    client
        .list_apps(api::ListAppsRequest::default())
        .await
        .unwrap();
    assert_eq!(mock.calls()[0].header("authorization"), Some("Key dev-pat"));
}

#[test]
fn config_file_contexts_and_envvar() {
    let dir = ConfigDir::new(
        "contexts",
        &format!(
            "current_context: work\ncontexts:\n  work:\n    env:\n      CLARIFAI_PAT: {SECRET}\n      CLARIFAI_USER_ID: me\n      CLARIFAI_APP_ID: app\n      CLARIFAI_API_BASE: https://api.clarifai.com\n  flat:\n    CLARIFAI_API_KEY: {SECRET}\n  fromenv:\n    env:\n      CLARIFAI_PAT: ENVVAR\n      CLARIFAI_USER_ID: me\n"
        ),
    );
    let path = dir.path();
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
    let c =
        Credentials::from_lookup(with_config(&path, &[("CLARIFAI_APP_ID", "other-app")])).unwrap();
    assert_eq!((c.user_id(), c.app_id()), ("me", "other-app"));
    // An env secret wins over the file entirely.
    assert_eq!(
        Credentials::from_lookup(with_config(&path, &[("CLARIFAI_API_KEY", "env-key")]))
            .unwrap()
            .kind(),
        CredentialKind::ApiKey
    );

    // ENVVAR reads the variable (through the lookup, never the process's environment), and
    // says which one is missing.
    let err = ClarifaiClient::builder()
        .env_lookup(with_config(&path, &[]))
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
        let dir = ConfigDir::new(&format!("broken-{name}"), &text);
        let path = dir.path();
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
async fn the_endpoint_precedence() {
    let code = serving().await;
    let environment = serving().await;
    let context = serving().await;
    let dir = ConfigDir::new(
        "precedence",
        &sdk_config(&context.url(), "https://unused.example"),
    );
    let env_base = environment.url();
    let build = |endpoint: Option<&str>, more: &[(&str, &str)]| {
        let mut builder = ClarifaiClient::builder().env_lookup(with_config(&dir.path(), more));
        if let Some(e) = endpoint {
            builder = builder.endpoint(e);
        }
        builder.build().unwrap()
    };
    // 1. The code wins over the environment and the context.
    let client = build(Some(&code.url()), &[("CLARIFAI_API_BASE", &env_base)]);
    assert_eq!(client.endpoint(), Some(code.url().as_str()));
    // 2. The environment wins over the context: CLARIFAI_API_BASE, then CLARIFAI_GRPC_BASE.
    let client = build(None, &[("CLARIFAI_API_BASE", &env_base)]);
    assert_eq!(client.endpoint(), Some(env_base.as_str()));
    let client = build(None, &[("CLARIFAI_GRPC_BASE", "grpc.example.com")]);
    assert_eq!(client.endpoint(), Some("https://grpc.example.com:443"));
    // 3. The context's base wins over the default...
    let client = build(None, &[]);
    assert_eq!(client.endpoint(), Some(context.url().as_str()));
    client
        .list_apps(api::ListAppsRequest::default())
        .await
        .unwrap();
    assert_eq!(context.call_count(), 1);
    // ...but only for credentials that came from that context: from the environment, or from
    // code, they use no context base, though the file is there.
    let client = build(
        None,
        &[("CLARIFAI_PAT", "env-pat"), ("CLARIFAI_USER_ID", "u")],
    );
    assert_eq!(client.credentials().cli_context(), None);
    assert_eq!(client.endpoint(), Some(DEFAULT_ENDPOINT));
    let client = ClarifaiClient::builder()
        .env_lookup(with_config(&dir.path(), &[]))
        .credentials(Credentials::pat("code-pat", "u", "a").unwrap())
        .build()
        .unwrap();
    assert_eq!(client.endpoint(), Some(DEFAULT_ENDPOINT));
    // 4. A context without CLARIFAI_API_BASE: the default.
    let plain = ConfigDir::new(
        "nobase",
        "current_context: a\ncontexts:\n  a:\n    CLARIFAI_API_KEY: k\n",
    );
    let client = ClarifaiClient::builder()
        .env_lookup(with_config(&plain.path(), &[]))
        .build()
        .unwrap();
    assert_eq!(client.credentials().kind(), CredentialKind::ApiKey);
    assert_eq!(client.credentials().cli_api_base(), None);
    assert_eq!(client.endpoint(), Some(DEFAULT_ENDPOINT));
}

#[tokio::test]
async fn endpoint_from_the_environment() {
    let endpoint = |vars: &[(&str, &str)]| {
        let mut vars = vars.to_vec();
        vars.push(("CLARIFAI_API_KEY", "k"));
        let client = ClarifaiClient::builder()
            .env_lookup(env(&vars))
            .build()
            .unwrap();
        client.endpoint().map(str::to_owned)
    };
    assert_eq!(endpoint(&[]).as_deref(), Some(DEFAULT_ENDPOINT));
    assert_eq!(
        endpoint(&[("CLARIFAI_GRPC_BASE", "api-dev.clarifai.com")]).as_deref(),
        Some("https://api-dev.clarifai.com:443")
    );
    assert_eq!(
        endpoint(&[
            ("CLARIFAI_GRPC_BASE", "a.com"),
            ("CLARIFAI_API_BASE", "http://127.0.0.1:9")
        ])
        .as_deref(),
        Some("http://127.0.0.1:9")
    );
}

#[tokio::test]
async fn a_missing_context_lists_the_ones_there_are() {
    let dir = ConfigDir::new(
        "missing",
        &sdk_config("https://a.example", "https://b.example"),
    );
    let err = ClarifaiClient::builder()
        .env_lookup(with_config(&dir.path(), &[]))
        .cli_context("staging")
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(
        text.contains("staging") && text.contains("local, prod"),
        "{text}"
    );
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(
        !text.contains("local-pat") && !text.contains("prod-pat"),
        "{text}"
    );
}

#[tokio::test]
async fn a_bad_context_base_names_the_context_and_the_file() {
    let dir = ConfigDir::new("badbase", &sdk_config("htp://x", "https://b.example"));
    let err = ClarifaiClient::builder()
        .env_lookup(with_config(&dir.path(), &[]))
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::InvalidEndpoint { .. }), "{err:?}");
    assert!(
        text.contains("htp://x") && text.contains("scheme"),
        "{text}"
    );
    assert!(
        text.contains("CLARIFAI_API_BASE in context `local`"),
        "{text}"
    );
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(!text.contains("local-pat"), "{text}");
}

#[tokio::test]
async fn root_certificates_from_the_environment() {
    let mock = tls_mock().await;
    mock.respond::<rpc::PostModelOutputs>(outputs(&["trusted"], StatusCode::Success));
    let dir = ConfigDir::new("roots", "contexts: {}\n");
    let ca = dir.write("ca.pem", include_bytes!("../fixtures/ca.pem"));
    let with_roots = |path: &Path| {
        ClarifaiClient::builder()
            .endpoint(mock.url())
            .credentials(Credentials::api_key("tls-key").unwrap())
            .env_lookup(env(&[(
                "CLARIFAI_ROOT_CERTIFICATES_PATH",
                path.to_str().unwrap(),
            )]))
            .build()
    };
    let client = with_roots(&ca).unwrap();
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "trusted");

    // A missing file, or one without a certificate: a config error naming it, at build time.
    let not_pem = dir.write("not.pem", b"this is not a certificate\n");
    for path in [dir.0.join("absent.pem"), not_pem] {
        let err = with_roots(&path).unwrap_err();
        assert!(
            matches!(&err, Error::Config { path: p, .. } if *p == path),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("CLARIFAI_ROOT_CERTIFICATES_PATH"),
            "{err}"
        );
    }
    // A plaintext endpoint has no use for roots: a bad path does not stop it.
    let plain = MockV2::start().await.unwrap();
    let client = ClarifaiClient::builder()
        .endpoint(plain.url())
        .credentials(Credentials::api_key("tls-key").unwrap())
        .env_lookup(env(&[("CLARIFAI_ROOT_CERTIFICATES_PATH", "/absent.pem")]))
        .build();
    assert!(client.is_ok(), "{client:?}");
    assert_eq!(mock.call_count(), 1);
}

/// A client built with neither `.endpoint()` nor `.credentials()` finds
/// `$HOME/.config/clarifai/config` on its own, and the bare `host:port` base of its context
/// means TLS: the call reaches a TLS-only MockV2 with the file's PAT. So does a bare host given
/// in code.
#[tokio::test]
async fn the_home_config_is_found_and_a_bare_host_means_tls() {
    let mock = tls_mock().await;
    mock.respond::<rpc::ListApps>(api::MultiAppResponse {
        status: crate::support::fixture::success(),
        ..Default::default()
    });
    let bare = format!("localhost:{}", mock.addr().port());
    let home = ConfigDir::new("home", "");
    let ca = home.write("ca.pem", include_bytes!("../fixtures/ca.pem"));
    std::fs::create_dir_all(home.0.join(".config/clarifai")).unwrap();
    home.write(
        ".config/clarifai/config",
        format!(
            "current_context: home\ncontexts:\n  home:\n    CLARIFAI_API_BASE: {bare}\n    \
             CLARIFAI_PAT: home-pat\n    CLARIFAI_USER_ID: home-user\n    \
             CLARIFAI_APP_ID: home-app\n"
        )
        .as_bytes(),
    );
    let environment = [
        ("HOME", home.0.to_str().unwrap()),
        ("CLARIFAI_ROOT_CERTIFICATES_PATH", ca.to_str().unwrap()),
    ];
    let client = ClarifaiClient::builder()
        .env_lookup(env(&environment))
        .build()
        .unwrap();
    assert_eq!(client.credentials().cli_context(), Some("home"));
    assert_eq!(client.endpoint(), Some(format!("https://{bare}").as_str()));
    client
        .list_apps(api::ListAppsRequest::default())
        .await
        .unwrap();
    let call = &mock.calls()[0];
    assert_eq!(call.header("authorization"), Some("Key home-pat"));
    let sent = call.request::<api::ListAppsRequest>().unwrap();
    assert_eq!(sent.user_app_id.unwrap().app_id, "home-app");

    let client = ClarifaiClient::builder()
        .env_lookup(env(&[]))
        .endpoint(bare.clone())
        .ca_certificate(include_bytes!("../fixtures/ca.pem"))
        .credentials(Credentials::pat("code-pat", "u", "a").unwrap())
        .build()
        .unwrap();
    assert_eq!(client.endpoint(), Some(format!("https://{bare}").as_str()));
    client
        .list_apps(api::ListAppsRequest::default())
        .await
        .unwrap();
    assert_eq!(
        mock.calls()[1].header("authorization"),
        Some("Key code-pat")
    );
}
