//! Criterion: one unary call through the raw generated client, `client.v2()` and
//! `client.post_model_outputs`, on the same MockV2 over loopback; and PostInputs round trips of
//! 1 MiB and 16 MiB image payloads.
//!
//!     cargo bench -p clarifai-tonic-benches

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use clarifai_tonic::api::{self, status::StatusCode, v2_client::V2Client};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::{Credentials, rpc};

fn ok() -> Option<api::status::Status> {
    Some(api::status::Status {
        code: StatusCode::Success as i32,
        ..Default::default()
    })
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (mock, client, raw) = rt.block_on(async {
        let mock = MockV2::start().await.expect("mock");
        mock.set_recording(false);
        mock.respond::<rpc::PostModelOutputs>(api::MultiOutputResponse {
            status: ok(),
            ..Default::default()
        });
        // PostInputs echoes the inputs back, so the response is as large as the request.
        mock.on::<rpc::PostInputs, _, _>(|req| async move {
            Ok(api::MultiInputResponse {
                status: ok(),
                inputs: req.into_inner().inputs,
                ..Default::default()
            })
        });
        let client = mock
            .client(Credentials::pat("bench", "me", "app").expect("creds"))
            .expect("client");
        let channel = tonic::transport::Endpoint::from_shared(mock.url())
            .expect("url")
            .connect()
            .await
            .expect("connect");
        (
            mock,
            client,
            V2Client::new(channel).max_decoding_message_size(usize::MAX),
        )
    });

    let mut unary = c.benchmark_group("unary");
    let request = api::PostModelOutputsRequest {
        model_id: "general".into(),
        ..Default::default()
    };
    unary.bench_function("raw V2Client", |b| {
        b.to_async(&rt).iter(|| {
            let mut raw = raw.clone();
            let request = request.clone();
            async move { raw.post_model_outputs(request).await.expect("call") }
        })
    });
    unary.bench_function("client.v2()", |b| {
        b.to_async(&rt).iter(|| {
            let request = request.clone();
            let client = client.clone();
            async move { client.v2().post_model_outputs(request).await.expect("call") }
        })
    });
    unary.bench_function("client.post_model_outputs", |b| {
        b.to_async(&rt).iter(|| {
            let request = request.clone();
            let client = client.clone();
            async move { client.post_model_outputs(request).await.expect("call") }
        })
    });
    unary.finish();

    let mut payload = c.benchmark_group("post_inputs_round_trip");
    payload.sample_size(10);
    for mib in [1usize, 16] {
        let bytes = bytes::Bytes::from(vec![7u8; mib << 20]);
        // Request and response each carry the payload.
        payload.throughput(Throughput::Bytes(2 * bytes.len() as u64));
        payload.bench_with_input(
            BenchmarkId::from_parameter(format!("{mib} MiB")),
            &bytes,
            |b, bytes| {
                b.to_async(&rt).iter(|| {
                    let request = api::PostInputsRequest {
                        inputs: vec![api::Input::image_bytes(bytes.clone())],
                        ..Default::default()
                    };
                    let client = client.clone();
                    async move { client.post_inputs(request).await.expect("call") }
                })
            },
        );
    }
    payload.finish();
    drop(mock);
}

criterion_group!(benches, bench);
criterion_main!(benches);
