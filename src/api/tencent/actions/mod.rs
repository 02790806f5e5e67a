//! The actions: read parameters, call the core, shape the answer. One file per action
//! family; this one dispatches and holds what the families share.

mod asymmetric;
mod crypto;
mod data_keys;
mod import;
mod keys;
mod service;

use super::errors::{from_core, TcError};
use super::params::Params;
use super::Call;
use crate::model::Tag;
use serde_json::{Map, Value};

type Answer = Result<Map<String, Value>, TcError>;

const DEFAULT_PAGE: i64 = 10;
const MAX_PAGE: i64 = 200;

pub(crate) async fn dispatch(call: &Call<'_>, p: Params) -> Answer {
    let r = match call.ctx.action.as_str() {
        "CreateKey" => keys::create_key(call, p).await,
        "DescribeKey" => keys::describe_key(call, p).await,
        "DescribeKeys" => keys::describe_keys(call, p).await,
        "ListKeys" => keys::list_keys(call, p).await,
        "ListKeyDetail" => keys::list_key_detail(call, p).await,
        "EnableKey" => keys::single_key(call, p, keys::Change::Enable).await,
        "DisableKey" => keys::single_key(call, p, keys::Change::Disable).await,
        "ArchiveKey" => keys::single_key(call, p, keys::Change::Archive).await,
        "CancelKeyArchive" => keys::single_key(call, p, keys::Change::CancelArchive).await,
        "CancelKeyDeletion" => keys::single_key(call, p, keys::Change::CancelDeletion).await,
        "EnableKeys" => keys::many_keys(call, p, true).await,
        "DisableKeys" => keys::many_keys(call, p, false).await,
        "ScheduleKeyDeletion" => keys::schedule_key_deletion(call, p).await,
        "UpdateAlias" => keys::update_alias(call, p).await,
        "UpdateKeyDescription" => keys::update_key_description(call, p).await,
        "GenerateRandom" => service::generate_random(call, p).await,
        "GetServiceStatus" => service::get_service_status(call, p).await,
        "ListAlgorithms" => service::list_algorithms(call, p).await,
        "Encrypt" => crypto::encrypt(call, p).await,
        "Decrypt" => crypto::decrypt(call, p).await,
        "ReEncrypt" => crypto::re_encrypt(call, p).await,
        "GenerateDataKey" => crypto::generate_data_key(call, p).await,
        "EnableKeyRotation" => keys::enable_key_rotation(call, p).await,
        "DisableKeyRotation" => keys::disable_key_rotation(call, p).await,
        "GetKeyRotationStatus" => keys::get_key_rotation_status(call, p).await,
        "RotateKey" => keys::rotate_key(call, p).await,
        "ListDataKeys" => data_keys::list_data_keys(call, p).await,
        "ListDataKeyDetail" => data_keys::list_data_key_detail(call, p).await,
        "DescribeDataKey" => data_keys::describe_data_key(call, p).await,
        "DescribeDataKeys" => data_keys::describe_data_keys(call, p).await,
        "GetDataKeyPlaintext" => data_keys::get_data_key_plaintext(call, p).await,
        "GetDataKeyCiphertextBlob" => data_keys::get_data_key_ciphertext_blob(call, p).await,
        "EnableDataKey" => data_keys::single_data_key(call, p, data_keys::DkChange::Enable).await,
        "DisableDataKey" => data_keys::single_data_key(call, p, data_keys::DkChange::Disable).await,
        "CancelDataKeyDeletion" => {
            data_keys::single_data_key(call, p, data_keys::DkChange::CancelDeletion).await
        }
        "EnableDataKeys" => data_keys::many_data_keys(call, p, true).await,
        "DisableDataKeys" => data_keys::many_data_keys(call, p, false).await,
        "ScheduleDataKeyDeletion" => data_keys::schedule_data_key_deletion(call, p).await,
        "UpdateDataKeyName" => data_keys::update_data_key_name(call, p).await,
        "UpdateDataKeyDescription" => data_keys::update_data_key_description(call, p).await,
        "ImportDataKey" => data_keys::import_data_key(call, p).await,
        "GetPublicKey" => asymmetric::get_public_key(call, p).await,
        "SignByAsymmetricKey" => asymmetric::sign(call, p).await,
        "VerifyByAsymmetricKey" => asymmetric::verify(call, p).await,
        "AsymmetricSm2Decrypt" => asymmetric::sm2_decrypt(call, p).await,
        "AsymmetricRsaDecrypt" => asymmetric::rsa_decrypt(call, p).await,
        "GetParametersForImport" => import::get_parameters_for_import(call, p).await,
        "ImportKeyMaterial" => import::import_key_material(call, p).await,
        "DeleteImportedKeyMaterial" => import::delete_imported_key_material(call, p).await,
        other if ALL_ACTIONS.contains(&other) => Err(Fail::Dialect(TcError::new(
            "UnsupportedOperation",
            format!("{other} is a KMS action that this server does not implement"),
        ))),
        other => Err(Fail::Dialect(TcError::new(
            "InvalidAction",
            format!("{other:?} is not an action of the kms API version 2019-01-18"),
        ))),
    };
    r.map_err(|f| match f {
        Fail::Dialect(e) => e,
        Fail::Core(e) => from_core(&call.ctx.action, e, &call.ctx.request_id),
    })
}

