//! [`MethodCall`]: `model.method("name").arg(..).predict()`, `.generate()` and `.stream(..)`,
//! and the pure steps under them ([`method_input`], [`decode_output`]).

use std::sync::{Arc, Mutex};

use futures_core::Stream;
use futures_util::StreamExt;

use super::discovery::method_metadata;
use super::serialize::{Mismatch, decode_output as decode_fields, encode_part, or_empty};
use super::signature::python_signature;
use super::{MethodError, MethodKind, Value};
use crate::api::{self, MethodSignature, ModelTypeField};
use crate::{Error, ModelHandle, ResponseStream};

/// The `Input` the SDK sends to call `method` with `args`: each argument a part named after it,
/// in the signature's order, and the method's name in `data.metadata["_method_name"]`. Bad
/// arguments are refused here, before anything is sent.
///
/// ```
/// use clarifai_tonic::api::{MethodSignature, ModelTypeField, model_type_field::DataType};
/// use clarifai_tonic::{Value, methods::method_input};
/// let method = MethodSignature {
///     name: "predict".into(),
///     input_fields: vec![ModelTypeField {
///         name: "prompt".into(), r#type: DataType::Str as i32, required: true, ..Default::default()
///     }],
///     ..Default::default()
/// };
/// let input = method_input(&method, [("prompt", Value::from("hi"))]).unwrap();
/// let data = input.data.unwrap();
/// assert_eq!(data.parts[0].id, "prompt");
/// assert_eq!(data.parts[0].data.as_ref().unwrap().string_value, "hi");
/// let err = method_input(&method, [("promt", Value::from("hi"))]).unwrap_err();
/// assert_eq!(err.to_string(), r#"predict: unknown argument "promt"; it takes: prompt"#);
/// ```
pub fn method_input(
    method: &MethodSignature,
    args: impl IntoIterator<Item = (impl Into<String>, Value)>,
) -> Result<api::Input, MethodError> {
    let args: Vec<(String, Value)> = args.into_iter().map(|(k, v)| (k.into(), v)).collect();
    input(method, &method.input_fields, args)
}

/// The Input that calls `method` with `args` encoded by `fields` (all of the method's, or only
/// its streaming one for a stream's later values), named in `_method_name`.
fn input(
    method: &MethodSignature,
    fields: &[ModelTypeField],
    args: Vec<(String, Value)>,
) -> Result<api::Input, MethodError> {
    let mut data = encode_args(method, fields, args, None)?;
    data.metadata = Some(method_metadata(&method.name));
    Ok(api::Input::from_data(data))
}

/// An output's value, read by `method`'s output signature: the `return` part, or the value
/// inlined in the output's data.
pub fn decode_output(method: &MethodSignature, output: &api::Output) -> Result<Value, MethodError> {
    let data = or_empty(output.data.as_deref());
    decode_fields(&method.output_fields, data).map_err(|reason| MethodError::BadOutput {
        method: method.name.clone(),
        reason,
        output: Box::new(output.clone()),
    })
}

/// Encodes `args` by `fields`: unknown names, missing required arguments (but `optional`, the
/// streaming one, which comes later) and wrong types are refused.
fn encode_args(
    method: &MethodSignature,
    fields: &[ModelTypeField],
    args: Vec<(String, Value)>,
    optional: Option<&str>,
) -> Result<api::Data, MethodError> {
    let accepted = || method.input_fields.iter().map(|f| f.name.clone()).collect();
    if let Some((unknown, _)) = args
        .iter()
        .find(|(name, _)| !method.input_fields.iter().any(|f| &f.name == name))
    {
        return Err(MethodError::UnknownArgument {
            method: method.name.clone(),
            argument: unknown.clone(),
            accepted: accepted(),
        });
    }
    // The last value given for a name wins.
    let mut given: Vec<(String, Value)> = Vec::with_capacity(args.len());
    for (name, value) in args {
        match given.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => given.push((name, value)),
        }
    }
    let mut data = api::Data::default();
    for field in fields {
        let value = given
            .iter()
            .position(|(name, _)| *name == field.name)
            .map(|at| given.remove(at).1)
            .filter(|v| !v.is_none());
        let Some(value) = value else {
            if field.required && optional != Some(field.name.as_str()) {
                return Err(MethodError::MissingArgument {
                    method: method.name.clone(),
                    argument: field.name.clone(),
                    signature: python_signature(method),
                });
            }
            continue;
        };
        let part = encode_part(field, value, field.name.clone(), &field.name).map_err(
            |Mismatch {
                 path,
                 expected,
                 given,
             }| MethodError::WrongType {
                method: method.name.clone(),
                argument: path,
                expected,
                given,
            },
        )?;
        data.parts.push(part);
    }
    Ok(data)
}

