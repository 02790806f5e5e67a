//! Tencent API 3.0 error codes: the dialect's error type and the one mapping from the
//! core's errors.

use super::codes::DOCUMENTED;
use crate::auth::AuthError;
use crate::kms::error::{Error, Field, ImportError, Limit, Resource};
use crate::kms::states::DataKeyOp;
use crate::kms::states::Op;
use crate::model::{DataKeyState, KeyState, KeyUsage};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcError {
    pub code: &'static str,
    pub message: String,
}

impl TcError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        TcError {
            code,
            message: message.into(),
        }
    }
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("InvalidParameter", message)
    }
    pub fn invalid_parameter_value(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterValue", message)
    }
    pub fn missing(name: &str) -> Self {
        Self::new(
            "MissingParameter",
            format!("the required parameter {name} is missing"),
        )
    }
    pub fn internal(request_id: &str) -> Self {
        Self::new(
            "InternalError",
            format!("an internal error occurred; the server log has the details under RequestId {request_id}"),
        )
    }
}

impl From<AuthError> for TcError {
    fn from(e: AuthError) -> Self {
        let code = match &e {
            AuthError::Malformed(_) => "AuthFailure.InvalidAuthorization",
            AuthError::Expired(_) => "AuthFailure.SignatureExpire",
            AuthError::UnknownSecretId(_) => "AuthFailure.SecretIdNotFound",
            AuthError::BadSignature(_) => "AuthFailure.SignatureFailure",
            AuthError::Unavailable => "InternalError",
        };
        TcError::new(code, e.to_string())
    }
}

/// The codes `action` is documented to return.
fn documented(action: &str) -> &'static [&'static str] {
    DOCUMENTED
        .iter()
        .find(|(a, _)| *a == action)
        .map(|(_, c)| *c)
        .unwrap_or(&[])
}

/// A state error's code: the most specific code the action documents for that state,
/// else the generic `ResourceUnavailable.CmkStateNotSupport`.
fn state_code(action: &str, state: KeyState, op: Op) -> &'static str {
    match (op, state) {
        (Op::ScheduleDeletion, KeyState::Enabled) => {
            return "ResourceUnavailable.CmkShouldBeDisabled"
        }
        (Op::CancelDeletion, _) => return "ResourceUnavailable.CmkNotPendingDelete",
        _ => {}
    }
    let preferences: &[&'static str] = match state {
        KeyState::Disabled => &["ResourceUnavailable.CmkDisabled"],
        KeyState::PendingDelete => &[
            "ResourceUnavailable.KeyPendingDelete",
            "ResourceUnavailable.CmkStateNotSupport",
            "ResourceUnavailable.CmkDisabled",
        ],
        KeyState::Archived => &["ResourceUnavailable.CmkArchived"],
        KeyState::PendingImport | KeyState::Enabled => &[],
    };
    let documented = documented(action);
    preferences
        .iter()
        .find(|c| documented.contains(c))
        .copied()
        .unwrap_or("ResourceUnavailable.CmkStateNotSupport")
}

