//! Building a client for an endpoint: the forms that parse (a bare host, a port, IPv6, either
//! scheme) and those that are typed errors naming the endpoint and the reason (plaintext to a
//! host that is not local refused unless allowed), and `build()` outside a tokio runtime an
//! error, not a panic. Where the endpoint comes from (code, environment, config file) is in
//! cli_context.rs.

use clarifai_tonic::{ClarifaiClient, Credentials, Error};

use crate::support::fixture::no_env;

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
fn build_outside_a_runtime_is_an_error_not_a_panic() {
    let err = ClarifaiClient::builder()
        .env_lookup(no_env)
        .endpoint("http://127.0.0.1:1")
        .credentials(Credentials::api_key("k").unwrap())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::NoRuntime), "its own variant: {err:?}");
    assert!(err.to_string().contains("tokio runtime"), "{err}");
}
