//! Code generation for clarifai-tonic-types, in pure Rust (no `protoc`, no C toolchain): the
//! message types of every package, their setters and the `StatusCode` aliases, written by
//! clarifai-tonic-codegen (shared with clarifai-tonic's build script) from the descriptor set it
//! holds, which `cargo run -p compile-protos` compiles when the protos are vendored.
//!
//! A missing or undecodable descriptor set is reported by path, with the command that writes it,
//! and the build stops without a panic.

use std::path::PathBuf;
use std::{env, process};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let written = env::var_os("OUT_DIR")
        .ok_or_else(|| "cargo did not set OUT_DIR".to_owned())
        .and_then(|out_dir| clarifai_tonic_codegen::write_types(&PathBuf::from(out_dir)));
    if let Err(message) = written {
        eprintln!("error: clarifai-tonic-types code generation failed: {message}");
        process::exit(1);
    }
}