/// The one mapping from the core's errors to Tencent codes.
pub fn from_core(action: &str, e: Error, request_id: &str) -> TcError {
    match e {
        Error::Invalid { field, reason } => {
            let code = match field {
                Field::KeyId => "InvalidParameterValue.InvalidKeyId",
                Field::Alias => "InvalidParameterValue.InvalidAlias",
                Field::PendingWindowInDays => "InvalidParameter.InvalidPendingWindowInDays",
                Field::KeyIds | Field::NumberOfBytes | Field::EncryptionContext => {
                    "InvalidParameter"
                }
                Field::Plaintext => "InvalidParameterValue.InvalidPlaintext",
                Field::DataKeyId => "InvalidParameterValue.InvalidDataKeyId",
                Field::DataKeyName => "InvalidParameterValue.InvalidDataKeyName",
                Field::ImportKeyMaterial => "InvalidParameterValue.InvalidImportKeyMaterial",
                Field::DataKeyIds => "InvalidParameterValue",
                Field::Description | Field::Tags | Field::RotateDays | Field::Other(_) => {
                    "InvalidParameterValue"
                }
                // The import actions document InvalidParameter for their values.
                Field::ValidTo
                | Field::WrappingAlgorithm
                | Field::WrappingKeySpec
                | Field::EncryptedKeyMaterial
                | Field::ImportToken => "InvalidParameter",
            };
            // The asymmetric actions answer InvalidParameter, which each documents,
            // for every bad value (a message too long, an algorithm that does not
            // fit the key), like the values the dialect itself refuses.
            let code = if code == "InvalidParameterValue" && ASYMMETRIC_ACTIONS.contains(&action) {
                "InvalidParameter"
            } else {
                code
            };
            TcError::new(code, format!("{} {reason}", field.name()))
        }
        Error::Duplicate { field, value } => {
            let (code, msg) = match field {
                Field::Alias => (
                    "InvalidParameterValue.AliasAlreadyExists",
                    format!("the alias {value} is already used by another key in this region"),
                ),
                Field::KeyIds | Field::KeyId => (
                    "InvalidParameterValue.DuplicatedKeyId",
                    format!("the key id {value} appears more than once"),
                ),
                Field::DataKeyIds | Field::DataKeyId => (
                    "InvalidParameterValue.DuplicatedDataKeyId",
                    format!("the data key id {value} appears more than once"),
                ),
                Field::DataKeyName => (
                    "InvalidParameterValue.DataKeyNameAlreadyExists",
                    format!("the data key name {value} is already used in this region"),
                ),
                Field::Tags => (
                    "InvalidParameterValue.TagKeysDuplicated",
                    format!("the tag key {value} appears more than once"),
                ),
                other => (
                    "InvalidParameterValue",
                    format!("{} {value} appears more than once", other.name()),
                ),
            };
            TcError::new(code, msg)
        }
        Error::NotFound {
            what: Resource::Cmk,
            id,
        } => TcError::new(
            "ResourceUnavailable.CmkNotFound",
            format!("the key {id} does not exist in this account and region"),
        ),
        Error::NotFound {
            what: Resource::DataKey,
            id,
        } => TcError::new(
            "ResourceUnavailable.DataKeyNotFound",
            format!("the data key {id} does not exist in this account and region"),
        ),
        Error::DataKeyWrongState {
            data_key_id,
            state,
            op,
        } => {
            let (code, hint) = match (op, state) {
                (DataKeyOp::Plaintext, DataKeyState::Disabled) => (
                    "ResourceUnavailable.DataKeyDisabled",
                    "; EnableDataKey makes it usable again",
                ),
                (DataKeyOp::Plaintext, DataKeyState::PendingDelete) => (
                    "ResourceUnavailable.DataKeyPendingDelete",
                    "; CancelDataKeyDeletion takes it out of deletion",
                ),
                (DataKeyOp::Ciphertext, DataKeyState::Disabled) => (
                    "ResourceUnavailable.DataKeyStateNotSupport",
                    "; EnableDataKey makes it usable again",
                ),
                (DataKeyOp::Ciphertext, DataKeyState::PendingDelete) => (
                    "ResourceUnavailable.DataKeyStateNotSupport",
                    "; CancelDataKeyDeletion and EnableDataKey make it usable again",
                ),
                (DataKeyOp::CancelDeletion, _) => (
                    "ResourceUnavailable.DataKeyNotPendingDelete",
                    "; only a data key pending deletion can have its deletion cancelled",
                ),
                (DataKeyOp::ScheduleDeletion, DataKeyState::Enabled) => (
                    "ResourceUnavailable.DataKeyStateNotSupport",
                    "; disable it first (DisableDataKey)",
                ),
                _ => ("ResourceUnavailable.DataKeyStateNotSupport", ""),
            };
            TcError::new(
                code,
                format!(
                    "the data key {data_key_id} is {} and does not allow {action}{hint}",
                    state.as_str()
                ),
            )
        }
        Error::WrongState { key_id, state, op } => {
            let code = state_code(action, state, op);
            let hint = match (op, state) {
                (Op::ScheduleDeletion, KeyState::Enabled) => "; disable it first (DisableKey)",
                (Op::CancelDeletion, _) => {
                    "; only a key pending deletion can have its deletion cancelled"
                }
                (_, KeyState::Archived) => "; CancelKeyArchive makes it usable again",
                (_, KeyState::PendingDelete) => "; CancelKeyDeletion takes it out of deletion",
                (_, KeyState::Disabled) => "; EnableKey makes it usable again",
                (_, KeyState::PendingImport) => "; it has no key material yet",
                _ => "",
            };
            TcError::new(
                code,
                format!(
                    "the key {key_id} is {} and does not allow {action}{hint}",
                    state.as_str()
                ),
            )
        }
        Error::WrongUsage { key_id, usage, op } => wrong_usage(action, &key_id, usage, op),
        Error::InvalidCiphertext
            if documented(action).contains(&"FailedOperation.DecryptError") =>
        {
            TcError::new(
                "FailedOperation.DecryptError",
                "the Ciphertext does not decrypt under this key: it was not made with this key's \
                 public key and this algorithm, or it was altered",
            )
        }
        Error::InvalidCiphertext => TcError::new(
            "InvalidParameterValue.InvalidCiphertext",
            "the CiphertextBlob is not a valid ciphertext of this server, was altered, or is \
             presented with an EncryptionContext other than the one it was made with",
        ),
        Error::NotForExternal { key_id, op } => {
            let code = match op {
                Op::ConfigureRotation => "UnsupportedOperation.ExternalCmkCanNotRotate",
                Op::Rotate => "UnsupportedOperation.RotateNotSupported",
                _ => "UnsupportedOperation",
            };
            TcError::new(
                code,
                format!("the key {key_id} holds imported (EXTERNAL) material, which is not rotated by KMS"),
            )
        }
        Error::Import { key_id, problem } => import_error(&key_id, problem),
        Error::LimitExceeded {
            what: Limit::CmksPerScope,
            limit,
        } => TcError::new(
            "LimitExceeded.CmkLimitExceeded",
            format!("this account already has {limit} keys in this region, the configured limit"),
        ),
        Error::LimitExceeded {
            what: Limit::DataKeysPerAccount,
            limit,
        } => TcError::new(
            "LimitExceeded.DataKeyLimitExceeded",
            format!("this account already has {limit} hosted data keys, the configured limit"),
        ),
        // CreateKey's only refusal of this kind is a KeyUsage this server does not
        // create (ECDSA P-384), for which the action documents its own code.
        Error::Unsupported(msg) if action == "CreateKey" => TcError::new(
            "UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion",
            msg,
        ),
        Error::Unsupported(msg) => TcError::new("UnsupportedOperation", msg),
        Error::Internal(detail) => {
            tracing::error!(request_id, action, %detail, "internal error");
            TcError::internal(request_id)
        }
    }
}

