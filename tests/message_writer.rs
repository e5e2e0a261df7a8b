//! The build scripts' message writer (clarifai-tonic-codegen's `messages`) against prost-build,
//! which it replaced:
//! on the vendored Clarifai protos, and on a set of harder cases
//! (tests/fixtures/message_writer/*.proto), both writers run on the same descriptors with the same
//! settings, and their files must agree line for line.
//!
//! Three things may differ, and the comparison leaves them out: each file's first line (who
//! generated it), and the doc lines of `as_str_name`, `from_str_name` and of the module of a
//! message's nested types, which are our own sentences. Services are compared through what each
//! writer hands to its service generator, recorded in the same form.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{fs, process};

use clarifai_tonic_codegen::messages;
use prost_reflect::DescriptorPool;
use prost_reflect::prost::Message as _;
use prost_reflect::prost_types::FileDescriptorSet;

/// The descriptor set the build script compiled (see build/fidelity.rs).
static COMPILED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.binpb"));

#[test]
fn the_clarifai_protos_come_out_as_prost_build_writes_them() {
    let mut set = FileDescriptorSet::decode(COMPILED).expect("the compiled descriptor set");
    let pool = DescriptorPool::decode(COMPILED).expect("the compiled descriptor pool");
    // As codegen/src/protos.rs prepares them.
    set.file.retain(|f| f.package() != "google.api");
    messages::clean_comments(&mut set);
    let boxed = messages::boxed_fields(&pool);
    assert!(
        boxed.contains(".clarifai.api.Annotation.data"),
        "expected the boxed fields of every Clarifai message, got {} paths",
        boxed.len()
    );

    let files = compare(&set, &boxed, "clarifai");
    for name in [
        "clarifai.api.rs",
        "clarifai.api.status.rs",
        "_.rs",
        "mod.rs",
    ] {
        assert!(files.contains(name), "no {name} among {files:?}");
    }
}

#[test]
fn the_harder_cases_come_out_as_prost_build_writes_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/message_writer");
    let mut compiler = protox::Compiler::new([&root]).expect("a proto compiler");
    compiler.include_imports(true).include_source_info(true);
    compiler
        .open_file("cases.proto")
        .unwrap_or_else(|e| panic!("compiling {}: {e}", root.display()));
    // Their comments go in raw: the writer's own handling of links and brackets is what is
    // tested here.
    let set = compiler.file_descriptor_set();
    // Configured boxes: a plain field, and a oneof's field under both of the paths prost-build
    // looks it up by.
    let boxed: BTreeSet<String> = [
        ".edge.cases.WithSmall.boxed_small",
        ".edge.cases.Holder.other_choice.s",
        ".edge.cases.Holder.s",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();

    let files = compare(&set, &boxed, "cases");
    // (google.protobuf.rs holds only the recorder's "file done" line, in both.)
    let expected: BTreeSet<String> = [
        "_.rs",
        "edge.cases.rs",
        "edge.other.rs",
        "google.protobuf.rs",
        "mod.rs",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(files, expected);
}

/// Runs both writers on `set` and fails on the first line where they differ; returns the names
/// of the files written.
fn compare(set: &FileDescriptorSet, boxed: &BTreeSet<String>, label: &str) -> BTreeSet<String> {
    let ours: Vec<(String, String)> =
        messages::write_all(set, boxed, &mut Recorder).expect("our writer");

    let dir = scratch_dir(label);
    let mut config = prost_build::Config::new();
    config
        .bytes(["."])
        .include_file("mod.rs")
        .out_dir(&dir)
        .service_generator(Box::new(Recorder));
    for path in boxed {
        config.boxed(path);
    }
    config.compile_fds(set.clone()).expect("prost-build");

    let mut theirs = BTreeSet::new();
    for entry in fs::read_dir(&dir).expect("prost-build's output") {
        let name = entry
            .expect("a file")
            .file_name()
            .to_string_lossy()
            .into_owned();
        theirs.insert(name);
    }
    let names: BTreeSet<String> = ours.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, theirs, "the files written differ");

    for (name, text) in &ours {
        let expected = fs::read_to_string(dir.join(name)).expect("prost-build's file");
        let (ours, theirs) = (comparable(text), comparable(&expected));
        let first_difference = ours
            .iter()
            .zip(&theirs)
            .position(|(a, b)| a != b)
            .or_else(|| (ours.len() != theirs.len()).then(|| ours.len().min(theirs.len())));
        if let Some(i) = first_difference {
            let _ = fs::remove_dir_all(&dir);
            panic!(
                "{name}: line {} of the compared text differs\n  ours:        {:?}\n  prost-build: {:?}",
                i + 1,
                ours.get(i),
                theirs.get(i),
            );
        }
    }
    let _ = fs::remove_dir_all(&dir);
    names
}

