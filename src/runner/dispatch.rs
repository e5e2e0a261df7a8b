//! A request run by a [`Model`], as the SDK's `ModelClass` wrappers run one: the method named in
//! `inputs[0].data.metadata["_method_name"]`, its arguments read from the parts, each answer in a
//! `return` part of an output with status SUCCESS. Both servings of a model share it: the local
//! model server ([`super::local`]) and the runner ([`super::item`]), which differ only in how they
//! report a failure.

use std::sync::Arc;

use futures_util::stream::BoxStream;
use std::borrow::Cow;
use std::panic::AssertUnwindSafe;

use futures_util::{FutureExt, Stream, StreamExt};
use tokio::sync::mpsc;

use super::model::{Args, Handler, HandlerError, Method, Model};
use super::old_format;
use crate::Value;
use crate::api::status::{Status, StatusCode};
use crate::api::{self, MethodSignature};
use crate::methods::{GET_SIGNATURES, METHOD_NAME_KEY, decode, encode_part, or_empty};

/// One response of the model's, or why the call failed (which ends a stream of them).
pub(crate) type Reply = Result<api::MultiOutputResponse, String>;

/// A failed call, as the SDK's model wrappers answer one (and so its local model server and its
/// runner): FAILURE, with the cause in `details` (where the SDK adds Python's stack trace), and in
/// `internal_details`.
pub(crate) fn failure(cause: String) -> api::MultiOutputResponse {
    api::MultiOutputResponse {
        status: Some(Status {
            code: StatusCode::Failure as i32,
            details: cause.clone(),
            internal_details: cause,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The request's first input's data (empty when it has none).
fn first_data(request: &api::PostModelOutputsRequest) -> &api::Data {
    or_empty(request.inputs.first().and_then(|i| i.data.as_deref()))
}

/// The method named in `inputs[0].data.metadata["_method_name"]`, else `fallback`.
fn method_name(request: &api::PostModelOutputsRequest, fallback: &str) -> String {
    let metadata = first_data(request).metadata.as_ref();
    match metadata.and_then(|m| m.fields.get(METHOD_NAME_KEY)?.kind.clone()) {
        Some(prost_types::value::Kind::StringValue(name)) => name,
        _ => fallback.to_owned(),
    }
}

/// A status with only its code, as the SDK's wrappers write one.
pub(crate) fn code_only(code: StatusCode) -> Option<Status> {
    Some(Status {
        code: code as i32,
        ..Default::default()
    })
}

/// A response of `outputs` with status SUCCESS.
fn answered(outputs: Vec<api::Output>) -> api::MultiOutputResponse {
    api::MultiOutputResponse {
        status: code_only(StatusCode::Success),
        outputs,
        ..Default::default()
    }
}

/// One output holding `value` as the method's `return` (inlined, for an input in the old
/// format, as the SDK answers one).
fn output(sig: &MethodSignature, value: Value, old: bool) -> Result<api::Output, String> {
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
    let mut output = api::Output {
        status: code_only(StatusCode::Success),
        data: Some(Box::new(api::Data {
            parts: vec![part],
            ..Default::default()
        })),
        ..Default::default()
    };
    if old {
        old_format::old_format(&mut output);
    }
    Ok(output)
}

/// The arguments in `data`, read as the SDK's model reads them: each by its part, else its
/// default; a stream method's streaming argument is not among them (its values are the
/// handler's stream). Data in the old format (no parts) is first converted as the SDK converts
/// it ([`old_format::new_format`]); the data they were read from comes back too, owned exactly
/// when it was converted (see [`converted`]).
fn arguments<'a>(
    method: &Method,
    sig: &MethodSignature,
    data: &'a api::Data,
) -> Result<(Args, Cow<'a, api::Data>), String> {
    let data = old_format::new_format(data, &sig.input_fields)?;
    let mut values = Vec::new();
    for (field, arg) in sig.input_fields.iter().zip(&method.args) {
        if arg.stream {
            continue; // its values come as the handler's stream
        }
        let part = data.parts.iter().find(|p| p.id == field.name);
        let value = match part {
            Some(part) => Some(decode(field, or_empty(part.data.as_deref()), &field.name)?),
            None => None,
        };
        match (value, &arg.default) {
            (Some(value), _) => values.push((field.name.clone(), value)),
            (None, Some(default)) => values.push((field.name.clone(), default.clone())),
            (None, None) => return Err(format!("Missing required field: {}", field.name)),
        }
    }
    Ok((Args { values }, data))
}

/// Whether the data came in the old format: its answers then go back in it too. (The `Cow`
/// itself is the question, not the data it holds.)
#[allow(clippy::ptr_arg)]
fn converted(data: &Cow<'_, api::Data>) -> bool {
    matches!(data, Cow::Owned(_))
}

/// `_GET_SIGNATURES`'s answer: the signatures as JSON, in protobuf's JSON form.
fn signatures(model: &Model) -> api::MultiOutputResponse {
    let text = super::json::signatures_json(&model.signatures());
    answered(vec![api::Output {
        status: code_only(StatusCode::Success),
        data: Some(Box::new(api::Data {
            text: Some(Box::new(api::Text::raw(text))),
            ..Default::default()
        })),
        ..Default::default()
    }])
}

fn find<'a>(model: &'a Model, name: &str) -> Result<&'a Method, String> {
    model
        .methods
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| format!("Method {name} not found in model class"))
}