/// The actions of asymmetric keys, whose bad values answer `InvalidParameter`.
const ASYMMETRIC_ACTIONS: &[&str] = &[
    "GetPublicKey",
    "SignByAsymmetricKey",
    "VerifyByAsymmetricKey",
    "AsymmetricSm2Decrypt",
    "AsymmetricRsaDecrypt",
];

/// A key used for what its KeyUsage does not allow: `InvalidParameterValue.InvalidKeyUsage`
/// where the action documents it, else `InvalidParameter`; rotating an asymmetric key
/// is Tencent's `UnsupportedOperation.RotateNotSupported`.
fn wrong_usage(action: &str, key_id: &str, usage: KeyUsage, op: Op) -> TcError {
    let usage_name = usage.as_str();
    if matches!(op, Op::Rotate | Op::ConfigureRotation) {
        return TcError::new(
            "UnsupportedOperation.RotateNotSupported",
            format!(
                "the key {key_id} is an asymmetric key (KeyUsage {usage_name}); asymmetric keys \
                 are not rotated: create a new key to change it"
            ),
        );
    }
    let hint = match op {
        Op::Encrypt | Op::Decrypt => "use a key with KeyUsage ENCRYPT_DECRYPT".to_string(),
        Op::Sign | Op::Verify => "use a key with KeyUsage ASYMMETRIC_SIGN_VERIFY_SM2, \
             ASYMMETRIC_SIGN_VERIFY_RSA_2048 or ASYMMETRIC_SIGN_VERIFY_ECC"
            .to_string(),
        Op::AsymmetricDecrypt if action == "AsymmetricRsaDecrypt" => {
            "use a key with KeyUsage ASYMMETRIC_DECRYPT_RSA_2048".to_string()
        }
        Op::AsymmetricDecrypt => "use a key with KeyUsage ASYMMETRIC_DECRYPT_SM2".to_string(),
        Op::GetPublicKey => "only asymmetric keys have a public key".to_string(),
        _ => format!("{usage_name} keys do not support it"),
    };
    let documented = documented(action);
    let code = if documented.contains(&"InvalidParameterValue.InvalidKeyUsage") {
        "InvalidParameterValue.InvalidKeyUsage"
    } else {
        "InvalidParameter"
    };
    TcError::new(
        code,
        format!(
            "the key {key_id} has KeyUsage {usage_name}, which does not allow {action}; {hint}"
        ),
    )
}

