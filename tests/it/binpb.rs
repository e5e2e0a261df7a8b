//! `codegen/clarifai.binpb`, the descriptor set both build scripts decode, is what the vendored protos
//! compile to (`tools/compile-protos`): a proto edited or vendored without rewriting the file
//! fails here, with the command that rewrites it.

use std::path::Path;

#[test]
fn binpb_is_up_to_date() {
    // The tool's own check: the protos compiled and compared byte for byte with the file, and a
    // difference or a missing file reported with the sizes and the command that rewrites it.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if let Err(e) = compile_protos::check(root) {
        panic!("{e}");
    }
}