/// Why a handler panicked, as its failure's cause.
fn panicked(payload: Box<dyn std::any::Any + Send>) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned());
    format!("the handler panicked: {message}")
}

/// A handler's answer, its panic (making the future, or polling it) a failure like any other:
/// a model that panics answers FAILURE, as a Python model that raises, and the runner goes on.
async fn guarded<F>(make: impl FnOnce() -> F) -> Result<Value, String>
where
    F: std::future::Future<Output = Result<Value, HandlerError>>,
{
    let future = std::panic::catch_unwind(AssertUnwindSafe(make)).map_err(panicked)?;
    let answer = AssertUnwindSafe(future).catch_unwind().await;
    answer.map_err(panicked)?.map_err(|HandlerError(e)| e)
}

/// A handler's answers, a panic the last of them, as a failure.
fn guarded_stream(
    make: impl FnOnce() -> BoxStream<'static, Result<Value, HandlerError>>,
) -> BoxStream<'static, Result<Value, HandlerError>> {
    match std::panic::catch_unwind(AssertUnwindSafe(make)) {
        Ok(answers) => AssertUnwindSafe(answers)
            .catch_unwind()
            .map(|answer| answer.unwrap_or_else(|p| Err(HandlerError(panicked(p)))))
            .boxed(),
        Err(p) => futures_util::stream::once(async move { Err(HandlerError(panicked(p))) }).boxed(),
    }
}

/// A predict call: one output per input.
pub(crate) async fn predict(model: &Model, request: api::PostModelOutputsRequest) -> Reply {
    let name = method_name(&request, "predict");
    if name == GET_SIGNATURES {
        return Ok(signatures(model));
    }
    let method = find(model, &name)?;
    let Handler::Predict(handler) = &method.handler else {
        return Err(format!("{name} is not a predict method"));
    };
    let sig = method.signature();
    let mut outputs = Vec::with_capacity(request.inputs.len());
    for input in &request.inputs {
        let (args, data) = arguments(method, &sig, or_empty(input.data.as_deref()))?;
        let value = guarded(|| handler(args)).await?;
        outputs.push(output(&sig, value, converted(&data))?);
    }
    Ok(answered(outputs))
}

/// Each answer of a stream of them as one response; a failure is the last.
fn responses(
    sig: MethodSignature,
    answers: BoxStream<'static, Result<Value, HandlerError>>,
    old: bool,
) -> BoxStream<'static, Reply> {
    let mut replies = answers.map(move |answer| {
        let value = answer.map_err(|HandlerError(e)| e)?;
        Ok(answered(vec![output(&sig, value, old)?]))
    });
    // Over at the first failure, without asking the handler for more (it may never answer).
    let mut failed = false;
    futures_util::stream::poll_fn(move |cx| {
        if failed {
            return std::task::Poll::Ready(None);
        }
        let reply = std::task::ready!(replies.poll_next_unpin(cx));
        failed = matches!(reply, Some(Err(_)));
        std::task::Poll::Ready(reply)
    })
    .boxed()
}

/// Whether an inlined value is one the SDK takes for no value at all (its `_ZERO_VALUE_IDS`:
/// `None`, `''`, `b''`, `0`, `False`; a float 0.0 is a new object there, so a value).
fn is_zero(value: &Value) -> bool {
    match value {
        Value::None | Value::Int(0) | Value::Bool(false) => true,
        Value::Str(s) => s.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        _ => false,
    }
}

