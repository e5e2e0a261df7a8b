//! Differential: what the official Python SDK makes of a table of methods and calls
//! (tests/fixtures/methods/sdk.json, written by scripts/sdk-method-fixtures.py with the SDK's own
//! `build_function_signature`, `serialize` and `get_method_signature`), against ours:
//! - each call's Input, byte for byte after a canonical encode (prost's: fields in number
//!   order, map entries in key order);
//! - each return value read back out of the Data the SDK's model server sends;
//! - each method's signature in Python form.

use clarifai_tonic::api::{self, MethodSignature};
use clarifai_tonic::methods::{NdArray, decode_output, method_input, python_signature};
use clarifai_tonic::{Value, prost::Message};
use serde_json::Value as J;

const FIXTURE: &str = include_str!("../fixtures/methods/sdk.json");

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn decode<M: Message + Default>(hex: &J) -> M {
    M::decode(unhex(hex.as_str().expect("a hex string")).as_slice()).expect("a message")
}

/// A tagged value of the fixture as the Value a Rust caller would give.
fn value(tagged: &J) -> Value {
    let (tag, v) = tagged
        .as_object()
        .and_then(|o| o.iter().next())
        .expect("a tagged value");
    match tag.as_str() {
        "str" => Value::from(v.as_str().unwrap()),
        "int" => Value::from(v.as_i64().unwrap()),
        "float" => Value::from(v.as_f64().unwrap()),
        "bool" => Value::from(v.as_bool().unwrap()),
        "bytes" => Value::bytes(
            v.as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_u64().unwrap() as u8)
                .collect::<Vec<u8>>(),
        ),
        "json" => Value::Json(v.clone()),
        "ndarray" => {
            let shape: Vec<u32> = serde_json::from_value(v["shape"].clone()).unwrap();
            let data = v["data"].as_array().unwrap();
            let array = match v["dtype"].as_str().unwrap() {
                "float32" => NdArray::new(
                    shape,
                    &data
                        .iter()
                        .map(|x| x.as_f64().unwrap() as f32)
                        .collect::<Vec<_>>(),
                ),
                "float64" => NdArray::new(
                    shape,
                    &data.iter().map(|x| x.as_f64().unwrap()).collect::<Vec<_>>(),
                ),
                "int64" => NdArray::new(
                    shape,
                    &data.iter().map(|x| x.as_i64().unwrap()).collect::<Vec<_>>(),
                ),
                "uint8" => NdArray::new(
                    shape,
                    &data
                        .iter()
                        .map(|x| x.as_u64().unwrap() as u8)
                        .collect::<Vec<_>>(),
                ),
                other => panic!("dtype {other}"),
            };
            Value::NdArray(array.unwrap())
        }
        "text" => Value::Text(api::Text::raw(v.as_str().unwrap())),
        "concept" => Value::Concept(api::Concept {
            id: v["id"].as_str().unwrap_or_default().to_owned(),
            name: v["name"].as_str().unwrap().to_owned(),
            value: v["value"].as_f64().unwrap_or(1.0) as f32,
            ..Default::default()
        }),
        "message" => {
            let hex = &v["hex"];
            match v["kind"].as_str().unwrap() {
                "image" => Value::Image(decode(hex)),
                "audio" => Value::Audio(decode(hex)),
                "video" => Value::Video(decode(hex)),
                "region" => Value::Region(decode(hex)),
                "frame" => Value::Frame(decode(hex)),
                other => panic!("message kind {other}"),
            }
        }
        "list" => Value::List(v.as_array().unwrap().iter().map(value).collect()),
        "tuple" => Value::Tuple(v.as_array().unwrap().iter().map(value).collect()),
        "named" => Value::NamedFields(
            v.as_array()
                .unwrap()
                .iter()
                .map(|pair| (pair[0].as_str().unwrap().to_owned(), value(&pair[1])))
                .collect(),
        ),
        other => panic!("tag {other}"),
    }
}

fn methods() -> Vec<J> {
    let doc: J = serde_json::from_str(FIXTURE).expect("the fixture is JSON");
    doc["methods"].as_array().expect("methods").clone()
}

#[test]
fn every_call_serializes_to_the_sdks_bytes() {
    let mut compared = 0;
    for entry in methods() {
        let method: MethodSignature = decode(&entry["method_hex"]);
        for call in entry["calls"].as_array().unwrap() {
            let args: Vec<(String, Value)> = call["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|pair| (pair[0].as_str().unwrap().to_owned(), value(&pair[1])))
                .collect();
            // A later item of a stream is serialized by the streaming field alone.
            let mut signature = method.clone();
            if call["stream_item_only"].as_bool().unwrap() {
                signature.input_fields.retain(|f| f.iterator);
            }
            let ours = method_input(&signature, args.clone())
                .unwrap_or_else(|e| panic!("{}: {args:?}: {e}", method.name));
            let theirs: api::Input = decode(&call["input_hex"]);
            assert_eq!(ours, theirs, "{}: {args:?}", method.name);
            assert_eq!(
                ours.encode_to_vec(),
                theirs.encode_to_vec(),
                "{}: {args:?}",
                method.name
            );
            compared += 1;
        }
    }
    assert!(compared >= 20, "only {compared} calls in the fixture");
}

#[test]
fn every_return_reads_back_as_the_sdk_sent_it() {
    for entry in methods() {
        let method: MethodSignature = decode(&entry["method_hex"]);
        for ret in entry["returns"].as_array().unwrap() {
            let output = api::Output {
                data: Some(Box::new(decode(&ret["data_hex"]))),
                ..Default::default()
            };
            let got =
                decode_output(&method, &output).unwrap_or_else(|e| panic!("{}: {e}", method.name));
            assert_eq!(got, value(&ret["value"]), "{}", method.name);
        }
    }
}

#[test]
fn every_signature_prints_as_the_sdk_prints_it() {
    for entry in methods() {
        let method: MethodSignature = decode(&entry["method_hex"]);
        assert_eq!(python_signature(&method), entry["python"].as_str().unwrap());
    }
}
