//! Actions about the service rather than a key: random bytes, status, algorithms.

use super::*;
use crate::b64;
use crate::kms::rules;
use crate::kms::{Error, Field};
use serde_json::json;

pub(super) async fn generate_random(call: &Call<'_>, mut p: Params) -> Handled {
    let n = p
        .opt_int("NumberOfBytes")?
        .ok_or_else(|| TcError::missing("NumberOfBytes"))?;
    p.finish()?;
    let n = u64::try_from(n).map_err(|_| {
        Error::invalid(
            Field::NumberOfBytes,
            format!(
                "must be between {} and {}, got {n}",
                rules::RANDOM_BYTES.start(),
                rules::RANDOM_BYTES.end()
            ),
        )
    })?;
    let bytes = call.api.kms.generate_random(&call.ctx, n)?;
    Ok(obj(json!({
        "Plaintext": b64::encode(bytes)
    })))
}

pub(super) async fn get_service_status(call: &Call<'_>, p: Params) -> Handled {
    p.finish()?;
    let count = call.api.kms.count_keys(&call.ctx).await?;
    let data_keys = call.api.kms.count_data_keys(&call.ctx).await?;
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

pub(super) async fn list_algorithms(_call: &Call<'_>, p: Params) -> Handled {
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
