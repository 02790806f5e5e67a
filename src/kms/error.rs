//! The core's one error type. It says *what* went wrong in the core's terms; each
//! dialect maps it to its own codes with one exhaustive `match`.

use super::states::{DataKeyOp, Op};
use crate::model::{DataKeyState, KeyState, KeyUsage};
use crate::store::StoreError;

/// Which request field an error is about. Dialects use it to choose a specific code
/// (Tencent's `InvalidParameterValue.InvalidKeyId`, say) and to name the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    KeyId,
    KeyIds,
    Alias,
    Description,
    PendingWindowInDays,
    Tags,
    NumberOfBytes,
    EncryptionContext,
    Plaintext,
    RotateDays,
    DataKeyId,
    DataKeyIds,
    DataKeyName,
    ImportKeyMaterial,
    /// Expiry of imported material (Tencent `ValidTo`).
    ValidTo,
    /// Which algorithm wraps imported material, and the wrapping key's spec.
    WrappingAlgorithm,
    WrappingKeySpec,
    /// The wrapped material of ImportKeyMaterial.
    EncryptedKeyMaterial,
    ImportToken,
    Other(&'static str),
}

impl Field {
    /// The field's name as the Tencent API spells it (the default wording of messages).
    pub fn name(self) -> &'static str {
        match self {
            Field::KeyId => "KeyId",
            Field::KeyIds => "KeyIds",
            Field::Alias => "Alias",
            Field::Description => "Description",
            Field::PendingWindowInDays => "PendingWindowInDays",
            Field::Tags => "Tags",
            Field::NumberOfBytes => "NumberOfBytes",
            Field::EncryptionContext => "EncryptionContext",
            Field::Plaintext => "Plaintext",
            Field::RotateDays => "RotateDays",
            Field::DataKeyId => "DataKeyId",
            Field::DataKeyIds => "DataKeyIds",
            Field::DataKeyName => "DataKeyName",
            Field::ImportKeyMaterial => "ImportKeyMaterial",
            Field::ValidTo => "ValidTo",
            Field::WrappingAlgorithm => "WrappingAlgorithm",
            Field::WrappingKeySpec => "WrappingKeySpec",
            Field::EncryptedKeyMaterial => "EncryptedKeyMaterial",
            Field::ImportToken => "ImportToken",
            Field::Other(name) => name,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Cmk,
    DataKey,
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Resource::Cmk => "key",
            Resource::DataKey => "data key",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    CmksPerScope,
    DataKeysPerAccount,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A value the core cannot accept; `reason` is a sentence a person can act on.
    #[error("{}: {reason}", field.name())]
    Invalid { field: Field, reason: String },
    /// A value that must be unique already exists (an alias) or repeats in one request.
    #[error("{} {value} is already used", field.name())]
    Duplicate { field: Field, value: String },
    /// The resource does not exist *for this caller*: another account's or scope's key
    /// answers exactly like a key that was never created.
    #[error("{id} was not found")]
    NotFound { what: Resource, id: String },
    /// The key's state does not allow the operation. The state table in `states.rs`
    /// decides; dialects pick a code from (op, state).
    #[error("key {key_id} is {} and cannot be used for {op:?}", state.as_str())]
    WrongState {
        key_id: String,
        state: KeyState,
        op: Op,
    },
    /// The hosted data key's state does not allow the operation.
    #[error("data key {data_key_id} is {} and cannot be used for {op:?}", state.as_str())]
    DataKeyWrongState {
        data_key_id: String,
        state: DataKeyState,
        op: DataKeyOp,
    },
    /// The key's usage (fixed when it was created) does not allow the operation: a
    /// symmetric operation on an asymmetric key, signing with a decryption key,
    /// decrypting with a signing key or a symmetric one, rotating an asymmetric key.
    #[error("key {key_id} has KeyUsage {} and cannot be used for {op:?}", usage.as_str())]
    WrongUsage {
        key_id: String,
        usage: KeyUsage,
        op: Op,
    },
    /// A ciphertext that is malformed, tampered with, or presented with the wrong
    /// EncryptionContext. Deliberately one error for all: no oracle.
    #[error("the ciphertext is invalid")]
    InvalidCiphertext,
    /// The operation does not apply to keys whose material was imported (EXTERNAL).
    #[error("key {key_id} has imported material and does not support {op:?}")]
    NotForExternal { key_id: String, op: Op },
    /// Bringing your own key went wrong in a way the caller can fix (see
    /// [`ImportError`]); the key id is the key the request named.
    #[error("key {key_id}: {problem}")]
    Import {
        key_id: String,
        problem: ImportError,
    },
    #[error("limit of {limit} reached")]
    LimitExceeded { what: Limit, limit: u64 },
    /// Something this server does not do (yet); the message says what.
    #[error("{0}")]
    Unsupported(String),
    /// A failure of ours, not the caller's. The message is for the log; dialects show a
    /// generic text to the client.
    #[error("internal error: {0}")]
    Internal(Internal),
}

/// What can be wrong with an import request (GetParametersForImport,
/// ImportKeyMaterial, DeleteImportedKeyMaterial).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The key was not created for imported material (Tencent `Type` 2, EXTERNAL).
    #[error(
        "the key's material was generated by KMS; only an EXTERNAL key takes imported material"
    )]
    NotExternal,
    /// Import is for symmetric keys (SM4, AES-256) only.
    #[error("only a symmetric key (ENCRYPT_DECRYPT) takes imported material")]
    NotSymmetric,
    /// The token was never issued, or was issued so long ago that it is forgotten.
    #[error("the import token is not one this server issued, or it expired long ago")]
    TokenUnknown,
    /// The token was issued for another key.
    #[error("the import token was issued for another key")]
    TokenForeign,
    /// The token was already presented once (tokens are single-use).
    #[error("the import token was already used; each token imports once")]
    TokenUsed,
    #[error("the import token has expired")]
    TokenExpired,
    /// The wrapped material did not decrypt under the token's wrapping key. One error
    /// for every reason: no padding oracle.
    #[error("the encrypted key material does not decrypt under the token's wrapping key")]
    UnwrapFailed,
    /// The material decrypted but is not the key's length.
    #[error("the key material is {got} bits; this key takes {want} bits")]
    WrongLength { got: usize, want: usize },
    /// A re-import of material other than the key's first.
    #[error("the key material differs from the material first imported into this key")]
    MaterialMismatch,
}

