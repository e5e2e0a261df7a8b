//! Steps 1 and 2: the descriptor set compiled from the vendored protos (`proto/clarifai.binpb`,
//! written by `cargo run -p compile-protos` when they are vendored) is decoded; then
//! [`crate::messages`] writes the messages, [`crate::grpc_client`] the client and (feature
//! `mock`) tonic-prost-build the server.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use prost_reflect::DescriptorPool;
use prost_reflect::prost::Message as _;
use prost_reflect::prost_types::FileDescriptorSet;

use crate::{BuildResult, messages, write_file};

/// The compiled protos, relative to the crate root: `proto/clarifai/api/service.proto` and its
/// imports, with source info and the custom options, as `tools/compile-protos` writes them.
pub const DESCRIPTORS: &str = "proto/clarifai.binpb";
/// The command that writes [`DESCRIPTORS`], for the errors that ask to run it.
pub const COMPILE: &str = "cargo run -p compile-protos";
/// The service every rpc belongs to.
pub const SERVICE: &str = "clarifai.api.V2";

/// The vendored protos as compiled, in the three forms the build needs.
pub struct Protos {
    /// The encoded `FileDescriptorSet`, as read from [`DESCRIPTORS`].
    pub bytes: Vec<u8>,
    /// The same set decoded by prost, for `prost-build` (which drops the custom options).
    pub set: FileDescriptorSet,
    /// The same set as a descriptor pool, which keeps the custom options such as `cl_auth_type`.
    pub pool: DescriptorPool,
}

/// Reads and decodes [`DESCRIPTORS`], and tells cargo to watch it, so that regenerating it reruns
/// this script. A missing or undecodable file is an error naming it (the protos themselves are
/// not read here: `tools/compile-protos` compiles them, and a test checks the file is current).
pub fn load(manifest: &Path) -> BuildResult<Protos> {
    let path = manifest.join(DESCRIPTORS);
    // Watched even when missing, so that restoring it reruns this script.
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

/// Writes the messages (see [`crate::messages`]) with the client (see [`crate::grpc_client`])
/// and, `with_server`, the mock server into `out_dir`.
pub fn generate(
    mut set: FileDescriptorSet,
    pool: &DescriptorPool,
    out_dir: &Path,
    with_server: bool,
) -> BuildResult<()> {
    // google.api only carries the http options, so it generates no Rust. google.protobuf stays in
    // the set (its messages are looked through) and maps to prost-types.
    set.file.retain(|f| f.package() != "google.api");
    messages::clean_comments(&mut set);
    let boxed = messages::boxed_fields(pool);
    let mut services = crate::grpc_client::Generator::new(with_server);
    for (name, text) in messages::write_all(&set, &boxed, &mut services)? {
        write_file(out_dir, &name, &text)?;
    }
    Ok(())
}
