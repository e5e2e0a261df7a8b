//! `tests/build_errors.sh` as part of `cargo test`: a missing or broken proto stops
//! `cargo run -p compile-protos` with a message naming the file (and line), and a missing or
//! corrupt `codegen/clarifai.binpb` stops the build with a message naming it, never a panic. The
//! script runs the tool three times and builds the library four times on a damaged copy of the
//! crate, in this build's target directory (whose dependencies this `cargo test` has built).

use std::path::Path;
use std::process::Command;

#[test]
fn broken_protos_or_descriptors_fail_with_a_clear_message() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // CARGO_TARGET_TMPDIR is `<target dir>/tmp`: share the target dir, so that the copy reuses
    // the dependencies this build compiled.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let output = Command::new("bash")
        .arg(root.join("tests/build_errors.sh"))
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("build error checks: 7 passed"),
        "tests/build_errors.sh failed:\n{stdout}\n{stderr}"
    );
}
