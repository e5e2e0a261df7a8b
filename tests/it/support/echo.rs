//! The Rust twin of tests/interop/echo's Python model (and of the fixture's table), which the
//! local model server and the runner tests serve.

use clarifai_tonic::api;
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
                let scores: Vec<f64> = args.take_list("scores")?;
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
            Method::predict("json_list", |args| async move {
                let mut items: Vec<Value> = args.take("items")?;
                items.reverse();
                Ok(Value::List(items))
            })
            .arg("items", Type::list(Type::Json))
            .returns(Type::list(Type::Json)),
        )
        .method(
            Method::predict("messages", |args| async move {
                let mut text: api::Text = args.take("text")?;
                text.raw.push('!');
                let rest = ["image", "audio", "video"].map(|n| args.get(n).cloned());
                let [Some(image), Some(audio), Some(video)] = rest else {
                    return Err("an argument is missing".into());
                };
                Ok(Value::tuple([Value::Text(text), image, audio, video]))
            })
            .arg("text", Type::Text)
            .arg("image", Type::Image)
            .arg("audio", Type::Audio)
            .arg("video", Type::Video)
            .returns(Type::Tuple(vec![
                Type::Text,
                Type::Image,
                Type::Audio,
                Type::Video,
            ])),
        )
        .method(
            Method::predict("concepts", |args| async move {
                let concepts: Vec<api::Concept> = args.take_list("concepts")?;
                let halved = concepts.into_iter().map(|c| {
                    Value::Concept(api::Concept {
                        id: c.id,
                        name: c.name,
                        value: c.value / 2.0,
                        ..Default::default()
                    })
                });
                Ok(Value::List(halved.collect()))
            })
            .arg("concepts", Type::list(Type::Concept))
            .returns(Type::list(Type::Concept)),
        )
        .method(
            Method::predict("one_concept", |args| async move {
                let concept: api::Concept = args.take("concept")?;
                Ok(Value::concept(format!("{}!", concept.name), 0.25))
            })
            .arg("concept", Type::Concept)
            .returns(Type::Concept),
        )
        .method(
            Method::predict("regions", |args| async move {
                Ok(args.get("regions").cloned().unwrap_or(Value::None))
            })
            .arg("regions", Type::list(Type::Region))
            .returns(Type::list(Type::Region)),
        )
        .method(
            Method::predict("frames", |args| async move {
                Ok(args.get("frames").cloned().unwrap_or(Value::None))
            })
            .arg("frames", Type::list(Type::Frame))
            .returns(Type::list(Type::Frame)),
        )
        .method(
            Method::predict("lists", |args| async move {
                let words: Vec<String> = args.take_list("words")?;
                let numbers: Vec<i64> = args.take_list("numbers")?;
                let nested: Vec<Value> = args.take("nested")?;
                let mut total = 0.0;
                for row in nested {
                    total += row.into_vec::<f64>()?.iter().sum::<f64>();
                }
                let head = format!(
                    "{}:{}:{}",
                    words.len(),
                    numbers.iter().sum::<i64>(),
                    Value::from(total)
                );
                let all = std::iter::once(head).chain(words).map(Value::from);
                Ok(Value::List(all.collect()))
            })
            .arg("words", Type::list(Type::Str))
            .arg("numbers", Type::list(Type::Int))
            .arg("nested", Type::list(Type::list(Type::Float)))
            .returns(Type::list(Type::Str)),
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