/// An action's failure in this dialect (see [`crate::api::Fail`]).
pub(crate) type Fail = crate::api::Fail<TcError>;

impl From<TcError> for Fail {
    fn from(e: TcError) -> Self {
        Fail::Dialect(e)
    }
}

type Handled = Result<Map<String, Value>, Fail>;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("answers are objects"),
    }
}

/// `MemberAccount(s)` address another account of a Tencent organisation. This server
/// has no organisations, so acting on the caller's own account instead would be wrong.
fn refuse_member_account(p: &mut Params) -> Result<(), TcError> {
    if p.present("MemberAccount") || p.present("MemberAccounts") {
        return Err(TcError::new(
            "UnsupportedOperation.NotRoleOperation",
            "MemberAccount (acting for another account of an organisation) is not supported by this server",
        ));
    }
    Ok(())
}

/// This server has no HSM clusters: an empty value means "none" and is fine.
fn refuse_hsm_cluster(p: &mut Params) -> Result<(), TcError> {
    match p.opt_str("HsmClusterId")? {
        Some(id) if !id.is_empty() => Err(TcError::new(
            "InvalidParameterValue.InvalidHsmClusterId",
            format!("HsmClusterId {id:?} does not exist: this server has no HSM clusters; omit the parameter"),
        )),
        _ => Ok(()),
    }
}

fn read_tags(p: &mut Params, name: &str) -> Result<Vec<Tag>, TcError> {
    let Some(items) = p.opt_obj_list(name)? else {
        return Ok(Vec::new());
    };
    let mut tags = Vec::with_capacity(items.len());
    for mut t in items {
        let key = t.req_str("TagKey")?;
        let value = t.opt_str("TagValue")?.unwrap_or_default();
        t.finish()?;
        tags.push(Tag { key, value });
    }
    Ok(tags)
}

/// Offset and Limit as the listing actions define them.
fn paging(p: &mut Params) -> Result<(u64, u64), TcError> {
    let offset = p.opt_int("Offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(TcError::invalid_parameter("Offset must not be negative"));
    }
    let limit = p.opt_int("Limit")?.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(TcError::invalid_parameter(format!(
            "Limit must be between 1 and {MAX_PAGE}, got {limit}"
        )));
    }
    Ok((offset as u64, limit as u64))
}

/// Role 0 lists the user's own keys; role 1, keys that cloud products created for the
/// user, of which this server has none.
fn role(p: &mut Params) -> Result<bool, TcError> {
    match p.opt_int("Role")?.unwrap_or(0) {
        0 => Ok(true),
        1 => Ok(false),
        other => Err(TcError::invalid_parameter(format!(
            "Role must be 0 (keys you created) or 1 (keys created by cloud products), got {other}"
        ))),
    }
}