/// A call of one of a model's methods, from [`ModelHandle::method`]: add arguments, then call it
/// as its kind asks ([`predict`](Self::predict), [`generate`](Self::generate) or
/// [`stream`](Self::stream)). Nothing is sent before the arguments check out against the
/// method's signature.
///
/// ```no_run
/// use clarifai_tonic::{StreamExt, Value};
/// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
/// let model = client.model("me/my-app/my-llm")?;
/// let answer = model.method("predict").arg("prompt", "What is a cat?").arg("temperature", 0.2).predict().await?;
/// println!("{}", String::try_from(answer)?);
/// let mut words = model.method("generate").arg("prompt", "Count to 3").generate().await?;
/// while let Some(word) = words.next().await {
///     print!("{}", String::try_from(word?)?);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a method call does nothing until it is predicted, generated or streamed"]
pub struct MethodCall {
    model: ModelHandle,
    method: String,
    args: Vec<(String, Value)>,
    bad_args: Option<String>,
}

impl ModelHandle {
    /// A call of the model's method `name`; see [`MethodCall`].
    pub fn method(&self, name: impl Into<String>) -> MethodCall {
        MethodCall {
            model: self.clone(),
            method: name.into(),
            args: Vec::new(),
            bad_args: None,
        }
    }
}

impl MethodCall {
    /// Adds an argument (a second value for the same name replaces the first).
    pub fn arg(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.args.push((name.into(), value.into()));
        self
    }

