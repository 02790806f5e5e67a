//! Huawei KMS v1.0 errors: the dialect's error type, its two wire shapes, and the one
//! mapping from the core's errors.
//!
//! KMS errors are `{"error": {"error_code": "KMS.xxxx", "error_msg": "..."}}` with the
//! HTTP status Huawei documents for the code (400, 403, 404, 405, 500). Authentication
//! failures come from Huawei's API gateway in real deployments and are flat:
//! `{"error_code": "APIGW.0301", "error_msg": "...", "request_id": "..."}` with 401.
//! The SDK finds either shape (it looks for `error_code`/`error_msg` at the top and
//! then in nested objects) and raises `ClientRequestException` for 4xx and
//! `ServerResponseException` for 5xx.

use super::Action;
use crate::auth::AuthError;
use crate::kms::error::{Error, Field, ImportError, Limit, Resource};
use crate::kms::states::DataKeyOp;
use crate::kms::states::Op;
use crate::model::{DataKeyState, KeyState};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HwError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// An API-gateway error (flat shape with a request id) rather than a KMS one.
    pub gateway: bool,
}

impl HwError {
    pub fn kms(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        HwError {
            status,
            code,
            message: message.into(),
            gateway: false,
        }
    }

    /// A 400 KMS error.
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::kms(400, code, message)
    }

    pub fn gateway(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        HwError {
            status,
            code,
            message: message.into(),
            gateway: true,
        }
    }

    /// KMS.0204: a required field is absent.
    pub fn missing(name: &str) -> Self {
        Self::bad(
            "KMS.0204",
            format!("the required parameter {name} is missing"),
        )
    }

    /// KMS.0308, Huawei's generic "invalid XXX".
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::bad("KMS.0308", message)
    }

    pub fn internal(request_id: &str) -> Self {
        Self::kms(
            500,
            "KMS.0101",
            format!(
                "an internal error occurred; the server log has the details under request id {request_id}"
            ),
        )
    }
}

impl From<AuthError> for HwError {
    fn from(e: AuthError) -> Self {
        if let AuthError::Unavailable = e {
            return Self::kms(500, "KMS.0101", e.to_string());
        }
        let code = match &e {
            AuthError::Expired(_) => "APIGW.0303",
            AuthError::Malformed(_)
            | AuthError::UnknownSecretId(_)
            | AuthError::BadSignature(_)
            | AuthError::Unavailable => "APIGW.0301",
        };
        let message = match &e {
            AuthError::UnknownSecretId(ak) => {
                format!("Incorrect IAM authentication information: the AK {ak} does not exist or has been deleted")
            }
            other => format!("Incorrect IAM authentication information: {other}"),
        };
        HwError::gateway(401, code, message)
    }
}

/// The wire name of a core field in the action's terms.
fn field_name(action: Action, field: Field) -> &'static str {
    match field {
        Field::KeyId | Field::KeyIds => "key_id",
        Field::Alias => "key_alias",
        Field::Description => "key_description",
        Field::PendingWindowInDays => "pending_days",
        Field::NumberOfBytes if action == Action::GenRandom => "random_data_length",
        Field::NumberOfBytes => "datakey_length",
        Field::EncryptionContext => "additional_authenticated_data",
        Field::Plaintext => "plain_text",
        Field::Tags => "tags",
        Field::RotateDays => "rotation_interval",
        Field::ValidTo => "expiration_time",
        Field::ImportToken => "import_token",
        Field::EncryptedKeyMaterial => "encrypted_key_material",
        Field::WrappingAlgorithm => "wrapping_algorithm",
        Field::WrappingKeySpec => "the wrapping key spec",
        Field::Other("Message") => "message",
        Field::Other("Algorithm") => "the algorithm",
        other => other.name(),
    }
}

/// The code of a state refusal: Huawei's specific code for the operation or the state
/// where it has one.
fn state_code(op: Op, state: KeyState) -> &'static str {
    match (op, state) {
        (Op::CancelDeletion, _) => "KMS.1501",
        (Op::ScheduleDeletion, KeyState::PendingDelete) => "KMS.1402",
        (_, KeyState::PendingDelete) => "KMS.0210",
        (Op::Enable, _) => "KMS.1201",
        (Op::Disable, _) => "KMS.1301",
        (
            Op::Encrypt
            | Op::Decrypt
            | Op::Rotate
            | Op::Sign
            | Op::Verify
            | Op::AsymmetricDecrypt
            | Op::GetPublicKey,
            _,
        ) => "KMS.0209",
        (
            Op::ScheduleDeletion
            | Op::Archive
            | Op::CancelArchive
            | Op::Metadata
            | Op::ConfigureRotation
            | Op::Import
            | Op::DeleteImportedMaterial,
            _,
        ) => "KMS.0308",
    }
}

