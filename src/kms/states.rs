//! Which operations each key state allows: one table, walked whole by a test.

use crate::model::DataKeyState;
use crate::model::KeyState::{self, *};

/// Everything that can be asked of a CMK, as far as its state matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Enable,
    Disable,
    ScheduleDeletion,
    CancelDeletion,
    Archive,
    CancelArchive,
    /// Anything that encrypts under the key (Encrypt, GenerateDataKey, a ReEncrypt
    /// destination).
    Encrypt,
    /// Anything that decrypts under the key (Decrypt, a ReEncrypt source).
    Decrypt,
    /// Reading or editing metadata: describe, alias, description, tags.
    Metadata,
    /// Turning automatic rotation on or off.
    ConfigureRotation,
    /// Adding a new material version now.
    Rotate,
    /// Signing with an asymmetric key's private key (SignByAsymmetricKey).
    Sign,
    /// Verifying a signature under an asymmetric key (VerifyByAsymmetricKey).
    Verify,
    /// Decrypting with an asymmetric key's private key (AsymmetricSm2Decrypt,
    /// AsymmetricRsaDecrypt).
    AsymmetricDecrypt,
    /// Reading an asymmetric key's public key (GetPublicKey).
    GetPublicKey,
    /// Importing material into an EXTERNAL key (and getting the parameters for it).
    Import,
    /// Deleting an EXTERNAL key's imported material.
    DeleteImportedMaterial,
}

impl Op {
    pub const ALL: [Op; 17] = [
        Op::Enable,
        Op::Disable,
        Op::ScheduleDeletion,
        Op::CancelDeletion,
        Op::Archive,
        Op::CancelArchive,
        Op::Encrypt,
        Op::Decrypt,
        Op::Metadata,
        Op::ConfigureRotation,
        Op::Rotate,
        Op::Sign,
        Op::Verify,
        Op::AsymmetricDecrypt,
        Op::GetPublicKey,
        Op::Import,
        Op::DeleteImportedMaterial,
    ];
}

/// Whether `op` is allowed on a key in `state`.
///
/// Enabling or disabling a key that already is so succeeds (callers retry), as does
/// archiving an archived key. Deletion needs the key out of use first: an Enabled key
/// must be disabled before it can be scheduled for deletion. Archived keys still decrypt
/// (that is what archiving is for: no new ciphertexts, old ones stay readable).
///
/// Asymmetric keys follow the same idea: an Archived key makes no new signatures but
/// still verifies old ones, still decrypts, and still hands out its public key (which
/// is what verifying elsewhere needs); Disabled, PendingDelete and PendingImport keys
/// do none of these.
pub fn allowed(op: Op, state: KeyState) -> bool {
    match op {
        Op::Enable | Op::Disable => matches!(state, Enabled | Disabled),
        Op::ScheduleDeletion => matches!(state, Disabled | PendingImport | Archived),
        Op::CancelDeletion => state == PendingDelete,
        Op::Archive => matches!(state, Enabled | Archived),
        Op::CancelArchive => state == Archived,
        Op::Encrypt => state == Enabled,
        Op::Decrypt => matches!(state, Enabled | Archived),
        Op::Metadata => true,
        Op::ConfigureRotation => matches!(state, Enabled | Disabled),
        Op::Rotate => state == Enabled,
        Op::Sign => state == Enabled,
        Op::Verify | Op::AsymmetricDecrypt | Op::GetPublicKey => {
            matches!(state, Enabled | Archived)
        }
        // A first import, or a re-import of the same material (to change its expiry);
        // a key on its way out or archived takes none.
        Op::Import => matches!(state, PendingImport | Enabled | Disabled),
        // Material can always be taken away; a key pending deletion stays so.
        Op::DeleteImportedMaterial => true,
    }
}

/// What can be asked of a hosted data key, as far as its state matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKeyOp {
    Enable,
    Disable,
    ScheduleDeletion,
    CancelDeletion,
    /// Reading the plaintext.
    Plaintext,
    /// Reading the CiphertextBlob.
    Ciphertext,
    Metadata,
}

impl DataKeyOp {
    pub const ALL: [DataKeyOp; 7] = [
        DataKeyOp::Enable,
        DataKeyOp::Disable,
        DataKeyOp::ScheduleDeletion,
        DataKeyOp::CancelDeletion,
        DataKeyOp::Plaintext,
        DataKeyOp::Ciphertext,
        DataKeyOp::Metadata,
    ];
}

/// The data-key state table. Like CMKs: a key must be disabled before it can be
/// scheduled for deletion, and comes back Disabled when the deletion is cancelled.
///
/// Only an Enabled data key hands out its key, in either form: the plaintext
/// (GetDataKeyPlaintext) and the CiphertextBlob (GetDataKeyCiphertextBlob) alike. The
/// blob is the key to anyone who may Decrypt under its CMK, so handing it out while
/// the data key is Disabled or PendingDelete would undo the state. Tencent documents
/// `ResourceUnavailable.DataKeyStateNotSupport` for GetDataKeyCiphertextBlob, so that
/// call does have states it refuses.
///
/// A blob already handed out is an ordinary CiphertextBlob under the CMK: Decrypt
/// follows the CMK's state only (Tencent's Decrypt documents no data-key errors), and
/// does not look up whether some hosted data key holds the same blob (an imported one
/// may have been in the caller's hands long before it was hosted). To stop existing
/// copies from being decrypted, disable the CMK.
pub fn data_key_allowed(op: DataKeyOp, state: DataKeyState) -> bool {
    use DataKeyState::*;
    match op {
        DataKeyOp::Enable | DataKeyOp::Disable => matches!(state, Enabled | Disabled),
        DataKeyOp::ScheduleDeletion => state == Disabled,
        DataKeyOp::CancelDeletion => state == PendingDelete,
        DataKeyOp::Plaintext | DataKeyOp::Ciphertext => state == Enabled,
        DataKeyOp::Metadata => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table, written out once more as a grid so that a change to `allowed`
    /// has to be made deliberately in two places.
    #[test]
    fn the_whole_table() {
        // Columns: Enabled, Disabled, PendingDelete, PendingImport, Archived.
        let grid: [(Op, [bool; 5]); 17] = [
            (Op::Enable, [true, true, false, false, false]),
            (Op::Disable, [true, true, false, false, false]),
            (Op::ScheduleDeletion, [false, true, false, true, true]),
            (Op::CancelDeletion, [false, false, true, false, false]),
            (Op::Archive, [true, false, false, false, true]),
            (Op::CancelArchive, [false, false, false, false, true]),
            (Op::Encrypt, [true, false, false, false, false]),
            (Op::Decrypt, [true, false, false, false, true]),
            (Op::Metadata, [true, true, true, true, true]),
            (Op::ConfigureRotation, [true, true, false, false, false]),
            (Op::Rotate, [true, false, false, false, false]),
            (Op::Sign, [true, false, false, false, false]),
            (Op::Verify, [true, false, false, false, true]),
            (Op::AsymmetricDecrypt, [true, false, false, false, true]),
            (Op::GetPublicKey, [true, false, false, false, true]),
            (Op::Import, [true, true, false, true, false]),
            (Op::DeleteImportedMaterial, [true, true, true, true, true]),
        ];
        assert_eq!(grid.len(), Op::ALL.len());
        for (op, row) in grid {
            for (state, want) in KeyState::ALL.into_iter().zip(row) {
                assert_eq!(allowed(op, state), want, "{op:?} on {state:?}");
            }
        }
    }
}
