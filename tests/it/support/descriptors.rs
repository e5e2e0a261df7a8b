//! The two descriptor sets: ours, as build.rs compiled `proto/`, and the official Python client's
//! (the `clarifai-grpc-<version>.binpb` fixture). fidelity.rs compares them; other tests read
//! requests and responses by them.

use std::path::PathBuf;

use prost_reflect::DescriptorPool;

/// The descriptors build.rs loaded from codegen/clarifai.binpb (what the protos compile to).
static OURS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.binpb"));

/// The official client's descriptors: the one `clarifai-grpc-<version>.binpb` in tests/fixtures.
pub fn official() -> (String, DescriptorPool) {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures")
        .map(|e| e.expect("a fixture entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("clarifai-grpc-") && n.ends_with(".binpb"))
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one clarifai-grpc-<version>.binpb in {}, found {found:?}; \
         run scripts/official-descriptors <version>",
        dir.display()
    );
    let path = found.remove(0);
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let bytes = std::fs::read(&path).expect("read the fixture");
    let pool = DescriptorPool::decode(bytes.as_slice())
        .unwrap_or_else(|e| panic!("{} is not a valid FileDescriptorSet: {e}", path.display()));
    (name, pool)
}

/// Ours: the descriptors build.rs wrote.
pub fn ours() -> DescriptorPool {
    DescriptorPool::decode(OURS).expect("build.rs wrote a valid FileDescriptorSet")
}