    /// Adds each field of `args` (a `#[derive(Serialize)]` struct, or a map) as an argument,
    /// converted by the method's signature; a `None` field is left out.
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// #[derive(serde::Serialize)]
    /// struct Ask<'a> { prompt: &'a str, temperature: f64, max_tokens: Option<u32> }
    /// let model = client.model("me/my-app/my-llm")?;
    /// let answer: String = model
    ///     .method("predict")
    ///     .args(&Ask { prompt: "Hi", temperature: 0.2, max_tokens: None })
    ///     .predict_as()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn args<T: serde::Serialize + ?Sized>(mut self, args: &T) -> Self {
        match serde_json::to_value(args) {
            Ok(serde_json::Value::Object(map)) => {
                for (name, value) in map {
                    if !value.is_null() {
                        self.args.push((name, Value::Json(value)));
                    }
                }
            }
            Ok(other) => {
                let got = Value::Json(other).type_name();
                self.bad_args = Some(format!("got {got}"));
            }
            Err(e) => self.bad_args = Some(e.to_string()),
        }
        self
    }

    /// The method's signature, once the call's own arguments and the handle's target check out.
    async fn find(&self) -> Result<MethodSignature, Error> {
        if let Some(reason) = &self.bad_args {
            return Err(MethodError::BadArgs {
                method: self.method.clone(),
                reason: reason.clone(),
            }
            .into());
        }
        self.model.check_target()?;
        let methods = self.model.signatures().await?;
        match methods.iter().find(|m| m.name == self.method) {
            Some(method) => Ok(method.clone()),
            None => Err(MethodError::UnknownMethod {
                model: self.model.id().to_owned(),
                method: self.method.clone(),
                available: methods.iter().map(|m| m.name.clone()).collect(),
            }
            .into()),
        }
    }

    /// [`find`](Self::find), checked to be of the kind `called` asks for.
    async fn signature(&self, called: &'static str) -> Result<MethodSignature, Error> {
        let method = self.find().await?;
        let kind = MethodKind::of(&method);
        if kind.call() != called {
            return Err(MethodError::WrongKind {
                method: self.method.clone(),
                kind,
                called,
            }
            .into());
        }
        Ok(method)
    }

    /// The PostModelOutputs request that [`predict`](Self::predict) or
    /// [`generate`](Self::generate) sends (to look at, or send by hand).
    pub async fn request(&self) -> Result<api::PostModelOutputsRequest, Error> {
        let method = self.find().await?;
        Ok(self
            .model
            .request(method_input(&method, self.args.clone())?))
    }

    /// Calls a predict method (UNARY_UNARY): its answer.
    pub async fn predict(self) -> Result<Value, Error> {
        let method = self.signature("predict").await?;
        let MethodCall { model, args, .. } = self;
        let input = method_input(&method, args)?;
        let response = model.post(model.request(input)).await?;
        let Some(output) = response.outputs.first() else {
            return Err(MethodError::BadOutput {
                method: method.name.clone(),
                reason: "the answer has no output".into(),
                output: Box::default(),
            }
            .into());
        };
        Ok(decode_output(&method, output)?)
    }

    /// [`predict`](Self::predict), with the answer converted through serde (by its JSON form:
    /// named fields as a struct, lists as a `Vec`, ...).
    pub async fn predict_as<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        let method = self.method.clone();
        let json = self.predict().await?.to_json()?;
        serde_json::from_value(json).map_err(|e| {
            MethodError::Conversion {
                method,
                reason: e.to_string(),
            }
            .into()
        })
    }

    /// Calls a generate method (UNARY_STREAMING): each value as the model yields it.
    pub async fn generate(self) -> Result<ResponseStream<Value>, Error> {
        let method = self.signature("generate").await?;
        let MethodCall { model, args, .. } = self;
        let input = method_input(&method, args)?;
        let answers = model.start_generate(model.request(input)).await?;
        Ok(values(answers, method))
    }

    /// Calls a stream method (STREAMING_STREAMING): `values` go as the argument `arg` (the
    /// method's streaming one), the first with the other arguments, each later one alone; each
    /// value comes back as the model yields it. A value of the wrong type stops the sending and
    /// ends the answers with the error.
    pub async fn stream<S, V>(self, arg: &str, values_in: S) -> Result<ResponseStream<Value>, Error>
    where
        S: Stream<Item = V> + Send + 'static,
        V: Into<Value>,
    {
        let method = self.signature("stream").await?;
        let Some(stream_field) = method.input_fields.iter().find(|f| f.iterator).cloned() else {
            return Err(MethodError::WrongKind {
                method: method.name.clone(),
                kind: MethodKind::of(&method),
                called: "stream",
            }
            .into());
        };
        if stream_field.name != arg {
            return Err(MethodError::NotTheStreamArgument {
                method: method.name.clone(),
                argument: arg.to_owned(),
                expected: stream_field.name.clone(),
            }
            .into());
        }
        let MethodCall {
            model, mut args, ..
        } = self;
        args.retain(|(name, _)| *name != stream_field.name);
        // Checked now, so that a bad argument fails before anything is sent.
        encode_args(&method, &method.input_fields, args.clone(), Some(arg))?;

        let failure: Arc<Mutex<Option<MethodError>>> = Arc::default();
        let slot = failure.clone();
        let (sig, handle) = (method.clone(), model.clone());
        let mut first = Some(args);
        let requests = values_in
            .map(move |item| {
                let item: Value = item.into();
                let name = stream_field.name.clone();
                let input = match first.take() {
                    Some(mut args) => {
                        args.push((name, item));
                        input(&sig, &sig.input_fields, args)
                    }
                    None => input(
                        &sig,
                        std::slice::from_ref(&stream_field),
                        vec![(name, item)],
                    ),
                };
                input.map(|input| handle.request(input))
            })
            .take_while(move |item| {
                if let Err(e) = item
                    && let Ok(mut slot) = slot.lock()
                {
                    *slot = Some(e.clone());
                }
                futures_util::future::ready(item.is_ok())
            })
            .filter_map(|item| futures_util::future::ready(item.ok()));
        let answers = match model.start_stream(requests).await {
            Ok(answers) => answers,
            // A value that did not encode stopped the sending: that is the error to report.
            Err(e) => {
                return Err(failure
                    .lock()
                    .ok()
                    .and_then(|mut f| f.take())
                    .map_or(e, Into::into));
            }
        };
        let tail =
            futures_util::stream::once(
                async move { failure.lock().ok().and_then(|mut f| f.take()) },
            )
            .filter_map(|e| async move { e.map(|e| Err(e.into())) });
        Ok(Box::pin(values(answers, method).chain(tail)))
    }
}

/// Each output of each answer, as its value.
fn values(
    answers: ResponseStream<api::MultiOutputResponse>,
    method: MethodSignature,
) -> ResponseStream<Value> {
    Box::pin(answers.flat_map(move |answer| {
        let items: Vec<Result<Value, Error>> = match answer {
            Ok(response) => response
                .outputs
                .iter()
                .map(|output| decode_output(&method, output).map_err(Error::from))
                .collect(),
            Err(e) => vec![Err(e)],
        };
        futures_util::stream::iter(items)
    }))
}
