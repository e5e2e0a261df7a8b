//! Model methods against MockV2: discovery (GetModel, GetModelVersion, the `_GET_SIGNATURES`
//! fallback, the cache, an old-style model), bad calls refused before anything is sent, a typed
//! answer, and deployment and nodepool targeting (the warm-up is in warm_up.rs).

use clarifai_tonic::api::model_type_field::DataType;
use clarifai_tonic::api::status::StatusCode;
use clarifai_tonic::api::{self, Input};
use clarifai_tonic::methods::{MethodError, MethodKind};
use clarifai_tonic::{Error, rpc, stream};

use crate::support::fixture::{Fixture, status};
use crate::support::methods::{answer, llm, serve_signatures};

fn method_error(e: &Error) -> &MethodError {
    match e {
        Error::Method(m) => m,
        other => panic!("expected a method error, got {other:?}"),
    }
}

#[tokio::test]
async fn signatures_come_from_get_model_once_per_handle() {
    let (mock, client) = Fixture::fast().start().await;
    serve_signatures(&mock, llm());
    let model = client.model("owner/app/llm").unwrap();
    let names: Vec<String> = model
        .methods()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["predict", "generate", "stream"]);
    model.clone().methods().await.unwrap(); // a clone shares the cache
    assert_eq!(mock.calls_to::<rpc::GetModel>().len(), 1);
    assert_eq!(mock.calls_to::<rpc::GetModelVersion>().len(), 0);

    // A pinned version asks GetModelVersion, for that version.
    let pinned = model.version("v1");
    pinned.methods().await.unwrap();
    let asked = &mock.requests::<rpc::GetModelVersion>()[0];
    assert_eq!(
        (asked.model_id.as_str(), asked.version_id.as_str()),
        ("llm", "v1")
    );
    assert_eq!(asked.user_app_id.as_ref().unwrap().app_id, "app");
}

#[tokio::test]
async fn without_listed_signatures_the_model_itself_is_asked() {
    let (mock, client) = Fixture::fast().start().await;
    mock.fail::<rpc::GetModel>(StatusCode::ModelDoesNotExist, "not here");
    let json = r#"{"predict": {"name": "predict", "methodType": "UNARY_UNARY",
        "inputFields": [{"name": "prompt", "type": "STR", "required": true}],
        "outputFields": [{"name": "return", "type": "STR"}]}}"#;
    mock.on::<rpc::PostModelOutputs, _, _>(move |request| {
        let asked = request.into_inner().inputs[0].data.clone().unwrap();
        let name = asked.metadata.unwrap().fields["_method_name"].clone();
        let mut response = answer("");
        let output = &mut response.outputs[0];
        output.data = Some(Box::new(api::Data {
            text: Some(Box::new(api::Text::raw(json))),
            ..Default::default()
        }));
        assert_eq!(
            name.kind,
            Some(prost_types::value::Kind::StringValue(
                "_GET_SIGNATURES".into()
            ))
        );
        assert_eq!(asked.parts.len(), 1, "one empty part, as the SDK sends");
        async move { Ok(response) }
    });
    let methods = client.model("me/app/llm").unwrap().methods().await.unwrap();
    assert_eq!(methods.len(), 1);
    assert_eq!(methods[0].input_fields[0].r#type, DataType::Str as i32);
    assert_eq!(MethodKind::of(&methods[0]), MethodKind::Predict);
}

#[tokio::test]
async fn a_model_without_signatures_is_an_old_style_model_that_still_predicts() {
    let (mock, client) = Fixture::fast().start().await;
    serve_signatures(&mock, vec![]);
    mock.on::<rpc::PostModelOutputs, _, _>(|request| {
        let data = request.into_inner().inputs[0]
            .data
            .clone()
            .unwrap_or_default();
        let asks = data
            .metadata
            .is_some_and(|m| m.fields.contains_key("_method_name"));
        async move {
            Ok(match asks {
                true => api::MultiOutputResponse {
                    status: status(StatusCode::InputUnsupportedFormat, "unsupported"),
                    ..Default::default()
                },
                false => answer("a cat"),
            })
        }
    });
    let model = client.model("me/app/classic").unwrap();
    let e = model.methods().await.unwrap_err();
    assert!(matches!(method_error(&e), MethodError::NoSignatures { model } if model == "classic"));
    assert!(e.to_string().contains("old-style model"), "{e}");
    let e = model
        .method("predict")
        .arg("prompt", "x")
        .predict()
        .await
        .unwrap_err();
    assert!(matches!(method_error(&e), MethodError::NoSignatures { .. }));
    let outputs = model.predict(Input::from_text("hi")).await.unwrap();
    assert_eq!(outputs.len(), 1);
}

