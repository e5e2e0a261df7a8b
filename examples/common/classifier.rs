//! A small text classifier in plain Rust: a sentiment lexicon, scored per word. The model the
//! `runner` example serves, with a method of each kind (predict, generate, stream); CI calls
//! every one of them through the official SDK's `ModelClient.from_local_grpc`.

use clarifai_tonic::api;
use clarifai_tonic::runner::{Args, HandlerError, Method, Model, Type};
use clarifai_tonic::{StreamExt, Value, stream};

const POSITIVE: &[&str] = &[
    "good",
    "great",
    "love",
    "excellent",
    "happy",
    "fast",
    "nice",
    "wonderful",
    "best",
    "like",
];
const NEGATIVE: &[&str] = &[
    "bad", "awful", "hate", "terrible", "sad", "slow", "broken", "worst", "poor", "dislike",
];

/// Each label's score for `text`: the share of its words in the lexicon, smoothed so that a text
/// with no known word is neutral.
pub fn scores(text: &str) -> [(&'static str, f32); 3] {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let count = |lexicon: &[&str]| {
        words
            .iter()
            .filter(|w| lexicon.contains(&w.as_str()))
            .count()
    };
    let (pos, neg) = (count(POSITIVE) as f32, count(NEGATIVE) as f32);
    let total = pos + neg + 1.0;
    [
        ("positive", pos / total),
        ("negative", neg / total),
        ("neutral", 1.0 / total),
    ]
}

/// The best label for `text`.
pub fn label(text: &str) -> &'static str {
    let mut ranked = scores(text);
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked[0].0
}

fn concepts(text: &str, top_k: i64) -> Value {
    let mut ranked = scores(text);
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let top = ranked.iter().take(top_k.clamp(0, 3) as usize);
    Value::List(
        top.map(|(name, value)| {
            Value::Concept(api::Concept {
                id: (*name).into(),
                name: (*name).into(),
                value: *value,
                ..Default::default()
            })
        })
        .collect(),
    )
}

fn text_arg(args: &Args) -> Result<String, HandlerError> {
    args.take("text")
}

/// The model: `predict(text, top_k=3) -> List[Concept]`, `generate(texts) -> Iterator[str]` (a
/// label per text, as each is classified) and `stream(texts: Iterator[str], prefix="") ->
/// Iterator[str]` (a label per incoming text).
pub fn model() -> Model {
    Model::new()
        .method(
            Method::predict("predict", |args| async move {
                let text = text_arg(&args)?;
                let top_k: i64 = args.take("top_k")?;
                Ok(concepts(&text, top_k))
            })
            .arg("text", Type::Str)
            .arg_default("top_k", Type::Int, 3)
            .returns(Type::list(Type::Concept))
            .doc("The sentiment of the text: positive, negative and neutral, best first."),
        )
        .method(
            Method::generate("generate", |args| {
                let labels: Vec<Result<Value, HandlerError>> =
                    match args.take_list::<String>("texts") {
                        Ok(texts) => texts.iter().map(|t| Ok(Value::from(label(t)))).collect(),
                        Err(e) => vec![Err(e)],
                    };
                stream::iter(labels)
            })
            .arg("texts", Type::list(Type::Str))
            .returns(Type::Str)
            .doc("The label of each text, one at a time."),
        )
        .method(
            Method::stream("stream", |args, texts| {
                let prefix: String = args.take("prefix").unwrap_or_default();
                texts.map(move |text| {
                    let text = String::try_from(text)?;
                    Ok(Value::from(format!("{prefix}{}", label(&text))))
                })
            })
            .stream_arg("texts", Type::Str)
            .arg_default("prefix", Type::Str, "")
            .returns(Type::Str)
            .doc("The label of each text as it comes."),
        )
}
