//! The generated code: the per-rpc table against service.proto, the StatusCode aliases, and the
//! raw generated V2Client against MockV2 over a real socket (unary, server stream, bidi), including
//! on a 2 MiB thread stack in debug builds.

use std::collections::BTreeSet;
use std::time::Duration;

use clarifai_tonic::api::{self, status::StatusCode, v2_client::V2Client};
use clarifai_tonic::auth::scope::S;
use clarifai_tonic::mock::MockV2;
use clarifai_tonic::rpc::{self, AuthType, Streaming};
use futures_util::StreamExt;

use crate::support::fixture::{Fixture, outputs, stream_all, success};

/// The rpc names, read straight from the vendored service.proto.
fn rpcs_in_proto() -> BTreeSet<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/proto/clarifai/api/service.proto"
    );
    let text = std::fs::read_to_string(path).expect("vendored service.proto");
    text.lines()
        .map(str::trim_start)
        .filter_map(|l| l.strip_prefix("rpc "))
        .map(|l| {
            l.split(|c: char| c == '(' || c.is_whitespace())
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

#[test]
fn table_has_every_rpc_of_the_proto() {
    let in_proto = rpcs_in_proto();
    let in_table: BTreeSet<String> = rpc::RPCS.iter().map(|r| r.name.to_owned()).collect();
    assert_eq!(in_table, in_proto);
    assert!(in_proto.len() > 250, "only {} rpcs found", in_proto.len());
    // Sorted, so that find() can binary-search.
    assert!(rpc::RPCS.windows(2).all(|w| w[0].name < w[1].name));
    for info in rpc::RPCS {
        assert_eq!(rpc::find(info.name), Some(info));
        assert_eq!(info.path, format!("/clarifai.api.V2/{}", info.name));
    }
    assert_eq!(rpc::find("NoSuchRpc"), None);
    assert_eq!(
        rpc::find("/clarifai.api.V2/PostApps").map(|r| r.name),
        Some("PostApps")
    );
}

#[test]
fn table_keeps_the_auth_options_prost_drops() {
    let post_apps = rpc::find("PostApps").unwrap();
    assert_eq!(post_apps.auth, AuthType::PatAuth);
    assert!(post_apps.needs_pat());
    assert!(rpc::find("PostKeys").unwrap().needs_pat());

    let predict = rpc::find("PostModelOutputs").unwrap();
    assert_eq!(predict.auth, AuthType::KeyAuth);
    assert!(predict.scopes.contains(&S::Predict));
    assert!(predict.scope_names().any(|s| s == "Predict"));
    assert!(predict.needs_app);
    assert_eq!(predict.request_type, "clarifai.api.PostModelOutputsRequest");
    assert_eq!(predict.response_type, "clarifai.api.MultiOutputResponse");
    // ListApps works at the user level: no app in its route.
    assert!(!rpc::find("ListApps").unwrap().needs_app);

    let pat_only = rpc::RPCS.iter().filter(|r| r.needs_pat()).count();
    let pat_in_proto = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/proto/clarifai/api/service.proto"
    ))
    .unwrap()
    .matches("cl_auth_type) = PATAuth;")
    .count();
    assert_eq!(pat_only, pat_in_proto);
    assert!(pat_only >= 70, "{pat_only} PAT-only rpcs");
}

#[test]
fn table_knows_the_streaming_rpcs() {
    let kinds = |k: Streaming| {
        rpc::RPCS
            .iter()
            .filter(|r| r.streaming == k)
            .map(|r| r.name)
            .collect::<Vec<_>>()
    };
    let server = kinds(Streaming::ServerStreaming);
    let bidi = kinds(Streaming::BidiStreaming);
    assert!(server.contains(&"GenerateModelOutputs"), "{server:?}");
    assert!(bidi.contains(&"StreamModelOutputs"), "{bidi:?}");
    assert!(bidi.contains(&"PostModelVersionsUpload"), "{bidi:?}");
    // Added after the npm release 11.11.0; StreamTrackAnnotationsSearches is gone.
    assert!(server.contains(&"StreamAnnotations"), "{server:?}");
    assert!(
        server.contains(&"StreamLivestreamAnnotations"),
        "{server:?}"
    );
    assert_eq!(rpc::find("StreamTrackAnnotationsSearches"), None);
    assert_eq!(rpc::find("ListModules"), None);
    // Cross-check the counts against the proto text.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/proto/clarifai/api/service.proto"
    ))
    .unwrap();
    let rpc_lines: Vec<&str> = text
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("rpc "))
        .collect();
    let streams_in = |l: &&str| l.split("returns").next().unwrap_or("").contains("(stream ");
    let streams_out = |l: &&str| l.split("returns").nth(1).unwrap_or("").contains("(stream ");
    assert_eq!(
        bidi.len(),
        rpc_lines
            .iter()
            .filter(|l| streams_in(l) && streams_out(l))
            .count()
    );
    assert_eq!(
        server.len(),
        rpc_lines
            .iter()
            .filter(|l| !streams_in(l) && streams_out(l))
            .count()
    );
}

