//! The legacy API's errors: the numeric code, the module code and the text, and the one
//! mapping from the core's errors to them.

use super::ACTIONS;
use crate::api::form::FormError;
use crate::auth::AuthError;
use crate::kms::error::{Error, Field, Limit, Resource};
use crate::kms::states::Op;
use crate::model::KeyState;

/// A legacy error: the numeric code, the module code and the message after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyError {
    pub code: u32,
    pub module: u32,
    pub text: String,
}

impl LegacyError {
    fn new(code: u32, module: u32, text: &str, detail: impl AsRef<str>) -> Self {
        let detail = detail.as_ref();
        LegacyError {
            code,
            module,
            text: if detail.is_empty() {
                text.to_string()
            } else {
                format!("{text}: {detail}")
            },
        }
    }

    /// The wire `message`: `(module)text`.
    pub fn message(&self) -> String {
        format!("({}){}", self.module, self.text)
    }

    pub fn missing(name: &str) -> Self {
        Self::new(
            4000,
            10010,
            "lacked of required parameters",
            format!("{name} is required"),
        )
    }
    pub fn unknown_parameter(name: &str) -> Self {
        Self::new(
            4000,
            10320,
            "no such parameter",
            format!("{name} is not a parameter of this action"),
        )
    }
    pub fn repeated(name: &str) -> Self {
        Self::new(
            4000,
            10330,
            "parameter is NOT a repeatable parameter",
            format!("{name} appears more than once"),
        )
    }
    pub fn out_of_range(detail: impl AsRef<str>) -> Self {
        Self::new(
            4000,
            10350,
            "parameter value or length is out of range",
            detail,
        )
    }
    pub fn wrong_type(detail: impl AsRef<str>) -> Self {
        Self::new(4000, 10360, "parameter error type", detail)
    }
    pub fn bad_request(detail: impl AsRef<str>) -> Self {
        Self::new(4000, 10110, "request parameters error", detail)
    }
    pub fn method(detail: impl AsRef<str>) -> Self {
        Self::new(
            4000,
            10410,
            "unexpected http method, only GET or POST is supported",
            detail,
        )
    }
    pub fn unparsable(detail: impl AsRef<str>) -> Self {
        Self::new(4000, 10420, "cannot parse", detail)
    }
    pub fn no_such_action(action: &str) -> Self {
        Self::new(
            4000,
            10430,
            "action name is not existed",
            format!(
                "{action:?} is not an action of the legacy KMS API ({})",
                ACTIONS.join(", ")
            ),
        )
    }
    pub fn secret_id_format() -> Self {
        Self::new(4000, 10450, "secret id doesn't begin with AKID", "")
    }
    pub fn auth_failed(detail: impl AsRef<str>) -> Self {
        Self::new(4100, 10030, "authentication failed", detail)
    }
    pub fn unknown_secret_id(secret_id: &str) -> Self {
        Self::new(
            4104,
            10270,
            "key agent secret id is not exist",
            format!("the SecretId {secret_id} does not exist or has been deleted"),
        )
    }
    pub fn token() -> Self {
        Self::new(
            4105,
            4105,
            "token error",
            "temporary credentials (Token) are not supported by this server; sign with a permanent SecretId",
        )
    }
    pub fn replay(detail: impl AsRef<str>) -> Self {
        Self::new(4500, 4500, "replay attack", detail)
    }
    pub fn throttled() -> Self {
        Self::new(
            4420,
            10250,
            "qps throttling",
            "too many signed requests inside the replay window; retry shortly",
        )
    }
    pub fn key_usage() -> Self {
        Self::new(
            4490,
            10470,
            "string of KeyUsage must be ENCRYPT/DECRYPT",
            "",
        )
    }
    pub fn alias_exists() -> Self {
        Self::new(
            4500,
            10480,
            "alias is already existed in your account, please input another unique one",
            "",
        )
    }
    pub fn cmk_limit() -> Self {
        Self::new(
            4510,
            10610,
            "number of CMK in your account has reached the limit",
            "",
        )
    }
    pub fn key_spec() -> Self {
        Self::new(4520, 10620, "keySpec value error", "")
    }
    pub fn not_found(detail: impl AsRef<str>) -> Self {
        Self::new(4530, 10630, "key is not existed", detail)
    }
    pub fn disabled(detail: impl AsRef<str>) -> Self {
        Self::new(4550, 10650, "key is disabled", detail)
    }
    pub fn quota(detail: impl AsRef<str>) -> Self {
        Self::new(4400, 4400, "quota exceeded", detail)
    }
    pub fn internal(request_id: &str) -> Self {
        Self::new(
            6000,
            10050,
            "server internal error",
            format!("the server log has the details under requestId {request_id}"),
        )
    }
}

