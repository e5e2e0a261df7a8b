//! Code generation for clarifai-tonic-types, in pure Rust (no `protoc`, no C toolchain).
//!
//! 1. `proto/clarifai.binpb` is decoded: `proto/clarifai/api/service.proto` of clarifai-tonic's
//!    repository and its imports, compiled once when they are vendored (`cargo run -p
//!    compile-protos`, which runs `protox`), so that no depending crate builds a proto compiler.
//! 2. `messages` writes the Rust types of every package (what prost-build wrote, line for line),
//!    with no services: clarifai-tonic's build script writes the `V2Client` and the mock server
//!    from the same file.
//! 3. `setters` writes `set_x` / `with_x` / `clear_x` for the singular message fields, and
//!    `status_aliases` the `StatusCode` names prost drops.
//!
//! A missing or undecodable `proto/clarifai.binpb` is reported by path, with the command that
//! writes it, and the build stops without a panic.
//!
//! The modules in `build/` are shared with clarifai-tonic's build script, which includes them from
//! `types/build/` (its package holds this one's directory).

// Service, Method and Comments::append_with_indent are for service writers: this crate has none.
#[allow(dead_code)]
#[path = "build/messages.rs"]
mod messages;
// first_doc_line is for clarifai-tonic's rpc table.
#[allow(dead_code)]
#[path = "build/names.rs"]
mod names;
#[path = "build/protos.rs"]
mod protos;
#[path = "build/setters.rs"]
mod setters;
#[path = "build/status_aliases.rs"]
mod status_aliases;
#[path = "build/template.rs"]
mod template;

use std::path::{Path, PathBuf};
use std::{env, fs, process};

use messages::{Service, ServiceWriter};
use protos::COMPILE;

type BuildResult<T> = Result<T, String>;

/// The compiled protos, relative to this package's root.
const DESCRIPTORS: &str = "proto/clarifai.binpb";
/// The enum of Clarifai's status codes, whose names `status_aliases` completes.
const STATUS_CODE: &str = "clarifai.api.status.StatusCode";

fn main() {
    if let Err(message) = run() {
        eprintln!("error: clarifai-tonic-types code generation failed: {message}");
        process::exit(1);
    }
}

/// Every step in order; the first error stops the build.
fn run() -> BuildResult<()> {
    let manifest = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    println!("cargo:rerun-if-changed=build.rs");

    let protos::Protos { set, pool, .. } = protos::load(&manifest, DESCRIPTORS)?;
    // The one type the hand-written code cannot do without; an empty or foreign set lacks it.
    if pool.get_enum_by_name(STATUS_CODE).is_none() {
        return Err(format!(
            "{} does not define {STATUS_CODE}; run `{COMPILE}` to write it again",
            manifest.join(DESCRIPTORS).display()
        ));
    }
    for (name, text) in protos::messages(set, &pool, &mut NoServices)? {
        write_file(&out_dir, &name, &text)?;
    }
    write_file(&out_dir, "setters.rs", &setters::setters(&pool))?;
    write_file(
        &out_dir,
        "status_aliases.rs",
        &status_aliases::status_aliases(&pool)?,
    )
}

/// The service writer of the messages: services are clarifai-tonic's, so none is written here.
struct NoServices;

impl ServiceWriter for NoServices {
    fn service(&mut self, _: Service, _: &mut String) {}
    fn file_done(&mut self, _: &mut String) {}
    fn package_done(&mut self, _: &str, _: &mut String) {}
}

/// A variable cargo sets for build scripts; missing, it is an error rather than a panic.
fn env_var(name: &str) -> BuildResult<String> {
    env::var(name).map_err(|_| format!("cargo did not set {name}"))
}

/// Writes one generated file into `out_dir`, naming it in the error.
fn write_file(out_dir: &Path, name: &str, text: &str) -> BuildResult<()> {
    let path = out_dir.join(name);
    fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}
