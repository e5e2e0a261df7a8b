//! Code generation for clarifai-tonic, in pure Rust (no `protoc`, no C toolchain).
//!
//! The messages are not written here: they are clarifai-tonic-types' (`types/`), a crate of its
//! own that depends only on prost, so that a build compiles them while it compiles tonic. This
//! script writes what names the client, from the same descriptor set:
//!
//! 1. The descriptor set is decoded (`codegen/clarifai.binpb`: `proto/clarifai/api/service.proto`
//!    and its imports, compiled once when they are vendored by `cargo run -p compile-protos`,
//!    which runs `protox`), so that no crate depending on this one builds a proto compiler.
//! 2. The message writer hands over the services, without writing the messages (the types crate
//!    writes those), and `services` keeps what is written for them: `grpc_client` writes the
//!    `V2Client` and (feature `mock`) `tonic-prost-build` the server, in modules that re-export
//!    the types crate's messages.
//! 3. The same set as a descriptor pool, which keeps the custom method options that prost drops, is
//!    walked once to emit the per-rpc table (auth type, scopes, streaming kind), the `user_app_id`
//!    and `status` accessors, the named client methods, and the mock server's dispatch.
//!
//! A missing or undecodable descriptor set is reported by path, with the command that writes it,
//! and the build stops without a panic. (A broken proto is reported by file and line by
//! `compile-protos`; a test checks that the checked-in file is what the protos compile to.)
//!
//! What the types crate's build script needs too (`protos`, `messages`, `names`, `template`) is
//! in clarifai-tonic-codegen (`codegen/`), a build-dependency of both, compiled once; the other
//! steps are modules of `build/`, one per file written into `OUT_DIR`.

#[path = "build/accessors.rs"]
mod accessors;
#[path = "build/blocking_methods.rs"]
mod blocking_methods;
#[path = "build/client_methods.rs"]
mod client_methods;
#[path = "build/fidelity.rs"]
mod fidelity;
#[path = "build/grpc_client.rs"]
mod grpc_client;
#[path = "build/mock_dispatch.rs"]
mod mock_dispatch;
#[path = "build/rpc_table.rs"]
mod rpc_table;
#[path = "build/services.rs"]
mod services;

use clarifai_tonic_codegen::{BuildResult, messages, names, protos, template, write_file};

use std::path::PathBuf;
use std::{env, process};

use prost_reflect::MethodDescriptor;

use protos::COMPILE;

/// The service every rpc belongs to.
const SERVICE: &str = "clarifai.api.V2";

fn main() {
    if let Err(message) = run() {
        eprintln!("error: clarifai-tonic code generation failed: {message}");
        process::exit(1);
    }
}

/// Every step in order; the first error stops the build.
fn run() -> BuildResult<()> {
    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    let with_server = env::var_os("CARGO_FEATURE_MOCK").is_some();
    let with_blocking = env::var_os("CARGO_FEATURE_BLOCKING").is_some();
    println!("cargo:rerun-if-changed=build.rs");

    let protos::Protos { bytes, set, pool } = protos::load()?;
    let service = pool.get_service_by_name(SERVICE).ok_or_else(|| {
        format!(
            "{} does not define service {SERVICE}; run `{COMPILE}` to write it again",
            protos::descriptors_path().display()
        )
    })?;
    // The messages are the types crate's: only the services are written here.
    let mut services = services::Captured::new(grpc_client::Generator::new(with_server));
    protos::services(set, &mut services)?;
    write_file(&out_dir, "services.rs", &services.into_file())?;
    fidelity::write(&bytes, &pool, &out_dir)?;

    let methods: Vec<MethodDescriptor> = service.methods().collect();
    let ext = rpc_table::Extensions::find(&pool)?;
    write_file(
        &out_dir,
        "rpc_table.rs",
        &rpc_table::rpc_table(&methods, &ext)?,
    )?;
    write_file(&out_dir, "scoped.rs", &accessors::scoped_impls(&methods)?)?;
    write_file(
        &out_dir,
        "client_methods.rs",
        &client_methods::client_methods(&methods),
    )?;
    if with_blocking {
        write_file(
            &out_dir,
            "blocking_methods.rs",
            &blocking_methods::blocking_methods(&methods),
        )?;
    }
    if with_server {
        write_file(
            &out_dir,
            "mock_dispatch.rs",
            &mock_dispatch::mock_dispatch(&methods),
        )?;
    }
    Ok(())
}

/// A variable cargo sets for build scripts; missing, it is an error rather than a panic.
fn env_var(name: &str) -> BuildResult<String> {
    env::var(name).map_err(|_| format!("cargo did not set {name}"))
}
