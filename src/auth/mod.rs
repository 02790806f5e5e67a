//! Signature schemes and credentials. Each scheme turns a signed request into the
//! account it speaks for, or an [`AuthError`] that the dialect maps to its codes.

pub mod credentials;
pub mod expiring;
pub mod huawei;
pub mod replay;
pub mod tc3;
pub mod tc_v1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The Authorization header (or a header it depends on) is missing or malformed.
    #[error("{0}")]
    Malformed(String),
    /// The request's timestamp is outside the accepted window.
    #[error("{0}")]
    Expired(String),
    #[error("the SecretId {0} does not exist or has been deleted")]
    UnknownSecretId(String),
    /// The signature does not match the request.
    #[error("{0}")]
    BadSignature(String),
    /// The signature was already seen with other unsigned headers.
    #[error("{0}")]
    Replay(String),
}
