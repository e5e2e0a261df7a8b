//! Large payloads: PostInputs carrying N MiB of image bytes, answered with a response of the same
//! size, through `ClarifaiClient`. Prints throughput and the client process's peak RSS.
//!
//! The mock server runs in a child process (this example, started with `serve`), so the figure
//! is the client's own memory. After a warm-up call, each size starts from a reset peak (Linux
//! `clear_refs`), so one process measures every size, and the ratio is the memory the call
//! needed above the idle client, against the payload size. The payload the caller holds for
//! the whole call counts in it.
//!
//!     cargo run --release --example payload -- 1 16 128      # sizes in MiB
//!     cargo run --release --example payload -- 128 --runs 5
//!     cargo run --release --example payload -- 1 16 128 --window 256   # HTTP/2 stream window, KiB

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{Credentials, rpc};

fn ok() -> Option<api::status::Status> {
    Some(api::status::Status {
        code: StatusCode::Success as i32,
        ..Default::default()
    })
}

/// A `kB` field of `/proc/self/status` (Linux), in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Peak resident set size of this process since the last [`reset_peak_rss`], in MiB.
fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// Resident set size now, in MiB.
fn rss_mib() -> f64 {
    status_mib("VmRSS:")
}

/// Resets the peak RSS to the current RSS (Linux: writing 5 to `clear_refs`), so that each size
/// is measured on its own in one process. Returns whether the kernel allowed it.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockV2::start().await?;
    mock.set_recording(false);
    // Echo the inputs: the response is as large as the request.
    mock.on::<rpc::PostInputs, _, _>(|req| async move {
        Ok(api::MultiInputResponse {
            status: ok(),
            inputs: req.into_inner().inputs,
            ..Default::default()
        })
    });
    println!("{}", mock.url());
    // Serve until the parent closes our stdin.
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        return serve().await;
    }
    let mut runs = 3usize;
    let mut window_kib: Option<u32> = None;
    let mut sizes = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--runs" {
            runs = match it.next().map(|r| r.parse::<usize>()) {
                Some(Ok(n)) if n > 0 => n,
                other => return Err(format!("--runs takes a positive count, not {other:?}").into()),
            };
        } else if a == "--window" {
            window_kib = match it.next().map(|w| w.parse::<u32>()) {
                Some(Ok(k)) if k > 0 && k <= (u32::MAX >> 10) => Some(k),
                other => return Err(format!("--window takes KiB, not {other:?}").into()),
            };
        } else {
            match a.parse::<usize>() {
                Ok(mib) if mib > 0 => sizes.push(mib),
                _ => return Err(format!("not a size in MiB: {a:?}").into()),
            }
        }
    }
    if sizes.is_empty() {
        sizes = vec![1, 16, 128];
    }

    let mut child = Command::new(std::env::current_exe()?)
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut url = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut url)?;
    let mut builder = clarifai_tonic::ClarifaiClient::builder()
        .endpoint(url.trim())
        .credentials(Credentials::pat("bench", "me", "app")?);
    if let Some(kib) = window_kib {
        builder = builder.http2_stream_window(kib << 10);
    }
    let client = builder.build()?;

    // Warm up: connect (the client spreads calls over two connections: one call each), start
    // the runtime's threads and their allocator arenas, so that the baseline below is the idle
    // client rather than a process that has not called yet.
    for _ in 0..2 {
        client
            .post_inputs(api::PostInputsRequest::default())
            .await?;
    }
    println!(
        "| payload | runs | median round trip | throughput (payload each way) | client RSS before | client peak RSS | (peak - before) / payload |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for mib in sizes {
        if !reset_peak_rss() {
            eprintln!("note: cannot reset the peak RSS here; peaks include earlier sizes");
        }
        let baseline = rss_mib();
        // The caller's own copy of the payload counts: it is held for the whole call.
        let payload = bytes::Bytes::from(vec![0xA5u8; mib << 20]);
        let mut times = Vec::new();
        for _ in 0..runs {
            let request = api::PostInputsRequest {
                inputs: vec![api::Input::image_bytes(payload.clone())],
                ..Default::default()
            };
            let started = Instant::now();
            let response = client.post_inputs(request).await?;
            times.push(started.elapsed().as_secs_f64());
            let got = response.inputs[0].image().map(|i| i.base64.len());
            assert_eq!(got, Some(payload.len()), "the echo came back whole");
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let peak = peak_rss_mib();
        println!(
            "| {mib} MiB | {runs} | {:.1} ms | {:.0} MB/s | {baseline:.1} MiB | {peak:.1} MiB | {:.2}x |",
            median * 1000.0,
            2.0 * (mib << 20) as f64 / median / 1e6,
            (peak - baseline).max(0.0) / mib as f64
        );
    }
    drop(child.stdin.take());
    let _ = child.wait();
    Ok(())
}
