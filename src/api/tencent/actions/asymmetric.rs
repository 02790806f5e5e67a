//! Asymmetric keys: GetPublicKey, SignByAsymmetricKey, VerifyByAsymmetricKey,
//! AsymmetricSm2Decrypt, AsymmetricRsaDecrypt.

use super::crypto::read_delivery;
use super::*;
use crate::b64;
use crate::crypto::asym::{DecryptAlgorithm, SignAlgorithm, MAX_SM2_CIPHERTEXT_LEN};
use crate::kms::asymmetric::MessageType;
use crate::kms::delivery::Delivery;
use serde_json::json;

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|a| name(*a)).collect::<Vec<_>>().join(", ")
}

/// A base64 parameter (standard alphabet, with padding), decoded.
fn base64_param(p: &mut Params, name: &str) -> Result<Vec<u8>, TcError> {
    let text = p.req_str(name)?;
    b64::decode(&text).ok_or_else(|| {
        TcError::invalid_parameter(format!(
            "{name} is not valid base64 (standard alphabet, with padding)"
        ))
    })
}

fn sign_algorithm(p: &mut Params) -> Result<SignAlgorithm, TcError> {
    let name = p.req_str("Algorithm")?;
    SignAlgorithm::parse(&name).ok_or_else(|| {
        TcError::invalid_parameter(format!(
            "Algorithm {name:?} is not a signature algorithm of this server; use one of {} \
             (ListAlgorithms lists them by key usage)",
            names(&SignAlgorithm::ALL, SignAlgorithm::name)
        ))
    })
}

/// `MessageType`: RAW (the default) or DIGEST.
fn message_type(p: &mut Params) -> Result<MessageType, TcError> {
    match p.opt_str("MessageType")?.as_deref() {
        None | Some("") | Some("RAW") => Ok(MessageType::Raw),
        Some("DIGEST") => Ok(MessageType::Digest),
        Some(other) => Err(TcError::invalid_parameter(format!(
            "MessageType {other:?} must be RAW (Message is the message itself) or DIGEST \
             (Message is its 32-byte digest)"
        ))),
    }
}

/// `EncryptionPublicKey` + `EncryptionAlgorithm` as Decrypt reads them; the refusals
/// answer InvalidParameter, which these actions document (InvalidParameterValue they
/// do not).
async fn delivery(call: &Call<'_>, p: &mut Params) -> Result<Option<Delivery>, Fail> {
    read_delivery(call, p).await.map_err(|f| match f {
        Fail::Dialect(e) if e.code == "InvalidParameterValue" => {
            Fail::Dialect(TcError::invalid_parameter(e.message))
        }
        other => other,
    })
}

pub(super) async fn get_public_key(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    p.finish()?;
    let info = call.api.kms.get_public_key(&call.ctx, &key_id).await?;
    Ok(obj(json!({
        "KeyId": info.key.key_id,
        "PublicKey": b64::encode(&info.spki_der),
        "PublicKeyPem": info.pem,
    })))
}

pub(super) async fn sign(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    let alg = sign_algorithm(&mut p)?;
    let message = base64_param(&mut p, "Message")?;
    let kind = message_type(&mut p)?;
    p.finish()?;
    let (signature, _) = call
        .api
        .kms
        .sign(&call.ctx, &key_id, alg, kind, message)
        .await?;
    Ok(obj(json!({ "Signature": b64::encode(&signature) })))
}

pub(super) async fn verify(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    let alg = sign_algorithm(&mut p)?;
    let message = base64_param(&mut p, "Message")?;
    let kind = message_type(&mut p)?;
    // A signature that is not even base64 is a malformed signature: not valid, and
    // not an error that would tell why.
    let signature = b64::decode(&p.req_str("SignatureValue")?).unwrap_or_default();
    p.finish()?;
    let (valid, _) = call
        .api
        .kms
        .verify(&call.ctx, &key_id, alg, kind, message, signature)
        .await?;
    Ok(obj(json!({ "SignatureValid": valid })))
}

pub(super) async fn sm2_decrypt(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    let ciphertext = base64_param(&mut p, "Ciphertext")?;
    let delivery = delivery(call, &mut p).await?;
    p.finish()?;
    if ciphertext.is_empty() || ciphertext.len() > MAX_SM2_CIPHERTEXT_LEN {
        return Err(TcError::invalid_parameter(format!(
            "Ciphertext must be 1 to {MAX_SM2_CIPHERTEXT_LEN} bytes after base64 decoding \
             (C1C3C2 ASN.1), got {}; encrypt longer data under a data key",
            ciphertext.len()
        ))
        .into());
    }
    let kms = &call.api.kms;
    let (plaintext, key) = kms.sm2_decrypt(&call.ctx, &key_id, ciphertext).await?;
    let out = kms.reveal(&call.ctx, delivery.as_ref(), plaintext).await?;
    Ok(obj(json!({
        "KeyId": key.key_id,
        "Plaintext": b64::encode(out.wire_bytes()),
    })))
}

pub(super) async fn rsa_decrypt(call: &Call<'_>, mut p: Params) -> Handled {
    let key_id = p.req_str("KeyId")?;
    let ciphertext = base64_param(&mut p, "Ciphertext")?;
    let name = p.req_str("Algorithm")?;
    let rsa: Vec<DecryptAlgorithm> = DecryptAlgorithm::ALL
        .into_iter()
        .filter(|a| *a != DecryptAlgorithm::Sm2C1C3C2Asn1)
        .collect();
    let alg = DecryptAlgorithm::parse(&name)
        .filter(|a| rsa.contains(a))
        .ok_or_else(|| {
            TcError::invalid_parameter(format!(
                "Algorithm {name:?} is not an RSA encryption scheme of this server; use one of {}",
                names(&rsa, DecryptAlgorithm::name)
            ))
        })?;
    let delivery = delivery(call, &mut p).await?;
    p.finish()?;
    let kms = &call.api.kms;
    let (plaintext, key) = kms.rsa_decrypt(&call.ctx, &key_id, alg, ciphertext).await?;
    let out = kms.reveal(&call.ctx, delivery.as_ref(), plaintext).await?;
    Ok(obj(json!({
        "KeyId": key.key_id,
        "Plaintext": b64::encode(out.wire_bytes()),
    })))
}