/// What failed on our side. Each variant is for the operator's log: dialects answer
/// every one with their generic internal-error code, so none reaches a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Internal {
    /// The store refused or failed in a way the operation does not expect.
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    /// Optimistic concurrency gave up: other writers kept changing the record.
    #[error("{what} {id} kept changing under concurrent updates")]
    Contended { what: Resource, id: String },
    /// A CMK names a material version the store does not have.
    #[error("material version {version} of key {key_id} is missing")]
    MissingMaterial { key_id: String, version: u32 },
    /// Stored material that does not open under the root key and its identity.
    #[error(
        "the sealed material of key {key_id} version {version} does not open under the root key"
    )]
    Unsealable { key_id: String, version: u32 },
    /// A stored record that breaks an invariant the core wrote it with.
    #[error("the stored record of {id} is corrupt: {what}")]
    CorruptRecord { id: String, what: &'static str },
    /// The bounded pool that runs public-key work failed.
    #[error("the public-key worker pool failed: {0}")]
    WorkerPool(String),
}

impl Error {
    pub fn invalid(field: Field, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// A store error the operation did not handle itself (an alias taken, a limit, a
/// conflict are handled where they can happen) is ours, not the caller's.
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Internal(Internal::Store(e))
    }
}

impl From<Internal> for Error {
    fn from(e: Internal) -> Self {
        Error::Internal(e)
    }
}

pub type Result<T> = std::result::Result<T, Error>;
