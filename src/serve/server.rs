//! The local model server: `PostModelOutputs`, `GenerateModelOutputs` and `StreamModelOutputs`
//! answered by a [`Model`]'s methods, as the SDK's `python -m clarifai.runners.server --grpc`
//! answers them, so that the SDK's own `ModelClient.from_local_grpc(port)` (and this crate's
//! [`ClarifaiClient::local`](crate::ClarifaiClient::local)) can list and call every method.

use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;

use super::model::{Args, Handler, HandlerError, Method, Model};
use crate::api::status::{Status, StatusCode};
use crate::api::{self, MethodSignature};
use crate::methods::{decode, encode_part, or_empty};
use crate::mock::MockV2;
use crate::{Value, rpc};

/// A model served on a port; stops when dropped.
#[derive(Debug)]
pub struct LocalServer {
    server: MockV2,
}

impl LocalServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Its URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }
}

/// Serves `model` on `addr` (`127.0.0.1:0` for a free port): the twin of the SDK's
/// `python -m clarifai.runners.server --grpc`. Any other rpc answers UNIMPLEMENTED.
pub async fn serve(model: Model, addr: SocketAddr) -> std::io::Result<LocalServer> {
    // The V2 server engine of MockV2, without its recording: a long-running server keeps
    // nothing per call.
    let server = MockV2::start_on(addr).await?;
    server.set_recording(false);
    server.set_fill_status(false);
    let model = Arc::new(model);
    let m = model.clone();
    server.on::<rpc::PostModelOutputs, _, _>(move |request| {
        let model = m.clone();
        async move { Ok(predict(&model, request.into_inner()).await) }
    });
    let m = model.clone();
    server.on_server_stream::<rpc::GenerateModelOutputs, _, _>(move |request| {
        generate(m.clone(), request.into_inner()).map(Ok)
    });
    let m = model;
    server.on_bidi::<rpc::StreamModelOutputs, _, _>(move |request| {
        let incoming = request.into_inner().filter_map(|r| async move { r.ok() });
        stream(m.clone(), incoming).map(Ok)
    });
    Ok(LocalServer { server })
}

/// The request's first input's data (empty when it has none).
fn first_data(request: &api::PostModelOutputsRequest) -> &api::Data {
    or_empty(request.inputs.first().and_then(|i| i.data.as_deref()))
}

/// The method named in `inputs[0].data.metadata["_method_name"]`, else `fallback`.
fn method_name(request: &api::PostModelOutputsRequest, fallback: &str) -> String {
    let metadata = first_data(request).metadata.as_ref();
    match metadata.and_then(|m| m.fields.get("_method_name")?.kind.clone()) {
        Some(prost_types::value::Kind::StringValue(name)) => name,
        _ => fallback.to_owned(),
    }
}

