//! Helpers for unit tests.

use std::path::PathBuf;

/// A Wycheproof vector file: from `WYCHEPROOF_DIR` (a checkout's `testvectors_v1`), or
/// from `../shared/vectors/wycheproof` beside the repository, as CI has it.
pub fn wycheproof_file(name: &str) -> Option<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(d) = std::env::var("WYCHEPROOF_DIR") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/wycheproof"));
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.exists())
}
