//! Unary calls per second against MockV2 over loopback, side by side in one run:
//!
//! - `raw`: the generated `V2Client` with no interceptor, on a tonic `Channel` with the settings
//!   the client's builder gave its channel before it had a transport of its own (raw tonic);
//! - `raw-own`: the same generated client on the client's own transport (`client.transport()`);
//! - `raw+deadline`: the same with `request.set_timeout(120 s)`, the deadline the client sets by
//!   default (tonic then arms a timer for it, and so does the server);
//! - `v2()`: `client.v2()`, the generated client with the credentials interceptor;
//! - `client`: `client.post_model_outputs`, with `user_app_id` filling, the PAT-only guard, the
//!   default 120 s deadline, retries and the in-band status check;
//! - `no-timeout`: the same client built with `.no_timeout()`.
//!
//! The raw and `v2()` variants send `user_app_id` themselves, as a raw caller with a PAT must,
//! so that every variant puts the same request on the wire.
//!
//! Each is measured sequentially and with 64 concurrent tasks. Rounds run the variants back to
//! back in a rotating order; each ratio is the median of the per-round ratios (a variant against
//! the raw run of the same round, so that drift between rounds cancels out), and each rate the
//! median of the rounds.
//!
//!     cargo run --release --example load              # default: 7 rounds of 2 s each
//!     cargo run --release --example load -- 5 1       # rounds, seconds per round
//!     cargo run --release --example load -- --only client 20000
//!
//! `--server URL` calls a server that is already running (`examples/mock_server`, as
//! `benches/compare_clients.sh` does to compare with the official clients) instead of an
//! in-process MockV2.
//!
//! `--only <variant> N` makes N sequential calls of one variant and nothing else, for counting
//! instructions per call under `valgrind --tool=callgrind` (run it at two N and subtract, so
//! that start-up cancels out). `--only <variant> N C` makes them C at a time. Either way it
//! prints the client process's CPU time per call (from `getrusage`).
//!
//! `--timed <variant> <concurrency> <seconds>` warms up for 0.5 s, then calls for `seconds`
//! with `concurrency` tasks and prints one line, `calls wall_seconds cpu_seconds`: the CPU
//! (user + system) this process used in that window, from `getrusage`. It is the protocol of
//! `benches/compare_clients.sh`, which the other clients' scripts speak too.
//!
//! `--dump-request PATH` writes the PostModelOutputs request as a gRPC message (the 5-byte
//! prefix, then the encoded message): the body every variant sends, for `h2load -d PATH`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clarifai_tonic::api::{self, status::StatusCode, v2_client::V2Client};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{ClarifaiClient, Credentials, rpc};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Variant {
    Raw,
    RawOwn,
    RawDeadline,
    Intercepted,
    Client,
    ClientNoDeadline,
}

const VARIANTS: [Variant; 6] = [
    Variant::Raw,
    Variant::RawOwn,
    Variant::RawDeadline,
    Variant::Intercepted,
    Variant::Client,
    Variant::ClientNoDeadline,
];

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Raw => "raw",
            Variant::RawOwn => "raw-own",
            Variant::RawDeadline => "raw+deadline",
            Variant::Intercepted => "v2",
            Variant::Client => "client",
            Variant::ClientNoDeadline => "no-timeout",
        }
    }
}

/// The same server through each way of calling it.
struct Clients {
    raw: V2Client<tonic::transport::Channel>,
    raw_own: V2Client<clarifai_tonic::transport::Transport>,
    client: ClarifaiClient,
    no_deadline: ClarifaiClient,
}

/// The request as a raw caller must send it with a PAT: naming the user and app itself.
fn request_with_ids() -> api::PostModelOutputsRequest {
    api::PostModelOutputsRequest {
        user_app_id: Some(api::UserAppIdSet {
            user_id: "me".into(),
            app_id: "app".into(),
        }),
        ..request()
    }
}

/// The request as `ClarifaiClient` takes it: the client fills `user_app_id` from the PAT.
fn request() -> api::PostModelOutputsRequest {
    api::PostModelOutputsRequest {
        model_id: "general-image-recognition".into(),
        inputs: vec![api::Input::image_url(
            "https://samples.clarifai.com/metro-north.jpg",
        )],
        ..Default::default()
    }
}

