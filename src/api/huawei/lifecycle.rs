//! The key lifecycle in Huawei's terms: enable-key, disable-key,
//! schedule-key-deletion, cancel-key-deletion, update-key-alias and
//! update-key-description, with Huawei's stricter state rules.

use super::actions::{
    check_alias, check_description, key_id, obj, refuse_default_key, Fail, Handled,
};
use super::body::Body;
use super::errors::{key_state, HwError};
use super::Call;
use crate::kms::states::Op;
use crate::kms::Error;
use crate::model::{Cmk, KeyState};
use serde_json::{json, Value};

/// The key, if its state allows `op` as Huawei defines it (stricter than the core for
/// enable/disable, which Huawei refuses on a key already in the wanted state).
pub(super) async fn key_for(
    call: &Call<'_>,
    key_id: &str,
    op: Op,
    allowed: &[KeyState],
) -> Result<Cmk, Fail> {
    let key = call.api.kms.get_key(&call.ctx, key_id).await?;
    if !allowed.contains(&key.state) {
        return Err(Error::WrongState {
            key_id: key.key_id,
            state: key.state,
            op,
        }
        .into());
    }
    refuse_default_key(&key)?;
    Ok(key)
}

fn key_status(key: &Cmk) -> Value {
    json!({ "key_id": key.key_id, "key_state": key_state(key.state) })
}

pub(super) async fn enable_key(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    b.sequence()?;
    b.finish()?;
    key_for(call, &key_id, Op::Enable, &[KeyState::Disabled]).await?;
    let key = call.api.kms.enable_key(&call.ctx, &key_id).await?;
    Ok(obj(json!({ "key_info": key_status(&key) })))
}

pub(super) async fn disable_key(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    b.sequence()?;
    b.finish()?;
    key_for(call, &key_id, Op::Disable, &[KeyState::Enabled]).await?;
    let key = call.api.kms.disable_key(&call.ctx, &key_id).await?;
    Ok(obj(json!({ "key_info": key_status(&key) })))
}

pub(super) async fn schedule_key_deletion(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    let days = b.req_num("pending_days", "KMS.1401")?;
    b.sequence()?;
    b.finish()?;
    if !(7..=1096).contains(&days) {
        return Err(HwError::bad(
            "KMS.1401",
            format!("pending_days must be between 7 and 1096, got {days}"),
        )
        .into());
    }
    let kms = &call.api.kms;
    let key = key_for(
        call,
        &key_id,
        Op::ScheduleDeletion,
        &[
            KeyState::Enabled,
            KeyState::Disabled,
            KeyState::PendingImport,
            KeyState::Archived,
        ],
    )
    .await?;
    // Huawei schedules an enabled key directly; the core takes keys out of use first,
    // so an enabled key is disabled on the way (if the scheduling then fails, the key
    // stays disabled, never deleted).
    if key.state == KeyState::Enabled {
        kms.disable_key(&call.ctx, &key_id).await?;
    }
    let key = kms
        .schedule_key_deletion(&call.ctx, &key_id, days as u32)
        .await?;
    Ok(obj(key_status(&key)))
}

pub(super) async fn cancel_key_deletion(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    b.sequence()?;
    b.finish()?;
    let key = call.api.kms.cancel_key_deletion(&call.ctx, &key_id).await?;
    Ok(obj(key_status(&key)))
}

/// The states in which a key's alias and description may change: not while it is
/// pending deletion (KMS.0210).
pub(super) const EDITABLE: [KeyState; 4] = [
    KeyState::Enabled,
    KeyState::Disabled,
    KeyState::PendingImport,
    KeyState::Archived,
];

pub(super) async fn update_key_alias(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    let alias = b.req_str("key_alias", "KMS.1101")?;
    b.sequence()?;
    b.finish()?;
    check_alias(&alias)?;
    key_for(call, &key_id, Op::Metadata, &EDITABLE).await?;
    let key = call
        .api
        .kms
        .update_alias(&call.ctx, &key_id, &alias)
        .await?;
    Ok(obj(json!({
        "key_info": { "key_id": key.key_id, "key_alias": key.alias }
    })))
}

pub(super) async fn update_key_description(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    let description = b.req_str("key_description", "KMS.1103")?;
    b.sequence()?;
    b.finish()?;
    check_description(&description)?;
    key_for(call, &key_id, Op::Metadata, &EDITABLE).await?;
    let key = call
        .api
        .kms
        .update_description(&call.ctx, &key_id, &description)
        .await?;
    Ok(obj(json!({
        "key_info": { "key_id": key.key_id, "key_description": key.description }
    })))
}
