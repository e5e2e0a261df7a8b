//! Steps 1 and 2: `protox` compiles the vendored protos, with errors reported by file and line;
//! then [`crate::messages`] writes the messages, [`crate::grpc_client`] the client and (feature
//! `mock`) tonic-prost-build the server.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use prost_reflect::DescriptorPool;

use crate::{BuildResult, messages, write_file};

/// The file compiled; everything else comes in through its imports.
pub const ROOT_PROTO: &str = "proto/clarifai/api/service.proto";
/// The service every rpc belongs to.
pub const SERVICE: &str = "clarifai.api.V2";

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

/// Writes the messages (see [`crate::messages`]) with the client (see [`crate::grpc_client`])
/// and, `with_server`, the mock server into `out_dir`.
pub fn generate(
    compiler: &protox::Compiler,
    pool: &DescriptorPool,
    out_dir: &Path,
    with_server: bool,
) -> BuildResult<()> {
    // google.api only carries the http options, so it generates no Rust. google.protobuf stays in
    // the set (its messages are looked through) and maps to prost-types.
    let mut set = compiler.file_descriptor_set();
    set.file.retain(|f| f.package() != "google.api");
    messages::clean_comments(&mut set);
    let boxed = messages::boxed_fields(pool);
    let mut services = crate::grpc_client::Generator::new(with_server);
    for (name, text) in messages::write_all(&set, &boxed, &mut services)? {
        write_file(out_dir, &name, &text)?;
    }
    Ok(())
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
