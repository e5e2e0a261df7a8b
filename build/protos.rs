//! Steps 1 and 2: the descriptor set compiled from the vendored protos (`proto/clarifai.binpb`,
//! written by `cargo run -p compile-protos` when they are vendored) is decoded, and `prost-build`
//! generates the messages, [`crate::grpc_client`] the client and (feature `mock`)
//! `tonic-prost-build` the server, from comments cleaned of their banners and other noise, with
//! their code blocks fenced as text (see [`crate::names::fence_code`]).

use std::collections::BTreeSet;
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use prost_reflect::prost::Message as _;
use prost_reflect::prost_types::FileDescriptorSet;
use prost_reflect::{DescriptorPool, Kind};

use crate::BuildResult;
use crate::names::{clarifai_messages, clean_comment, fence_code};

/// The compiled protos, relative to the crate root: `proto/clarifai/api/service.proto` and its
/// imports, with source info and the custom options, as `tools/compile-protos` writes them.
pub const DESCRIPTORS: &str = "proto/clarifai.binpb";
/// The command that writes [`DESCRIPTORS`], for the errors that ask to run it.
pub const COMPILE: &str = "cargo run -p compile-protos";
/// The service every rpc belongs to.
pub const SERVICE: &str = "clarifai.api.V2";
/// Message types kept inline even though they are singular message fields (see `boxed_fields`).
const NEVER_BOXED: &[&str] = &["clarifai.api.UserAppIDSet", "clarifai.api.status.Status"];

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

/// Runs `prost-build` over the compiled files: messages (nested messages boxed, see
/// [`boxed_fields`]), the client, and the server only `with_server`.
pub fn generate(
    mut fds: FileDescriptorSet,
    pool: &DescriptorPool,
    out_dir: &Path,
    with_server: bool,
) -> BuildResult<()> {
    // google.api only carries the http options, so it generates no Rust. google.protobuf stays in
    // the set (prost needs its descriptors) and maps to prost-types.
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
