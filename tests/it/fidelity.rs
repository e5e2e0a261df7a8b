//! The API we speak, against the newest official client: the descriptors `build.rs` compiled
//! from `proto/` must equal those of the official Python client (`tests/fixtures/clarifai-grpc-*.binpb`,
//! written by `scripts/official-descriptors`), and every message type must survive a round trip
//! through its generated Rust type with no field lost.
//!
//! Everything here runs offline, from the fixture and the build's own output.

use std::collections::{BTreeMap, BTreeSet};

use clarifai_tonic::prost::{self, Message as _};
use prost_reflect::prost::bytes::Bytes;
use prost_reflect::{
    Cardinality, DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor,
    MethodDescriptor, ReflectMessage as _, Value,
};

use crate::support::descriptors::{official, ours};

/// Decodes `bytes` as `T` (the generated prost type) and encodes it again.
type Roundtrip = fn(&[u8]) -> Result<Vec<u8>, prost::DecodeError>;

fn roundtrip<T: prost::Message + Default>(bytes: &[u8]) -> Result<Vec<u8>, prost::DecodeError> {
    Ok(T::decode(bytes)?.encode_to_vec())
}

/// Every Clarifai message type of the build, by full name, with its generated type's round trip.
static MESSAGE_TYPES: &[(&str, Roundtrip)] =
    include!(concat!(env!("OUT_DIR"), "/message_types.rs"));

/// Files of the official client that are not part of the API and that proto/ leaves out on
/// purpose (see proto/VERSION).
const NOT_VENDORED: &[&str] = &["proto/clarifai/api/utils/test_proto.proto"];

/// A Clarifai descriptor (not google's), from a file that is part of the API.
fn is_clarifai(full_name: &str, file: &str) -> bool {
    !full_name.starts_with("google.") && !NOT_VENDORED.contains(&file)
}

// ---------------------------------------------------------------------------------------------
// Descriptor comparison

/// What a field is on the wire and in the API, as a line of text.
fn field_shape(f: &FieldDescriptor) -> String {
    let label = match f.cardinality() {
        Cardinality::Optional if f.field_descriptor_proto().proto3_optional() => "optional ",
        Cardinality::Optional => "",
        Cardinality::Required => "required ",
        Cardinality::Repeated => "repeated ",
    };
    let ty = match f.kind() {
        Kind::Message(m) => m.full_name().to_owned(),
        Kind::Enum(e) => format!("enum {}", e.full_name()),
        other => format!("{other:?}").to_lowercase(),
    };
    let oneof = match f.containing_oneof() {
        Some(o) if !o.is_synthetic() => format!(" (oneof {})", o.name()),
        _ => String::new(),
    };
    format!("{label}{ty} = {}{oneof}", f.number())
}

