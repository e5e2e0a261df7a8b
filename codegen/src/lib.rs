//! The code generation that the build scripts of clarifai-tonic and clarifai-tonic-types share,
//! in pure Rust (no `protoc`, no proto compiler):
//!
//! - [`protos`]: the vendored protos as compiled into `clarifai.binpb` (by `cargo run -p
//!   compile-protos`, when they are vendored), decoded;
//! - [`messages`]: the prost message types of every package (what prost-build wrote, line for
//!   line), handing each service to a [`messages::ServiceWriter`];
//! - [`comments`] and [`names`]: proto comments made into docs, and how the generated code names
//!   things;
//! - [`setters`] and [`status_aliases`]: `set_x` / `with_x` / `clear_x` for singular message
//!   fields, and the `StatusCode` names prost drops;
//! - [`write_types`]: all of the above into the types crate's `OUT_DIR`.
//!
//! It exists so that both build scripts use one copy of this code, compiled once, and so that
//! each published package holds everything its build script reads. Its API serves those scripts
//! and is not stable.

pub mod comments;
pub mod messages;
pub mod names;
pub mod protos;
pub mod setters;
pub mod status_aliases;
pub mod template;

use std::fs;
use std::path::Path;

pub use heck;
pub use prost_reflect;

use messages::{Service, ServiceWriter};
use protos::COMPILE;

/// What every step returns: an error is a message for the build's output, never a panic.
pub type BuildResult<T> = Result<T, String>;

/// The enum of Clarifai's status codes, whose names [`status_aliases`] completes.
const STATUS_CODE: &str = "clarifai.api.status.StatusCode";

/// Writes what clarifai-tonic-types includes into `out_dir`: the messages (`mod.rs` and one file
/// per package), `setters.rs` and `status_aliases.rs`. Services are left to clarifai-tonic.
pub fn write_types(out_dir: &Path) -> BuildResult<()> {
    let protos::Protos { set, pool, .. } = protos::load()?;
    // The one type the hand-written code cannot do without; an empty or foreign set lacks it.
    if pool.get_enum_by_name(STATUS_CODE).is_none() {
        return Err(format!(
            "{} does not define {STATUS_CODE}; run `{COMPILE}` to write it again",
            protos::descriptors_path().display()
        ));
    }
    for (name, text) in protos::messages(set, &pool, &mut NoServices)? {
        write_file(out_dir, &name, &text)?;
    }
    write_file(out_dir, "setters.rs", &setters::setters(&pool))?;
    write_file(
        out_dir,
        "status_aliases.rs",
        &status_aliases::status_aliases(&pool)?,
    )
}

/// Writes one generated file into `out_dir`, naming it in the error.
pub fn write_file(out_dir: &Path, name: &str, text: &str) -> BuildResult<()> {
    let path = out_dir.join(name);
    fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The service writer of the types crate: services are clarifai-tonic's, so none is written.
struct NoServices;

impl ServiceWriter for NoServices {
    fn service(&mut self, _: Service, _: &mut String) {}
    fn file_done(&mut self, _: &mut String) {}
    fn package_done(&mut self, _: &str, _: &mut String) {}
}
