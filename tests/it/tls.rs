//! TLS and its certificates: a client that trusts the test CA calls a TLS MockV2, through its own
//! methods and through the raw generated client over `transport()`; a certificate no trusted
//! root vouches for is a typed error, tried once, with the credentials never sent; one for
//! another host is named as such. (`CLARIFAI_ROOT_CERTIFICATES_PATH` and a bare `host:port`
//! meaning TLS are in cli_context.rs.)

use clarifai_tonic::api::{self, status::StatusCode, v2_client::V2Client};
use clarifai_tonic::{
    ClarifaiClient, Credentials, error::TransportFault, retry::RetryPolicy, rpc,
    transport::Transport,
};
use tokio::net::{TcpListener, TcpStream};

use crate::support::faults::{GUARD, assert_fault};
use crate::support::fixture::{Fixture, no_env, outputs, tls_client, tls_mock};
use crate::support::relay::Forwarder;

#[tokio::test]
async fn tls_with_a_custom_ca() {
    let mock = tls_mock().await;
    mock.respond::<rpc::PostModelOutputs>(outputs(&["over tls"], StatusCode::Success));
    assert!(mock.url().starts_with("https://localhost:"));
    let client = tls_client(&mock, Credentials::api_key("tls-key").unwrap());
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "over tls");
    assert_eq!(mock.calls()[0].header("authorization"), Some("Key tls-key"));

    // Without the CA the handshake fails: a typed error, and the key never reaches the server.
    let untrusted = ClarifaiClient::builder()
        .env_lookup(no_env)
        .endpoint(mock.url())
        .retry_policy(RetryPolicy::none())
        .credentials(Credentials::api_key("tls-key").unwrap())
        .build()
        .unwrap();
    let err = untrusted
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.transport_fault(),
        Some(clarifai_tonic::error::TransportFault::CertificateNotTrusted),
        "{err:?}"
    );
    let chain = std::iter::successors(Some(&err as &dyn std::error::Error), |e| e.source())
        .map(|e| format!("{e} / {e:?}"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        chain.contains("UnknownIssuer"),
        "not a certificate error: {chain}"
    );
    assert_eq!(mock.call_count(), 1);
}

#[tokio::test]
async fn tls_with_the_test_ca_and_the_raw_client_over_the_transport() {
    let mock = tls_mock().await;
    mock.respond::<rpc::PostModelOutputs>(outputs(&["over tls"], StatusCode::Success));
    let client = tls_client(&mock, Credentials::pat("tls-pat", "me", "app").unwrap());
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "over tls");
    // The generated client with no interceptor, on the same connection: the caller's own
    // metadata is all it sends.
    let transport: Transport = client.transport();
    assert!(transport.channel().is_none(), "the client's own transport");
    let mut raw = V2Client::new(transport);
    let mut request = tonic::Request::new(api::PostModelOutputsRequest::default());
    request
        .metadata_mut()
        .insert("authorization", "Key raw-key".parse().unwrap());
    let response = raw.post_model_outputs(request).await.unwrap().into_inner();
    assert_eq!(response.outputs[0].id, "over tls");
    let calls = mock.calls();
    assert_eq!(calls[0].header("authorization"), Some("Key tls-pat"));
    assert_eq!(calls[1].header("authorization"), Some("Key raw-key"));
    assert!(
        calls[0]
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("rust-clarifai-tonic-")),
        "{:?}",
        calls[0].header("user-agent")
    );
}

#[tokio::test]
async fn an_untrusted_certificate_is_tried_once_and_named() {
    let mock = tls_mock().await;
    let relay = Forwarder::start(mock.addr()).await;
    let client = Fixture::new().client(format!("https://localhost:{}", relay.addr.port()));
    let err = tokio::time::timeout(
        GUARD,
        client.post_model_outputs(api::PostModelOutputsRequest::default()),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_fault(
        &err,
        TransportFault::CertificateNotTrusted,
        &["certificate not trusted", "host localhost", "UnknownIssuer"],
        "UnknownIssuer",
    );
    assert!(!err.is_retryable());
    assert_eq!(
        relay.connections(),
        1,
        "a certificate failure is not retried"
    );
    assert_eq!(mock.call_count(), 0);
}

#[tokio::test]
async fn a_certificate_for_another_host_is_named_as_such() {
    let mock = tls_mock().await;
    // The certificate names localhost and 127.0.0.1; 127.0.0.2 reaches the same loopback server
    // under a name it does not cover.
    let relay = TcpListener::bind("127.0.0.2:0").await;
    let Ok(relay) = relay else {
        eprintln!("no 127.0.0.2 on this machine: skipped");
        return;
    };
    let port = relay.local_addr().unwrap().port();
    let target = mock.addr();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = relay.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let client = Fixture::new()
        .with(|b| b.ca_certificate(include_bytes!("../fixtures/ca.pem")))
        .client(format!("https://127.0.0.2:{port}"));
    let err = tokio::time::timeout(
        GUARD,
        client.post_model_outputs(api::PostModelOutputsRequest::default()),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(
        err.transport_fault(),
        Some(TransportFault::CertificateNotValidForHost),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("certificate not valid for host 127.0.0.2: "),
        "{err}"
    );
}