/// The options prost drops and the client depends on: `cl_auth_type`, `cl_depending_scopes`,
/// `cl_private_rpc`, read with the extension descriptors of the method's own pool.
fn method_options(m: &MethodDescriptor) -> BTreeMap<&'static str, String> {
    let pool = m.parent_pool();
    let options = m.options();
    let mut out = BTreeMap::new();
    for (key, name) in [
        ("cl_auth_type", "clarifai.auth.util.cl_auth_type"),
        (
            "cl_depending_scopes",
            "clarifai.auth.util.cl_depending_scopes",
        ),
        ("cl_private_rpc", "clarifai.auth.util.cl_private_rpc"),
    ] {
        let text = match pool.get_extension_by_name(name) {
            None => "<extension not defined>".to_owned(),
            Some(ext) if !options.has_extension(&ext) => "<unset>".to_owned(),
            Some(ext) => {
                let enum_name = |n: i32| match ext.kind() {
                    Kind::Enum(e) => e
                        .get_value(n)
                        .map_or_else(|| n.to_string(), |v| v.name().to_owned()),
                    _ => n.to_string(),
                };
                match options.get_extension(&ext).as_ref() {
                    Value::EnumNumber(n) => enum_name(*n),
                    Value::List(items) => items
                        .iter()
                        .map(|v| match v {
                            Value::EnumNumber(n) => enum_name(*n),
                            other => format!("{other:?}"),
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                    other => format!("{other:?}"),
                }
            }
        };
        out.insert(key, text);
    }
    out
}

fn method_shape(m: &MethodDescriptor) -> String {
    let stream = |yes: bool| if yes { "stream " } else { "" };
    format!(
        "({}{}) returns ({}{})",
        stream(m.is_client_streaming()),
        m.input().full_name(),
        stream(m.is_server_streaming()),
        m.output().full_name()
    )
}

/// Every difference between our descriptors and the official ones, one readable line each:
/// `+` the official client has it and we do not, `-` we have it and it does not, `~` both have
/// it, differently (ours -> official).
fn api_differences(ours: &DescriptorPool, official: &DescriptorPool) -> Vec<String> {
    let mut diff = Vec::new();

    let messages = |pool: &DescriptorPool| -> BTreeMap<String, MessageDescriptor> {
        pool.all_messages()
            .filter(|m| is_clarifai(m.full_name(), m.parent_file().name()))
            .map(|m| (m.full_name().to_owned(), m))
            .collect()
    };
    let (our_msgs, their_msgs) = (messages(ours), messages(official));
    for name in their_msgs.keys().filter(|n| !our_msgs.contains_key(*n)) {
        diff.push(format!("+ message {name}"));
    }
    for name in our_msgs.keys().filter(|n| !their_msgs.contains_key(*n)) {
        diff.push(format!("- message {name}"));
    }
    for (name, theirs) in &their_msgs {
        let Some(mine) = our_msgs.get(name) else {
            continue;
        };
        let fields = |m: &MessageDescriptor| -> BTreeMap<String, String> {
            m.fields()
                .map(|f| (f.name().to_owned(), field_shape(&f)))
                .collect()
        };
        let (ours_f, theirs_f) = (fields(mine), fields(theirs));
        for (field, shape) in &theirs_f {
            match ours_f.get(field) {
                None => diff.push(format!("+ field {name}.{field}: {shape}")),
                Some(our_shape) if our_shape != shape => {
                    diff.push(format!("~ {name}.{field}: {our_shape} -> {shape}"))
                }
                Some(_) => {}
            }
        }
        for (field, shape) in &ours_f {
            if !theirs_f.contains_key(field) {
                diff.push(format!("- field {name}.{field}: {shape}"));
            }
        }
    }

    let enums = |pool: &DescriptorPool| -> BTreeMap<String, BTreeMap<String, i32>> {
        pool.all_enums()
            .filter(|e| is_clarifai(e.full_name(), e.parent_file().name()))
            .map(|e| {
                // The proto's own list, so that aliases (allow_alias) count too.
                let values = e
                    .enum_descriptor_proto()
                    .value
                    .iter()
                    .map(|v| (v.name().to_owned(), v.number()))
                    .collect();
                (e.full_name().to_owned(), values)
            })
            .collect()
    };
    let (our_enums, their_enums) = (enums(ours), enums(official));
    for (name, theirs) in &their_enums {
        let Some(mine) = our_enums.get(name) else {
            diff.push(format!("+ enum {name}"));
            continue;
        };
        for (value, n) in theirs {
            match mine.get(value) {
                None => diff.push(format!("+ enum value {name}.{value} = {n}")),
                Some(m) if m != n => diff.push(format!("~ {name}.{value}: {m} -> {n}")),
                Some(_) => {}
            }
        }
        for (value, n) in mine {
            if !theirs.contains_key(value) {
                diff.push(format!("- enum value {name}.{value} = {n}"));
            }
        }
    }
    for name in our_enums.keys().filter(|n| !their_enums.contains_key(*n)) {
        diff.push(format!("- enum {name}"));
    }

    let methods = |pool: &DescriptorPool| -> BTreeMap<String, MethodDescriptor> {
        pool.services()
            .filter(|s| is_clarifai(s.full_name(), s.parent_file().name()))
            .flat_map(|s| s.methods().collect::<Vec<_>>())
            .map(|m| (m.full_name().to_owned(), m))
            .collect()
    };
    let (our_rpcs, their_rpcs) = (methods(ours), methods(official));
    for (name, theirs) in &their_rpcs {
        let Some(mine) = our_rpcs.get(name) else {
            diff.push(format!("+ rpc {name} {}", method_shape(theirs)));
            continue;
        };
        let (ms, ts) = (method_shape(mine), method_shape(theirs));
        if ms != ts {
            diff.push(format!("~ rpc {name}: {ms} -> {ts}"));
        }
        let (mo, to) = (method_options(mine), method_options(theirs));
        for (key, value) in &to {
            if mo[key] != *value {
                diff.push(format!("~ rpc {name} {key}: {} -> {value}", mo[key]));
            }
        }
    }
    for (name, mine) in &our_rpcs {
        if !their_rpcs.contains_key(name) {
            diff.push(format!("- rpc {name} {}", method_shape(mine)));
        }
    }
    diff
}

#[test]
fn protos_equal_the_official_client() {
    let (release, official) = official();
    let ours = ours();
    // A fixture that lost its options (or a pool that did) would compare as equal on auth
    // while saying nothing: make sure both carry them.
    for pool in [&ours, &official] {
        let post_apps = pool
            .get_service_by_name("clarifai.api.V2")
            .and_then(|s| s.methods().find(|m| m.name() == "PostApps"))
            .expect("clarifai.api.V2/PostApps");
        assert_eq!(method_options(&post_apps)["cl_auth_type"], "PATAuth");
    }
    let diff = api_differences(&ours, &official);
    assert!(
        diff.is_empty(),
        "proto/ differs from the official client {release} in {} place(s) \
         (+ only the official client has it, - only ours, ~ ours -> official):\n{}",
        diff.len(),
        diff.join("\n")
    );
}

/// The element of a repeated descriptor field (`message_type`, `field`, ...) named `name`.
fn named<'a>(parent: &'a mut DynamicMessage, list: &str, name: &str) -> &'a mut DynamicMessage {
    let Some(Value::List(items)) = parent.get_field_by_name_mut(list) else {
        panic!("no {list} list")
    };
    items
        .iter_mut()
        .find_map(|item| match item {
            Value::Message(m)
                if m.get_field_by_name("name").as_deref() == Some(&Value::String(name.into())) =>
            {
                Some(m)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {list} named {name}"))
}

#[test]
fn differences_are_named_one_per_line() {
    // The comparison itself, on the official set altered the ways a release changes the API: a
    // field renumbered, a field's type narrowed, an rpc gone, a scope dropped. Each must be
    // named. The set is edited as a DynamicMessage, which keeps the extension options.
    let (_, official) = official();
    let set_type = official
        .get_message_by_name("google.protobuf.FileDescriptorSet")
        .expect("descriptor.proto in the fixture");
    let mut set = DynamicMessage::decode(set_type, official.encode_to_vec().as_slice()).unwrap();
    let resources = named(&mut set, "file", "proto/clarifai/api/resources.proto");
    let output = named(resources, "message_type", "Output");
    named(output, "field", "cached_tokens").set_field_by_name("number", Value::I32(99));
    let frame_info = named(resources, "message_type", "FrameInfo");
    // google.protobuf.FieldDescriptorProto.Type.TYPE_UINT32
    named(frame_info, "field", "time").set_field_by_name("type", Value::EnumNumber(13));
    let service = named(&mut set, "file", "proto/clarifai/api/service.proto");
    let v2 = named(service, "service", "V2");
    let Some(Value::List(rpcs)) = v2.get_field_by_name_mut("method") else {
        panic!("V2 has no methods")
    };
    rpcs.retain(|m| {
        !matches!(m, Value::Message(m) if m.get_field_by_name("name").as_deref() == Some(&Value::String("StreamAnnotations".into())))
    });
    let altered =
        DescriptorPool::decode(set.encode_to_vec().as_slice()).expect("still a valid set");

    let diff = api_differences(&altered, &official);
    let want = [
        "~ clarifai.api.Output.cached_tokens: uint32 = 99 -> uint32 = 9",
        "~ clarifai.api.FrameInfo.time: uint32 = 2 -> uint64 = 2",
        "+ rpc clarifai.api.V2.StreamAnnotations (clarifai.api.StreamAnnotationsRequest) \
         returns (stream clarifai.api.SingleStreamAnnotationResponse)",
    ];
    for line in want {
        assert!(diff.iter().any(|d| d == line), "no {line:?} in {diff:#?}");
    }
    assert_eq!(diff.len(), want.len(), "{diff:#?}");
    // And the other way round, the signs flip.
    let back = api_differences(&official, &altered);
    assert!(
        back.iter()
            .any(|d| d.starts_with("- rpc clarifai.api.V2.StreamAnnotations ")),
        "{back:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Round trip of every message type

/// How deep nested messages are filled (the top message is depth 0).
const MAX_DEPTH: usize = 3;
/// Iterations of each message type: at least this many value sets, more if a oneof has more arms.
const VALUE_SETS: usize = 3;

/// Builds a message with every field set, for iteration `round`: oneofs take arm `round % arms`,
/// scalars take the edge values of `round`, repeated fields and maps several items.
fn filled(desc: &MessageDescriptor, round: usize, depth: usize) -> DynamicMessage {
    let mut msg = DynamicMessage::new(desc.clone());
    for field in desc.fields() {
        if let Some(oneof) = field.containing_oneof().filter(|o| !o.is_synthetic()) {
            let arms: Vec<FieldDescriptor> = oneof.fields().collect();
            if arms[round % arms.len()].number() != field.number() {
                continue;
            }
        }
        // A proto3 field without presence is not sent when it holds its default, and comes back
        // unset: leave it unset here too, so that the message compares equal to its own decoding.
        if let Some(value) = field_value(&field, round, depth)
            && (field.supports_presence() || value != field.default_value())
        {
            msg.set_field(&field, value);
        }
    }
    msg
}

fn field_value(field: &FieldDescriptor, round: usize, depth: usize) -> Option<Value> {
    // Several items in the message under test; one in the messages nested in it, which are
    // tested with several items in their own turn (this keeps the tree, and the test, small).
    let items = if depth == 0 { 3 } else { 1 };
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else {
            unreachable!("a map field is a message of entries")
        };
        let (key_field, value_field) = (entry.map_entry_key_field(), entry.map_entry_value_field());
        let mut map = std::collections::HashMap::new();
        for item in 0..items {
            let key = map_key(&key_field.kind(), round, item);
            let value = single_value(&value_field, round + item, depth + 1)?;
            map.insert(key, value);
        }
        return Some(Value::Map(map));
    }
    if field.is_list() {
        let values: Option<Vec<Value>> = (0..items)
            .map(|item| single_value(field, round + item, depth + 1))
            .collect();
        return values.map(Value::List);
    }
    single_value(field, round, depth + 1)
}

/// One value of the field's type; `None` for a message past the depth limit.
fn single_value(field: &FieldDescriptor, round: usize, depth: usize) -> Option<Value> {
    let set = round % VALUE_SETS;
    Some(match field.kind() {
        Kind::Double => Value::F64([1.5e300, 0.0, -f64::MIN_POSITIVE][set]),
        Kind::Float => Value::F32([3.4e38, 0.0, -1.25][set]),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32([i32::MIN, 0, i32::MAX][set]),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64([i64::MIN, 0, -1][set]),
        Kind::Uint32 | Kind::Fixed32 => Value::U32([u32::MAX, 0, 1][set]),
        Kind::Uint64 | Kind::Fixed64 => Value::U64([u64::MAX, 0, 1 << 63][set]),
        Kind::Bool => Value::Bool(set != 1),
        Kind::String => {
            Value::String(["naïve 東京 🦀 \u{0} \"q\"", "", "plain-ascii_id"][set].to_owned())
        }
        Kind::Bytes => Value::Bytes(match set {
            0 => Bytes::from((0..=255u8).collect::<Vec<_>>()),
            1 => Bytes::new(),
            _ => Bytes::from_static(&[0xff, 0x00, 0x80, 0x7f]),
        }),
        Kind::Enum(e) => {
            let values: Vec<i32> = e.values().map(|v| v.number()).collect();
            // The first and the last value, and one the proto does not define (kept as a number).
            Value::EnumNumber(match set {
                0 => values[0],
                1 => values[values.len() - 1],
                _ => values.iter().max().copied().unwrap_or(0).saturating_add(7),
            })
        }
        Kind::Message(m) => {
            if depth > MAX_DEPTH {
                return None;
            }
            Value::Message(filled(&m, round, depth))
        }
    })
}

fn map_key(kind: &Kind, round: usize, item: usize) -> MapKey {
    let n = (round * 3 + item) as i64;
    match kind {
        Kind::String => {
            MapKey::String(["", "ключ", "key with spaces"][item].to_owned() + &n.to_string())
        }
        Kind::Bool => MapKey::Bool(item.is_multiple_of(2)),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => MapKey::I32(n as i32 - 1),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => MapKey::I64(i64::MIN + n),
        Kind::Uint32 | Kind::Fixed32 => MapKey::U32(u32::MAX - n as u32),
        Kind::Uint64 | Kind::Fixed64 => MapKey::U64(u64::MAX - n as u64),
        other => unreachable!("{other:?} is not a map key type"),
    }
}

/// The fields where `got` differs from `want`, as `Message.field (number)` paths.
fn lost_fields(want: &DynamicMessage, got: &DynamicMessage, path: &str, out: &mut Vec<String>) {
    for field in want.descriptor().fields() {
        let here = format!("{path}.{} ({})", field.name(), field.number());
        match (want.has_field(&field), got.has_field(&field)) {
            (false, false) => {}
            (true, false) => out.push(format!("{here}: sent, gone after the generated type")),
            (false, true) => out.push(format!(
                "{here}: not sent, present after the generated type"
            )),
            (true, true) => {
                value_differences(&want.get_field(&field), &got.get_field(&field), &here, out)
            }
        }
    }
    if got.unknown_fields().next().is_some() && want.unknown_fields().next().is_none() {
        out.push(format!("{path}: unknown fields appeared"));
    }
}

/// Descends into messages, lists and maps, so that only scalars are ever printed (a
/// DynamicMessage's Debug prints its descriptor, and recursive types never end).
fn value_differences(want: &Value, got: &Value, here: &str, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Message(w), Value::Message(g)) => lost_fields(w, g, here, out),
        (Value::List(w), Value::List(g)) if w.len() != g.len() => out.push(format!(
            "{here}: {} items came back as {}",
            w.len(),
            g.len()
        )),
        (Value::List(w), Value::List(g)) => {
            for (i, (w, g)) in w.iter().zip(g).enumerate() {
                value_differences(w, g, &format!("{here}[{i}]"), out);
            }
        }
        (Value::Map(w), Value::Map(g)) => {
            for (key, w) in w {
                match g.get(key) {
                    None => out.push(format!("{here}[{key:?}]: sent, gone")),
                    Some(g) => value_differences(w, g, &format!("{here}[{key:?}]"), out),
                }
            }
            if g.len() != w.len() {
                out.push(format!(
                    "{here}: {} entries came back as {}",
                    w.len(),
                    g.len()
                ));
            }
        }
        (w, g) if w != g => out.push(format!("{here}: {w:?} came back as {g:?}")),
        _ => {}
    }
}

#[test]
fn every_message_type_round_trips_through_its_generated_type() {
    let (release, official) = official();
    let types: BTreeMap<&str, Roundtrip> = MESSAGE_TYPES.iter().copied().collect();
    let mut failures = Vec::new();
    let mut checked = BTreeSet::new();
    let mut rounds_run = 0;
    for desc in official.all_messages() {
        if !is_clarifai(desc.full_name(), desc.parent_file().name()) || desc.is_map_entry() {
            continue;
        }
        let name = desc.full_name();
        let Some(roundtrip) = types.get(name) else {
            failures.push(format!("{name}: no generated Rust type"));
            continue;
        };
        let arms = desc.oneofs().map(|o| o.fields().len()).max().unwrap_or(0);
        for round in 0..VALUE_SETS.max(arms) {
            let original = filled(&desc, round, 0);
            let wire = original.encode_to_vec();
            let want = &original;
            let back = match roundtrip(&wire) {
                Ok(back) => back,
                Err(e) => {
                    failures.push(format!(
                        "{name} (round {round}): the generated type fails to decode: {e}"
                    ));
                    continue;
                }
            };
            let got = DynamicMessage::decode(desc.clone(), back.as_slice())
                .expect("the generated type's bytes decode with the official descriptor");
            if *want != got {
                let mut lost = Vec::new();
                lost_fields(want, &got, name, &mut lost);
                if lost.is_empty() {
                    lost.push(format!("{name}: differs after the round trip"));
                }
                failures.extend(lost.into_iter().map(|l| format!("{l} (round {round})")));
            }
            rounds_run += 1;
        }
        checked.insert(name.to_owned());
    }
    assert!(
        failures.is_empty(),
        "{} field(s) or type(s) do not survive the generated types (against {release}):\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The test covered something real: every Clarifai message type, several times each.
    assert!(
        checked.len() > 500,
        "only {} message types checked",
        checked.len()
    );
    assert!(rounds_run >= checked.len() * VALUE_SETS);
    assert_eq!(
        checked.len(),
        types.len(),
        "the build has message types the official client lacks"
    );
}
