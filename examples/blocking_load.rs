//! Unary calls per second, blocking client against async client, on one MockV2 over loopback:
//!
//! - `async×1`, `async×8`: `ClarifaiClient::post_model_outputs` from 1 or 8 tasks on a
//!   multi-thread tokio runtime (one worker per core);
//! - `blocking×1`, `blocking×8`: `blocking::ClarifaiClient::post_model_outputs` from 1 or 8 plain
//!   threads sharing one client.
//!
//! The mock runs on a runtime of its own. Rounds run the variants back to back in a rotating
//! order; each rate is the median of the rounds.
//!
//!     cargo run --release --example blocking_load --features blocking            # 5 rounds of 2 s
//!     cargo run --release --example blocking_load --features blocking -- 7 1.5   # rounds, seconds

use std::time::{Duration, Instant};

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Credentials, blocking, rpc};

const VARIANTS: [(&str, bool, usize); 4] = [
    ("async×1", false, 1),
    ("async×8", false, 8),
    ("blocking×1", true, 1),
    ("blocking×8", true, 8),
];

fn request() -> api::PostModelOutputsRequest {
    api::PostModelOutputsRequest {
        model_id: "general-image-recognition".into(),
        inputs: vec![api::Input::image_url(
            "https://samples.clarifai.com/metro-north.jpg",
        )],
        ..Default::default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    let secs: f64 = args.next().map_or(Ok(2.0), |a| a.parse())?;

    let mock_runtime = tokio::runtime::Runtime::new()?;
    let mock = mock_runtime.block_on(MockV2::start())?;
    mock.respond::<rpc::PostModelOutputs>(api::MultiOutputResponse {
        status: Some(api::status::Status {
            code: StatusCode::Success as i32,
            ..Default::default()
        }),
        outputs: vec![api::Output::default()],
        ..Default::default()
    });
    mock.set_recording(false);
    let credentials = Credentials::pat("bench-pat", "me", "app")?;

    let async_runtime = tokio::runtime::Runtime::new()?;
    let async_client = {
        let _in = async_runtime.enter();
        ClarifaiClient::builder()
            .endpoint(mock.url())
            .credentials(credentials.clone())
            .build()?
    };
    let url = mock.url();
    let blocking_client = blocking::ClarifaiClient::builder()
        .configure(|b| b.endpoint(url).credentials(credentials))
        .build()?;

    // Warm both connections up.
    async_runtime.block_on(async_client.post_model_outputs(request()))?;
    blocking_client.post_model_outputs(request())?;

    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
    for r in 0..rounds {
        for k in 0..VARIANTS.len() {
            let i = (r + k) % VARIANTS.len();
            let (_, is_blocking, n) = VARIANTS[i];
            let rate = if is_blocking {
                blocking_round(&blocking_client, n, secs)
            } else {
                async_runtime.block_on(async_round(&async_client, n, secs))
            };
            rates[i].push(rate);
        }
    }
    println!(
        "{rounds} rounds of {secs} s, median calls/s ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for (i, (name, _, _)) in VARIANTS.iter().enumerate() {
        let rates = &mut rates[i];
        rates.sort_by(f64::total_cmp);
        println!("{name:<12} {:>8.0}", rates[rates.len() / 2]);
    }
    Ok(())
}

async fn async_round(client: &ClarifaiClient, tasks: usize, secs: f64) -> f64 {
    let started = Instant::now();
    let stop = started + Duration::from_secs_f64(secs);
    let tasks: Vec<_> = (0..tasks)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < stop {
                    client.post_model_outputs(request()).await.expect("call");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("task");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn blocking_round(client: &blocking::ClarifaiClient, threads: usize, secs: f64) -> f64 {
    let started = Instant::now();
    let stop = started + Duration::from_secs_f64(secs);
    let threads: Vec<_> = (0..threads)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < stop {
                    client.post_model_outputs(request()).expect("call");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = threads.into_iter().map(|t| t.join().expect("thread")).sum();
    total as f64 / started.elapsed().as_secs_f64()
}
