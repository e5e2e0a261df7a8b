//! The descriptor set compiled from the vendored protos (`clarifai.binpb` in this package, written
//! by `cargo run -p compile-protos` when they are vendored), decoded, and the messages written from
//! it by [`crate::messages`]. Shared by both build scripts: clarifai-tonic-types keeps the
//! messages, clarifai-tonic only the services its writer is handed.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use prost_reflect::DescriptorPool;
use prost_reflect::prost::Message as _;
use prost_reflect::prost_types::FileDescriptorSet;

use crate::BuildResult;
use crate::messages::{self, ServiceWriter};

/// The command that writes the descriptor set, for the errors that ask to run it.
pub const COMPILE: &str = "cargo run -p compile-protos";

/// The vendored protos as compiled, in the three forms the builds need.
pub struct Protos {
    /// The encoded `FileDescriptorSet`, as read from the file (for clarifai-tonic's fidelity
    /// tests).
    pub bytes: Vec<u8>,
    /// The same set decoded by prost, for the message writer (which reads no custom options).
    pub set: FileDescriptorSet,
    /// The same set as a descriptor pool, which keeps the custom options such as `cl_auth_type`.
    pub pool: DescriptorPool,
}

/// Where the descriptor set is: `clarifai.binpb` in this package's directory (written by
/// `cargo run -p compile-protos`).
pub fn descriptors_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clarifai.binpb")
}

/// Reads and decodes the descriptor set (see [`descriptors_path`]), and tells cargo to watch it,
/// so that regenerating it reruns the calling build script. A missing or undecodable file is an
/// error naming it (the protos themselves are not read here: `tools/compile-protos` compiles
/// them, and a test checks the file is current).
pub fn load() -> BuildResult<Protos> {
    let path = descriptors_path();
    // Watched even when missing, so that restoring it reruns the script.
    println!("cargo:rerun-if-changed={}", path.display());
    let bytes = fs::read(&path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => format!(
            "{} is missing; run `{COMPILE}` to compile the vendored protos into it \
             (or scripts/update-protos to vendor them again)",
            path.display()
        ),
        _ => format!("reading {}: {e}", path.display()),
    })?;
    let undecodable = |e: &dyn std::fmt::Display| {
        format!(
            "{} is not a valid FileDescriptorSet ({e}); run `{COMPILE}` to write it again",
            path.display()
        )
    };
    let set = FileDescriptorSet::decode(bytes.as_slice()).map_err(|e| undecodable(&e))?;
    let pool = DescriptorPool::decode(bytes.as_slice()).map_err(|e| undecodable(&e))?;
    Ok(Protos { bytes, set, pool })
}

/// The messages of every package (see [`crate::messages`]), as (file name, text), `mod.rs` last,
/// with `services` handed each service as it comes.
pub fn messages(
    set: FileDescriptorSet,
    pool: &DescriptorPool,
    services: &mut dyn ServiceWriter,
) -> BuildResult<Vec<(String, String)>> {
    let set = prepared(set);
    let boxed = messages::boxed_fields(pool);
    messages::write_all(&set, &boxed, services)
}

/// Every service handed to `services` (see [`messages::write_services`]), the messages not
/// written: for clarifai-tonic, whose messages are the types crate's.
pub fn services(set: FileDescriptorSet, services: &mut dyn ServiceWriter) -> BuildResult<()> {
    messages::write_services(&prepared(set), services)
}

/// The set as both writers take it: google.api dropped (it only carries the http options, so it
/// generates no Rust; google.protobuf stays, its messages are looked through and map to
/// prost-types), and the comments cleaned.
fn prepared(mut set: FileDescriptorSet) -> FileDescriptorSet {
    set.file.retain(|f| f.package() != "google.api");
    messages::clean_comments(&mut set);
    set
}
