//! HTTP CONNECT proxies: taken from the (injected) environment or the builder, skipped for
//! `no_proxy` hosts and by `.no_proxy()`, refusals and dead proxies named, and nothing secret in
//! the clear on the proxy's side of the tunnel. [`ConnectProxy`] is a CONNECT proxy written here
//! with tokio: it records each CONNECT request, then pipes bytes (keeping what it piped).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{
    ClarifaiClient, ClientBuilder, Credentials, Error, error::TransportFault, rpc,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::fixture::{outputs, tls_mock};

const PAT: &str = "pat-secret-4711";
const PASSWORD: &str = "proxy-password-0815";

/// A CONNECT proxy on 127.0.0.1:0 that answers every CONNECT with `answer` (200 opens the
/// tunnel).
struct ConnectProxy {
    addr: SocketAddr,
    /// Each CONNECT request's head, as received.
    heads: Arc<Mutex<Vec<String>>>,
    /// Every byte piped from the client after the CONNECT.
    piped: Arc<Mutex<Vec<u8>>>,
}

impl ConnectProxy {
    async fn start(answer: &'static str) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let heads: Arc<Mutex<Vec<String>>> = Arc::default();
        let piped: Arc<Mutex<Vec<u8>>> = Arc::default();
        let (h, p) = (heads.clone(), piped.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (heads, piped) = (h.clone(), p.clone());
                tokio::spawn(serve(client, answer, heads, piped));
            }
        });
        ConnectProxy { addr, heads, piped }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn connects(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

async fn serve(
    mut client: TcpStream,
    answer: &'static str,
    heads: Arc<Mutex<Vec<String>>>,
    piped: Arc<Mutex<Vec<u8>>>,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    heads.lock().unwrap().push(head.clone());
    if !answer.starts_with("200") {
        let _ = client
            .write_all(format!("HTTP/1.1 {answer}\r\nContent-Length: 0\r\n\r\n").as_bytes())
            .await;
        return;
    }
    let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
    let Ok(mut upstream) = TcpStream::connect(target.replace("localhost", "127.0.0.1")).await
    else {
        return;
    };
    let _ = client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await;
    // Pipe both ways, keeping the client's bytes.
    let (mut client_read, mut client_write) = client.into_split();
    let (mut up_read, mut up_write) = upstream.split();
    let to_server = async {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    piped.lock().unwrap().extend_from_slice(&buf[..n]);
                    if up_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = up_write.shutdown().await;
    };
    let to_client = async {
        let _ = tokio::io::copy(&mut up_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(to_server, to_client);
}

/// A builder with a PAT, quick retries, and `env` as the whole environment.
fn builder(env: &[(&str, String)]) -> ClientBuilder {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    ClarifaiClient::builder()
        .credentials(Credentials::pat(PAT, "me", "app").unwrap())
        .retry_policy(crate::support::fixture::fast_retries())
        .timeout(Duration::from_secs(10))
        .env_lookup(move |name| env.get(name).cloned())
}

fn tls_builder(mock: &MockV2, env: &[(&str, String)]) -> ClientBuilder {
    builder(env)
        .endpoint(mock.url())
        .ca_certificate(include_bytes!("../fixtures/ca.pem"))
}

async fn predict(client: &ClarifaiClient) -> Result<api::MultiOutputResponse, Error> {
    tokio::time::timeout(
        Duration::from_secs(20),
        client.post_model_outputs(api::PostModelOutputsRequest::default()),
    )
    .await
    .expect("the call hung")
}

#[tokio::test]
async fn https_proxy_from_the_environment_tunnels_tls_and_sees_no_secret() {
    let mock = tls_mock().await;
    mock.respond::<rpc::PostModelOutputs>(outputs(&["via proxy"], StatusCode::Success));
    let proxy = ConnectProxy::start("200").await;
    let with_password = format!("http://user:{PASSWORD}@{}", proxy.addr);
    // One connection (the client spreads calls over two by default), so that both calls
    // below go through one tunnel.
    let client = tls_builder(&mock, &[("HTTPS_PROXY", with_password.clone())])
        .http2_connections(1)
        .build()
        .unwrap();
    assert_eq!(client.proxy(), Some(proxy.addr.to_string().as_str()));
    let response = predict(&client).await.unwrap();
    assert_eq!(response.outputs[0].id, "via proxy");
    predict(&client).await.unwrap();

    let connects = proxy.connects();
    assert_eq!(
        connects.len(),
        1,
        "one CONNECT for the one connection: {connects:?}"
    );
    let port = mock.addr().port();
    assert!(
        connects[0].starts_with(&format!("CONNECT localhost:{port} HTTP/1.1\r\n")),
        "{connects:?}"
    );
    // Proxy-Authorization: Basic base64("user:proxy-password-0815").
    assert!(
        connects[0].contains("Proxy-Authorization: Basic dXNlcjpwcm94eS1wYXNzd29yZC0wODE1\r\n"),
        "{connects:?}"
    );
    assert!(
        !connects[0].contains(PAT),
        "the key never goes to the proxy"
    );
    let piped = proxy.piped.lock().unwrap().clone();
    assert!(piped.len() > 100, "the calls went through the tunnel");
    let window = |needle: &str| piped.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!window(PAT), "the key crossed the proxy in the clear");
    assert!(
        !window(PASSWORD),
        "the proxy password crossed the tunnel in the clear"
    );
    assert!(
        !window("authorization"),
        "an HTTP/2 header crossed in the clear"
    );

    // Debug of the client and the builder shows no password.
    let debug = format!(
        "{client:?} {:?}",
        tls_builder(&mock, &[]).proxy(with_password.clone())
    );
    assert!(!debug.contains(PASSWORD), "{debug}");
    assert!(debug.contains(&proxy.addr.to_string()), "{debug}");
    assert_eq!(mock.call_count(), 2);
}

#[tokio::test]
async fn no_proxy_for_the_host_and_the_builders_no_proxy_go_direct() {
    let mock = tls_mock().await;
    mock.respond::<rpc::PostModelOutputs>(outputs(&["direct"], StatusCode::Success));
    let proxy = ConnectProxy::start("200").await;
    let env = [
        ("https_proxy", proxy.url()),
        ("no_proxy", "example.com, localhost".to_owned()),
    ];
    let client = tls_builder(&mock, &env).build().unwrap();
    assert_eq!(client.proxy(), None);
    predict(&client).await.unwrap();

    let client = tls_builder(&mock, &[("https_proxy", proxy.url())])
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(client.proxy(), None);
    predict(&client).await.unwrap();
    assert!(proxy.connects().is_empty());
    assert_eq!(mock.call_count(), 2);
}

#[tokio::test]
async fn grpc_proxy_wins_and_a_proxy_in_code_applies_to_loopback_plaintext() {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(outputs(&["ok"], StatusCode::Success));
    let (grpc, http) = (
        ConnectProxy::start("200").await,
        ConnectProxy::start("200").await,
    );
    let env = [("grpc_proxy", grpc.url()), ("http_proxy", http.url())];
    let client = builder(&env).endpoint(mock.url()).build().unwrap();
    predict(&client).await.unwrap();
    assert_eq!(grpc.connects().len(), 1);
    assert!(http.connects().is_empty());

    let coded = ConnectProxy::start("200").await;
    let client = builder(&env)
        .endpoint(mock.url())
        .proxy(coded.url())
        .build()
        .unwrap();
    predict(&client).await.unwrap();
    assert_eq!(
        coded.connects().len(),
        1,
        "the builder's proxy wins over the environment"
    );
    assert_eq!(grpc.connects().len(), 1);
}

#[tokio::test]
async fn a_proxy_that_wants_credentials_is_tried_once_and_named() {
    let mock = tls_mock().await;
    let proxy = ConnectProxy::start("407 Proxy Authentication Required").await;
    let client = tls_builder(&mock, &[]).proxy(proxy.url()).build().unwrap();
    let err = predict(&client).await.unwrap_err();
    assert_eq!(
        err.transport_fault(),
        Some(TransportFault::ProxyRefused(407))
    );
    let text = err.to_string();
    let port = mock.addr().port();
    assert!(
        text.contains(&format!(
            "proxy {} refused CONNECT localhost:{port}: 407 Proxy Authentication Required",
            proxy.addr
        )),
        "{text}"
    );
    assert!(!err.is_retryable());
    assert_eq!(proxy.connects().len(), 1, "a 407 is not retried");
    assert_eq!(mock.call_count(), 0);
}

#[tokio::test]
async fn a_proxy_that_is_overloaded_is_tried_again() {
    let mock = tls_mock().await;
    let proxy = ConnectProxy::start("503 Service Unavailable").await;
    let client = tls_builder(&mock, &[])
        .proxy(proxy.url())
        .retry_policy(crate::support::fixture::fast_retries().transparent_retries(2))
        .build()
        .unwrap();
    let err = predict(&client).await.unwrap_err();
    assert_eq!(
        err.transport_fault(),
        Some(TransportFault::ProxyRefused(503))
    );
    assert!(err.is_retryable());
    assert_eq!(
        proxy.connects().len(),
        3,
        "sent, then 2 transparent re-sends"
    );
}

#[tokio::test]
async fn a_dead_proxy_is_a_connect_failure_naming_it() {
    let mock = tls_mock().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = listener.local_addr().unwrap();
    drop(listener);
    let client = tls_builder(&mock, &[("HTTPS_PROXY", format!("http://{dead}"))])
        .retry_policy(crate::support::fixture::fast_retries().transparent_retries(1))
        .build()
        .unwrap();
    let err = predict(&client).await.unwrap_err();
    assert_eq!(err.transport_fault(), Some(TransportFault::Connect));
    let text = err.to_string();
    assert!(
        text.contains(&format!("cannot reach proxy {dead}")),
        "{text}"
    );
    assert!(text.to_lowercase().contains("refused"), "{text}");
}

#[tokio::test]
async fn a_proxy_url_that_cannot_be_used_is_an_error_without_its_password() {
    let mock = tls_mock().await;
    for bad in [
        format!("socks5://user:{PASSWORD}@127.0.0.1:1080"),
        format!("http://user:{PASSWORD}@"),
    ] {
        let err = tls_builder(&mock, &[])
            .proxy(bad.clone())
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidProxy { .. }), "{bad}: {err:?}");
        let text = format!("{err} {err:?}");
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }
}

/// Calls that find no connection wait for one connect per connection slot rather than each
/// opening its own: 40 concurrent calls through a proxy that refuses every tunnel ask it for
/// two (the client's two connections), and all fail with the proxy's refusal.
#[tokio::test]
async fn concurrent_calls_share_the_connects_they_wait_for() {
    let mock = tls_mock().await;
    let proxy = ConnectProxy::start("503 Service Unavailable").await;
    let client = tls_builder(&mock, &[])
        .proxy(proxy.url())
        .retry_policy(clarifai_tonic::retry::RetryPolicy::none().transparent_retries(0))
        .build()
        .unwrap();
    let calls = (0..40).map(|_| predict(&client));
    let results = futures_util::future::join_all(calls).await;
    for result in results {
        let err = result.unwrap_err();
        assert_eq!(
            err.transport_fault(),
            Some(TransportFault::ProxyRefused(503)),
            "{err}"
        );
    }
    assert_eq!(
        proxy.connects().len(),
        2,
        "one CONNECT per connection slot, shared by the calls waiting for it"
    );
    assert_eq!(mock.call_count(), 0);
}
