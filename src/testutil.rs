//! Helpers for unit tests.

use std::path::PathBuf;

/// A third-party Wycheproof vector file kept in the repository
/// (`test-vectors/third_party/wycheproof/`, source and licence in its README), so the
/// tests need nothing beside the clone.
pub fn wycheproof_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("test-vectors/third_party/wycheproof")
        .join(name)
}
