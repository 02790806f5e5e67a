//! re-encrypt: open a ciphertext under its key and seal it under `destination_key_id`,
//! in one call, on the core's ReEncrypt.
//!
//! Huawei's ciphertexts come in two spellings of the same CiphertextBlob: data-key
//! ciphertexts (create-datakey, encrypt-datakey) as upper-case hex, encrypt-data's as
//! base64. `cipher_text` is read as hex when `datakey_cipher_length` is given or when
//! it is all upper-case hex digits, else as base64; the answer is spelled the same
//! way, so a data key's ciphertext stays one decrypt-datakey takes, and encrypt-data's
//! one decrypt-data takes. The AADs are bound as everywhere in this dialect
//! (`{"additional_authenticated_data": …}`).

use super::actions::{aad_field, algorithm_field, check_key_id, hex_up, obj, unhex, Handled};
use super::body::Body;
use super::errors::HwError;
use super::Call;
use crate::b64;
use crate::kms::rules::{data_key_len, MAX_DATA_KEY};
use serde_json::json;

fn is_upper_hex(s: &str) -> bool {
    !s.is_empty()
        && s.len() % 2 == 0
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

pub(super) async fn re_encrypt(call: &Call<'_>, mut b: Body) -> Handled {
    let cipher_text = b.req_str("cipher_text", "KMS.0308")?;
    let destination = b.req_str("destination_key_id", "KMS.0205")?;
    check_key_id(&destination)?;
    let source = b.opt_str("source_key_id", "KMS.0205")?;
    if let Some(id) = &source {
        check_key_id(id)?;
    }
    let source_aad = aad_field(&mut b, "source_additional_authenticated_data")?;
    let destination_aad = aad_field(&mut b, "destination_additional_authenticated_data")?;
    algorithm_field(&mut b, "source_encryption_algorithm")?;
    algorithm_field(&mut b, "destination_encryption_algorithm")?;
    let length = b.opt_num("datakey_cipher_length", "KMS.2202")?;
    b.sequence()?;
    b.finish()?;
    if let Some(n) = length {
        if data_key_len(n).is_none() {
            return Err(HwError::bad(
                "KMS.2202",
                format!("datakey_cipher_length (the data key's length) must be between 1 and {MAX_DATA_KEY} bytes, got {n}"),
            )
            .into());
        }
    }
    let as_hex = length.is_some() || is_upper_hex(&cipher_text);
    let blob = if as_hex {
        unhex(&cipher_text, "KMS.0308", "cipher_text")?
    } else {
        b64::decode(cipher_text.trim()).ok_or_else(|| {
            HwError::invalid(
                "cipher_text is neither a data key's ciphertext (hex) nor encrypt-data's (base64)",
            )
        })?
    };
    let out = call
        .api
        .kms
        .re_encrypt(
            &call.ctx,
            &blob,
            Some(&destination),
            source_aad.as_deref(),
            destination_aad.as_deref(),
        )
        .await?;
    if let Some(id) = source {
        if id != out.source.key_id {
            return Err(HwError::invalid(format!(
                "cipher_text was not made under source_key_id {id}; omit source_key_id or name the key it was made under"
            ))
            .into());
        }
    }
    let cipher_text = if as_hex {
        hex_up(&out.blob)
    } else {
        b64::encode(&out.blob)
    };
    Ok(obj(json!({
        "key_id": out.destination.key_id,
        "source_key_id": out.source.key_id,
        "source_encryption_algorithm": "SYMMETRIC_DEFAULT",
        "destination_encryption_algorithm": "SYMMETRIC_DEFAULT",
        "cipher_text": cipher_text,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_or_base64() {
        assert!(is_upper_hex("00AB"));
        assert!(!is_upper_hex("00ab"));
        assert!(!is_upper_hex("0AB"));
        assert!(!is_upper_hex(""));
        assert!(!is_upper_hex("AAAA+w=="));
    }
}