/// The Tencent naming rule for aliases and data key names: 1–60 of letters, digits,
/// `-` and `_`, starting with a letter or digit.
fn check_tencent_name(value: &str, field: &str, code: &'static str) -> Result<(), TcError> {
    let bad = |why: &str| TcError::new(code, format!("{field} {value:?} {why}"));
    if value.is_empty() || value.len() > 60 {
        return Err(bad("must be 1 to 60 characters"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(bad("may contain only letters, digits, '-' and '_'"));
    }
    if !value.as_bytes()[0].is_ascii_alphanumeric() {
        return Err(bad("must start with a letter or a digit"));
    }
    Ok(())
}

/// Aliases follow the naming rule, and the `kms-` prefix is reserved for keys that
/// cloud products create.
fn check_tencent_alias(alias: &str) -> Result<(), TcError> {
    check_tencent_name(alias, "Alias", "InvalidParameterValue.InvalidAlias")?;
    if alias.starts_with("kms-") {
        return Err(TcError::new(
            "InvalidParameterValue.InvalidAlias",
            format!(
                "Alias {alias:?} must not start with kms-, which is reserved for cloud products"
            ),
        ));
    }
    Ok(())
}

fn check_data_key_name(name: &str) -> Result<(), TcError> {
    check_tencent_name(
        name,
        "DataKeyName",
        "InvalidParameterValue.InvalidDataKeyName",
    )
}

/// `name` as one of the API's action names (implemented here or not), for a metrics
/// label that a client cannot make up.
pub(crate) fn known_action(name: &str) -> Option<&'static str> {
    ALL_ACTIONS.iter().find(|a| **a == name).copied()
}

/// Every action name of the KMS 2019-01-18 API, implemented here or not.
const ALL_ACTIONS: &[&str] = &[
    "ArchiveKey",
    "AsymmetricRsaDecrypt",
    "AsymmetricSm2Decrypt",
    "BindCloudResource",
    "CancelDataKeyDeletion",
    "CancelKeyArchive",
    "CancelKeyDeletion",
    "CreateKey",
    "CreateWhiteBoxKey",
    "Decrypt",
    "DeleteImportedKeyMaterial",
    "DeleteWhiteBoxKey",
    "DescribeDataKey",
    "DescribeDataKeys",
    "DescribeKey",
    "DescribeKeys",
    "DescribeWhiteBoxDecryptKey",
    "DescribeWhiteBoxDeviceFingerprints",
    "DescribeWhiteBoxKey",
    "DescribeWhiteBoxKeyDetails",
    "DescribeWhiteBoxServiceStatus",
    "DisableDataKey",
    "DisableDataKeys",
    "DisableKey",
    "DisableKeyRotation",
    "DisableKeys",
    "DisableWhiteBoxKey",
    "DisableWhiteBoxKeys",
    "EnableDataKey",
    "EnableDataKeys",
    "EnableKey",
    "EnableKeyRotation",
    "EnableKeys",
    "EnableWhiteBoxKey",
    "EnableWhiteBoxKeys",
    "Encrypt",
    "EncryptByWhiteBox",
    "GenerateDataKey",
    "GenerateRandom",
    "GetDataKeyCiphertextBlob",
    "GetDataKeyPlaintext",
    "GetKeyRotationStatus",
    "GetParametersForImport",
    "GetPublicKey",
    "GetRegions",
    "GetServiceStatus",
    "ImportDataKey",
    "ImportKeyMaterial",
    "ListAlgorithms",
    "ListDataKeyDetail",
    "ListDataKeys",
    "ListKeyDetail",
    "ListKeys",
    "OverwriteWhiteBoxDeviceFingerprints",
    "PostQuantumCryptoDecrypt",
    "PostQuantumCryptoEncrypt",
    "PostQuantumCryptoSign",
    "PostQuantumCryptoVerify",
    "ReEncrypt",
    "RotateKey",
    "ScheduleDataKeyDeletion",
    "ScheduleKeyDeletion",
    "SignByAsymmetricKey",
    "UnbindCloudResource",
    "UpdateAlias",
    "UpdateDataKeyDescription",
    "UpdateDataKeyName",
    "UpdateKeyDescription",
    "VerifyByAsymmetricKey",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tencent_alias_rule() {
        for ok in ["a", "A-b_c", "9lives", &"x".repeat(60)] {
            assert!(check_tencent_alias(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "a b",
            "a/b",
            "kms-thing",
            &"x".repeat(61),
            "é",
        ] {
            assert_eq!(
                check_tencent_alias(bad).unwrap_err().code,
                "InvalidParameterValue.InvalidAlias",
                "{bad}"
            );
        }
    }
}