#[test]
fn status_code_aliases_exist() {
    assert_eq!(StatusCode::INPUT_DOWNLOAD_SUCCESS as i32, 30000);
    assert_eq!(StatusCode::INPUT_DOWNLOAD_PENDING as i32, 30001);
    assert_eq!(StatusCode::INPUT_DOWNLOAD_FAILED as i32, 30002);
    assert_eq!(StatusCode::INPUT_DOWNLOAD_IN_PROGRESS as i32, 30003);
    assert_eq!(StatusCode::INPUT_DOWNLOAD_SUCCESS, StatusCode::InputSuccess);
    assert_eq!(api::STATUS_CODE_ALIASES.len(), 4);
    assert_eq!(StatusCode::Success as i32, 10000);
}

/// The types are clarifai-tonic-types', re-exported under one path (`api`): the same types a crate
/// that depends on clarifai-tonic-types alone names, and `Input::from_file`'s own error becomes
/// `Error::ReadFile` through `?`, fields and text intact.
#[test]
fn the_types_crate_is_re_exported_and_its_file_error_converts() {
    let input: clarifai_tonic_types::api::Input = api::Input::from_text("x");
    assert_eq!(input.text().map(|t| t.raw.as_str()), Some("x"));

    let dir = std::env::temp_dir().join(format!("clarifai-tonic-from-file-{}", std::process::id()));
    let missing = dir.join("no-such-photo.jpg");
    let direct = api::Input::from_file(&missing).unwrap_err();
    assert_eq!(direct.path(), missing.as_path());
    let text = direct.to_string();

    fn load(path: &std::path::Path) -> Result<api::Input, clarifai_tonic::Error> {
        Ok(api::Input::from_file(path)?)
    }
    match load(&missing) {
        Err(e @ clarifai_tonic::Error::ReadFile { .. }) => {
            assert_eq!(e.to_string(), text);
            let clarifai_tonic::Error::ReadFile { path, source } = e else {
                unreachable!()
            };
            assert_eq!(path, missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Error::ReadFile, got {other:?}"),
    }

    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join("a train (1).txt");
    std::fs::write(&file, "a train at a station").expect("a temporary file");
    let read = load(&file).expect("a readable file");
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(read.id, "a-train--1-");
    assert_eq!(
        read.text().map(|t| t.raw.as_str()),
        Some("a train at a station")
    );
}

#[test]
fn messages_stay_small_enough_for_debug_stacks() {
    use std::mem::size_of;
    // Boxed nested messages keep even the biggest request small.
    assert!(
        size_of::<api::PostModelOutputsRequest>() < 1024,
        "{}",
        size_of::<api::PostModelOutputsRequest>()
    );
    assert!(size_of::<api::MultiOutputResponse>() < 1024);
    assert!(
        size_of::<api::Model>() < 2048,
        "{}",
        size_of::<api::Model>()
    );
}

/// `bytes` fields are `bytes::Bytes` sharing the received frame: two images of one response,
/// decoded by `ClarifaiClient` from what MockV2 sent over a socket, lie in one buffer exactly as
/// far apart as in the encoded message. Copies would be two allocations at unrelated addresses.
#[tokio::test]
async fn decoded_bytes_fields_point_into_the_received_frame() {
    use prost::Message;
    let (mock, client) = Fixture::new().start().await;
    let first = bytes::Bytes::from(vec![1u8; 64 * 1024]);
    let second = bytes::Bytes::from(vec![2u8; 64 * 1024]);
    let response = api::MultiInputResponse {
        status: success(),
        inputs: vec![
            api::Input::image_bytes(first.clone()).with_id("a"),
            api::Input::image_bytes(second.clone()).with_id("b".repeat(100)),
        ],
        ..Default::default()
    };
    let encoded = response.encode_to_vec();
    let offset = |payload: &[u8]| {
        encoded
            .windows(payload.len())
            .position(|w| w == payload)
            .unwrap()
    };
    let apart = offset(&second) - offset(&first);
    mock.respond::<rpc::ListInputs>(response);
    let received = client
        .list_inputs(api::ListInputsRequest::default())
        .await
        .unwrap();
    let image = |i: usize| received.inputs[i].image().unwrap().base64.clone();
    let (a, b) = (image(0), image(1));
    assert_eq!((a.clone(), b.clone()), (first, second));
    assert_eq!(
        b.as_ptr() as usize - a.as_ptr() as usize,
        apart,
        "the two images are not slices of one buffer"
    );
}

fn predict_request(model: &str) -> api::PostModelOutputsRequest {
    api::PostModelOutputsRequest {
        user_app_id: Some(api::UserAppIdSet {
            user_id: "clarifai".into(),
            app_id: "main".into(),
        }),
        model_id: model.into(),
        inputs: vec![api::Input::image_url(
            "https://samples.clarifai.com/metro-north.jpg",
        )],
        ..Default::default()
    }
}

/// A predict response with the one output `{model}-{n}`.
fn output_for(model: &str, n: usize) -> api::MultiOutputResponse {
    outputs(&[&format!("{model}-{n}")], StatusCode::Success)
}

/// Registers the four rpcs the raw-client tests use.
fn serve(mock: &MockV2) {
    mock.on::<rpc::PostModelOutputs, _, _>(|req| async move {
        let model = req.into_inner().model_id;
        Ok(output_for(&model, 0))
    });
    mock.on::<rpc::ListModels, _, _>(|req| async move {
        let per_page = req.get_ref().per_page;
        Ok(api::MultiModelResponse {
            status: success(),
            models: (0..per_page)
                .map(|i| api::Model {
                    id: format!("m{i}"),
                    ..Default::default()
                })
                .collect(),
        })
    });
    mock.on_server_stream::<rpc::GenerateModelOutputs, _, _>(|req| {
        let model = req.into_inner().model_id;
        futures_util::stream::iter((0..3).map(move |i| Ok(output_for(&model, i))))
    });
    mock.on_bidi::<rpc::StreamModelOutputs, _, _>(|req| {
        req.into_inner()
            .map(|msg| msg.map(|m| output_for(&m.model_id, 0)))
    });
}

async fn raw_client(mock: &MockV2) -> V2Client<tonic::transport::Channel> {
    let channel = tonic::transport::Endpoint::from_shared(mock.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    V2Client::new(channel)
}

#[tokio::test]
async fn raw_client_unary_calls_reach_the_mock() {
    let mock = MockV2::start().await.unwrap();
    serve(&mock);
    let mut client = raw_client(&mock).await;

    let mut request = tonic::Request::new(predict_request("general"));
    request
        .metadata_mut()
        .insert("authorization", "Key test-key".parse().unwrap());
    let response = client
        .post_model_outputs(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.outputs[0].id, "general-0");

    let models = client
        .list_models(api::ListModelsRequest {
            per_page: 3,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(models.models.len(), 3);

    let calls = mock.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].rpc, "PostModelOutputs");
    assert_eq!(calls[0].header("authorization"), Some("Key test-key"));
    let got = calls[0].request::<api::PostModelOutputsRequest>().unwrap();
    assert_eq!(got, predict_request("general"));
    assert_eq!(mock.requests::<rpc::ListModels>()[0].per_page, 3);
}

#[tokio::test]
async fn raw_client_streams_both_ways() {
    let mock = MockV2::start().await.unwrap();
    serve(&mock);
    let mut client = raw_client(&mock).await;

    let mut stream = client
        .generate_model_outputs(predict_request("llm"))
        .await
        .unwrap()
        .into_inner();
    let mut ids = Vec::new();
    while let Some(item) = stream.message().await.unwrap() {
        ids.push(item.outputs[0].id.clone());
    }
    assert_eq!(ids, ["llm-0", "llm-1", "llm-2"]);

    let outgoing = futures_util::stream::iter(["a", "b", "c"].map(predict_request));
    let responses: Vec<_> = client
        .stream_model_outputs(outgoing)
        .await
        .unwrap()
        .into_inner()
        .map(|r| r.unwrap().outputs[0].id.clone())
        .collect()
        .await;
    assert_eq!(responses, ["a-0", "b-0", "c-0"]);
    let bidi = &mock.calls_to::<rpc::StreamModelOutputs>()[0];
    let sent: Vec<String> = bidi
        .messages::<api::PostModelOutputsRequest>()
        .into_iter()
        .map(|m| m.model_id)
        .collect();
    assert_eq!(sent, ["a", "b", "c"]);
}

/// The rpcs and fields of the current API that the npm protos lacked, through `ClarifaiClient`
/// and MockV2 over a socket: a new server stream, a new unary rpc, `u64` frame times past
/// `u32::MAX`, and the new `Status.http_status_code` and `Output.cached_tokens`.
#[tokio::test]
async fn the_rpcs_and_fields_of_the_current_api_reach_the_mock_and_back() {
    let (mock, client) = Fixture::new().start().await;
    let far = u64::from(u32::MAX) + 7;
    mock.on_server_stream::<rpc::StreamAnnotations, _, _>(move |req| {
        let req = req.into_inner();
        futures_util::stream::iter((0..3u64).map(move |i| {
            Ok(api::SingleStreamAnnotationResponse {
                status: Some(api::status::Status {
                    code: StatusCode::Success as i32,
                    http_status_code: 200,
                    ..Default::default()
                }),
                annotation: Some(Box::new(api::Annotation {
                    id: format!("{}-{i}", req.input_id),
                    ..Default::default()
                })),
                frame_fully_processed: i == 2,
            })
        }))
    });
    mock.on::<rpc::PostModelOutputs, _, _>(|_| async {
        let mut out = output_for("llm", 0);
        out.outputs[0].cached_tokens = 42;
        Ok(out)
    });
    mock.on::<rpc::DeleteModelMigration, _, _>(|_| async {
        Ok(api::SingleModelResponse {
            status: success(),
            ..Default::default()
        })
    });

    let items: Vec<_> = client
        .stream_annotations(api::StreamAnnotationsRequest {
            input_id: "video".into(),
            frame_time_start: far,
            max_duration: far + 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .map(|item| item.unwrap())
        .collect()
        .await;
    let ids: Vec<&str> = items
        .iter()
        .map(|i| i.annotation.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(ids, ["video-0", "video-1", "video-2"]);
    assert!(items[2].frame_fully_processed);
    assert_eq!(items[0].status.as_ref().unwrap().http_status_code, 200);
    let sent = &mock.requests::<rpc::StreamAnnotations>()[0];
    assert_eq!((sent.frame_time_start, sent.max_duration), (far, far + 1));
    assert_eq!(sent.user_app_id.as_ref().unwrap().app_id, "app");

    let predicted = client
        .post_model_outputs(predict_request("llm"))
        .await
        .unwrap();
    assert_eq!(predicted.outputs[0].cached_tokens, 42);

    client
        .delete_model_migration(api::DeleteModelMigrationRequest {
            model_id: "m".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        mock.requests::<rpc::DeleteModelMigration>()[0].model_id,
        "m"
    );
}

#[tokio::test]
async fn unregistered_rpc_is_unimplemented() {
    let mock = MockV2::start().await.unwrap();
    let mut client = raw_client(&mock).await;
    let status = client
        .list_apps(api::ListAppsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unimplemented);
    assert!(
        status.message().contains("ListApps"),
        "{}",
        status.message()
    );
    assert_eq!(mock.calls_to::<rpc::ListApps>().len(), 1);
}

/// A debug-build call on a 2 MiB thread (the default test-thread size) must not overflow: the
/// runtime, the client and MockV2 all run on this one thread.
#[test]
fn calls_fit_in_a_2_mib_stack() {
    let worker = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let (mock, client) = Fixture::new().start().await;
                serve(&mock);
                let response = client
                    .post_model_outputs(predict_request("general"))
                    .await
                    .unwrap();
                assert_eq!(response.outputs[0].id, "general-0");
                let got = stream_all(&client, ["x", "y"].map(predict_request).into()).await;
                assert_eq!(got.len(), 2);
                assert!(got.iter().all(Result::is_ok));
                let mut raw = raw_client(&mock).await;
                let raw_response = raw
                    .post_model_outputs(predict_request("raw"))
                    .await
                    .unwrap();
                assert_eq!(raw_response.into_inner().outputs[0].id, "raw-0");
            });
        })
        .unwrap();
    worker
        .join()
        .expect("the call overflowed or panicked on a 2 MiB stack");
}

#[tokio::test]
async fn mock_serves_many_connections_and_stops_on_drop() {
    let mock = MockV2::start().await.unwrap();
    serve(&mock);
    let addr = mock.addr();
    let mut a = raw_client(&mock).await;
    let mut b = raw_client(&mock).await;
    a.list_models(api::ListModelsRequest::default())
        .await
        .unwrap();
    b.list_models(api::ListModelsRequest::default())
        .await
        .unwrap();
    assert_eq!(mock.call_count(), 2);
    // A connection open when the mock is dropped is closed by the server (read gives EOF or
    // an error), within a hang guard: checked on a connection, not on the port, which a
    // parallel test may take as soon as it is free.
    let mut open = tokio::net::TcpStream::connect(addr).await.unwrap();
    drop(mock);
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match tokio::io::AsyncReadExt::read(&mut open, &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => continue, // the server's HTTP/2 preface
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "MockV2 kept a connection open after drop");
}
