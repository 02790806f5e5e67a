//! Hosted data keys: generate, import, read, list, state changes, names.

use super::crypto::read_delivery;
use super::keys::pending_window;
use super::*;
use crate::b64;
use crate::crypto::secret::SecretBytes;
use crate::kms::data_keys::{DataKeyFilter, Import, NewDataKey};
use crate::kms::rules;
use crate::model::{DataKey, DataKeyState, Origin};
use serde_json::{json, Map, Value};

/// DataKeyMetadata as the SDK's model defines it. `KeyName` is the CMK's alias (empty
/// if the CMK has been destroyed since).
pub(super) async fn data_key_metadata(call: &Call<'_>, dk: &DataKey) -> Value {
    let key_name = match call.api.kms.get_key(&call.ctx, &dk.key_id).await {
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

pub(super) async fn list_data_keys(call: &Call<'_>, mut p: Params) -> Handled {
    let (offset, limit) = paging(&mut p)?;
    let own = role(&mut p)?;
    refuse_hsm_cluster(&mut p)?;
    p.finish()?;
    let page = if own {
        call.api
            .kms
            .list_data_keys(&call.ctx, &DataKeyFilter::default(), offset, limit)
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

pub(super) async fn list_data_key_detail(call: &Call<'_>, mut p: Params) -> Handled {
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
        Some(n) => match rules::data_key_len(n) {
            Some(len) => Some(len as u32),
            None => {
                return Err(TcError::invalid_parameter(format!(
                    "DataKeyLen must be between 1 and {}, got {n}",
                    rules::MAX_DATA_KEY
                ))
                .into())
            }
        },
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
            .list_data_keys(&call.ctx, &filter, offset, limit)
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

pub(super) async fn describe_data_key(call: &Call<'_>, mut p: Params) -> Handled {
    let id = p.req_str("DataKeyId")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let dk = call.api.kms.get_data_key(&call.ctx, &id).await?;
    Ok(obj(
        json!({ "DataKeyMetadata": data_key_metadata(call, &dk).await }),
    ))
}

pub(super) async fn describe_data_keys(call: &Call<'_>, mut p: Params) -> Handled {
    let ids = p.req_str_list("DataKeyIds")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let dks = call.api.kms.describe_data_keys(&call.ctx, &ids).await?;
    let mut metadatas = Vec::with_capacity(dks.len());
    for dk in &dks {
        metadatas.push(data_key_metadata(call, dk).await);
    }
    Ok(obj(json!({ "DataKeyMetadatas": metadatas })))
}

pub(super) async fn get_data_key_plaintext(call: &Call<'_>, mut p: Params) -> Handled {
    let id = p.req_str("DataKeyId")?;
    let delivery = read_delivery(call, &mut p).await?;
    p.finish()?;
    let kms = &call.api.kms;
    let (plaintext, _) = kms.data_key_plaintext(&call.ctx, &id).await?;
    let out = kms.reveal(&call.ctx, delivery.as_ref(), plaintext).await?;
    Ok(obj(json!({ "Plaintext": b64::encode(out.wire_bytes()) })))
}

pub(super) async fn get_data_key_ciphertext_blob(call: &Call<'_>, mut p: Params) -> Handled {
    let id = p.req_str("DataKeyId")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let dk = call.api.kms.data_key_ciphertext(&call.ctx, &id).await?;
    Ok(obj(json!({ "CiphertextBlob": b64::encode(&dk.blob) })))
}

pub(super) enum DkChange {
    Enable,
    Disable,
    CancelDeletion,
}

pub(super) async fn single_data_key(call: &Call<'_>, mut p: Params, change: DkChange) -> Handled {
    let id = p.req_str("DataKeyId")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let kms = &call.api.kms;
    match change {
        DkChange::Enable => kms.set_data_key_enabled(&call.ctx, &id, true).await?,
        DkChange::Disable => kms.set_data_key_enabled(&call.ctx, &id, false).await?,
        DkChange::CancelDeletion => {
            let dk = kms.cancel_data_key_deletion(&call.ctx, &id).await?;
            return Ok(obj(json!({ "DataKeyId": dk.data_key_id })));
        }
    };
    Ok(Map::new())
}

pub(super) async fn many_data_keys(call: &Call<'_>, mut p: Params, enable: bool) -> Handled {
    let ids = p.req_str_list("DataKeyIds")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    call.api
        .kms
        .set_data_keys_enabled(&call.ctx, &ids, enable)
        .await?;
    Ok(Map::new())
}

pub(super) async fn schedule_data_key_deletion(call: &Call<'_>, mut p: Params) -> Handled {
    let id = p.req_str("DataKeyId")?;
    let days = p
        .opt_int("PendingWindowInDays")?
        .ok_or_else(|| TcError::missing("PendingWindowInDays"))?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    let dk = call
        .api
        .kms
        .schedule_data_key_deletion(&call.ctx, &id, pending_window(days)?)
        .await?;
    Ok(obj(
        json!({ "DataKeyId": dk.data_key_id, "DeletionDate": dk.deletion_date }),
    ))
}

pub(super) async fn update_data_key_name(call: &Call<'_>, mut p: Params) -> Handled {
    let id = p.req_str("DataKeyId")?;
    let name = p.req_str("DataKeyName")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    check_data_key_name(&name)?;
    call.api
        .kms
        .update_data_key_name(&call.ctx, &id, &name)
        .await?;
    Ok(Map::new())
}

pub(super) async fn update_data_key_description(call: &Call<'_>, mut p: Params) -> Handled {
    let id = p.req_str("DataKeyId")?;
    let description = p.req_str("Description")?;
    refuse_member_account(&mut p)?;
    p.finish()?;
    call.api
        .kms
        .update_data_key_description(&call.ctx, &id, &description)
        .await?;
    Ok(Map::new())
}

pub(super) async fn import_data_key(call: &Call<'_>, mut p: Params) -> Handled {
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
            &call.ctx,
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
