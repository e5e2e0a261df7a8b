//! The client and its connections: clones share one connection (ten thousand concurrent calls
//! through it), the calls that wait for a connect share it, `http2_connections(n)` spreads calls
//! over n, a connection the server drops or the network cuts is replaced at the next call, a
//! dropped client closes its connections, HTTP/2 keepalive pings an idle connection, and the
//! connect timeout bounds a connect that hangs. [`Counting`] is a TCP relay that counts the
//! connections it carries and those the client closed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Credentials, Error, retry::RetryPolicy, rpc};
use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::support::faults::{client_for, post_inputs};
use crate::support::fixture::{Fixture, outputs, predict, success};
use crate::support::relay::Forwarder;

/// A TCP relay to `target` that counts the connections it accepts, and those the client has
/// closed.
struct Counting {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
    /// Signalled each time a relayed connection ends.
    ended: Arc<Notify>,
}

impl Counting {
    async fn start(target: SocketAddr) -> Counting {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let ended = Arc::new(Notify::new());
        let (counted, closings, signal) = (connections.clone(), closed.clone(), ended.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let (closings, signal) = (closings.clone(), signal.clone());
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        // Ends when the client closes its side (or either side fails).
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                    closings.fetch_add(1, Ordering::SeqCst);
                    signal.notify_one();
                });
            }
        });
        Counting {
            addr,
            connections,
            closed,
            ended,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// The mock answers each PostModelOutputs with an output named after the request's model id.
fn echo_model_id(mock: &MockV2) {
    mock.on::<rpc::PostModelOutputs, _, _>(|req| {
        let id = req.into_inner().model_id;
        async move { Ok(outputs(&[&id], StatusCode::Success)) }
    });
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_share_one_connect_and_one_connection() {
    let mock = MockV2::start().await.unwrap();
    echo_model_id(&mock);
    let relay = Counting::start(mock.addr()).await;
    let client = Fixture::fast()
        .with(|b| b.http2_connections(1))
        .client(format!("http://{}", relay.addr));
    // 200 calls start at once on a client that has no connection yet: they wait for one
    // connect, then all go over that connection, each answered with its own response.
    let answers: Vec<String> = futures_util::stream::iter(0..200)
        .map(|i| {
            let client = client.clone();
            async move {
                let response = client.post_model_outputs(predict(&i.to_string())).await;
                response.unwrap().outputs[0].id.clone()
            }
        })
        .buffer_unordered(200)
        .collect()
        .await;
    let mut answers: Vec<u32> = answers.iter().map(|a| a.parse().unwrap()).collect();
    answers.sort_unstable();
    assert_eq!(answers, (0..200).collect::<Vec<_>>());
    assert_eq!(relay.connections(), 1, "one connection for all the calls");
    assert_eq!(mock.call_count(), 200);
}

#[tokio::test]
async fn calls_spread_over_the_connections_asked_for() {
    let mock = MockV2::start().await.unwrap();
    echo_model_id(&mock);
    let relay = Counting::start(mock.addr()).await;
    let client = Fixture::fast()
        .with(|b| b.http2_connections(3))
        .client(format!("http://{}", relay.addr));
    for i in 0..30 {
        let response = client.post_model_outputs(predict(&i.to_string())).await;
        assert_eq!(response.unwrap().outputs[0].id, i.to_string());
    }
    assert_eq!(relay.connections(), 3, "round robin over three connections");
}

#[tokio::test]
async fn a_connection_the_server_drops_is_replaced_on_the_next_call() {
    let mock = MockV2::start().await.unwrap();
    echo_model_id(&mock);
    let relay = Counting::start(mock.addr()).await;
    let client = Fixture::fast().client(format!("http://{}", relay.addr));
    for round in 0..5 {
        let response = client
            .post_model_outputs(predict(&format!("round {round}")))
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(response.outputs[0].id, format!("round {round}"));
        mock.drop_connections();
        // Let the client's connection task see the connection go.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
    }
    assert_eq!(mock.call_count(), 5);
    assert_eq!(relay.connections(), 5, "a new connection after each drop");
}

#[tokio::test]
async fn a_connection_cut_between_calls_fails_no_later_call() {
    let (mock, _) = Fixture::fast().start().await;
    mock.respond::<rpc::PostInputs>(api::MultiInputResponse {
        status: success(),
        ..Default::default()
    });
    let relay = Forwarder::start(mock.addr()).await;
    let client = client_for(format!("http://{}", relay.addr));
    for round in 0..20 {
        post_inputs(&client)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        relay.cut().await;
    }
    post_inputs(&client).await.unwrap();
    assert_eq!(mock.calls_to::<rpc::PostInputs>().len(), 21);
    assert_eq!(relay.connections(), 21, "one connection per round");
}

#[tokio::test]
async fn a_dropped_client_closes_its_connections() {
    let mock = MockV2::start().await.unwrap();
    echo_model_id(&mock);
    let relay = Counting::start(mock.addr()).await;
    let client = Fixture::fast().client(format!("http://{}", relay.addr));
    for i in 0..2 {
        client
            .post_model_outputs(predict(&i.to_string()))
            .await
            .unwrap();
    }
    assert_eq!(relay.connections(), 2);
    let clone = client.clone();
    drop(client);
    assert_eq!(
        relay.closed.load(Ordering::SeqCst),
        0,
        "a clone still holds them"
    );
    drop(clone);
    // No connection task keeps a connection (or its keepalive pings) alive for a client that
    // is gone: h2 closes each once nothing can open a stream on it.
    tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while relay.closed.load(Ordering::SeqCst) < 2 {
            relay.ended.notified().await;
        }
    })
    .await
    .expect("the dropped client's connections stayed open");
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
        Some(clarifai_tonic::error::TransportFault::Connect),
        "{err:?}"
    );
    drop((listener, held));
}
