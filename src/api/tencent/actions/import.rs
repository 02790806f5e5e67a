//! Bring your own key: GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial.

use super::*;
use crate::b64;
use serde_json::json;

pub(super) async fn get_parameters_for_import(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    let algorithm = p.req_str("WrappingAlgorithm")?;
    let spec = p.req_str("WrappingKeySpec")?;
    p.finish()?;
    let params = call
        .api
        .kms
        .get_parameters_for_import(&call.ctx, &key_id, &algorithm, &spec)
        .await?;
    Ok(obj(json!({
        "KeyId": params.key_id,
        "ImportToken": params.import_token,
        "PublicKey": b64::encode(&params.public_key),
        "ParametersValidTo": params.valid_to,
    })))
}

pub(super) async fn import_key_material(call: &Call<'_>, mut p: Params) -> Handled {
    let wrapped = p.req_str("EncryptedKeyMaterial")?;
    let token = p.req_str("ImportToken")?;
    let key_id = p.req_str("KeyId")?;
    let valid_to = p.opt_int("ValidTo")?.unwrap_or(0);
    p.finish()?;
    let wrapped = b64::decode(&wrapped).ok_or_else(|| {
        TcError::invalid_parameter(
            "EncryptedKeyMaterial is not valid base64 (standard alphabet, with padding)",
        )
    })?;
    call.api
        .kms
        .import_key_material(&call.ctx, &key_id, &token, &wrapped, valid_to)
        .await?;
    Ok(Map::new())
}

pub(super) async fn delete_imported_key_material(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    p.finish()?;
    call.api
        .kms
        .delete_imported_key_material(&call.ctx, &key_id)
        .await?;
    Ok(Map::new())
}