/// The Huawei key state a core state is shown as: "2" enabled, "3" disabled, "4"
/// pending deletion, "5" pending import. Huawei has no archived state; an archived key
/// (archived through the Tencent API) shows as "7", the code Huawei uses for a frozen
/// key, which likewise cannot be used for new encryption.
pub fn key_state(state: KeyState) -> &'static str {
    match state {
        KeyState::Enabled => "2",
        KeyState::Disabled => "3",
        KeyState::PendingDelete => "4",
        KeyState::PendingImport => "5",
        KeyState::Archived => "7",
    }
}

/// Huawei's `key_usage` of a core usage: `SIGN_VERIFY` for a signing key,
/// `ENCRYPT_DECRYPT` for every other (symmetric keys and asymmetric decryption keys).
pub fn usage_name(usage: crate::model::KeyUsage) -> &'static str {
    if usage.signs() {
        "SIGN_VERIFY"
    } else {
        "ENCRYPT_DECRYPT"
    }
}

/// The one mapping from the core's errors to Huawei codes.
pub fn from_core(action: Action, e: Error, request_id: &str) -> HwError {
    match e {
        Error::Invalid { field, reason } => {
            let code = match field {
                Field::KeyId | Field::KeyIds => "KMS.0205",
                Field::Alias => "KMS.1101",
                Field::Description => "KMS.1103",
                Field::PendingWindowInDays => "KMS.1401",
                Field::NumberOfBytes if action == Action::GenRandom => "KMS.1801",
                Field::NumberOfBytes => "KMS.1901",
                Field::EncryptionContext => "KMS.0208",
                Field::Plaintext if action == Action::EncryptDatakey => "KMS.2101",
                Field::RotateDays => "KMS.3001",
                // The only tag rule the dialect leaves to the core: how many a key has.
                Field::Tags if matches!(action, Action::CreateTag | Action::BatchTags) => {
                    "KMS.0409"
                }
                Field::Plaintext
                | Field::Tags
                | Field::DataKeyId
                | Field::DataKeyIds
                | Field::DataKeyName
                | Field::ImportKeyMaterial
                | Field::ValidTo
                | Field::WrappingAlgorithm
                | Field::WrappingKeySpec
                | Field::EncryptedKeyMaterial
                | Field::ImportToken
                | Field::Other(_) => "KMS.0308",
            };
            HwError::bad(code, format!("{} {reason}", field_name(action, field)))
        }
        Error::Duplicate {
            field: Field::Alias,
            value,
        } => HwError::bad(
            "KMS.1104",
            format!("the alias {value} is already used by another key in this project"),
        ),
        Error::Duplicate { field, value } => HwError::invalid(format!(
            "{} {value} appears more than once",
            field_name(action, field)
        )),
        Error::NotFound {
            what: Resource::Cmk,
            id,
        } => HwError::kms(
            404,
            "KMS.0207",
            format!("the key {id} does not exist in this project"),
        ),
        Error::NotFound {
            what: Resource::DataKey,
            id,
        } => HwError::kms(
            404,
            "KMS.0207",
            format!("the data key {id} does not exist in this project"),
        ),
        Error::WrongState { key_id, state, op } => {
            let hint = match (op, state) {
                (Op::CancelDeletion, _) => "; only a key pending deletion (state 4) can have its deletion cancelled",
                (Op::Enable, _) => "; only a disabled key (state 3) can be enabled",
                (Op::Disable, _) => "; only an enabled key (state 2) can be disabled",
                (_, KeyState::PendingDelete) => "; cancel-key-deletion takes it out of deletion",
                (_, KeyState::Disabled) => "; enable-key makes it usable again",
                (_, KeyState::PendingImport) => "; it has no key material yet",
                (_, KeyState::Archived) => {
                    "; it was archived through the Tencent API (CancelKeyArchive makes it usable again)"
                }
                _ => "",
            };
            HwError::bad(
                state_code(op, state),
                format!(
                    "the key {key_id} is {} (key_state {}) and does not allow {}{hint}",
                    state.as_str(),
                    key_state(state),
                    action.path()
                ),
            )
        }
        Error::DataKeyWrongState {
            data_key_id,
            state,
            op,
        } => HwError::invalid(format!(
            "the data key {data_key_id} is {} and does not allow {}",
            data_key_state_name(state),
            data_key_op_name(op)
        )),
        Error::InvalidCiphertext => {
            let code = if action == Action::DecryptDatakey {
                "KMS.2201"
            } else {
                "KMS.0308"
            };
            HwError::bad(
                code,
                "cipher_text is not a valid ciphertext of this server, was altered, or is \
                 presented with additional_authenticated_data other than the one it was made with",
            )
        }
        Error::WrongUsage { key_id, usage, op } => {
            // An asymmetric key asked for a symmetric operation (KMS.0325), a symmetric
            // key for an asymmetric one (KMS.0331), or the other asymmetric usage
            // (KMS.0335: the key is for signing; KMS.0334: it is for encryption).
            let code = match op {
                Op::Encrypt | Op::Decrypt | Op::Rotate | Op::ConfigureRotation => "KMS.0325",
                _ if usage == crate::model::KeyUsage::EncryptDecrypt => "KMS.0331",
                _ if usage.signs() => "KMS.0335",
                _ => "KMS.0334",
            };
            HwError::bad(
                code,
                format!(
                    "the key {key_id} is {} with key_usage {} and does not allow {}",
                    if usage == crate::model::KeyUsage::EncryptDecrypt {
                        "a symmetric key"
                    } else {
                        "an asymmetric key"
                    },
                    usage_name(usage),
                    action.path()
                ),
            )
        }
        Error::NotForExternal { key_id, op } => {
            let code = match op {
                Op::Rotate | Op::ConfigureRotation => "KMS.0312",
                _ => "KMS.0308",
            };
            HwError::bad(
                code,
                format!("the key {key_id} holds imported (external) material, which does not allow {op:?}"),
            )
        }
        // A key of KMS origin: KMS.0309 (the key's origin must be external); a
        // wrapped blob that does not decrypt: KMS.0311 (private-key decryption failed,
        // one answer for every reason); every other token or material problem the
        // generic code with the core's sentence, which says what to do.
        Error::Import { key_id, problem } => {
            let code = match problem {
                ImportError::NotExternal => "KMS.0309",
                ImportError::UnwrapFailed => "KMS.0311",
                _ => "KMS.0308",
            };
            let hint = match problem {
                ImportError::NotExternal => "; create the key with origin external to import material",
                ImportError::TokenUnknown
                | ImportError::TokenForeign
                | ImportError::TokenUsed
                | ImportError::TokenExpired => "; call get-parameters-for-import for a new import_token",
                ImportError::UnwrapFailed => "; wrap the material with the public_key of the same get-parameters-for-import answer and its wrapping_algorithm",
                _ => "",
            };
            HwError::bad(code, format!("the key {key_id}: {problem}{hint}"))
        }
        Error::LimitExceeded {
            what: Limit::CmksPerScope,
            limit,
        } => HwError::bad(
            "KMS.1105",
            format!("this account already has {limit} keys in this project, the configured quota"),
        ),
        Error::LimitExceeded {
            what: Limit::DataKeysPerAccount,
            limit,
        } => HwError::bad(
            "KMS.1105",
            format!("this account already has {limit} hosted data keys, the configured quota"),
        ),
        Error::Unsupported(msg) => HwError::invalid(msg),
        Error::Internal(detail) => {
            tracing::error!(request_id, action = action.path(), %detail, "internal error");
            HwError::internal(request_id)
        }
    }
}

