//! The actions: read parameters, call the core, shape the answer.

use super::codes::ALL_ACTIONS;
use super::errors::{from_core, TcError};
use super::params::Params;
use super::Call;
use crate::b64;
use crate::crypto::cmk::CmkCipher;
use crate::crypto::secret::SecretBytes;
use crate::kms::data_keys::{DataKeyFilter, Import, NewDataKey};
use crate::kms::delivery::Delivery;
use crate::kms::keys::{self, KeyFilter, NewKey};
use crate::kms::rules;
use crate::kms::{Error, Field};
use crate::model::{Cmk, DataKey, DataKeyState, KeyState, KeyUsage, Origin, Tag};
use serde_json::{json, Map, Value};

type Answer = Result<Map<String, Value>, TcError>;

const DEFAULT_PAGE: i64 = 10;
const MAX_PAGE: i64 = 200;

pub(crate) async fn dispatch(call: &Call<'_>, p: Params) -> Answer {
    let r = match call.action {
        "CreateKey" => create_key(call, p).await,
        "DescribeKey" => describe_key(call, p).await,
        "DescribeKeys" => describe_keys(call, p).await,
        "ListKeys" => list_keys(call, p).await,
        "ListKeyDetail" => list_key_detail(call, p).await,
        "EnableKey" => single_key(call, p, Change::Enable).await,
        "DisableKey" => single_key(call, p, Change::Disable).await,
        "ArchiveKey" => single_key(call, p, Change::Archive).await,
        "CancelKeyArchive" => single_key(call, p, Change::CancelArchive).await,
        "CancelKeyDeletion" => single_key(call, p, Change::CancelDeletion).await,
        "EnableKeys" => many_keys(call, p, true).await,
        "DisableKeys" => many_keys(call, p, false).await,
        "ScheduleKeyDeletion" => schedule_key_deletion(call, p).await,
        "UpdateAlias" => update_alias(call, p).await,
        "UpdateKeyDescription" => update_key_description(call, p).await,
        "GenerateRandom" => generate_random(call, p).await,
        "GetServiceStatus" => get_service_status(call, p).await,
        "ListAlgorithms" => list_algorithms(call, p).await,
        "Encrypt" => encrypt(call, p).await,
        "Decrypt" => decrypt(call, p).await,
        "ReEncrypt" => re_encrypt(call, p).await,
        "GenerateDataKey" => generate_data_key(call, p).await,
        "EnableKeyRotation" => enable_key_rotation(call, p).await,
        "DisableKeyRotation" => disable_key_rotation(call, p).await,
        "GetKeyRotationStatus" => get_key_rotation_status(call, p).await,
        "RotateKey" => rotate_key(call, p).await,
        "ListDataKeys" => list_data_keys(call, p).await,
        "ListDataKeyDetail" => list_data_key_detail(call, p).await,
        "DescribeDataKey" => describe_data_key(call, p).await,
        "DescribeDataKeys" => describe_data_keys(call, p).await,
        "GetDataKeyPlaintext" => get_data_key_plaintext(call, p).await,
        "GetDataKeyCiphertextBlob" => get_data_key_ciphertext_blob(call, p).await,
        "EnableDataKey" => single_data_key(call, p, DkChange::Enable).await,
        "DisableDataKey" => single_data_key(call, p, DkChange::Disable).await,
        "CancelDataKeyDeletion" => single_data_key(call, p, DkChange::CancelDeletion).await,
        "EnableDataKeys" => many_data_keys(call, p, true).await,
        "DisableDataKeys" => many_data_keys(call, p, false).await,
        "ScheduleDataKeyDeletion" => schedule_data_key_deletion(call, p).await,
        "UpdateDataKeyName" => update_data_key_name(call, p).await,
        "UpdateDataKeyDescription" => update_data_key_description(call, p).await,
        "ImportDataKey" => import_data_key(call, p).await,
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
        Fail::Core(e) => from_core(call.action, e, call.request_id),
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

/// KeyMetadata as the SDK's model defines it.
pub(crate) fn key_metadata(k: &Cmk) -> Value {
    json!({
        "KeyId": k.key_id,
        "Alias": k.alias,
        "CreateTime": k.created_at,
        "Description": k.description,
        "KeyState": k.state.as_str(),
        "KeyUsage": k.usage.as_str(),
        "Type": match k.cipher { CmkCipher::Sm4Gcm => 4, CmkCipher::Aes256Gcm => 2 },
        "CreatorUin": k.scope.account,
        "CreatorUinString": k.scope.account.to_string(),
        "KeyRotationEnabled": k.rotation_enabled,
        "Owner": "user",
        "NextRotateTime": k.next_rotate_time,
        "DeletionDate": k.deletion_date,
        "Origin": k.origin.as_str(),
        "ValidTo": 0,
        "ResourceId": format!("creatorUin/{}/{}", k.scope.account, k.key_id),
        "HsmClusterId": "",
        "RotateDays": k.rotate_days,
        "LastRotateTime": k.last_rotate_time,
        "IsSyncReplica": 0,
        "SourceRegion": "",
        "SyncStatus": 0,
        "SyncMessages": "",
        "SyncStartTime": 0,
        "SyncEndTime": 0,
        "SourceHsmClusterId": "",
    })
}

async fn create_key(call: &Call<'_>, mut p: Params) -> Handled {
    let alias = p.req_str("Alias")?;
    let description = p.opt_str("Description")?.unwrap_or_default();
    let usage = p.opt_str("KeyUsage")?.filter(|u| !u.is_empty());
    let origin = match p.opt_int("Type")?.unwrap_or(1) {
        1 => Origin::Kms,
        2 => Origin::External,
        t => {
            return Err(TcError::new(
                "InvalidParameterValue.InvalidType",
                format!("Type must be 1 (material generated by KMS) or 2 (EXTERNAL, material you import), got {t}"),
            )
            .into())
        }
    };
    // smkms extension: which symmetric cipher the CMK uses.
    let cipher = match p.opt_str("KeySpec")? {
        None => None,
        Some(s) => Some(CmkCipher::from_name(&s).ok_or_else(|| {
            TcError::invalid_parameter_value(format!(
                "KeySpec {s:?} is not a CMK cipher of this server; use SM4 or AES_256"
            ))
        })?),
    };
    let tags = read_tags(&mut p, "Tags")?;
    refuse_hsm_cluster(&mut p)?;
    p.finish()?;
    check_tencent_alias(&alias)?;
    // The asymmetric usages are known names: the core answers them "not supported".
    let usage = match usage {
        None => KeyUsage::EncryptDecrypt,
        Some(u) => KeyUsage::parse(&u).ok_or_else(|| {
            TcError::new(
                "InvalidParameterValue.InvalidKeyUsage",
                format!("KeyUsage {u:?} is not a key usage; ENCRYPT_DECRYPT is the symmetric one"),
            )
        })?,
    };
    let k = call
        .api
        .kms
        .create_key(
            &call.scope,
            NewKey {
                alias,
                description,
                usage,
                origin,
                cipher,
                tags,
            },
        )
        .await?;
    Ok(obj(json!({
        "KeyId": k.key_id,
        "Alias": k.alias,
        "CreateTime": k.created_at,
        "Description": k.description,
        "KeyState": k.state.as_str(),
        "KeyUsage": k.usage.as_str(),
        "TagCode": 0,
        "TagMsg": "",
        "HsmClusterId": "",
    })))
}

async fn describe_key(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let k = call.api.kms.get_key(&call.scope, &key_id).await?;
    Ok(obj(json!({ "KeyMetadata": key_metadata(&k) })))
}

async fn describe_keys(call: &Call<'_>, mut p: Params) -> Handled {
    let ids = p.req_str_list("KeyIds")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let keys = call.api.kms.describe_keys(&call.scope, &ids).await?;
    Ok(obj(json!({
        "KeyMetadatas": keys.iter().map(key_metadata).collect::<Vec<_>>()
    })))
}

async fn list_keys(call: &Call<'_>, mut p: Params) -> Handled {
    let (offset, limit) = paging(&mut p)?;
    let own = role(&mut p)?;
    refuse_hsm_cluster(&mut p)?;
    p.finish()?;
    let page = if own {
        call.api.kms.list_keys(&call.scope, offset, limit).await?
    } else {
        rules::Page {
            total: 0,
            items: Vec::new(),
        }
    };
    Ok(obj(json!({
        "Keys": page.items.iter().map(|k| json!({"KeyId": k.key_id})).collect::<Vec<_>>(),
        "TotalCount": page.total,
    })))
}

async fn list_key_detail(call: &Call<'_>, mut p: Params) -> Handled {
    let (offset, limit) = paging(&mut p)?;
    let own = role(&mut p)?;
    let newest_first = match p.opt_int("OrderType")?.unwrap_or(0) {
        0 => true,
        1 => false,
        o => {
            return Err(TcError::invalid_parameter(format!(
                "OrderType must be 0 (newest first) or 1 (oldest first), got {o}"
            ))
            .into())
        }
    };
    let state = match p.opt_int("KeyState")?.unwrap_or(0) {
        0 => None,
        1 => Some(KeyState::Enabled),
        2 => Some(KeyState::Disabled),
        3 => Some(KeyState::PendingDelete),
        4 => Some(KeyState::PendingImport),
        5 => Some(KeyState::Archived),
        s => {
            return Err(TcError::invalid_parameter(format!(
                "KeyState must be 0 (all) or 1-5, got {s}"
            ))
            .into())
        }
    };
    let search = p.opt_str("SearchKeyAlias")?.filter(|s| !s.is_empty());
    let origin = match p.opt_str("Origin")?.as_deref() {
        None | Some("") | Some("ALL") => None,
        Some(o) => Some(Origin::parse(o).ok_or_else(|| {
            TcError::invalid_parameter(format!(
                "Origin must be TENCENT_KMS, EXTERNAL or ALL, got {o:?}"
            ))
        })?),
    };
    let usage = match p.opt_str("KeyUsage")?.as_deref() {
        None | Some("") => Some(KeyUsage::EncryptDecrypt),
        Some("ALL") => None,
        Some(u) if KeyUsage::parse(u).is_some() => KeyUsage::parse(u),
        Some(u) => {
            return Err(TcError::new(
                "InvalidParameter",
                format!("KeyUsage {u:?} is not a key usage (or ALL)"),
            )
            .into())
        }
    };
    let mut tags = Vec::new();
    for mut f in p.opt_obj_list("TagFilters")?.unwrap_or_default() {
        let key = f.req_str("TagKey")?;
        let values = f.opt_str_list("TagValue")?.unwrap_or_default();
        f.finish()?;
        tags.push((key, values));
    }
    refuse_hsm_cluster(&mut p)?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let filter = KeyFilter {
        state,
        search,
        origin,
        usage,
        tags,
        newest_first,
    };
    let page = if own {
        call.api
            .kms
            .list_keys_filtered(&call.scope, &filter, offset, limit)
            .await?
    } else {
        rules::Page {
            total: 0,
            items: Vec::new(),
        }
    };
    Ok(obj(json!({
        "TotalCount": page.total,
        "KeyMetadatas": page.items.iter().map(key_metadata).collect::<Vec<_>>(),
    })))
}

enum Change {
    Enable,
    Disable,
    Archive,
    CancelArchive,
    CancelDeletion,
}

async fn single_key(call: &Call<'_>, mut p: Params, change: Change) -> Handled {
    let key_id = p.req_str("KeyId")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let kms = &call.api.kms;
    let s = &call.scope;
    match change {
        Change::Enable => kms.enable_key(s, &key_id).await?,
        Change::Disable => kms.disable_key(s, &key_id).await?,
        Change::Archive => kms.archive_key(s, &key_id).await?,
        Change::CancelArchive => kms.cancel_key_archive(s, &key_id).await?,
        Change::CancelDeletion => {
            let k = kms.cancel_key_deletion(s, &key_id).await?;
            // The only one of these actions whose answer names the key.
            return Ok(obj(json!({ "KeyId": k.key_id })));
        }
    };
    Ok(Map::new())
}

async fn many_keys(call: &Call<'_>, mut p: Params, enable: bool) -> Handled {
    let ids = p.req_str_list("KeyIds")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    call.api
        .kms
        .set_keys_enabled(&call.scope, &ids, enable)
        .await?;
    Ok(Map::new())
}

async fn schedule_key_deletion(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    let days = p
        .opt_int("PendingWindowInDays")?
        .ok_or_else(|| TcError::missing("PendingWindowInDays"))?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let k = call
        .api
        .kms
        .schedule_key_deletion(&call.scope, &key_id, pending_window(days)?)
        .await?;
    Ok(obj(
        json!({ "KeyId": k.key_id, "DeletionDate": k.deletion_date }),
    ))
}

/// `PendingWindowInDays` of a key or a data key: Tencent's window is 7–30 days (the
/// Huawei dialect allows up to 1096).
fn pending_window(days: i64) -> Result<u32, TcError> {
    if !(7..=30).contains(&days) {
        return Err(TcError::new(
            "InvalidParameter.InvalidPendingWindowInDays",
            format!("PendingWindowInDays must be between 7 and 30, got {days}"),
        ));
    }
    Ok(days as u32)
}

async fn update_alias(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    let alias = p.req_str("Alias")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    check_tencent_alias(&alias)?;
    call.api
        .kms
        .update_alias(&call.scope, &key_id, &alias)
        .await?;
    Ok(Map::new())
}

async fn update_key_description(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    let description = p.req_str("Description")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    call.api
        .kms
        .update_description(&call.scope, &key_id, &description)
        .await?;
    Ok(Map::new())
}

async fn generate_random(_call: &Call<'_>, mut p: Params) -> Handled {
    let n = p
        .opt_int("NumberOfBytes")?
        .ok_or_else(|| TcError::missing("NumberOfBytes"))?;
    p.finish()?;
    let n = u64::try_from(n).map_err(|_| {
        Error::invalid(
            Field::NumberOfBytes,
            format!("must be between 1 and 1024, got {n}"),
        )
    })?;
    let bytes = keys::generate_random(n)?;
    Ok(obj(json!({
        "Plaintext": b64::encode(bytes)
    })))
}

async fn get_service_status(call: &Call<'_>, p: Params) -> Handled {
    p.finish()?;
    let count = call.api.kms.count_keys(&call.scope).await?;
    let data_keys = call.api.kms.count_data_keys(&call.scope).await?;
    Ok(obj(json!({
        "ServiceEnabled": true,
        "InvalidType": 1,
        "UserLevel": 0,
        "ProExpireTime": 0,
        "ProRenewFlag": 0,
        "ProResourceId": "",
        "ExclusiveVSMEnabled": false,
        "ExclusiveHSMEnabled": false,
        "SubscriptionInfo": "",
        "CmkUserCount": count,
        "CmkLimit": call.api.kms.limits().cmks_per_scope,
        "ExclusiveHSMList": [],
        "IsAllowedDataKeyHosted": true,
        "DataKeyLimit": call.api.kms.limits().data_keys_per_account,
        "FreeDataKeyLimit": call.api.kms.limits().data_keys_per_account,
        "DataKeyUsedCount": data_keys,
        "SyncTaskList": [],
        "IsAllowedSync": false,
    })))
}

async fn list_algorithms(_call: &Call<'_>, p: Params) -> Handled {
    p.finish()?;
    Ok(obj(json!({
        "SymmetricAlgorithms": [
            {"KeyUsage": "ENCRYPT_DECRYPT", "Algorithm": "SM4"},
            {"KeyUsage": "ENCRYPT_DECRYPT", "Algorithm": "AES_256"},
        ],
        "AsymmetricAlgorithms": [],
        "AsymmetricSignVerifyAlgorithms": [],
    })))
}

fn ciphertext_blob(p: &mut Params, name: &str) -> Result<Vec<u8>, TcError> {
    let text = p.req_str(name)?;
    b64::decode(&text).ok_or_else(|| {
        TcError::new(
            "InvalidParameterValue.InvalidCiphertext",
            format!("{name} is not valid base64 (standard alphabet, with padding)"),
        )
    })
}

/// `EncryptionPublicKey` and `EncryptionAlgorithm`, validated: the key parsed (and
/// cached), the algorithm known and fitting the key. An algorithm without a key is
/// refused rather than ignored: ignoring it would answer in the clear a caller who
/// meant to receive an encrypted key.
async fn read_delivery(call: &Call<'_>, p: &mut Params) -> Result<Option<Delivery>, Fail> {
    let key = p.opt_str("EncryptionPublicKey")?.filter(|k| !k.is_empty());
    let alg = p.opt_str("EncryptionAlgorithm")?.filter(|a| !a.is_empty());
    match (key, alg) {
        (None, None) => Ok(None),
        (None, Some(a)) => Err(TcError::invalid_parameter_value(format!(
            "EncryptionAlgorithm {a} was given without EncryptionPublicKey; send the PEM public key to deliver to, or omit both"
        ))
        .into()),
        (Some(k), a) => Ok(Some(call.api.kms.prepare_delivery(&k, a.as_deref()).await?)),
    }
}

async fn encrypt(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    let plaintext = p.req_str("Plaintext")?;
    let context = p.opt_str("EncryptionContext")?;
    p.finish()?;
    let plaintext = b64::decode(&plaintext).ok_or_else(|| {
        TcError::new(
            "InvalidParameterValue.InvalidPlaintext",
            "Plaintext is not valid base64 (standard alphabet, with padding)",
        )
    })?;
    let (blob, key) = call
        .api
        .kms
        .encrypt(&call.scope, &key_id, &plaintext, context.as_deref())
        .await?;
    Ok(obj(
        json!({ "CiphertextBlob": b64::encode(&blob), "KeyId": key.key_id }),
    ))
}

async fn decrypt(call: &Call<'_>, mut p: Params) -> Handled {
    let blob = ciphertext_blob(&mut p, "CiphertextBlob")?;
    let context = p.opt_str("EncryptionContext")?;
    let delivery = read_delivery(call, &mut p).await?;
    p.finish()?;
    let kms = &call.api.kms;
    let (plaintext, key) = kms.decrypt(&call.scope, &blob, context.as_deref()).await?;
    let out = kms.reveal(delivery.as_ref(), plaintext).await?;
    Ok(obj(
        json!({ "KeyId": key.key_id, "Plaintext": b64::encode(out.wire_bytes()) }),
    ))
}

async fn re_encrypt(call: &Call<'_>, mut p: Params) -> Handled {
    let blob = ciphertext_blob(&mut p, "CiphertextBlob")?;
    let destination = p.opt_str("DestinationKeyId")?;
    let source_context = p.opt_str("SourceEncryptionContext")?;
    let destination_context = p.opt_str("DestinationEncryptionContext")?;
    p.finish()?;
    let r = call
        .api
        .kms
        .re_encrypt(
            &call.scope,
            &blob,
            destination.as_deref(),
            source_context.as_deref(),
            destination_context.as_deref(),
        )
        .await?;
    Ok(obj(json!({
        "CiphertextBlob": b64::encode(&r.blob),
        "KeyId": r.destination.key_id,
        "SourceKeyId": r.source.key_id,
        "ReEncrypted": r.re_encrypted,
    })))
}

/// The data key's length: NumberOfBytes wins over KeySpec; one of them is required.
fn data_key_len(p: &mut Params) -> Result<usize, TcError> {
    let spec = p.opt_str("KeySpec")?.filter(|s| !s.is_empty());
    let n = p.opt_int("NumberOfBytes")?;
    match (n, spec.as_deref()) {
        (Some(n), _) => usize::try_from(n)
            .ok()
            .filter(|n| (1..=1024).contains(n))
            .ok_or_else(|| {
                TcError::invalid_parameter(format!(
                    "NumberOfBytes must be between 1 and 1024, got {n}"
                ))
            }),
        (None, Some("AES_128")) => Ok(16),
        (None, Some("AES_256")) => Ok(32),
        (None, Some(other)) => Err(TcError::invalid_parameter(format!(
            "KeySpec must be AES_128 or AES_256, got {other:?}"
        ))),
        (None, None) => Err(TcError::new(
            "MissingParameter",
            "one of KeySpec (AES_128 or AES_256) and NumberOfBytes (1-1024) is required",
        )),
    }
}

async fn generate_data_key(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    let n = data_key_len(&mut p)?;
    let context = p.opt_str("EncryptionContext")?;
    let delivery = read_delivery(call, &mut p).await?;
    refuse_hsm_cluster(&mut p)?;
    let hosted = match p.opt_int("IsHostedByKms")?.unwrap_or(0) {
        0 => false,
        1 => true,
        v => {
            return Err(TcError::invalid_parameter(format!(
                "IsHostedByKms must be 0 or 1, got {v}"
            ))
            .into())
        }
    };
    let name = p.opt_str("DataKeyName")?.filter(|n| !n.is_empty());
    let description = p.opt_str("Description")?.unwrap_or_default();
    let tags = read_tags(&mut p, "Tags")?;
    p.finish()?;
    let kms = &call.api.kms;
    // Refuse an undeliverable key before generating (or storing) anything.
    if let Some(d) = &delivery {
        kms.check_delivery(d, n)?;
    }
    let (data_key, blob, key_id, data_key_id) = if hosted {
        let name = name.ok_or_else(|| {
            TcError::new(
                "InvalidParameterValue.InvalidDataKeyName",
                "DataKeyName is required when IsHostedByKms is 1",
            )
        })?;
        check_data_key_name(&name)?;
        let new = NewDataKey {
            name,
            description,
            tags,
        };
        let (pt, blob, dk) = kms
            .generate_hosted_data_key(&call.scope, &key_id, n, context.as_deref(), new)
            .await?;
        (pt, blob, dk.key_id, dk.data_key_id)
    } else {
        let (pt, blob, key) = kms
            .generate_data_key(&call.scope, &key_id, n, context.as_deref())
            .await?;
        (pt, blob, key.key_id.clone(), String::new())
    };
    let out = kms.reveal(delivery.as_ref(), data_key).await?;
    Ok(obj(json!({
        "KeyId": key_id,
        "Plaintext": b64::encode(out.wire_bytes()),
        "CiphertextBlob": b64::encode(&blob),
        "DataKeyId": data_key_id,
        "TagCode": 0,
        "TagMsg": "",
    })))
}

async fn enable_key_rotation(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    let days = p.opt_int_in("RotateDays", 7..=365)?.unwrap_or(365);
    refuse_member_account(&mut p)?;
    p.finish()?;
    call.api
        .kms
        .enable_key_rotation(&call.scope, &key_id, days as u32)
        .await?;
    Ok(Map::new())
}

async fn disable_key_rotation(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    call.api
        .kms
        .disable_key_rotation(&call.scope, &key_id)
        .await?;
    Ok(Map::new())
}

async fn get_key_rotation_status(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let k = call.api.kms.get_key(&call.scope, &key_id).await?;
    // The period and times are in DescribeKey's KeyMetadata.
    Ok(obj(json!({ "KeyRotationEnabled": k.rotation_enabled })))
}

async fn rotate_key(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    call.api.kms.rotate_key(&call.scope, &key_id).await?;
    // Rotation here is synchronous: the task is complete when this answers.
    Ok(obj(json!({ "TaskId": uuid::Uuid::new_v4().to_string() })))
}

/// DataKeyMetadata as the SDK's model defines it. `KeyName` is the CMK's alias (empty
/// if the CMK has been destroyed since).
async fn data_key_metadata(call: &Call<'_>, dk: &DataKey) -> Value {
    let key_name = match call.api.kms.get_key(&call.scope, &dk.key_id).await {
        Ok(k) => k.alias,
        Err(_) => String::new(),
    };
    json!({
        "DataKeyId": dk.data_key_id,
        "KeyId": dk.key_id,
        "KeyName": key_name,
        "DataKeyName": dk.name,
        "NumberOfBytes": dk.length,
        "CreateTime": dk.created_at,
        "Description": dk.description,
        "KeyState": dk.state.as_str(),
        "CreatorUin": dk.scope.account,
        "CreatorUinString": dk.scope.account.to_string(),
        "Owner": "user",
        "DeletionDate": dk.deletion_date,
        "Origin": dk.origin.as_str(),
        "HsmClusterId": "",
        "ResourceId": format!("creatorUin/{}/{}", dk.scope.account, dk.data_key_id),
        "IsSyncReplica": 0,
        "SourceRegion": "",
        "SyncStatus": 0,
        "SyncMessages": "",
        "SyncStartTime": 0,
        "SyncEndTime": 0,
        "SourceHsmClusterId": "",
    })
}

async fn list_data_keys(call: &Call<'_>, mut p: Params) -> Handled {
    let (offset, limit) = paging(&mut p)?;
    let own = role(&mut p)?;
    refuse_hsm_cluster(&mut p)?;
    p.finish()?;
    let page = if own {
        call.api
            .kms
            .list_data_keys(&call.scope, &DataKeyFilter::default(), offset, limit)
            .await?
    } else {
        rules::Page {
            total: 0,
            items: Vec::new(),
        }
    };
    Ok(obj(json!({
        "DataKeys": page.items.iter().map(|k| json!({"DataKeyId": k.data_key_id})).collect::<Vec<_>>(),
        "TotalCount": page.total,
    })))
}

async fn list_data_key_detail(call: &Call<'_>, mut p: Params) -> Handled {
    let (offset, limit) = paging(&mut p)?;
    let own = role(&mut p)?;
    let newest_first = match p.opt_int("OrderType")?.unwrap_or(0) {
        0 => true,
        1 => false,
        o => {
            return Err(TcError::invalid_parameter(format!(
                "OrderType must be 0 (newest first) or 1 (oldest first), got {o}"
            ))
            .into())
        }
    };
    let state = match p.opt_int("KeyState")?.unwrap_or(0) {
        0 => None,
        1 => Some(DataKeyState::Enabled),
        2 => Some(DataKeyState::Disabled),
        3 => Some(DataKeyState::PendingDelete),
        s => {
            return Err(TcError::invalid_parameter(format!(
                "KeyState must be 0 (all) or 1-3, got {s}"
            ))
            .into())
        }
    };
    let search = p.opt_str("SearchKeyAlias")?.filter(|s| !s.is_empty());
    let origin = match p.opt_str("Origin")?.as_deref() {
        None | Some("") | Some("ALL") => None,
        Some(o) => Some(Origin::parse(o).ok_or_else(|| {
            TcError::invalid_parameter(format!(
                "Origin must be TENCENT_KMS, EXTERNAL or ALL, got {o:?}"
            ))
        })?),
    };
    let key_id = p.opt_str("KeyId")?.filter(|k| !k.is_empty());
    let length = match p.opt_int("DataKeyLen")? {
        None | Some(0) => None,
        Some(n) if (1..=1024).contains(&n) => Some(n as u32),
        Some(n) => {
            return Err(TcError::invalid_parameter(format!(
                "DataKeyLen must be between 1 and 1024, got {n}"
            ))
            .into())
        }
    };
    let mut tags = Vec::new();
    for mut f in p.opt_obj_list("TagFilters")?.unwrap_or_default() {
        let key = f.req_str("TagKey")?;
        let values = f.opt_str_list("TagValue")?.unwrap_or_default();
        f.finish()?;
        tags.push((key, values));
    }
    refuse_hsm_cluster(&mut p)?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let filter = DataKeyFilter {
        state,
        search,
        origin,
        key_id,
        length,
        tags,
        newest_first,
    };
    let page = if own {
        call.api
            .kms
            .list_data_keys(&call.scope, &filter, offset, limit)
            .await?
    } else {
        rules::Page {
            total: 0,
            items: Vec::new(),
        }
    };
    let mut metadatas = Vec::with_capacity(page.items.len());
    for dk in &page.items {
        metadatas.push(data_key_metadata(call, dk).await);
    }
    Ok(obj(
        json!({ "DataKeyMetadatas": metadatas, "TotalCount": page.total }),
    ))
}

async fn describe_data_key(call: &Call<'_>, mut p: Params) -> Handled {
    let id = p.req_str("DataKeyId")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let dk = call.api.kms.get_data_key(&call.scope, &id).await?;
    Ok(obj(
        json!({ "DataKeyMetadata": data_key_metadata(call, &dk).await }),
    ))
}

async fn describe_data_keys(call: &Call<'_>, mut p: Params) -> Handled {
    let ids = p.req_str_list("DataKeyIds")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let dks = call.api.kms.describe_data_keys(&call.scope, &ids).await?;
    let mut metadatas = Vec::with_capacity(dks.len());
    for dk in &dks {
        metadatas.push(data_key_metadata(call, dk).await);
    }
    Ok(obj(json!({ "DataKeyMetadatas": metadatas })))
}

async fn get_data_key_plaintext(call: &Call<'_>, mut p: Params) -> Handled {
    let id = p.req_str("DataKeyId")?;
    let delivery = read_delivery(call, &mut p).await?;
    p.finish()?;
    let kms = &call.api.kms;
    let (plaintext, _) = kms.data_key_plaintext(&call.scope, &id).await?;
    let out = kms.reveal(delivery.as_ref(), plaintext).await?;
    Ok(obj(json!({ "Plaintext": b64::encode(out.wire_bytes()) })))
}

async fn get_data_key_ciphertext_blob(call: &Call<'_>, mut p: Params) -> Handled {
    let id = p.req_str("DataKeyId")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let dk = call.api.kms.data_key_ciphertext(&call.scope, &id).await?;
    Ok(obj(json!({ "CiphertextBlob": b64::encode(&dk.blob) })))
}

enum DkChange {
    Enable,
    Disable,
    CancelDeletion,
}

async fn single_data_key(call: &Call<'_>, mut p: Params, change: DkChange) -> Handled {
    let id = p.req_str("DataKeyId")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let kms = &call.api.kms;
    match change {
        DkChange::Enable => kms.set_data_key_enabled(&call.scope, &id, true).await?,
        DkChange::Disable => kms.set_data_key_enabled(&call.scope, &id, false).await?,
        DkChange::CancelDeletion => {
            let dk = kms.cancel_data_key_deletion(&call.scope, &id).await?;
            return Ok(obj(json!({ "DataKeyId": dk.data_key_id })));
        }
    };
    Ok(Map::new())
}

async fn many_data_keys(call: &Call<'_>, mut p: Params, enable: bool) -> Handled {
    let ids = p.req_str_list("DataKeyIds")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    call.api
        .kms
        .set_data_keys_enabled(&call.scope, &ids, enable)
        .await?;
    Ok(Map::new())
}

async fn schedule_data_key_deletion(call: &Call<'_>, mut p: Params) -> Handled {
    let id = p.req_str("DataKeyId")?;
    let days = p
        .opt_int("PendingWindowInDays")?
        .ok_or_else(|| TcError::missing("PendingWindowInDays"))?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let dk = call
        .api
        .kms
        .schedule_data_key_deletion(&call.scope, &id, pending_window(days)?)
        .await?;
    Ok(obj(
        json!({ "DataKeyId": dk.data_key_id, "DeletionDate": dk.deletion_date }),
    ))
}

async fn update_data_key_name(call: &Call<'_>, mut p: Params) -> Handled {
    let id = p.req_str("DataKeyId")?;
    let name = p.req_str("DataKeyName")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    check_data_key_name(&name)?;
    call.api
        .kms
        .update_data_key_name(&call.scope, &id, &name)
        .await?;
    Ok(Map::new())
}

async fn update_data_key_description(call: &Call<'_>, mut p: Params) -> Handled {
    let id = p.req_str("DataKeyId")?;
    let description = p.req_str("Description")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    call.api
        .kms
        .update_data_key_description(&call.scope, &id, &description)
        .await?;
    Ok(Map::new())
}

async fn import_data_key(call: &Call<'_>, mut p: Params) -> Handled {
    let name = p.req_str("DataKeyName")?;
    let material = p.req_str("ImportKeyMaterial")?;
    let import_type = p
        .opt_int("ImportType")?
        .ok_or_else(|| TcError::missing("ImportType"))?;
    let description = p.opt_str("Description")?.unwrap_or_default();
    let key_id = p.opt_str("KeyId")?.filter(|k| !k.is_empty());
    let tags = read_tags(&mut p, "Tags")?;
    refuse_hsm_cluster(&mut p)?;
    p.finish()?;
    check_data_key_name(&name)?;
    let bytes = b64::decode(&material).ok_or_else(|| {
        TcError::new(
            "InvalidParameterValue.InvalidImportKeyMaterial",
            "ImportKeyMaterial is not valid base64 (standard alphabet, with padding)",
        )
    })?;
    let import = match import_type {
        1 => Import::Ciphertext { blob: bytes, key_id },
        2 => Import::Plaintext {
            material: SecretBytes::new(bytes),
            key_id: key_id.ok_or_else(|| {
                TcError::new("MissingParameter", "KeyId is required to import a plaintext data key (ImportType 2)")
            })?,
        },
        t => {
            return Err(TcError::new(
                "InvalidParameterValue.InvalidType",
                format!("ImportType must be 1 (a CiphertextBlob from GenerateDataKey) or 2 (plaintext), got {t}"),
            )
            .into())
        }
    };
    let dk = call
        .api
        .kms
        .import_data_key(
            &call.scope,
            import,
            NewDataKey {
                name,
                description,
                tags,
            },
        )
        .await?;
    Ok(obj(json!({
        "KeyId": dk.key_id,
        "DataKeyId": dk.data_key_id,
        "TagCode": 0,
        "TagMsg": "",
    })))
}

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
