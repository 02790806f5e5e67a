//! Key rotation in Huawei's terms: enable-key-rotation, disable-key-rotation,
//! get-key-rotation-status, update-key-rotation-interval and rotate-on-demand, on the
//! core's rotation (each rotation adds a material version; old blobs stay readable).
//!
//! Huawei's rules kept here: the interval is 30 to 365 days (KMS.3001), 365 when
//! rotation is enabled without one; enabling rotation that is on is KMS.2901, disabling
//! or re-timing rotation that is off is KMS.0313; service default keys cannot be
//! changed (KMS.0211). A key with imported material cannot rotate (KMS.0312, from the
//! core).

use super::actions::{key_id, obj, refuse_default_key, Handled};
use super::body::Body;
use super::errors::HwError;
use super::Call;
use crate::model::{Cmk, Origin};
use serde_json::json;

/// Huawei's rotation interval, in days.
const INTERVAL_DAYS: std::ops::RangeInclusive<u64> = 30..=365;
const DEFAULT_INTERVAL: u32 = 365;

/// The key named in the body, if it may have its rotation changed at all.
async fn rotatable(call: &Call<'_>, key_id: &str) -> Result<Cmk, super::actions::Fail> {
    let key = call.api.kms.get_key(&call.ctx, key_id).await?;
    refuse_default_key(&key)?;
    Ok(key)
}

fn interval(b: &mut Body) -> Result<Option<u32>, HwError> {
    match b.opt_num("rotation_interval", "KMS.3001")? {
        None => Ok(None),
        Some(n) if INTERVAL_DAYS.contains(&n) => Ok(Some(n as u32)),
        Some(n) => Err(HwError::bad(
            "KMS.3001",
            format!(
                "rotation_interval must be between {} and {} days, got {n}",
                INTERVAL_DAYS.start(),
                INTERVAL_DAYS.end()
            ),
        )),
    }
}

pub(super) async fn enable(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    b.sequence()?;
    b.finish()?;
    let key = rotatable(call, &key_id).await?;
    if key.rotation_enabled {
        return Err(HwError::bad(
            "KMS.2901",
            format!("rotation of the key {key_id} is already enabled; update-key-rotation-interval changes its interval"),
        )
        .into());
    }
    let days = if key.rotate_days > 0 && INTERVAL_DAYS.contains(&(key.rotate_days as u64)) {
        key.rotate_days
    } else {
        DEFAULT_INTERVAL
    };
    call.api
        .kms
        .enable_key_rotation(&call.ctx, &key_id, days)
        .await?;
    Ok(obj(json!({})))
}

pub(super) async fn disable(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    b.sequence()?;
    b.finish()?;
    let key = rotatable(call, &key_id).await?;
    if !key.rotation_enabled {
        return Err(not_enabled(&key_id).into());
    }
    call.api
        .kms
        .disable_key_rotation(&call.ctx, &key_id)
        .await?;
    Ok(obj(json!({})))
}

fn not_enabled(key_id: &str) -> HwError {
    HwError::bad(
        "KMS.0313",
        format!("rotation of the key {key_id} is not enabled; enable-key-rotation turns it on"),
    )
}

pub(super) async fn update_interval(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    let days = interval(&mut b)?.ok_or_else(|| HwError::missing("rotation_interval"))?;
    b.sequence()?;
    b.finish()?;
    let key = rotatable(call, &key_id).await?;
    if !key.rotation_enabled {
        return Err(not_enabled(&key_id).into());
    }
    call.api
        .kms
        .enable_key_rotation(&call.ctx, &key_id, days)
        .await?;
    Ok(obj(json!({})))
}

pub(super) async fn status(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    b.sequence()?;
    b.finish()?;
    let key = call.api.kms.get_key(&call.ctx, &key_id).await?;
    // Every material version after the first came from a rotation (a key with
    // imported material never rotates here).
    let rotations = match key.origin {
        Origin::Kms => key.current_version.saturating_sub(1),
        Origin::External => 0,
    };
    Ok(obj(json!({
        "key_rotation_enabled": key.rotation_enabled,
        "rotation_interval": if key.rotate_days > 0 { key.rotate_days } else { DEFAULT_INTERVAL },
        "last_rotation_time": if key.last_rotate_time > 0 { key.last_rotate_time.to_string() } else { String::new() },
        "number_of_rotations": rotations,
    })))
}

/// Rotates now, whether or not automatic rotation is on.
pub(super) async fn rotate_on_demand(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    b.sequence()?;
    b.finish()?;
    rotatable(call, &key_id).await?;
    let key = call.api.kms.rotate_key(&call.ctx, &key_id).await?;
    Ok(obj(json!({ "key_id": key.key_id })))
}