impl From<FormError> for LegacyError {
    fn from(e: FormError) -> Self {
        match e {
            FormError::Repeated(name) => LegacyError::repeated(&name),
            other => LegacyError::unparsable(other.to_string()),
        }
    }
}

impl From<AuthError> for LegacyError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Malformed(m) => LegacyError::bad_request(m),
            AuthError::Expired(m) => LegacyError::replay(m),
            AuthError::UnknownSecretId(id) => LegacyError::unknown_secret_id(&id),
            AuthError::BadSignature(m) => LegacyError::auth_failed(m),
            AuthError::Unavailable => LegacyError::new(
                6000,
                10050,
                "server internal error",
                AuthError::Unavailable.to_string(),
            ),
        }
    }
}

/// A field's name as this API spells it.
fn wire_name(field: Field) -> &'static str {
    match field {
        Field::KeyId => "keyId",
        Field::Alias => "alias",
        Field::Description => "description",
        Field::PendingWindowInDays => "pendingWindowInDays",
        Field::NumberOfBytes => "numberOfBytes",
        Field::EncryptionContext => "encryptionContext",
        Field::Plaintext => "plaintext",
        other => other.name(),
    }
}

/// The one mapping from the core's errors to legacy codes.
pub fn from_core(action: &str, e: Error, request_id: &str) -> LegacyError {
    match e {
        Error::Invalid { field, reason } => {
            let detail = format!("{} {reason}", wire_name(field));
            match field {
                // An id that cannot be one of this server's cannot name an existing key.
                Field::KeyId => LegacyError::not_found(detail),
                Field::EncryptionContext => LegacyError::bad_request(detail),
                Field::Alias
                | Field::Description
                | Field::PendingWindowInDays
                | Field::NumberOfBytes
                | Field::Plaintext
                | Field::KeyIds
                | Field::Tags
                | Field::RotateDays
                | Field::DataKeyId
                | Field::DataKeyIds
                | Field::DataKeyName
                | Field::ImportKeyMaterial
                | Field::ValidTo
                | Field::WrappingAlgorithm
                | Field::WrappingKeySpec
                | Field::EncryptedKeyMaterial
                | Field::ImportToken
                | Field::Other(_) => LegacyError::out_of_range(detail),
            }
        }
        Error::Duplicate { field, value } => match field {
            Field::Alias => LegacyError::alias_exists(),
            other => LegacyError::bad_request(format!(
                "{} {value} appears more than once",
                wire_name(other)
            )),
        },
        Error::NotFound {
            what: Resource::Cmk,
            id,
        } => LegacyError::not_found(format!(
            "the key {id} does not exist in this account and region"
        )),
        Error::NotFound {
            what: Resource::DataKey,
            id,
        } => LegacyError::not_found(format!(
            "the data key {id} does not exist in this account and region"
        )),
        Error::WrongState { key_id, state, op } => {
            let hint = match (op, state) {
                (Op::ScheduleDeletion, KeyState::Enabled) => "; disable it first (DisableKey)",
                (Op::CancelDeletion, _) => {
                    "; only a key pending deletion can have its deletion cancelled"
                }
                (_, KeyState::Disabled) => "; EnableKey makes it usable again",
                (_, KeyState::PendingDelete) => "; CancelKeyDeletion takes it out of deletion",
                (_, KeyState::Archived) => "; CancelKeyArchive (API 3.0) makes it usable again",
                (_, KeyState::PendingImport) => "; it has no key material yet",
                (_, KeyState::Enabled) => "",
            };
            let detail = format!(
                "the key {key_id} is {} and does not allow {action}{hint}",
                state.as_str()
            );
            match op {
                // Using a key that is not usable: "disabled" in this API's terms.
                Op::Encrypt
                | Op::Decrypt
                | Op::Rotate
                | Op::Sign
                | Op::Verify
                | Op::AsymmetricDecrypt
                | Op::GetPublicKey => LegacyError::disabled(detail),
                Op::Enable
                | Op::Disable
                | Op::ScheduleDeletion
                | Op::CancelDeletion
                | Op::Archive
                | Op::CancelArchive
                | Op::Metadata
                | Op::ConfigureRotation
                | Op::Import
                | Op::DeleteImportedMaterial => LegacyError::bad_request(detail),
            }
        }
        Error::DataKeyWrongState {
            data_key_id, state, ..
        } => LegacyError::bad_request(format!(
            "the data key {data_key_id} is {} and does not allow {action}",
            state.as_str()
        )),
        // The legacy API has symmetric keys only; an asymmetric key made through API 3.0
        // cannot serve its actions.
        Error::WrongUsage { key_id, usage, .. } => LegacyError::bad_request(format!(
            "the key {key_id} has KeyUsage {} and does not allow {action}; use an \
             ENCRYPT_DECRYPT key",
            usage.as_str()
        )),
        Error::InvalidCiphertext => LegacyError::bad_request(
            "ciphertextBlob is not a valid ciphertext of this server, was altered, or is \
             presented with an encryptionContext other than the one it was made with",
        ),
        Error::NotForExternal { key_id, .. } => LegacyError::bad_request(format!(
            "the key {key_id} holds imported (EXTERNAL) material, which does not allow {action}"
        )),
        // The legacy API has no import actions; a problem reaching it is described as is.
        Error::Import { key_id, problem } => {
            LegacyError::bad_request(format!("the key {key_id}: {problem}"))
        }
        Error::LimitExceeded {
            what: Limit::CmksPerScope,
            ..
        } => LegacyError::cmk_limit(),
        Error::LimitExceeded {
            what: Limit::DataKeysPerAccount,
            limit,
        } => LegacyError::quota(format!(
            "this account already has {limit} hosted data keys, the configured limit"
        )),
        Error::Unsupported(msg) => LegacyError::bad_request(msg),
        Error::Internal(detail) => {
            tracing::error!(request_id, action, %detail, "internal error");
            LegacyError::internal(request_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::states::DataKeyOp;
    use crate::model::DataKeyState;

    #[test]
    fn form_errors_map() {
        let m = |e: FormError| {
            let l = LegacyError::from(e);
            (l.code, l.module)
        };
        assert_eq!(m(FormError::Repeated("a".into())), (4000, 10330));
        for e in [
            FormError::EmptyName,
            FormError::BadPercent,
            FormError::NotUtf8,
        ] {
            assert_eq!(m(e), (4000, 10420));
        }
    }

    #[test]
    fn messages_carry_the_module_code() {
        assert_eq!(
            LegacyError::key_usage().message(),
            "(10470)string of KeyUsage must be ENCRYPT/DECRYPT"
        );
        assert_eq!(
            LegacyError::missing("keyId").message(),
            "(10010)lacked of required parameters: keyId is required"
        );
    }

    fn wrong(state: KeyState, op: Op) -> Error {
        Error::WrongState {
            key_id: "k".into(),
            state,
            op,
        }
    }

    /// Every variant of the core's error maps to a legacy code; internal details never
    /// reach the client.
    #[test]
    fn every_core_error_maps() {
        let invalid = |f| Error::invalid(f, "x");
        let cases: Vec<(Error, u32, u32)> = vec![
            (invalid(Field::KeyId), 4530, 10630),
            (invalid(Field::Alias), 4000, 10350),
            (invalid(Field::Description), 4000, 10350),
            (invalid(Field::PendingWindowInDays), 4000, 10350),
            (invalid(Field::NumberOfBytes), 4000, 10350),
            (invalid(Field::EncryptionContext), 4000, 10110),
            (invalid(Field::Plaintext), 4000, 10350),
            (invalid(Field::KeyIds), 4000, 10350),
            (invalid(Field::Tags), 4000, 10350),
            (invalid(Field::RotateDays), 4000, 10350),
            (invalid(Field::DataKeyId), 4000, 10350),
            (invalid(Field::DataKeyIds), 4000, 10350),
            (invalid(Field::DataKeyName), 4000, 10350),
            (invalid(Field::ImportKeyMaterial), 4000, 10350),
            (invalid(Field::Other("x")), 4000, 10350),
            (
                Error::Duplicate {
                    field: Field::Alias,
                    value: "a".into(),
                },
                4500,
                10480,
            ),
            (
                Error::Duplicate {
                    field: Field::KeyIds,
                    value: "a".into(),
                },
                4000,
                10110,
            ),
            (
                Error::NotFound {
                    what: Resource::Cmk,
                    id: "k".into(),
                },
                4530,
                10630,
            ),
            (
                Error::NotFound {
                    what: Resource::DataKey,
                    id: "d".into(),
                },
                4530,
                10630,
            ),
            (wrong(KeyState::Disabled, Op::Encrypt), 4550, 10650),
            (wrong(KeyState::PendingDelete, Op::Decrypt), 4550, 10650),
            (wrong(KeyState::PendingImport, Op::Encrypt), 4550, 10650),
            (wrong(KeyState::Archived, Op::Encrypt), 4550, 10650),
            (wrong(KeyState::Enabled, Op::ScheduleDeletion), 4000, 10110),
            (wrong(KeyState::Disabled, Op::CancelDeletion), 4000, 10110),
            (wrong(KeyState::PendingDelete, Op::Enable), 4000, 10110),
            (
                Error::DataKeyWrongState {
                    data_key_id: "d".into(),
                    state: DataKeyState::Disabled,
                    op: DataKeyOp::Plaintext,
                },
                4000,
                10110,
            ),
            (Error::InvalidCiphertext, 4000, 10110),
            (
                Error::NotForExternal {
                    key_id: "k".into(),
                    op: Op::Rotate,
                },
                4000,
                10110,
            ),
            (
                Error::LimitExceeded {
                    what: Limit::CmksPerScope,
                    limit: 1,
                },
                4510,
                10610,
            ),
            (
                Error::LimitExceeded {
                    what: Limit::DataKeysPerAccount,
                    limit: 1,
                },
                4400,
                4400,
            ),
            (Error::Unsupported("no".into()), 4000, 10110),
            (
                Error::from(crate::store::StoreError::Backend(
                    "disk on fire /var/secret".into(),
                )),
                6000,
                10050,
            ),
        ];
        for (e, code, module) in cases {
            let shown = format!("{e:?}");
            let l = from_core("Encrypt", e, "rid");
            assert_eq!((l.code, l.module), (code, module), "{shown}");
            assert!(l.message().starts_with(&format!("({module})")));
            assert!(!l.message().contains("/var/secret"), "{shown}");
        }
        assert_eq!(
            from_core(
                "CreateKey",
                Error::Duplicate {
                    field: Field::Alias,
                    value: "a".into()
                },
                "r"
            )
            .message(),
            "(10480)alias is already existed in your account, please input another unique one"
        );
    }

    #[test]
    fn auth_errors_map() {
        let m = |e| {
            let l = LegacyError::from(e);
            (l.code, l.module)
        };
        assert_eq!(m(AuthError::BadSignature("x".into())), (4100, 10030));
        assert_eq!(m(AuthError::UnknownSecretId("AKIDx".into())), (4104, 10270));
        assert_eq!(m(AuthError::Expired("x".into())), (4500, 4500));
        assert_eq!(m(AuthError::Malformed("x".into())), (4000, 10110));
    }
}
