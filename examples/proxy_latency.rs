//! What an HTTP CONNECT proxy adds per call: sequential PostModelOutputs against an in-process
//! MockV2, directly and through a minimal CONNECT proxy in the same process (TCP_NODELAY on both
//! of its sockets, as a proxy for RPC traffic should have), in alternating rounds.
//!
//!     cargo run --release --example proxy_latency              # 5 rounds of 2,000 calls
//!     cargo run --release --example proxy_latency -- 7 5000
//!
//! To try a real proxy instead, set `http_proxy` (or `grpc_proxy`) and run any example: the
//! client reads it with no code change.

use std::time::{Duration, Instant};

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Credentials, rpc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);

    let mock = MockV2::start().await?;
    mock.set_recording(false);
    mock.respond::<rpc::PostModelOutputs>(api::MultiOutputResponse {
        status: Some(api::status::Status {
            code: StatusCode::Success as i32,
            ..Default::default()
        }),
        ..Default::default()
    });
    let proxy = start_proxy().await?;
    let builder = || {
        ClarifaiClient::builder()
            .endpoint(mock.url())
            .credentials(Credentials::pat("pat", "me", "app").expect("a valid PAT"))
            .env_lookup(|_| None)
    };
    let direct = builder().build()?;
    let proxied = builder().proxy(format!("http://{proxy}")).build()?;
    assert_eq!(proxied.proxy(), Some(proxy.to_string().as_str()));

    let mut per_call = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first, so that drift between rounds does not favour one.
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for through_proxy in order {
            let client = if through_proxy { &proxied } else { &direct };
            let took = time_calls(client, calls).await?;
            let micros = took.as_secs_f64() * 1e6 / calls as f64;
            if through_proxy {
                per_call.1.push(micros);
            } else {
                per_call.0.push(micros);
            }
        }
    }
    let (direct_us, proxied_us) = (median(&mut per_call.0), median(&mut per_call.1));
    println!("{rounds} rounds of {calls} sequential calls; medians of the rounds");
    println!("| path | µs per call | calls/s |");
    println!("| --- | --- | --- |");
    println!("| direct | {direct_us:.1} | {:.0} |", 1e6 / direct_us);
    println!(
        "| through the CONNECT proxy | {proxied_us:.1} | {:.0} |",
        1e6 / proxied_us
    );
    println!(
        "added by the proxy: {:.1} µs per call",
        proxied_us - direct_us
    );
    Ok(())
}

async fn time_calls(
    client: &ClarifaiClient,
    calls: usize,
) -> Result<Duration, clarifai_tonic::Error> {
    // One call first, so that the connection (and the tunnel) is up before the clock starts.
    client
        .post_model_outputs(api::PostModelOutputsRequest::default())
        .await?;
    let started = Instant::now();
    for _ in 0..calls {
        client
            .post_model_outputs(api::PostModelOutputsRequest::default())
            .await?;
    }
    Ok(started.elapsed())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A minimal CONNECT proxy: reads the request head, connects to its target, answers 200, then
/// copies bytes both ways.
async fn start_proxy() -> std::io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).await.ok() != Some(1) {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head);
                let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
                let Ok(mut upstream) = TcpStream::connect(target).await else {
                    return;
                };
                let _ = client.set_nodelay(true);
                let _ = upstream.set_nodelay(true);
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_ok()
                {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    Ok(addr)
}
