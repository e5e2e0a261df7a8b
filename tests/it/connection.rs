//! The client and its connection: clones share one connection (ten thousand concurrent calls
//! through it), an in-memory channel of your own, TLS with a custom CA, HTTP/2 keepalive pings and
//! the connect timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Credentials, Error, RetryPolicy, rpc};
use futures_util::StreamExt;

use crate::support::fixture::{Fixture, no_env, outputs};

#[test]
fn the_client_is_cheap_to_share() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    fn sendable<T: Send + Sync + 'static>() {}
    shareable::<ClarifaiClient>();
    shareable::<Credentials>();
    sendable::<Error>();
    // Handles only (channel, interceptor, settings behind an Arc): clones share the connection.
    assert!(
        std::mem::size_of::<ClarifaiClient>() <= 512,
        "{}",
        std::mem::size_of::<ClarifaiClient>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_calls_256_at_a_time_none_lost_or_duplicated() {
    let (mock, client) = Fixture::fast().start().await;
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    mock.on::<rpc::PostModelOutputs, _, _>(move |req| {
        counter.fetch_add(1, Ordering::Relaxed);
        let id = req.into_inner().model_id;
        async move { Ok(outputs(&[&id], StatusCode::Success)) }
    });
    let results: Vec<Result<String, Error>> = futures_util::stream::iter(0..10_000)
        .map(|i| {
            let client = client.clone();
            async move {
                let request = api::PostModelOutputsRequest {
                    model_id: format!("{i}"),
                    ..Default::default()
                };
                client
                    .post_model_outputs(request)
                    .await
                    .map(|r| r.outputs[0].id.clone())
            }
        })
        .buffer_unordered(256)
        .collect()
        .await;
    let mut ids: Vec<u32> = results
        .into_iter()
        .map(|r| r.unwrap().parse().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..10_000).collect::<Vec<_>>());
    assert_eq!(served.load(Ordering::Relaxed), 10_000);
    assert_eq!(mock.call_count(), 10_000);
}

#[tokio::test]
async fn the_client_works_over_an_in_memory_channel() {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(outputs(&["mem"], StatusCode::Success));
    let channel = crate::support::fixture::in_memory_channel(&mock);
    let client = ClarifaiClient::from_channel(channel, Credentials::api_key("mem-key").unwrap());
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "mem");
    assert_eq!(mock.calls()[0].header("authorization"), Some("Key mem-key"));
}

#[tokio::test]
async fn tls_with_a_custom_ca() {
    let mock = crate::support::fixture::tls_mock().await;
    mock.respond::<rpc::PostModelOutputs>(outputs(&["over tls"], StatusCode::Success));
    assert!(mock.url().starts_with("https://localhost:"));
    let client =
        crate::support::fixture::tls_client(&mock, Credentials::api_key("tls-key").unwrap());
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
        Some(clarifai_tonic::TransportFault::CertificateNotTrusted),
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

/// A TCP proxy to `target`: forwards both ways, and reads the client's HTTP/2 frames as they
/// pass, sending on the channel each PING (not a PING ack) the client sends.
async fn ping_watching_proxy(
    target: std::net::SocketAddr,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (ping, pings) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(target).await.unwrap();
            let (mut from_client, mut to_client) = client.into_split();
            let (mut from_server, mut to_server) = server.into_split();
            tokio::spawn(async move { tokio::io::copy(&mut from_server, &mut to_client).await });
            let ping = ping.clone();
            tokio::spawn(async move {
                // The 24-byte preface, then frames: a 3-byte length, type, flags, stream id.
                let (mut seen, mut buf) = (Vec::new(), [0u8; 16 * 1024]);
                let mut at = 24;
                loop {
                    let n = match from_client.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    if to_server.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    while seen.len() >= at + 9 {
                        let header = &seen[at..at + 9];
                        let len = u32::from_be_bytes([0, header[0], header[1], header[2]]);
                        if header[3] == 0x6 && header[4] & 0x1 == 0 {
                            let _ = ping.send(());
                        }
                        at += 9 + len as usize;
                    }
                }
            });
        }
    });
    (url, pings)
}

/// `keepalive(..)`: an idle connection carries HTTP/2 PINGs at that interval.
#[tokio::test]
async fn keepalive_pings_an_idle_connection() {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(outputs(&[], StatusCode::Success));
    let (url, mut pings) = ping_watching_proxy(mock.addr()).await;
    let client = Fixture::new()
        .with(|b| b.keepalive(std::time::Duration::from_millis(100)))
        .client(url);
    client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    let two = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        pings.recv().await.unwrap();
        pings.recv().await.unwrap();
    })
    .await;
    assert!(two.is_ok(), "no two PINGs in 10 s at a 100 ms keepalive");
}

/// `connect_timeout(..)`: a server whose accept queue is full never completes the TCP
/// handshake; the connect gives up after the connect timeout, long before the call's deadline,
/// as a connection failure rather than a deadline.
#[tokio::test]
async fn connect_timeout_bounds_a_connect_that_hangs() {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    // Fill the accept queue with connections nobody accepts: later SYNs go unanswered.
    let mut held = Vec::new();
    while let Ok(Ok(stream)) = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        tokio::net::TcpStream::connect(addr),
    )
    .await
    {
        held.push(stream);
        assert!(held.len() < 64, "the accept queue never filled");
    }
    let client = Fixture::new()
        .timeout(std::time::Duration::from_secs(600))
        .retry(RetryPolicy::none())
        .with(|b| b.connect_timeout(std::time::Duration::from_millis(200)))
        .client(format!("http://{addr}"));
    // A hang guard well below the default connect timeout (10 s), far above 200 ms.
    let err = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        client.post_model_outputs(api::PostModelOutputsRequest::default()),
    )
    .await
    .expect("the connect timeout must end the call, not this guard")
    .unwrap_err();
    assert!(!err.is_timeout(), "{err:?}");
    assert!(format!("{err:?}").contains("TimedOut"), "{err:?}");
    assert_eq!(err.grpc_code(), Some(tonic::Code::Unavailable), "{err:?}");
    assert_eq!(
        err.transport_fault(),
        Some(clarifai_tonic::TransportFault::Connect),
        "{err:?}"
    );
    drop((listener, held));
}