/// A failed answer: MODEL_PREDICTION_FAILED, with the cause in `details` and
/// `internal_details`, as the SDK's servicer reports an exception.
fn failed(cause: impl std::fmt::Display) -> api::MultiOutputResponse {
    let cause = cause.to_string();
    api::MultiOutputResponse {
        status: Some(Status {
            code: StatusCode::ModelPredictionFailed as i32,
            description: "Model prediction failed".into(),
            details: cause.clone(),
            internal_details: cause,
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn success() -> Option<Status> {
    Some(Status {
        code: StatusCode::Success as i32,
        description: "Ok".into(),
        ..Default::default()
    })
}

/// One output holding `value` as the method's `return`.
fn output(sig: &MethodSignature, value: Value) -> Result<api::Output, String> {
    let field = sig
        .output_fields
        .first()
        .ok_or_else(|| format!("{} has no output field", sig.name))?;
    let part = encode_part(field, value, field.name.clone(), &field.name).map_err(|m| {
        format!(
            "{} returned {}, where its signature says {}",
            sig.name, m.given, m.expected
        )
    })?;
    Ok(api::Output {
        status: success(),
        data: Some(Box::new(api::Data {
            parts: vec![part],
            ..Default::default()
        })),
        ..Default::default()
    })
}

/// The arguments in `data`, read as the SDK's model reads them: each by its part, else the first
/// inlined (a plain text reaches the first `str` argument), else its default; a stream method's
/// streaming argument is left to the caller.
fn arguments(method: &Method, sig: &MethodSignature, data: &api::Data) -> Result<Args, String> {
    let mut values = Vec::new();
    for (i, (field, arg)) in sig.input_fields.iter().zip(&method.args).enumerate() {
        let part = data.parts.iter().find(|p| p.id == field.name);
        let value = match part {
            Some(part) => Some(decode(field, or_empty(part.data.as_deref()), &field.name)?),
            None if i == 0 && data.parts.is_empty() => {
                // An old-style input: its text is the first argument's.
                let text = data.text.as_ref().map(|t| t.raw.clone());
                match (
                    text,
                    field.r#type == api::model_type_field::DataType::Str as i32,
                ) {
                    (Some(text), true) => Some(Value::Str(text)),
                    _ => Some(decode(field, data, &field.name)?).filter(|v| !v.is_none()),
                }
            }
            None => None,
        };
        match (value, &arg.default) {
            (Some(value), _) => values.push((field.name.clone(), value)),
            (None, Some(default)) => values.push((field.name.clone(), default.clone())),
            (None, None) if arg.stream => {}
            (None, None) => return Err(format!("Missing required field: {}", field.name)),
        }
    }
    Ok(Args { values })
}

/// `_GET_SIGNATURES`'s answer: the signatures as JSON, in protobuf's JSON form.
fn signatures(model: &Model) -> api::MultiOutputResponse {
    let text = super::json::signatures_json(&model.signatures());
    api::MultiOutputResponse {
        status: success(),
        outputs: vec![api::Output {
            status: success(),
            data: Some(Box::new(api::Data {
                text: Some(Box::new(api::Text::raw(text))),
                ..Default::default()
            })),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn find<'a>(model: &'a Model, name: &str) -> Result<&'a Method, String> {
    model
        .methods
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| format!("Method {name} not found in model class"))
}

async fn predict(model: &Model, request: api::PostModelOutputsRequest) -> api::MultiOutputResponse {
    let name = method_name(&request, "predict");
    if name == "_GET_SIGNATURES" {
        return signatures(model);
    }
    let method = match find(model, &name) {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    let Handler::Predict(handler) = &method.handler else {
        return failed(format!("{name} is not a predict method"));
    };
    let sig = method.signature();
    let mut outputs = Vec::with_capacity(request.inputs.len());
    for input in &request.inputs {
        let data = or_empty(input.data.as_deref());
        let answer = match arguments(method, &sig, data) {
            Ok(args) => handler(args).await.map_err(|HandlerError(e)| e),
            Err(e) => Err(e),
        };
        match answer.and_then(|value| output(&sig, value)) {
            Ok(out) => outputs.push(out),
            Err(e) => return failed(e),
        }
    }
    api::MultiOutputResponse {
        status: success(),
        outputs,
        ..Default::default()
    }
}

/// Each answer of a stream of them as one response, a failure ending it.
fn responses(
    sig: MethodSignature,
    answers: BoxStream<'static, Result<Value, HandlerError>>,
) -> BoxStream<'static, api::MultiOutputResponse> {
    answers
        .map(
            move |answer| match answer.map_err(|e| e.0).and_then(|v| output(&sig, v)) {
                Ok(out) => api::MultiOutputResponse {
                    status: success(),
                    outputs: vec![out],
                    ..Default::default()
                },
                Err(e) => failed(e),
            },
        )
        .scan(false, |failed_before, response| {
            let stop = *failed_before;
            *failed_before |=
                response.status.as_ref().map(|s| s.code) != Some(StatusCode::Success as i32);
            futures_util::future::ready((!stop).then_some(response))
        })
        .boxed()
}

fn generate(
    model: Arc<Model>,
    request: api::PostModelOutputsRequest,
) -> BoxStream<'static, api::MultiOutputResponse> {
    let name = method_name(&request, "generate");
    let started = find(&model, &name).and_then(|method| {
        let Handler::Generate(handler) = &method.handler else {
            return Err(format!("{name} is not a generate method"));
        };
        let sig = method.signature();
        let args = arguments(method, &sig, first_data(&request))?;
        Ok(responses(sig, handler(args)))
    });
    started.unwrap_or_else(|e| futures_util::stream::once(async move { failed(e) }).boxed())
}

fn stream(
    model: Arc<Model>,
    incoming: impl Stream<Item = api::PostModelOutputsRequest> + Send + 'static,
) -> BoxStream<'static, api::MultiOutputResponse> {
    let (tx, rx) = mpsc::channel::<api::MultiOutputResponse>(8);
    tokio::spawn(async move {
        let mut incoming = Box::pin(incoming);
        let Some(first) = incoming.next().await else {
            return;
        };
        let name = method_name(&first, "stream");
        let started = find(&model, &name).and_then(|method| {
            let Handler::Stream(handler) = &method.handler else {
                return Err(format!("{name} is not a stream method"));
            };
            let sig = method.signature();
            let field = sig
                .input_fields
                .iter()
                .find(|f| f.iterator)
                .cloned()
                .ok_or_else(|| format!("{name} declares no streaming argument"))?;
            let value_of = move |request: &api::PostModelOutputsRequest| -> Option<Value> {
                let part = first_data(request)
                    .parts
                    .iter()
                    .find(|p| p.id == field.name)?;
                decode(&field, or_empty(part.data.as_deref()), &field.name).ok()
            };
            let args = arguments(method, &sig, first_data(&first))?;
            let head = value_of(&first);
            let values = futures_util::stream::iter(head)
                .chain(incoming.filter_map(move |r| futures_util::future::ready(value_of(&r))))
                .boxed();
            Ok(responses(sig, handler(args, values)))
        });
        let mut answers = started
            .unwrap_or_else(|e| futures_util::stream::once(async move { failed(e) }).boxed());
        while let Some(answer) = answers.next().await {
            if tx.send(answer).await.is_err() {
                break; // the caller went away: stop the work
            }
        }
    });
    let mut rx = rx;
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}
