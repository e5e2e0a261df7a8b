//! Unary calls per second against MockV2 over loopback, side by side in one run:
//!
//! - `raw`: the generated `V2Client` with no interceptor, on the client's own channel
//!   (`client.channel()`), so that transport settings are the same for all;
//! - `v2()`: `client.v2()`, the generated client with the credentials interceptor;
//! - `client`: `client.post_model_outputs`, with `user_app_id` filling, status check, retries.
//!
//! Each is measured sequentially and with 64 concurrent tasks; each figure is the median of
//! several rounds, taken in interleaved order so that drift hits all three alike.
//!
//!     cargo run --release --example load              # default: 7 rounds of 2 s each
//!     cargo run --release --example load -- 5 1       # rounds, seconds per round

use std::sync::Arc;
use std::time::{Duration, Instant};

use clarifai_tonic::api::{self, status::StatusCode, v2_client::V2Client};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Credentials, rpc};

#[derive(Clone, Copy, Debug)]
enum Variant {
    Raw,
    Intercepted,
    Client,
    ClientNoDeadline,
}

const VARIANTS: [Variant; 4] = [
    Variant::Raw,
    Variant::Intercepted,
    Variant::Client,
    Variant::ClientNoDeadline,
];

/// The same server through each way of calling it.
struct Clients {
    raw: V2Client<tonic::transport::Channel>,
    client: ClarifaiClient,
    no_deadline: ClarifaiClient,
}

fn request() -> api::PostModelOutputsRequest {
    api::PostModelOutputsRequest {
        model_id: "general-image-recognition".into(),
        inputs: vec![api::Input {
            data: Some(Box::new(api::Data {
                image: Some(Box::new(api::Image {
                    url: "https://samples.clarifai.com/metro-north.jpg".into(),
                    ..Default::default()
                })),
                ..Default::default()
            })),
            ..Default::default()
        }],
        ..Default::default()
    }
}

async fn one_call(variant: Variant, clients: &Clients) {
    match variant {
        Variant::Raw => {
            let mut raw = clients.raw.clone();
            let mut req = tonic::Request::new(request());
            req.metadata_mut()
                .insert("authorization", "Key bench-pat".parse().expect("ascii"));
            raw.post_model_outputs(req).await.expect("raw call");
        }
        Variant::Intercepted => {
            clients
                .client
                .v2()
                .post_model_outputs(request())
                .await
                .expect("v2 call");
        }
        Variant::Client => {
            clients
                .client
                .post_model_outputs(request())
                .await
                .expect("client call");
        }
        Variant::ClientNoDeadline => {
            clients
                .no_deadline
                .post_model_outputs(request())
                .await
                .expect("client call");
        }
    }
}

/// Calls per second over `secs`, with `concurrency` tasks each calling in a loop.
async fn round(variant: Variant, concurrency: usize, secs: f64, clients: &Arc<Clients>) -> f64 {
    let stop = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let clients = clients.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < stop {
                    one_call(variant, &clients).await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(7);
    let secs: f64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2.0);

    let mock = MockV2::start().await?;
    mock.respond::<rpc::PostModelOutputs>(api::MultiOutputResponse {
        status: Some(api::status::Status {
            code: StatusCode::Success as i32,
            ..Default::default()
        }),
        outputs: vec![api::Output {
            id: "out".into(),
            ..Default::default()
        }],
        ..Default::default()
    });
    mock.set_recording(false);
    let builder = || {
        ClarifaiClient::builder()
            .endpoint(mock.url())
            .credentials(Credentials::pat("bench-pat", "me", "app").expect("valid"))
    };
    let client = builder().build()?;
    // The raw client shares the client's connection, so that only the layers above it differ.
    let clients = Arc::new(Clients {
        raw: V2Client::new(client.channel()),
        client,
        no_deadline: builder().no_timeout().build()?,
    });

    println!(
        "machine: {} cores; {rounds} rounds of {secs} s per figure (median); release={}",
        std::thread::available_parallelism()?,
        !cfg!(debug_assertions)
    );
    println!(
        "| concurrency | raw V2Client calls/s | client.v2() | client.post_model_outputs | same, .no_timeout() | v2()/raw | client/raw | no-timeout/raw |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for concurrency in [1usize, 64] {
        // Warm up connections and caches.
        for v in VARIANTS {
            round(v, concurrency, 0.3, &clients).await;
        }
        let mut samples = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
        for r in 0..rounds {
            // Rotate the order each round, so that drift hits every variant alike.
            for k in 0..VARIANTS.len() {
                let i = (r + k) % VARIANTS.len();
                samples[i].push(round(VARIANTS[i], concurrency, secs, &clients).await);
            }
        }
        let [raw_s, v2_s, client_s, free_s] = samples.map(median);
        println!(
            "| {concurrency} | {raw_s:.0} | {v2_s:.0} | {client_s:.0} | {free_s:.0} | {:.3} | {:.3} | {:.3} |",
            v2_s / raw_s,
            client_s / raw_s,
            free_s / raw_s
        );
    }
    Ok(())
}
