//! Bring your own key in Huawei's terms: get-parameters-for-import,
//! import-key-material, delete-imported-key-material. Only translation: tokens,
//! wrapping keys and material are the core's (`kms::import`).
//!
//! - `wrapping_algorithm` is `RSAES_OAEP_SHA_256` (the default; an RSA-2048 wrapping
//!   key) or `SM2_ENCRYPT` (an SM2 wrapping key; the blob is GM/T 0009 ASN.1 C1C3C2),
//!   the two Huawei documents. The answer's `public_key` is base64 of the wrapping
//!   key's SubjectPublicKeyInfo DER, `expiration_time` unix seconds (24 hours on).
//! - import-key-material takes base64 `encrypted_key_material` (SM4 keys 128-bit
//!   material, AES_256 keys 256-bit) and an optional `expiration_time` (unix seconds;
//!   absent or 0: the material never expires). Importing asymmetric private keys
//!   (`encrypted_privatekey`) is not implemented.

use super::actions::{key_id, obj, Handled};
use super::body::Body;
use super::errors::HwError;
use super::Call;
use crate::b64;
use serde_json::json;

pub(super) async fn get_parameters(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    let algorithm = b
        .opt_str("wrapping_algorithm", "KMS.0308")?
        .unwrap_or_else(|| "RSAES_OAEP_SHA_256".to_string());
    b.sequence()?;
    b.finish()?;
    let spec = match algorithm.as_str() {
        "RSAES_OAEP_SHA_256" => "RSA_2048",
        "SM2_ENCRYPT" => "SM2",
        other => {
            return Err(HwError::invalid(format!(
                "wrapping_algorithm {other:?} is not RSAES_OAEP_SHA_256 or SM2_ENCRYPT"
            ))
            .into())
        }
    };
    let p = call
        .api
        .kms
        .get_parameters_for_import(&call.ctx, &key_id, &algorithm, spec)
        .await?;
    Ok(obj(json!({
        "key_id": p.key_id,
        "import_token": p.import_token,
        "expiration_time": p.valid_to,
        "public_key": b64::encode(&p.public_key),
    })))
}

pub(super) async fn import_material(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    let token = b.req_str("import_token", "KMS.0308")?;
    let wrapped = b.req_str("encrypted_key_material", "KMS.0308")?;
    if b.opt_str("encrypted_privatekey", "KMS.0308")?.is_some() {
        return Err(HwError::invalid(
            "encrypted_privatekey (importing an asymmetric private key) is not supported by this \
             server; import symmetric material (SM4 or AES_256) in encrypted_key_material",
        )
        .into());
    }
    let valid_to = b.opt_num("expiration_time", "KMS.0308")?.unwrap_or(0);
    b.sequence()?;
    b.finish()?;
    let wrapped = b64::decode(wrapped.trim()).ok_or_else(|| {
        HwError::invalid(
            "encrypted_key_material is not valid base64 (standard alphabet, with padding)",
        )
    })?;
    let valid_to = i64::try_from(valid_to)
        .map_err(|_| HwError::invalid("expiration_time is not a unix time in seconds"))?;
    call.api
        .kms
        .import_key_material(&call.ctx, &key_id, &token, &wrapped, valid_to)
        .await?;
    Ok(Default::default())
}

pub(super) async fn delete_material(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    b.sequence()?;
    b.finish()?;
    call.api
        .kms
        .delete_imported_key_material(&call.ctx, &key_id)
        .await?;
    Ok(Default::default())
}
