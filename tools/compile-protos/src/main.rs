//! `cargo run -p compile-protos [-- --check]`: compiles clarifai-tonic's vendored protos into
//! `codegen/clarifai.binpb` (see the library's docs), or with `--check` only checks that the file
//! is up to date. Exits with 1 on a broken proto or a stale file, 2 on a bad argument.

use std::path::Path;
use std::process::ExitCode;

use compile_protos::{OUTPUT, ROOT_PROTO, check, write};

fn main() -> ExitCode {
    let mut only_check = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--check" => only_check = true,
            "-h" | "--help" => {
                println!("usage: cargo run -p compile-protos [-- --check]");
                println!("Compiles {ROOT_PROTO} and its imports into {OUTPUT};");
                println!("--check only checks that {OUTPUT} is up to date.");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("compile-protos: unknown argument '{other}' (expected --check)");
                return ExitCode::from(2);
            }
        }
    }
    // This package lives in tools/compile-protos of the repository it compiles.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(repo_root) = manifest.ancestors().nth(2) else {
        eprintln!(
            "compile-protos: {} has no repository root",
            manifest.display()
        );
        return ExitCode::FAILURE;
    };
    let result = if only_check {
        check(repo_root).map(|()| format!("{OUTPUT} is up to date"))
    } else {
        write(repo_root).map(|changed| match changed {
            true => format!("wrote {OUTPUT}"),
            false => format!("{OUTPUT} was already up to date"),
        })
    };
    match result {
        Ok(message) => {
            println!("compile-protos: {message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: compile-protos: {message}");
            ExitCode::FAILURE
        }
    }
}
