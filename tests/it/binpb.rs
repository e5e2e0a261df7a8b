//! `codegen/clarifai.binpb`, the descriptor set both build scripts decode, is what the vendored protos
//! compile to (`tools/compile-protos`): a proto edited or vendored without rewriting the file
//! fails here, with the command that rewrites it.

use std::path::Path;

use compile_protos::{COMMAND, OUTPUT};

#[test]
fn binpb_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let compiled = compile_protos::compile(root).unwrap_or_else(|e| panic!("{e}"));
    let checked_in = std::fs::read(root.join(OUTPUT))
        .unwrap_or_else(|e| panic!("reading {OUTPUT}: {e}; run `{COMMAND}` to write it"));
    // Not assert_eq!: the two are 850 KB each.
    assert!(
        compiled == checked_in,
        "{OUTPUT} ({} bytes) is not what the protos in proto/ compile to ({} bytes); \
         run `{COMMAND}` to rewrite it",
        checked_in.len(),
        compiled.len()
    );
}
