//! Runs MockV2 as a standalone server, for clients in other languages and h2load (the
//! comparison in `benches/compare_clients.sh`) or for poking at with grpcurl. Prints its URL,
//! then serves until its standard input closes.
//!
//!     cargo run --release --example mock_server

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::rpc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockV2::start().await?;
    mock.set_recording(false);
    let ok = Some(api::status::Status {
        code: StatusCode::Success as i32,
        description: "Ok".into(),
        ..Default::default()
    });
    mock.respond::<rpc::PostModelOutputs>(api::MultiOutputResponse {
        status: ok.clone(),
        outputs: vec![api::Output {
            id: "out".into(),
            ..Default::default()
        }],
        ..Default::default()
    });
    mock.on::<rpc::PostInputs, _, _>(move |req| {
        let status = ok.clone();
        async move {
            Ok(api::MultiInputResponse {
                status,
                inputs: req.into_inner().inputs,
                ..Default::default()
            })
        }
    });
    println!("{}", mock.url());
    tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    })
    .await?;
    Ok(())
}