fn data_key_state_name(s: DataKeyState) -> &'static str {
    s.as_str()
}

fn data_key_op_name(op: DataKeyOp) -> &'static str {
    match op {
        DataKeyOp::Enable => "enabling",
        DataKeyOp::Disable => "disabling",
        DataKeyOp::ScheduleDeletion => "scheduling its deletion",
        DataKeyOp::CancelDeletion => "cancelling its deletion",
        DataKeyOp::Plaintext => "reading its plaintext",
        DataKeyOp::Ciphertext => "reading its ciphertext",
        DataKeyOp::Metadata => "reading its metadata",
    }
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

    const ALL_FIELDS: [Field; 15] = [
        Field::KeyId,
        Field::KeyIds,
        Field::Alias,
        Field::Description,
        Field::PendingWindowInDays,
        Field::Tags,
        Field::NumberOfBytes,
        Field::EncryptionContext,
        Field::Plaintext,
        Field::RotateDays,
        Field::DataKeyId,
        Field::DataKeyIds,
        Field::DataKeyName,
        Field::ImportKeyMaterial,
        Field::Other("x"),
    ];

    /// Every variant of the core's error (every field, every state refusal, every
    /// resource and limit) maps to a KMS code with a documented status, for every
    /// action; internal details never reach the client.
    #[test]
    fn every_core_error_maps() {
        let mut all = Vec::new();
        for f in ALL_FIELDS {
            all.push(Error::invalid(f, "x"));
            all.push(Error::Duplicate {
                field: f,
                value: "v".into(),
            });
        }
        for op in Op::ALL {
            for s in KeyState::ALL {
                all.push(wrong(s, op));
            }
            all.push(Error::NotForExternal {
                key_id: "k".into(),
                op,
            });
        }
        for op in DataKeyOp::ALL {
            for state in DataKeyState::ALL {
                all.push(Error::DataKeyWrongState {
                    data_key_id: "d".into(),
                    state,
                    op,
                });
            }
        }
        for what in [Resource::Cmk, Resource::DataKey] {
            all.push(Error::NotFound {
                what,
                id: "k".into(),
            });
        }
        for what in [Limit::CmksPerScope, Limit::DataKeysPerAccount] {
            all.push(Error::LimitExceeded { what, limit: 1 });
        }
        all.push(Error::InvalidCiphertext);
        all.push(Error::Unsupported("no".into()));
        all.push(Error::from(crate::store::StoreError::Backend(
            "disk on fire /var/secret".into(),
        )));
        for action in Action::ALL {
            for e in &all {
                let h = from_core(action, e.clone(), "rid");
                assert!(h.code.starts_with("KMS.") && h.code.len() == 8, "{e:?}");
                assert!([400, 404, 500].contains(&h.status), "{e:?}");
                assert!(!h.gateway);
                assert!(!h.message.is_empty());
                assert!(!h.message.contains("/var/secret"));
            }
        }
    }

    #[test]
    fn codes_follow_the_reference() {
        use Action::*;
        let c = |a, e| from_core(a, e, "r");
        let cs = |a, s, o| c(a, wrong(s, o)).code;
        assert_eq!(cs(EnableKey, KeyState::Enabled, Op::Enable), "KMS.1201");
        assert_eq!(cs(DisableKey, KeyState::Disabled, Op::Disable), "KMS.1301");
        assert_eq!(
            cs(EnableKey, KeyState::PendingDelete, Op::Enable),
            "KMS.0210"
        );
        assert_eq!(
            cs(EncryptData, KeyState::PendingDelete, Op::Encrypt),
            "KMS.0210"
        );
        assert_eq!(cs(EncryptData, KeyState::Disabled, Op::Encrypt), "KMS.0209");
        assert_eq!(
            cs(
                ScheduleKeyDeletion,
                KeyState::PendingDelete,
                Op::ScheduleDeletion
            ),
            "KMS.1402"
        );
        assert_eq!(
            cs(CancelKeyDeletion, KeyState::Enabled, Op::CancelDeletion),
            "KMS.1501"
        );
        assert_eq!(
            c(DescribeKey, Error::invalid(Field::KeyId, "x")).code,
            "KMS.0205"
        );
        assert_eq!(
            c(GenRandom, Error::invalid(Field::NumberOfBytes, "x")).code,
            "KMS.1801"
        );
        assert_eq!(
            c(CreateDatakey, Error::invalid(Field::NumberOfBytes, "x")).code,
            "KMS.1901"
        );
        assert_eq!(c(DecryptDatakey, Error::InvalidCiphertext).code, "KMS.2201");
        let nf = c(
            DescribeKey,
            Error::NotFound {
                what: Resource::Cmk,
                id: "k".into(),
            },
        );
        assert_eq!((nf.status, nf.code), (404, "KMS.0207"));
        let internal = c(
            DescribeKey,
            Error::from(crate::store::StoreError::Backend("x".into())),
        );
        assert_eq!((internal.status, internal.code), (500, "KMS.0101"));
        let dup = c(
            CreateKey,
            Error::Duplicate {
                field: Field::Alias,
                value: "a".into(),
            },
        );
        assert_eq!(dup.code, "KMS.1104");
    }

    #[test]
    fn auth_errors_are_gateway_errors() {
        for (e, code) in [
            (AuthError::Malformed("m".into()), "APIGW.0301"),
            (AuthError::BadSignature("b".into()), "APIGW.0301"),
            (AuthError::UnknownSecretId("AK".into()), "APIGW.0301"),
            (AuthError::Expired("e".into()), "APIGW.0303"),
        ] {
            let h = HwError::from(e);
            assert_eq!((h.status, h.code, h.gateway), (401, code, true));
        }
    }
}
