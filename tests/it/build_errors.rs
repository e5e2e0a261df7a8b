//! `tests/build_errors.sh` as part of `cargo test`: a missing or broken proto stops the build
//! with a message naming the file (and line), not a panic. The script builds a damaged copy of
//! the crate three times in this build's target directory (about 7 s once the build script's
//! dependencies are built, which this `cargo test` has already done).

use std::path::Path;
use std::process::Command;

#[test]
fn a_broken_proto_fails_the_build_with_a_clear_message() {
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
        output.status.success() && stdout.contains("build error checks: 3 passed"),
        "tests/build_errors.sh failed:\n{stdout}\n{stderr}"
    );
}