async fn one_call(variant: Variant, clients: &Clients) {
    match variant {
        Variant::Raw | Variant::RawDeadline => {
            let mut raw = clients.raw.clone();
            let mut req = tonic::Request::new(request_with_ids());
            req.metadata_mut()
                .insert("authorization", "Key bench-pat".parse().expect("ascii"));
            if variant == Variant::RawDeadline {
                req.set_timeout(clarifai_tonic::defaults::DEFAULT_TIMEOUT);
            }
            raw.post_model_outputs(req).await.expect("raw call");
        }
        Variant::RawOwn => {
            let mut raw = clients.raw_own.clone();
            let mut req = tonic::Request::new(request_with_ids());
            req.metadata_mut()
                .insert("authorization", "Key bench-pat".parse().expect("ascii"));
            raw.post_model_outputs(req).await.expect("raw-own call");
        }
        Variant::Intercepted => {
            clients
                .client
                .v2()
                .post_model_outputs(request_with_ids())
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
    let (calls, elapsed) = run(variant, concurrency, secs, clients).await;
    calls as f64 / elapsed.as_secs_f64()
}

/// Calls made over `secs` by `concurrency` tasks each calling in a loop, and the time they took
/// (the calls in flight at the deadline are waited for).
async fn run(
    variant: Variant,
    concurrency: usize,
    secs: f64,
    clients: &Arc<Clients>,
) -> (u64, Duration) {
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
    (total, started.elapsed())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let server = match args.iter().position(|a| a == "--server") {
        Some(i) => {
            let url = args.get(i + 1).cloned().ok_or("--server takes a URL")?;
            args.drain(i..i + 2);
            Some(url)
        }
        None => None,
    };
    match args.first().map(String::as_str) {
        Some("--only") => {
            let variant = variant_arg("--only", args.get(1))?;
            let calls: u64 = match args.get(2).map(|a| a.parse()) {
                Some(Ok(n)) => n,
                None => 10_000,
                Some(Err(e)) => {
                    return Err(format!("--only {variant:?} N: N is not a count ({e})").into());
                }
            };
            let concurrency: u64 = match args.get(3).map(|a| a.parse()) {
                Some(Ok(n)) if n > 0 => n,
                None => 1,
                _ => return Err("--only <variant> N C: C is a positive count".into()),
            };
            return runtime(Flavor::MultiThread)?.block_on(only(
                server,
                variant,
                calls,
                concurrency,
            ));
        }
        Some("--timed") => {
            let variant = variant_arg("--timed", args.get(1))?;
            let concurrency: usize = match args.get(2).map(|a| a.parse()) {
                Some(Ok(n)) if n > 0 => n,
                _ => return Err(
                    "--timed <variant> <concurrency> <seconds>: concurrency is a positive count"
                        .into(),
                ),
            };
            let secs: f64 =
                match args.get(3).map(|a| a.parse()) {
                    Some(Ok(s)) if s > 0.0 => s,
                    _ => return Err(
                        "--timed <variant> <concurrency> <seconds>: seconds is a positive number"
                            .into(),
                    ),
                };
            return runtime(Flavor::MultiThread)?.block_on(timed(
                server,
                variant,
                concurrency,
                secs,
            ));
        }
        Some("--dump-request") => {
            let path = args.get(1).ok_or("--dump-request takes a file path")?;
            std::fs::write(path, grpc_message(&request_with_ids()))?;
            return Ok(());
        }
        _ => {}
    }
    let rounds: usize = match args.first().map(|a| a.parse()) {
        None => 7,
        Some(Ok(n)) if n > 0 => n,
        _ => return Err(format!("rounds must be a positive count, not {:?}", args[0]).into()),
    };
    let secs: f64 = match args.get(1).map(|a| a.parse()) {
        None => 2.0,
        Some(Ok(s)) if s > 0.0 => s,
        _ => return Err(format!("seconds must be a positive number, not {:?}", args[1]).into()),
    };
    println!(
        "machine: {} cores; {rounds} rounds of {secs} s per figure; release={}",
        std::thread::available_parallelism()?,
        !cfg!(debug_assertions)
    );
    println!(
        "| runtime | concurrency | raw calls/s | raw-own | raw+deadline | client.v2() | \
         client.post_model_outputs | same, .no_timeout() | raw-own/raw | v2()/raw | \
         client/raw+deadline | no-timeout/raw | client/raw |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
        runtime(flavor)?.block_on(table(server.clone(), flavor, rounds, secs))?;
    }
    Ok(())
}

/// Which tokio runtime a table runs on. On one thread, client and server take turns on one
/// core, so calls/s measure CPU per call with little noise from cross-thread wake-ups; the
/// multi-threaded runtime is what services usually run.
#[derive(Clone, Copy, Debug)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

fn runtime(flavor: Flavor) -> std::io::Result<tokio::runtime::Runtime> {
    match flavor {
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        Flavor::MultiThread => tokio::runtime::Builder::new_multi_thread(),
    }
    .enable_all()
    .build()
}

/// A MockV2 answering PostModelOutputs (or the server at `server`, e.g. `examples/mock_server`
/// in another process), and every way of calling it on one connection.
async fn setup(
    server: Option<String>,
) -> Result<(Option<MockV2>, Arc<Clients>), Box<dyn std::error::Error>> {
    let (mock, url) = match server {
        Some(url) => (None, url),
        None => {
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
            let url = mock.url();
            (Some(mock), url)
        }
    };
    // LOAD_CONNECTIONS=n spreads the client's calls over n HTTP/2 connections (default 2).
    let connections = std::env::var("LOAD_CONNECTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2);
    let builder = || {
        ClarifaiClient::builder()
            .endpoint(url.as_str())
            .credentials(Credentials::pat("bench-pat", "me", "app").expect("valid"))
            .http2_connections(connections)
    };
    let client = builder().build()?;
    // Raw tonic: a Channel with the settings the builder gave its tonic channel.
    let channel = tonic::transport::Endpoint::from_shared(url.clone())?
        .connect_timeout(Duration::from_secs(10))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20))
        .keep_alive_while_idle(true)
        .user_agent("rust-clarifai-tonic")?
        .connect_lazy();
    // `raw-own` shares the client's connection, so that only the layers above it differ.
    let clients = Arc::new(Clients {
        raw: V2Client::new(channel),
        raw_own: V2Client::new(client.transport()),
        no_deadline: builder().no_timeout().build()?,
        client,
    });
    Ok((mock, clients))
}

/// The variant named by `arg`, for `flag`'s error message.
fn variant_arg(flag: &str, arg: Option<&String>) -> Result<Variant, String> {
    let wanted = arg.map(String::as_str);
    VARIANTS
        .into_iter()
        .find(|v| Some(v.name()) == wanted)
        .ok_or_else(|| {
            let names: Vec<_> = VARIANTS.iter().map(|v| v.name()).collect();
            format!("{flag} takes one of {names:?}, not {wanted:?}")
        })
}

/// `message` as a gRPC message on the wire: not compressed (0), its length (4 bytes, big
/// endian), then the encoded message.
fn grpc_message(message: &impl prost::Message) -> Vec<u8> {
    let len = message.encoded_len();
    let mut out = Vec::with_capacity(5 + len);
    out.push(0);
    out.extend_from_slice(&u32::try_from(len).expect("under 4 GiB").to_be_bytes());
    message.encode(&mut out).expect("a Vec grows");
    out
}

/// User plus system CPU time this process has used so far (all its threads).
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given, which is zeroed and ours.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(
            libc::getrusage(libc::RUSAGE_SELF, &mut usage),
            0,
            "getrusage"
        );
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// `benches/compare_clients.sh`'s protocol: warm up, then one timed window, printed as
/// `calls wall_seconds cpu_seconds`.
async fn timed(
    server: Option<String>,
    variant: Variant,
    concurrency: usize,
    secs: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let (_mock, clients) = setup(server).await?;
    run(variant, concurrency, 0.5, &clients).await;
    let cpu = cpu_time();
    let (calls, wall) = run(variant, concurrency, secs, &clients).await;
    let cpu = cpu_time() - cpu;
    println!("{calls} {:.6} {:.6}", wall.as_secs_f64(), cpu.as_secs_f64());
    Ok(())
}

async fn only(
    server: Option<String>,
    variant: Variant,
    calls: u64,
    concurrency: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let (_mock, clients) = setup(server).await?;
    // One call first, so that the connection is made before the clocks start.
    one_call(variant, &clients).await;
    let cpu = cpu_time();
    let started = Instant::now();
    if concurrency <= 1 {
        for _ in 0..calls {
            one_call(variant, &clients).await;
        }
    } else {
        let tasks: Vec<_> = (0..concurrency)
            .map(|i| {
                let clients = clients.clone();
                let n = calls / concurrency + u64::from(i < calls % concurrency);
                tokio::spawn(async move {
                    for _ in 0..n {
                        one_call(variant, &clients).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await?;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = format!(
        ", client CPU {:.1} µs/call",
        (cpu_time() - cpu).as_secs_f64() * 1e6 / calls as f64
    );
    println!(
        "{variant:?}: {calls} calls, {concurrency} at a time, in {secs:.2} s ({:.0} calls/s{cpu})",
        calls as f64 / secs
    );
    Ok(())
}

async fn table(
    server: Option<String>,
    flavor: Flavor,
    rounds: usize,
    secs: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let (_mock, clients) = setup(server).await?;
    for concurrency in [1usize, 64] {
        // Warm up connections and caches.
        for v in VARIANTS {
            round(v, concurrency, 0.3, &clients).await;
        }
        let mut samples: Vec<[f64; VARIANTS.len()]> = Vec::new();
        for r in 0..rounds {
            // Rotate the order each round, so that drift hits every variant alike.
            let mut row = [0.0; VARIANTS.len()];
            for k in 0..VARIANTS.len() {
                let i = (r + k) % VARIANTS.len();
                row[i] = round(VARIANTS[i], concurrency, secs, &clients).await;
            }
            samples.push(row);
        }
        if std::env::var_os("LOAD_VERBOSE").is_some() {
            for row in &samples {
                eprintln!("{flavor:?} {concurrency}: {row:.0?}");
            }
        }
        let rate = |i: usize| median(samples.iter().map(|row| row[i]).collect());
        let ratio =
            |i: usize, base: usize| median(samples.iter().map(|row| row[i] / row[base]).collect());
        let [raw, own, raw_dl, v2, client, free] = [0, 1, 2, 3, 4, 5];
        println!(
            "| {flavor:?} | {concurrency} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            rate(raw),
            rate(own),
            rate(raw_dl),
            rate(v2),
            rate(client),
            rate(free),
            ratio(own, raw),
            ratio(v2, raw),
            ratio(client, raw_dl),
            ratio(free, raw),
            ratio(client, raw),
        );
    }
    Ok(())
}