/// Import problems, by the codes GetParametersForImport and ImportKeyMaterial
/// document, with what to do next.
fn import_error(key_id: &str, problem: ImportError) -> TcError {
    let again = "; call GetParametersForImport for a new ImportToken and PublicKey";
    let (code, message) = match problem {
        ImportError::NotExternal => (
            "UnsupportedOperation.NotExternalCmk",
            format!(
                "the key {key_id} was created with material generated by KMS; only a key \
                 created with Type=2 (EXTERNAL) takes imported material"
            ),
        ),
        ImportError::NotSymmetric => (
            "UnsupportedOperation.NotExternalCmk",
            format!(
                "the key {key_id} is not a symmetric ENCRYPT_DECRYPT key; only those take \
                 imported material"
            ),
        ),
        ImportError::TokenUnknown => (
            "InvalidParameter",
            format!("ImportToken is not a token GetParametersForImport issued, or it expired long ago{again}"),
        ),
        ImportError::TokenForeign => (
            "InvalidParameter",
            format!(
                "ImportToken was issued for another key, not {key_id}; KeyId must be the key \
                 GetParametersForImport was called for"
            ),
        ),
        ImportError::TokenUsed => (
            "ResourceUnavailable.TokenExpired",
            format!("ImportToken was already used (each token imports once){again}"),
        ),
        ImportError::TokenExpired => (
            "ResourceUnavailable.TokenExpired",
            format!("ImportToken has expired (it is valid until ParametersValidTo){again}"),
        ),
        ImportError::UnwrapFailed => (
            "InvalidParameter.DecryptMaterialError",
            format!(
                "EncryptedKeyMaterial does not decrypt with the token's wrapping key under its \
                 WrappingAlgorithm; encrypt the raw key material to the PublicKey returned \
                 with this ImportToken (the token is now used){again}"
            ),
        ),
        ImportError::WrongLength { got, want } => (
            "InvalidParameter",
            format!(
                "EncryptedKeyMaterial holds {got}-bit key material; the key {key_id} takes \
                 {want}-bit material (SM4 keys 128, AES_256 keys 256){again}"
            ),
        ),
        ImportError::MaterialMismatch => (
            "InvalidParameterValue.MaterialNotMatch",
            format!(
                "the key material differs from the material first imported into the key \
                 {key_id}; a key only ever takes its first material back, so that its \
                 ciphertexts stay readable"
            ),
        ),
    };
    TcError::new(code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrong(state: KeyState, op: Op) -> Error {
        Error::WrongState {
            key_id: "k".into(),
            state,
            op,
        }
    }

    #[test]
    fn state_codes_follow_each_actions_documented_list() {
        let c = |a: &str, s, o| from_core(a, wrong(s, o), "r").code;
        assert_eq!(
            c("Encrypt", KeyState::Disabled, Op::Encrypt),
            "ResourceUnavailable.CmkDisabled"
        );
        assert_eq!(
            c("Encrypt", KeyState::Archived, Op::Encrypt),
            "ResourceUnavailable.CmkArchived"
        );
        assert_eq!(
            c("GenerateDataKey", KeyState::PendingDelete, Op::Encrypt),
            "ResourceUnavailable.KeyPendingDelete"
        );
        assert_eq!(
            c("EnableKey", KeyState::PendingDelete, Op::Enable),
            "ResourceUnavailable.CmkStateNotSupport"
        );
        assert_eq!(
            c(
                "ScheduleKeyDeletion",
                KeyState::Enabled,
                Op::ScheduleDeletion
            ),
            "ResourceUnavailable.CmkShouldBeDisabled"
        );
        assert_eq!(
            c("CancelKeyDeletion", KeyState::Enabled, Op::CancelDeletion),
            "ResourceUnavailable.CmkNotPendingDelete"
        );
    }

    /// Every variant of the core's error maps to a code; internal details never reach
    /// the client.
    #[test]
    fn every_core_error_maps() {
        let all = vec![
            Error::invalid(Field::KeyId, "x"),
            Error::invalid(Field::Alias, "x"),
            Error::invalid(Field::PendingWindowInDays, "x"),
            Error::invalid(Field::KeyIds, "x"),
            Error::invalid(Field::Tags, "x"),
            Error::Duplicate {
                field: Field::Alias,
                value: "a".into(),
            },
            Error::Duplicate {
                field: Field::KeyIds,
                value: "a".into(),
            },
            Error::Duplicate {
                field: Field::Tags,
                value: "a".into(),
            },
            Error::NotFound {
                what: Resource::Cmk,
                id: "k".into(),
            },
            wrong(KeyState::Disabled, Op::Encrypt),
            Error::LimitExceeded {
                what: Limit::CmksPerScope,
                limit: 1,
            },
            Error::Unsupported("no".into()),
            Error::InvalidCiphertext,
            Error::NotFound {
                what: Resource::DataKey,
                id: "d".into(),
            },
            Error::DataKeyWrongState {
                data_key_id: "d".into(),
                state: DataKeyState::Disabled,
                op: DataKeyOp::Plaintext,
            },
            Error::LimitExceeded {
                what: Limit::DataKeysPerAccount,
                limit: 1,
            },
            Error::Duplicate {
                field: Field::DataKeyName,
                value: "n".into(),
            },
            Error::Duplicate {
                field: Field::DataKeyIds,
                value: "n".into(),
            },
            Error::NotForExternal {
                key_id: "k".into(),
                op: Op::Rotate,
            },
            Error::invalid(Field::EncryptionContext, "x"),
            Error::WrongUsage {
                key_id: "k".into(),
                usage: KeyUsage::AsymmetricSignVerifySm2,
                op: Op::Encrypt,
            },
            Error::invalid(Field::Plaintext, "x"),
            Error::invalid(Field::ValidTo, "x"),
            Error::Import {
                key_id: "k".into(),
                problem: ImportError::UnwrapFailed,
            },
            Error::from(crate::store::StoreError::Backend(
                "disk on fire /var/secret".into(),
            )),
        ];
        for e in all {
            let t = from_core("CreateKey", e, "rid");
            assert!(!t.code.is_empty());
            assert!(!t.message.contains("/var/secret"));
        }
    }
}
