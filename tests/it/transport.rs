//! The client's own HTTP/2 transport, against MockV2 over real sockets: calls multiplexed on one
//! connection, one connect shared by the calls that wait for it, a new connection after the
//! server drops one, TLS with the test CA, the raw generated client over `transport()`, and a
//! client stream sent as the server reads it. [`Counting`] is a TCP relay that counts the
//! connections it carries.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clarifai_tonic::api::{self, status::StatusCode, v2_client::V2Client};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Credentials, Transport, rpc};
use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::support::fixture::{Fixture, outputs, tls_mock};

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

fn predict(id: &str) -> api::PostModelOutputsRequest {
    api::PostModelOutputsRequest {
        model_id: id.into(),
        ..Default::default()
    }
}

/// The mock answers each PostModelOutputs with an output named after the request's model id.
fn echo_model_id(mock: &MockV2) {
    mock.on::<rpc::PostModelOutputs, _, _>(|req| {
        let id = req.into_inner().model_id;
        async move { Ok(outputs(&[&id], StatusCode::Success)) }
    });
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
async fn tls_with_the_test_ca_and_the_raw_client_over_the_transport() {
    let mock = tls_mock().await;
    mock.respond::<rpc::PostModelOutputs>(outputs(&["over tls"], StatusCode::Success));
    let client = crate::support::fixture::tls_client(
        &mock,
        Credentials::pat("tls-pat", "me", "app").unwrap(),
    );
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
async fn a_client_from_a_channel_keeps_it() {
    let mock = MockV2::start().await.unwrap();
    mock.respond::<rpc::PostModelOutputs>(outputs(&["mem"], StatusCode::Success));
    let client = ClarifaiClient::from_channel(
        crate::support::fixture::in_memory_channel(&mock),
        Credentials::api_key("mem-key").unwrap(),
    );
    assert!(client.transport().channel().is_some());
    let response = client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await
        .unwrap();
    assert_eq!(response.outputs[0].id, "mem");
}

#[tokio::test]
async fn a_request_stream_is_sent_message_by_message() {
    let (mock, client) = Fixture::fast().start().await;
    // The handler answers once it has read every message, and says how many it read.
    mock.on_bidi::<rpc::StreamModelOutputs, _, _>(|request| {
        let mut requests = request.into_inner();
        futures_util::stream::once(async move {
            let mut n = 0;
            while let Some(Ok(_)) = requests.next().await {
                n += 1;
            }
            Ok(outputs(&[&n.to_string()], StatusCode::Success))
        })
    });
    // The messages come from a channel, one by one, so the body is not ready at once.
    let (tx, rx) = tokio::sync::mpsc::channel::<api::PostModelOutputsRequest>(1);
    let feeder = tokio::spawn(async move {
        for i in 0..50 {
            tx.send(predict(&i.to_string())).await.unwrap();
            tokio::task::yield_now().await;
        }
    });
    let responses: Vec<_> = client
        .stream_model_outputs(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .collect()
        .await;
    feeder.await.unwrap();
    assert_eq!(responses.len(), 1);
    let response = responses.into_iter().next().unwrap().unwrap();
    assert_eq!(response.outputs[0].id, "50");
    assert_eq!(response.status.unwrap().code, StatusCode::Success as i32);
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