/// A file's lines without its first one and without the doc lines that are ours (see the module
/// docs).
fn comparable(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().skip(1) {
        let code = line.trim_start();
        if ["pub fn as_str_name", "pub fn from_str_name", "pub mod "]
            .iter()
            .any(|start| code.starts_with(start))
        {
            while lines
                .last()
                .is_some_and(|l| l.trim_start().starts_with("///"))
            {
                lines.pop();
            }
        }
        lines.push(line);
    }
    lines
}

fn scratch_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("message-writer-{label}-{}", process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// The service generator of both writers: it writes down, in one form, what each is handed.
struct Recorder;

/// One rpc as the recorder writes it down, from either writer's type.
struct Rpc<'a> {
    names: [&'a str; 6],
    options: &'a prost_reflect::prost_types::MethodOptions,
    streaming: (bool, bool),
    comments: [&'a dyn std::fmt::Debug; 3],
}

/// An [`Rpc`] from either writer's method type, whose fields have the same names.
macro_rules! rpc {
    ($m:expr) => {
        Rpc {
            names: [
                &$m.name,
                &$m.proto_name,
                &$m.input_type,
                &$m.output_type,
                &$m.input_proto_type,
                &$m.output_proto_type,
            ],
            options: &$m.options,
            streaming: ($m.client_streaming, $m.server_streaming),
            comments: [
                &$m.comments.leading_detached,
                &$m.comments.leading,
                &$m.comments.trailing,
            ],
        }
    };
}

/// Writes down a service of either writer's type, whose fields have the same names.
macro_rules! record_service {
    ($s:expr, $out:expr) => {{
        let s = &$s;
        let head = format!("{} {} {} {:?}", s.name, s.proto_name, s.package, s.options);
        let c = &s.comments;
        let rpcs = s.methods.iter().map(|m| rpc!(m)).collect();
        let comments: [&dyn std::fmt::Debug; 3] = [&c.leading_detached, &c.leading, &c.trailing];
        record($out, head, comments, rpcs);
    }};
}

fn record(out: &mut String, head: String, comments: [&dyn std::fmt::Debug; 3], rpcs: Vec<Rpc>) {
    let _ = writeln!(out, "// service {head}");
    let [detached, leading, trailing] = comments;
    let _ = writeln!(out, "//   comments {detached:?} {leading:?} {trailing:?}");
    for rpc in rpcs {
        let _ = writeln!(
            out,
            "// method {:?} {:?} {:?}",
            rpc.names, rpc.options, rpc.streaming
        );
        let [detached, leading, trailing] = rpc.comments;
        let _ = writeln!(out, "//   comments {detached:?} {leading:?} {trailing:?}");
    }
}

impl messages::ServiceWriter for Recorder {
    fn service(&mut self, s: messages::Service, out: &mut String) {
        record_service!(s, out);
    }

    fn file_done(&mut self, out: &mut String) {
        out.push_str("// file done\n");
    }

    fn package_done(&mut self, package: &str, out: &mut String) {
        let _ = writeln!(out, "// package done {package}");
    }
}

impl prost_build::ServiceGenerator for Recorder {
    fn generate(&mut self, s: prost_build::Service, out: &mut String) {
        record_service!(s, out);
    }

    fn finalize(&mut self, out: &mut String) {
        out.push_str("// file done\n");
    }

    fn finalize_package(&mut self, package: &str, out: &mut String) {
        let _ = writeln!(out, "// package done {package}");
    }
}
