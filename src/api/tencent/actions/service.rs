//! Actions about the service rather than a key: random bytes, status, algorithms.

use super::*;
use crate::b64;
use crate::crypto::asym::AsymmetricSpec;
use crate::kms::rules;
use crate::kms::{Error, Field};
use crate::model::KeyUsage;
use serde_json::{json, Value};

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

/// What CreateKey really makes, listed the way Tencent lists it: the key usage and the
/// key's algorithm (SM2, RSA_2048, ECC), derived from the model so that the list
/// cannot drift from what the core creates.
pub(super) async fn list_algorithms(_call: &Call<'_>, p: Params) -> Handled {
    p.finish()?;
    let listed = |pick: fn(KeyUsage) -> bool| -> Vec<Value> {
        KeyUsage::ALL
            .into_iter()
            .filter(|u| pick(*u))
            .filter_map(|u| {
                let algorithm = match u.asymmetric_spec()? {
                    AsymmetricSpec::Sm2 => "SM2",
                    AsymmetricSpec::Rsa2048 => "RSA_2048",
                    AsymmetricSpec::EccP256 => "ECC",
                };
                Some(json!({"KeyUsage": u.as_str(), "Algorithm": algorithm}))
            })
            .collect()
    };
    Ok(obj(json!({
        "SymmetricAlgorithms": [
            {"KeyUsage": "ENCRYPT_DECRYPT", "Algorithm": "SM4"},
            {"KeyUsage": "ENCRYPT_DECRYPT", "Algorithm": "AES_256"},
        ],
        "AsymmetricAlgorithms": listed(KeyUsage::decrypts_asymmetric),
        "AsymmetricSignVerifyAlgorithms": listed(KeyUsage::signs),
    })))
}
