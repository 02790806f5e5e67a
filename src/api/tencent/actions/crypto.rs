//! Envelope encryption: Encrypt, Decrypt, ReEncrypt, GenerateDataKey, with delivery
//! to a caller's public key.

use super::*;
use crate::b64;
use crate::kms::data_keys::NewDataKey;
use crate::kms::delivery::Delivery;
use crate::kms::rules;
use serde_json::json;

pub(super) fn ciphertext_blob(p: &mut Params, name: &str) -> Result<Vec<u8>, TcError> {
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
pub(super) async fn read_delivery(
    call: &Call<'_>,
    p: &mut Params,
) -> Result<Option<Delivery>, Fail> {
    let key = p.opt_str("EncryptionPublicKey")?.filter(|k| !k.is_empty());
    let alg = p.opt_str("EncryptionAlgorithm")?.filter(|a| !a.is_empty());
    match (key, alg) {
        (None, None) => Ok(None),
        (None, Some(a)) => Err(TcError::invalid_parameter_value(format!(
            "EncryptionAlgorithm {a} was given without EncryptionPublicKey; send the PEM public key to deliver to, or omit both"
        ))
        .into()),
        (Some(k), a) => Ok(Some(call.api.kms.prepare_delivery(&call.ctx, &k, a.as_deref()).await?)),
    }
}

pub(super) async fn encrypt(call: &Call<'_>, mut p: Params) -> Handled {
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
        .encrypt(&call.ctx, &key_id, &plaintext, context.as_deref())
        .await?;
    Ok(obj(
        json!({ "CiphertextBlob": b64::encode(&blob), "KeyId": key.key_id }),
    ))
}

pub(super) async fn decrypt(call: &Call<'_>, mut p: Params) -> Handled {
    let blob = ciphertext_blob(&mut p, "CiphertextBlob")?;
    let context = p.opt_str("EncryptionContext")?;
    let delivery = read_delivery(call, &mut p).await?;
    p.finish()?;
    let kms = &call.api.kms;
    let (plaintext, key) = kms.decrypt(&call.ctx, &blob, context.as_deref()).await?;
    let out = kms.reveal(&call.ctx, delivery.as_ref(), plaintext).await?;
    Ok(obj(
        json!({ "KeyId": key.key_id, "Plaintext": b64::encode(out.wire_bytes()) }),
    ))
}

pub(super) async fn re_encrypt(call: &Call<'_>, mut p: Params) -> Handled {
    let blob = ciphertext_blob(&mut p, "CiphertextBlob")?;
    let destination = p.opt_str("DestinationKeyId")?;
    let source_context = p.opt_str("SourceEncryptionContext")?;
    let destination_context = p.opt_str("DestinationEncryptionContext")?;
    p.finish()?;
    let r = call
        .api
        .kms
        .re_encrypt(
            &call.ctx,
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
pub(super) fn data_key_len(p: &mut Params) -> Result<usize, TcError> {
    let spec = p.opt_str("KeySpec")?.filter(|s| !s.is_empty());
    let n = p.opt_int("NumberOfBytes")?;
    match (n, spec.as_deref()) {
        (Some(n), _) => rules::data_key_len(n).ok_or_else(|| {
            TcError::invalid_parameter(format!(
                "NumberOfBytes must be between 1 and {}, got {n}",
                rules::MAX_DATA_KEY
            ))
        }),
        (None, Some("AES_128")) => Ok(16),
        (None, Some("AES_256")) => Ok(32),
        (None, Some(other)) => Err(TcError::invalid_parameter(format!(
            "KeySpec must be AES_128 or AES_256, got {other:?}"
        ))),
        (None, None) => Err(TcError::new(
            "MissingParameter",
            format!(
                "one of KeySpec (AES_128 or AES_256) and NumberOfBytes (1-{}) is required",
                rules::MAX_DATA_KEY
            ),
        )),
    }
}

pub(super) async fn generate_data_key(call: &Call<'_>, mut p: Params) -> Handled {
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
        kms.check_delivery(&call.ctx, d, n)?;
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
            .generate_hosted_data_key(&call.ctx, &key_id, n, context.as_deref(), new)
            .await?;
        (pt, blob, dk.key_id, dk.data_key_id)
    } else {
        let (pt, blob, key) = kms
            .generate_data_key(&call.ctx, &key_id, n, context.as_deref())
            .await?;
        (pt, blob, key.key_id.clone(), String::new())
    };
    let out = kms.reveal(&call.ctx, delivery.as_ref(), data_key).await?;
    Ok(obj(json!({
        "KeyId": key_id,
        "Plaintext": b64::encode(out.wire_bytes()),
        "CiphertextBlob": b64::encode(&blob),
        "DataKeyId": data_key_id,
        "TagCode": 0,
        "TagMsg": "",
    })))
}