/// The SDK's check that a generate or stream call has exactly one input.
fn one_input(request: &api::PostModelOutputsRequest, kind: &str) -> Result<(), String> {
    match request.inputs.len() {
        1 => Ok(()),
        _ => Err(format!("{kind} requires exactly one input")),
    }
}

/// A generate call: a response per answer.
pub(crate) fn generate(
    model: Arc<Model>,
    request: api::PostModelOutputsRequest,
) -> BoxStream<'static, Reply> {
    let name = method_name(&request, "generate");
    let started = one_input(&request, "Generate")
        .and_then(|()| find(&model, &name))
        .and_then(|method| {
            let Handler::Generate(handler) = &method.handler else {
                return Err(format!("{name} is not a generate method"));
            };
            let sig = method.signature();
            let (args, data) = arguments(method, &sig, first_data(&request))?;
            let old = converted(&data);
            Ok(responses(sig, guarded_stream(|| handler(args)), old))
        });
    started.unwrap_or_else(|e| futures_util::stream::once(async move { Err(e) }).boxed())
}

/// A stream call: the first request names the method and holds every argument; each later one
/// holds only a next value of the streaming argument.
pub(crate) fn stream(
    model: Arc<Model>,
    incoming: impl Stream<Item = api::PostModelOutputsRequest> + Send + 'static,
) -> BoxStream<'static, Reply> {
    let (tx, rx) = mpsc::channel::<Reply>(8);
    tokio::spawn(async move {
        let mut incoming = Box::pin(incoming);
        let Some(first) = incoming.next().await else {
            return;
        };
        let name = method_name(&first, "stream");
        // A later value that cannot be read ends the input, and the call with its failure.
        let bad_value: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
        let slot = bad_value.clone();
        let started = one_input(&first, "Streaming")
            .and_then(|()| find(&model, &name))
            .and_then(|method| {
                let Handler::Stream(handler) = &method.handler else {
                    return Err(format!("{name} is not a stream method"));
                };
                let sig = method.signature();
                let position = sig
                    .input_fields
                    .iter()
                    .position(|f| f.iterator)
                    .ok_or_else(|| format!("{name} declares no streaming argument"))?;
                let field = sig.input_fields[position].clone();
                let stream_name = field.name.clone();
                // A value: its part, else the value inlined in the data (as the SDK reads a stream's
                // later requests); none is the SDK's KeyError.
                let value_of = move |data: &api::Data| -> Result<Value, String> {
                    if let Some(part) = data.parts.iter().find(|p| p.id == field.name) {
                        return decode(&field, or_empty(part.data.as_deref()), &field.name);
                    }
                    match decode(&field, data, &field.name)? {
                        value if is_zero(&value) => Err(format!("'{}'", field.name)),
                        value => Ok(value),
                    }
                };
                // The first value is in the first request (converted, if in the old format).
                let (args, data) = arguments(method, &sig, first_data(&first))?;
                let old = converted(&data);
                let has_part = data.parts.iter().any(|p| p.id == stream_name);
                if !has_part && position != 0 {
                    return Err(format!("Missing required field: {stream_name}"));
                }
                let head = value_of(&data)?;
                let later = incoming
                    .map(move |r| value_of(first_data(&r)))
                    .take_while(move |value| {
                        if let Err(e) = value
                            && let Ok(mut slot) = slot.lock()
                        {
                            *slot = Some(e.clone());
                        }
                        futures_util::future::ready(value.is_ok())
                    })
                    .filter_map(|value| futures_util::future::ready(value.ok()));
                let values = futures_util::stream::once(async move { head })
                    .chain(later)
                    .boxed();
                Ok(responses(
                    sig,
                    guarded_stream(|| handler(args, values)),
                    old,
                ))
            });
        let late_failure = futures_util::stream::once(async move {
            bad_value.lock().ok().and_then(|mut slot| slot.take())
        })
        .filter_map(|failure| futures_util::future::ready(failure.map(Err)));
        let mut replies = match started {
            Ok(replies) => replies.chain(late_failure).boxed(),
            Err(e) => futures_util::stream::once(async move { Err(e) }).boxed(),
        };
        // The caller gone (or the item cancelled), the work stops at once, not at its next answer.
        loop {
            let reply = tokio::select! {
                reply = replies.next() => reply,
                () = tx.closed() => None,
            };
            let Some(reply) = reply else { break };
            let failed = reply.is_err();
            if tx.send(reply).await.is_err() || failed {
                break; // a failure is the last reply
            }
        }
    });
    let mut rx = rx;
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}
