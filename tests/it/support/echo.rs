//! The Rust twin of tests/interop/echo's Python model (and of the fixture's table), which the
//! local model server and the runner tests serve.

use clarifai_tonic::methods::NdArray;
use clarifai_tonic::runner::{Method, Model, Type};
use clarifai_tonic::{StreamExt, Value, stream};

fn upper(
    args: &clarifai_tonic::runner::Args,
) -> Result<String, clarifai_tonic::runner::HandlerError> {
    let prompt: String = args.take("prompt")?;
    let loud: bool = args.take("loud")?;
    let temperature: f64 = args.take("temperature")?;
    let max_tokens: i64 = args.take("max_tokens")?;
    let text = if loud { prompt.to_uppercase() } else { prompt };
    Ok(format!("{text}|{temperature:?}|{max_tokens}"))
}

/// The Rust twin of tests/interop/echo's Python model (and of the fixture's table).
pub fn echo() -> Model {
    Model::new()
        .method(
            Method::predict(
                "predict",
                |args| async move { Ok(Value::from(upper(&args)?)) },
            )
            .arg("prompt", Type::Str)
            .arg_default("temperature", Type::Float, 0.7)
            .arg_default("max_tokens", Type::Int, 16)
            .arg_default("loud", Type::Bool, false)
            .returns(Type::Str),
        )
        .method(
            Method::predict("scalars", |args| async move {
                let s: String = args.take("s")?;
                let mut b: Vec<u8> = args.take("b")?;
                b.push(b'!');
                let i: i64 = args.take("i")?;
                let f: f64 = args.take("f")?;
                let flag: bool = args.take("flag")?;
                Ok(Value::tuple([
                    Value::from(s + "!"),
                    Value::bytes(b),
                    Value::from(i + 1),
                    Value::from(f * 2.0),
                    Value::from(!flag),
                ]))
            })
            .arg("s", Type::Str)
            .arg("b", Type::Bytes)
            .arg("i", Type::Int)
            .arg("f", Type::Float)
            .arg("flag", Type::Bool)
            .returns(Type::Tuple(vec![
                Type::Str,
                Type::Bytes,
                Type::Int,
                Type::Float,
                Type::Bool,
            ])),
        )
        .method(
            Method::predict("array", |args| async move {
                let x: NdArray = args.take("x")?;
                let doubled: Vec<f32> = x.to_vec::<f32>()?.iter().map(|v| v * 2.0).collect();
                Ok(Value::NdArray(NdArray::new(x.shape().to_vec(), &doubled)?))
            })
            .arg("x", Type::NdArray)
            .returns(Type::NdArray),
        )
        .method(
            Method::predict("json", |args| async move {
                let doc: serde_json::Value = args.take("doc")?;
                let kind = if doc.is_array() { "list" } else { "dict" };
                Ok(Value::from(serde_json::json!({"got": doc, "kind": kind})))
            })
            .arg("doc", Type::Json)
            .returns(Type::Json),
        )
        .method(
            Method::predict("named", |args| async move {
                let name: String = args.take("name")?;
                let scores: Vec<f64> = args
                    .take::<Vec<Value>>("scores")?
                    .into_iter()
                    .map(f64::try_from)
                    .collect::<Result<_, _>>()?;
                let best = scores.iter().copied().fold(f64::MIN, f64::max);
                Ok(Value::named([
                    ("name", Value::from(name)),
                    ("best", Value::from(best)),
                    ("count", Value::from(scores.len() as i64)),
                ]))
            })
            .arg("name", Type::Str)
            .arg("scores", Type::list(Type::Float))
            .returns(Type::named([
                ("name", Type::Str),
                ("best", Type::Float),
                ("count", Type::Int),
            ])),
        )
        .method(
            Method::generate("generate", |args| {
                let prompt = args.take::<String>("prompt");
                let count = args.take::<i64>("count");
                let items: Vec<_> = match (prompt, count) {
                    (Ok(p), Ok(n)) => p
                        .split_whitespace()
                        .map(str::to_owned)
                        .chain((0..n).map(|i| i.to_string()))
                        .map(|s| Ok(Value::from(s)))
                        .collect(),
                    (Err(e), _) | (_, Err(e)) => vec![Err(e)],
                };
                stream::iter(items)
            })
            .arg("prompt", Type::Str)
            .arg_default("count", Type::Int, 3)
            .returns(Type::Str),
        )
        .method(
            Method::stream("stream", |args, chunks| {
                let suffix = args.take::<String>("suffix").unwrap_or_default();
                chunks.map(move |chunk| Ok(Value::from(format!("{chunk}{suffix}"))))
            })
            .stream_arg("chunks", Type::Str)
            .arg_default("suffix", Type::Str, "?")
            .returns(Type::Str),
        )
        .method(
            Method::predict("fail", |args| async move {
                let reason: String = args.take("reason")?;
                Err(reason.into())
            })
            .arg("reason", Type::Str)
            .returns(Type::Str),
        )
}