#[tokio::test]
async fn bad_calls_are_refused_before_anything_is_sent() {
    let (mock, client) = Fixture::fast().start().await;
    serve_signatures(&mock, llm());
    mock.respond::<rpc::PostModelOutputs>(answer("never"));
    let model = client.model("me/app/llm").unwrap();

    let e = model
        .method("predict")
        .arg("temperature", 0.2)
        .predict()
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "predict: missing required argument \"prompt\"; the method is \
         `def predict(prompt: str, temperature: float = 0.7) -> str:`"
    );
    let e = model
        .method("predict")
        .arg("prompt", "x")
        .arg("top_k", 3)
        .predict()
        .await
        .unwrap_err();
    let MethodError::UnknownArgument {
        argument, accepted, ..
    } = method_error(&e)
    else {
        panic!("{e:?}")
    };
    assert_eq!(
        (argument.as_str(), accepted.clone()),
        ("top_k", vec!["prompt".into(), "temperature".into()])
    );
    let e = model
        .method("predict")
        .arg("prompt", "x")
        .arg("temperature", "hot")
        .predict()
        .await
        .unwrap_err();
    let MethodError::WrongType {
        argument,
        expected,
        given,
        ..
    } = method_error(&e)
    else {
        panic!("{e:?}")
    };
    assert_eq!(
        (argument.as_str(), expected.as_str(), given.as_str()),
        ("temperature", "float", "str")
    );
    let e = model.method("chat").predict().await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "model \"llm\" has no method \"chat\"; its methods: predict, generate, stream"
    );
    let e = model
        .method("predict")
        .arg("prompt", "x")
        .generate()
        .await
        .err()
        .unwrap();
    let MethodError::WrongKind { kind, called, .. } = method_error(&e) else {
        panic!("{e:?}")
    };
    assert_eq!((*kind, *called), (MethodKind::Predict, "generate"));
    let e = model
        .method("stream")
        .stream("chunk", stream::iter(["a"]))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(method_error(&e), MethodError::NotTheStreamArgument { expected, .. } if expected == "chunks")
    );
    let e = model
        .method("predict")
        .args(&[1, 2])
        .predict()
        .await
        .unwrap_err();
    assert!(
        matches!(method_error(&e), MethodError::BadArgs { .. }),
        "{e:?}"
    );

    assert!(
        mock.calls_to::<rpc::PostModelOutputs>().is_empty(),
        "nothing was sent"
    );
    assert!(mock.calls_to::<rpc::GenerateModelOutputs>().is_empty());
    assert!(mock.calls_to::<rpc::StreamModelOutputs>().is_empty());
}

#[tokio::test]
async fn a_call_sends_its_arguments_and_reads_the_answer() {
    #[derive(serde::Serialize)]
    struct Ask<'a> {
        prompt: &'a str,
        temperature: Option<f64>,
    }
    let (mock, client) = Fixture::fast().start().await;
    serve_signatures(&mock, llm());
    mock.respond::<rpc::PostModelOutputs>(answer("purr"));
    let model = client.model("me/app/llm").unwrap().temperature(0.1);
    let text: String = model
        .method("predict")
        .arg("prompt", "cat?")
        .predict()
        .await
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(text, "purr");
    let typed: String = model
        .method("predict")
        .args(&Ask {
            prompt: "dog?",
            temperature: None,
        })
        .predict_as()
        .await
        .unwrap();
    assert_eq!(typed, "purr");

    let sent = mock.requests::<rpc::PostModelOutputs>();
    let data = sent[0].inputs[0].data.as_ref().unwrap();
    assert_eq!(data.parts.len(), 1, "the default temperature is not sent");
    assert_eq!(data.parts[0].id, "prompt");
    assert_eq!(
        data.metadata.as_ref().unwrap().fields["_method_name"].kind,
        Some(prost_types::value::Kind::StringValue("predict".into()))
    );
    assert!(sent[0].model.is_some(), "the handle's options still travel");
    let data = sent[1].inputs[0].data.as_ref().unwrap();
    assert_eq!(data.parts[0].data.as_ref().unwrap().string_value, "dog?");
    // An int where a str is wanted is refused by type, even through serde.
    let e = model
        .method("predict")
        .args(&serde_json::json!({"prompt": 3}))
        .predict()
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "predict: argument prompt expects str, got JSON (number)"
    );
}

#[tokio::test]
async fn a_deployment_or_a_nodepool_is_on_every_call() {
    let (mock, client) = Fixture::fast().start().await;
    serve_signatures(&mock, llm());
    mock.respond::<rpc::PostModelOutputs>(answer("ok"));
    let model = client.model("owner/app/llm").unwrap();

    model
        .clone()
        .deployment("dep")
        .method("predict")
        .arg("prompt", "x")
        .predict()
        .await
        .unwrap();
    model
        .clone()
        .deployment("dep")
        .deployment_user("team")
        .predict(Input::from_text("x"))
        .await
        .unwrap();
    model
        .clone()
        .nodepool("cc", "np")
        .method("predict")
        .arg("prompt", "x")
        .predict()
        .await
        .unwrap();
    let sent = mock.requests::<rpc::PostModelOutputs>();
    let deployment = sent[0]
        .runner_selector
        .as_ref()
        .unwrap()
        .deployment
        .as_ref()
        .unwrap();
    // The owner defaults to the credentials' user, as the SDK asks for the PAT's own user.
    assert_eq!(
        (deployment.id.as_str(), deployment.user_id.as_str()),
        ("dep", "me")
    );
    let deployment = sent[1]
        .runner_selector
        .as_ref()
        .unwrap()
        .deployment
        .as_ref()
        .unwrap();
    assert_eq!(deployment.user_id, "team");
    let nodepool = sent[2]
        .runner_selector
        .as_ref()
        .unwrap()
        .nodepool
        .as_ref()
        .unwrap();
    let cluster = nodepool.compute_cluster.as_ref().unwrap();
    assert_eq!(
        (
            nodepool.id.as_str(),
            cluster.id.as_str(),
            cluster.user_id.as_str()
        ),
        ("np", "cc", "me")
    );

    mock.clear_calls();
    let both = model.deployment("dep").nodepool("cc", "np");
    let e = both
        .method("predict")
        .arg("prompt", "x")
        .predict()
        .await
        .unwrap_err();
    assert!(
        matches!(method_error(&e), MethodError::DeploymentAndNodepool { .. }),
        "{e:?}"
    );
    let e = both.predict(Input::from_text("x")).await.unwrap_err();
    assert!(
        matches!(method_error(&e), MethodError::DeploymentAndNodepool { .. }),
        "{e:?}"
    );
    assert_eq!(mock.call_count(), 0, "nothing was sent");
}
