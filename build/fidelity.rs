//! `descriptors.binpb` and `message_types.rs`, for the fidelity tests (tests/it/fidelity.rs).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use prost_reflect::{DescriptorPool, MessageDescriptor};

use crate::names::{clarifai_messages, rust_type};
use crate::template::fill;
use crate::{BuildResult, write_file};

/// The array `message_types.rs` holds; `{rows}` is one line per message type.
const MESSAGE_TYPES: &str = r#"
&[
{rows}]
"#;

/// The descriptor set as loaded (`bytes`, codegen/clarifai.binpb), and a round-trip function per
/// message type, for the fidelity tests (tests/it/fidelity.rs), which compare both with the
/// official client's descriptors.
pub fn write(bytes: &[u8], pool: &DescriptorPool, out_dir: &Path) -> BuildResult<()> {
    // (The bytes keep the extension options, which a prost-types round trip would drop.)
    fs::write(out_dir.join("descriptors.binpb"), bytes)
        .map_err(|e| format!("writing the descriptor set: {e}"))?;
    write_file(out_dir, "message_types.rs", &message_types(pool))
}

/// `message_types.rs`: every Clarifai message type by full name, with its generated Rust type
/// behind `roundtrip` (a function the including test defines), as an array expression.
fn message_types(pool: &DescriptorPool) -> String {
    let mut rows = String::new();
    for message in clarifai_messages(pool) {
        let _ = writeln!(
            rows,
            "    ({name:?}, roundtrip::<{ty}> as Roundtrip),",
            name = message.full_name(),
            ty = public_rust_type(&message),
        );
    }
    fill(MESSAGE_TYPES, &[("rows", &rows)])
}

/// The path of a message from outside the crate (`clarifai_tonic::api::..`), where the tests
/// name it: `generated::clarifai::api` is `api`, `generated::clarifai::auth` is `auth`, and the
/// package-less `MatrixUint64` is re-exported from `api`.
fn public_rust_type(message: &MessageDescriptor) -> String {
    let path = rust_type(message);
    let inside = path.strip_prefix("crate::generated::").unwrap_or(&path);
    match inside.strip_prefix("clarifai::") {
        Some(rest) => format!("clarifai_tonic::{rest}"),
        None => format!("clarifai_tonic::api::{inside}"),
    }
}
