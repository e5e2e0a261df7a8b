//! Compiles clarifai-tonic's vendored protos into the binary `FileDescriptorSet` that its build
//! scripts decode, `codegen/clarifai.binpb` (inside the clarifai-tonic-types package, so that
//! both the published types crate and clarifai-tonic, whose package holds `types/`, can read it).
//!
//! The protos change only when they are vendored (`scripts/update-protos`), so they are compiled
//! then, once, instead of on every build of every crate that depends on clarifai-tonic: the
//! compiler (`protox`, pure Rust, and what it pulls in) is built for this tool only.
//!
//! `cargo run -p compile-protos` writes the file; `cargo run -p compile-protos -- --check` only
//! checks that it is up to date, as does clarifai-tonic's test `binpb_is_up_to_date`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use miette::Diagnostic as _;

/// The file compiled, relative to the repository root; everything else comes in through its
/// imports. `service_processed.proto` and `test_proto.proto` are not compiled.
pub const ROOT_PROTO: &str = "proto/clarifai/api/service.proto";

/// Where the compiled descriptor set is written, relative to the repository root.
pub const OUTPUT: &str = "codegen/clarifai.binpb";

/// The command that rewrites [`OUTPUT`], for messages that ask to run it.
pub const COMMAND: &str = "cargo run -p compile-protos";

/// Compiles [`ROOT_PROTO`] and its imports under `repo_root` (the directory of clarifai-tonic's
/// `Cargo.toml`), and returns the encoded `FileDescriptorSet`: every file, imports included (the
/// `google.protobuf` ones protox provides too), with source info (the comments that become the
/// generated docs) and the custom options such as `cl_auth_type`, which a `prost-types` round
/// trip would drop.
///
/// A missing or broken proto is an error naming the file and, for a syntax or type error, the
/// line.
pub fn compile(repo_root: &Path) -> Result<Vec<u8>, String> {
    let root = repo_root.join(ROOT_PROTO);
    if !root.is_file() {
        return Err(format!(
            "{} is missing; run scripts/update-protos to vendor the Clarifai protos",
            root.display()
        ));
    }
    // Clarifai's files import each other as "proto/clarifai/...", relative to the crate root, and
    // import google/api/*.proto, which live in proto/. google/protobuf/* come with protox.
    let mut compiler = protox::Compiler::new([repo_root.to_path_buf(), repo_root.join("proto")])
        .map_err(|e| format!("setting up the proto compiler: {e}"))?;
    compiler.include_imports(true).include_source_info(true);
    compiler
        .open_file(ROOT_PROTO)
        .map_err(|e| describe_protox_error(&e, repo_root))?;
    Ok(compiler.encode_file_descriptor_set())
}

/// Whether `repo_root`'s [`OUTPUT`] holds exactly what its protos compile to; if not, an error
/// that says to run [`COMMAND`].
pub fn check(repo_root: &Path) -> Result<(), String> {
    let compiled = compile(repo_root)?;
    let path = repo_root.join(OUTPUT);
    let stale = match fs::read(&path) {
        Ok(current) if current == compiled => return Ok(()),
        Ok(current) => format!(
            "({} bytes) does not hold what the protos in proto/ compile to ({} bytes)",
            current.len(),
            compiled.len()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "is missing".to_owned(),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    Err(format!(
        "{} {stale}; run `{COMMAND}` to rewrite it",
        path.display()
    ))
}

/// Compiles the protos and writes [`OUTPUT`]; returns whether the file changed.
pub fn write(repo_root: &Path) -> Result<bool, String> {
    let compiled = compile(repo_root)?;
    let path = repo_root.join(OUTPUT);
    if fs::read(&path).is_ok_and(|current| current == compiled) {
        return Ok(false);
    }
    fs::write(&path, &compiled).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(true)
}

/// protox's error names the file; a parse or check error also has a span, turned into a line.
fn describe_protox_error(e: &protox::Error, repo_root: &Path) -> String {
    let mut text = e.to_string();
    let Some(file) = e.file() else { return text };
    let _ = write!(text, " (in {file}");
    let label = e.labels().and_then(|mut labels| labels.next());
    let source = [repo_root.join(file), repo_root.join("proto").join(file)]
        .into_iter()
        .find_map(|p| fs::read_to_string(p).ok());
    if let (Some(label), Some(source)) = (label, source) {
        let upto = &source.as_bytes()[..label.offset().min(source.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let _ = write!(text, ", line {line}");
        if let Some(label) = label.label() {
            let _ = write!(text, ": {label}");
        }
    }
    text.push(')');
    text
}
