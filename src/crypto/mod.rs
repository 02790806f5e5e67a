//! Pure cryptographic functions: no I/O, no storage, no HTTP.
//!
//! Everything here takes bytes and returns bytes (or an opaque failure), so it can be
//! tested against published vectors and fuzzed without a running server.

pub mod asym;
pub mod blob;
pub mod cmk;
pub mod context;
pub mod deliver;
pub mod import;
pub mod keyfile;
pub mod random;
pub mod rsaes;
pub mod seal;
pub mod secret;
pub mod sm2;
pub mod tls;

/// The one failure every decryption in this crate reports. It deliberately carries no
/// reason: telling a caller *why* an authenticated decryption failed (tag, length,
/// padding) is how oracles are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("decryption failed")]
pub struct DecryptFailed;
