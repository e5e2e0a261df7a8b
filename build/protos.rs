//! Steps 1 and 2: `protox` compiles the vendored protos, with errors reported by file and line, and
//! `prost-build` generates the messages, [`crate::grpc_client`] the client and (feature `mock`)
//! `tonic-prost-build` the server, from comments cleaned of their banners and other noise, with
//! their code blocks fenced as text (see [`crate::names::fence_code`]).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use prost_reflect::prost_types::FileDescriptorSet;
use prost_reflect::{DescriptorPool, Kind};

use crate::BuildResult;
use crate::names::{clarifai_messages, clean_comment, fence_code};

/// The file compiled; everything else comes in through its imports.
pub const ROOT_PROTO: &str = "proto/clarifai/api/service.proto";
/// The service every rpc belongs to.
pub const SERVICE: &str = "clarifai.api.V2";
/// Message types kept inline even though they are singular message fields (see `boxed_fields`).
const NEVER_BOXED: &[&str] = &["clarifai.api.UserAppIDSet", "clarifai.api.status.Status"];

/// Compiles [`ROOT_PROTO`] and its imports, and tells cargo to watch every file read, so that
/// fixing or restoring a proto reruns this script.
pub fn compile(manifest: &Path) -> BuildResult<protox::Compiler> {
    let root = manifest.join(ROOT_PROTO);
    if !root.is_file() {
        // Watch the path so that restoring the file reruns this script.
        println!("cargo:rerun-if-changed={}", root.display());
        return Err(format!(
            "{} is missing; run scripts/update-protos to vendor the Clarifai protos",
            root.display()
        ));
    }

    // Clarifai's files import each other as "proto/clarifai/...", relative to the crate root, and
    // import google/api/*.proto, which live in proto/. google/protobuf/* come with protox.
    let mut compiler = protox::Compiler::new([manifest.to_path_buf(), manifest.join("proto")])
        .map_err(|e| format!("setting up the proto compiler: {e}"))?;
    compiler.include_imports(true).include_source_info(true);
    let opened = compiler.open_file(ROOT_PROTO).map(|_| ());
    // Watch every file that was read, even when compiling failed, so that a fix reruns this script.
    for file in compiler.files() {
        if let Some(path) = file.path() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    if let Err(e) = opened {
        println!(
            "cargo:rerun-if-changed={}",
            manifest.join("proto").display()
        );
        return Err(describe_protox_error(&e, manifest));
    }
    Ok(compiler)
}

/// Runs `prost-build` over the compiled files: messages (nested messages boxed, see
/// [`boxed_fields`]), the client, and the server only `with_server`.
pub fn generate(
    compiler: &protox::Compiler,
    pool: &DescriptorPool,
    out_dir: &Path,
    with_server: bool,
) -> BuildResult<()> {
    // google.api only carries the http options, so it generates no Rust. google.protobuf stays in
    // the set (prost needs its descriptors) and maps to prost-types.
    let mut fds = compiler.file_descriptor_set();
    fds.file.retain(|f| f.package() != "google.api");
    clean_comments(&mut fds);

    let mut config = prost_build::Config::new();
    config
        .bytes(["."])
        .include_file("mod.rs")
        .out_dir(out_dir)
        .service_generator(Box::new(crate::grpc_client::Generator {
            server: server_generator(with_server),
        }));
    // tonic-prost-build (feature `mock`) turns on prost-build's `format`; the output is
    // `include!`d, so formatting it would only cost time.
    #[cfg(feature = "mock")]
    config.format(false);
    for path in boxed_fields(pool) {
        config.boxed(path);
    }
    config
        .compile_fds(fds)
        .map_err(|e| format!("generating Rust code from the protos: {e}"))
}

/// tonic-prost-build's generator of the server alone, `with_server` (which only the feature
/// `mock` sets, and only that feature builds tonic-prost-build).
#[cfg(feature = "mock")]
fn server_generator(with_server: bool) -> Option<Box<dyn prost_build::ServiceGenerator>> {
    with_server.then(|| {
        tonic_prost_build::configure()
            .build_client(false)
            .build_server(true)
            .build_transport(false)
            .generate_default_stubs(true)
            .service_generator()
    })
}

#[cfg(not(feature = "mock"))]
fn server_generator(_with_server: bool) -> Option<Box<dyn prost_build::ServiceGenerator>> {
    None
}

/// Takes the noise out of every comment before prost-build turns it into docs (see
/// [`clean_comment`]); prost-build has no hook for comment text, but reads it from here.
fn clean_comments(fds: &mut FileDescriptorSet) {
    let locations = fds
        .file
        .iter_mut()
        .filter_map(|f| f.source_code_info.as_mut())
        .flat_map(|info| info.location.iter_mut());
    for location in locations {
        for comment in [
            &mut location.leading_comments,
            &mut location.trailing_comments,
        ] {
            if let Some(text) = comment.as_deref() {
                let clean = fence_code(&clean_comment(text));
                *comment = (!clean.is_empty()).then_some(clean);
            }
        }
        for text in &mut location.leading_detached_comments {
            *text = fence_code(&clean_comment(text));
        }
        location.leading_detached_comments.retain(|t| !t.is_empty());
    }
}

/// protox's error names the file; a parse or check error also has a span, turned into a line.
fn describe_protox_error(e: &protox::Error, manifest: &Path) -> String {
    use miette::Diagnostic;
    let mut text = e.to_string();
    let Some(file) = e.file() else { return text };
    let _ = write!(text, " (in {file}");
    let offset = e
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|l| l.offset());
    let source = [manifest.join(file), manifest.join("proto").join(file)]
        .into_iter()
        .find_map(|p| fs::read_to_string(p).ok());
    if let (Some(offset), Some(source)) = (offset, source) {
        let upto = &source.as_bytes()[..offset.min(source.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let _ = write!(text, ", line {line}");
        if let Some(label) = e
            .labels()
            .and_then(|mut l| l.next())
            .and_then(|l| l.label().map(str::to_owned))
        {
            let _ = write!(text, ": {label}");
        }
    }
    text.push(')');
    text
}

/// Whether a field is stored as `Option<Box<T>>` (see [`boxed_fields`]): a singular message
/// field, except the well-known types and [`NEVER_BOXED`].
pub fn is_boxed(field: &prost_reflect::FieldDescriptor) -> bool {
    let Kind::Message(target) = field.kind() else {
        return false;
    };
    let target = target.full_name();
    !field.is_list()
        && !field.is_map()
        && !target.starts_with("google.protobuf.")
        && !NEVER_BOXED.contains(&target)
}

/// Singular message fields to store as `Box<T>`.
///
/// Clarifai's messages nest deeply: inline, the largest struct is about 19.5 KB and one unary call
/// future about 84 KB, which overflows a 2 MiB test thread in debug builds. Boxing every singular
/// message field keeps each struct small, with one rule users can remember: a nested message is
/// `Option<Box<T>>`. Well-known types, `UserAppIDSet` and the response `Status` stay inline, since
/// they are small and touched on every call.
fn boxed_fields(pool: &DescriptorPool) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for message in clarifai_messages(pool) {
        for field in message.fields() {
            if !is_boxed(&field) {
                continue;
            }
            paths.insert(format!(".{}.{}", message.full_name(), field.name()));
            if let Some(oneof) = field.containing_oneof().filter(|o| !o.is_synthetic()) {
                // prost-build looks oneof fields up under the oneof's path.
                paths.insert(format!(
                    ".{}.{}.{}",
                    message.full_name(),
                    oneof.name(),
                    field.name()
                ));
            }
        }
    }
    paths
}
