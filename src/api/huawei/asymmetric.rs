//! Asymmetric keys in Huawei's terms: get-publickey, sign, verify, and the asymmetric
//! half of decrypt-data. Only translation: the core signs, verifies and decrypts.
//!
//! Conventions (Huawei's API reference, Sign / ValidateSignature / DecryptData):
//! - `message` and `signature` are base64; `message_type` defaults to `DIGEST`.
//! - `SM2DSA_SM3` signs only digests (Huawei: "SM2 keys can only be used to sign
//!   message digests"), and the digest is SM3(Z_A ‖ M) with Z_A from the default user
//!   id `1234567812345678` (GB/T 32918.2), not SM3(M): the same value the Tencent
//!   dialect's DIGEST takes, so the signature verifies over M with OpenSSL
//!   (`-rawin -digest sm3 -pkeyopt distid:1234567812345678`). RAW is refused for SM2
//!   with a message saying how to compute the digest.
//! - Signatures are DER (SM2DSA and ECDSA: `SEQUENCE { r, s }`); RSA signatures are
//!   the 256 raw bytes. `verify` answers `signature_valid` `"true"`/`"false"`; a
//!   malformed signature is `"false"`.
//! - get-publickey answers the SubjectPublicKeyInfo as PEM `PUBLIC KEY` with CRLF line
//!   ends, as Huawei's example answer has them. (That example's base64 is a PKCS#1
//!   `RSAPublicKey` under the `PUBLIC KEY` label, which standard PEM readers refuse; the
//!   SubjectPublicKeyInfo is what the label means and what OpenSSL, `cryptography` and
//!   gmssl read, SM2 keys included.)
//! - decrypt-data with `encryption_algorithm` `SM2_ENCRYPT` takes GM/T 0009 ASN.1
//!   C1C3C2 ciphertext (what OpenSSL's `pkeyutl -encrypt` writes), with
//!   `RSAES_OAEP_SHA_256` (or `RSAES_OAEP_SHA_1`) the RSA-2048 ciphertext, base64.

use super::actions::ASYMMETRIC_OR_HMAC_SPECS;
use super::actions::{check_key_id, key_id, obj, Fail, Handled};
use super::body::Body;
use super::errors::HwError;
use super::Call;
use crate::b64;
use crate::crypto::asym::{
    AsymmetricSpec, DecryptAlgorithm, SignAlgorithm, DIGEST_LEN, MAX_RAW_LEN,
};
use crate::crypto::cmk::CmkCipher;
use crate::crypto::deliver::Algorithm;
use crate::kms::asymmetric::MessageType;
use crate::model::{Cmk, KeyUsage};
use serde_json::json;

/// Huawei's signing algorithms this server implements, and the core's algorithm.
const SIGNING: [(&str, SignAlgorithm); 4] = [
    ("SM2DSA_SM3", SignAlgorithm::Sm2Dsa),
    ("ECDSA_SHA_256", SignAlgorithm::EccP256R1),
    ("RSASSA_PSS_SHA_256", SignAlgorithm::RsaPssSha256),
    ("RSASSA_PKCS1_V1_5_SHA_256", SignAlgorithm::RsaPkcs1Sha256),
];
/// Huawei's other signing algorithms: documented there, not implemented here.
const OTHER_SIGNING: [&str; 8] = [
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "ECDSA_SHA_384",
    "ECDSA_SHA_512",
    "ED25519_SHA_512",
    "ED25519_PH_SHA_512",
];
/// The longest base64 `cipher_text` decrypt-data reads (Huawei's pattern allows 5648).
const MAX_CIPHER_TEXT_CHARS: usize = 5648;

fn huawei_sign_name(alg: SignAlgorithm) -> &'static str {
    SIGNING
        .iter()
        .find(|(_, a)| *a == alg)
        .map(|(n, _)| *n)
        .unwrap_or("?")
}

fn signing_algorithm(b: &mut Body) -> Result<SignAlgorithm, HwError> {
    let name = b.req_str("signing_algorithm", "KMS.0308")?;
    if let Some((_, a)) = SIGNING.iter().find(|(n, _)| *n == name) {
        return Ok(*a);
    }
    if OTHER_SIGNING.contains(&name.as_str()) {
        return Err(HwError::bad(
            "KMS.0332",
            format!(
                "signing_algorithm {name} is not supported by this server; use SM2DSA_SM3, \
                 ECDSA_SHA_256, RSASSA_PSS_SHA_256 or RSASSA_PKCS1_V1_5_SHA_256"
            ),
        ));
    }
    Err(HwError::invalid(format!(
        "signing_algorithm {name:?} is not a signing algorithm; use SM2DSA_SM3, ECDSA_SHA_256, \
         RSASSA_PSS_SHA_256 or RSASSA_PKCS1_V1_5_SHA_256"
    )))
}

fn message_type(b: &mut Body) -> Result<MessageType, HwError> {
    match b.opt_str("message_type", "KMS.0308")?.as_deref() {
        None | Some("DIGEST") => Ok(MessageType::Digest),
        Some("RAW") => Ok(MessageType::Raw),
        Some(t) => Err(HwError::invalid(format!(
            "message_type {t:?} is not DIGEST or RAW"
        ))),
    }
}

fn base64_field(text: &str, name: &str) -> Result<Vec<u8>, HwError> {
    b64::decode(text.trim()).ok_or_else(|| {
        HwError::invalid(format!(
            "{name} is not valid base64 (standard alphabet, with padding)"
        ))
    })
}

/// The message rules in Huawei's words, checked before the core sees the message.
fn check_message(alg: SignAlgorithm, kind: MessageType, message: &[u8]) -> Result<(), HwError> {
    match kind {
        MessageType::Raw if alg == SignAlgorithm::Sm2Dsa => Err(HwError::invalid(
            "SM2DSA_SM3 signs only digests (message_type DIGEST): send base64 of \
             SM3(Z_A || M), Z_A computed with the user id 1234567812345678 and this key's \
             public key (GB/T 32918.2), as Huawei's Sign API requires",
        )),
        MessageType::Raw if message.is_empty() || message.len() > MAX_RAW_LEN => {
            Err(HwError::invalid(format!(
                "message is {} bytes after base64 decoding; with message_type RAW it must be \
                 1 to {MAX_RAW_LEN} bytes (sign a longer message as its SHA-256 digest, \
                 message_type DIGEST)",
                message.len()
            )))
        }
        MessageType::Digest if message.len() != DIGEST_LEN => Err(HwError::bad(
            "KMS.0329",
            format!(
                "message is {} bytes after base64 decoding; a DIGEST for {} must be the \
                 {DIGEST_LEN}-byte {} digest",
                message.len(),
                huawei_sign_name(alg),
                if alg == SignAlgorithm::Sm2Dsa {
                    "SM3(Z_A || M)"
                } else {
                    "SHA-256"
                }
            ),
        )),
        _ => Ok(()),
    }
}

/// A signing algorithm that does not fit the key's spec: KMS.0332 naming the fitting
/// ones. A symmetric key is left to the core (KMS.0331).
fn check_fit(key: &Cmk, alg: SignAlgorithm) -> Result<(), HwError> {
    let Some(spec) = key.spec.asymmetric() else {
        return Ok(());
    };
    if alg.fits(spec) {
        return Ok(());
    }
    let fitting: Vec<&str> = SIGNING
        .iter()
        .filter(|(_, a)| a.fits(spec))
        .map(|(n, _)| *n)
        .collect();
    Err(HwError::bad(
        "KMS.0332",
        format!(
            "signing_algorithm {} does not fit the key {} (key_spec {}); use {}",
            huawei_sign_name(alg),
            key.key_id,
            spec.name(),
            fitting.join(" or ")
        ),
    ))
}

pub(super) async fn get_public_key(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    b.sequence()?;
    b.finish()?;
    let info = call.api.kms.get_public_key(&call.ctx, &key_id).await?;
    // Huawei's example answer ends its PEM lines with CRLF; every PEM reader takes it.
    let pem = info.pem.replace("\r\n", "\n").replace('\n', "\r\n");
    Ok(obj(json!({ "key_id": info.key.key_id, "public_key": pem })))
}

/// The request both sign and verify read.
struct Signing {
    key_id: String,
    alg: SignAlgorithm,
    kind: MessageType,
    message: Vec<u8>,
}

fn read_signing(b: &mut Body) -> Result<Signing, HwError> {
    let key_id = key_id(b)?;
    let message = b.req_str("message", "KMS.0308")?;
    let alg = signing_algorithm(b)?;
    let kind = message_type(b)?;
    let message = base64_field(&message, "message")?;
    Ok(Signing {
        key_id,
        alg,
        kind,
        message,
    })
}

/// The checks Huawei words differently from the core (algorithm fit, message rules),
/// made on the key as it is; a symmetric key is left to the core (KMS.0331).
async fn checked(call: &Call<'_>, s: &Signing) -> Result<(), Fail> {
    let key = call.api.kms.get_key(&call.ctx, &s.key_id).await?;
    check_fit(&key, s.alg)?;
    if key.spec.asymmetric().is_some() {
        check_message(s.alg, s.kind, &s.message)?;
    }
    Ok(())
}

pub(super) async fn sign(call: &Call<'_>, mut b: Body) -> Handled {
    let s = read_signing(&mut b)?;
    b.sequence()?;
    b.finish()?;
    checked(call, &s).await?;
    let (signature, key) = call
        .api
        .kms
        .sign(&call.ctx, &s.key_id, s.alg, s.kind, s.message)
        .await?;
    Ok(obj(json!({
        "key_id": key.key_id,
        "signature": b64::encode(signature),
    })))
}

pub(super) async fn verify(call: &Call<'_>, mut b: Body) -> Handled {
    let s = read_signing(&mut b)?;
    let signature = b.req_str("signature", "KMS.0308")?;
    b.sequence()?;
    b.finish()?;
    let signature = base64_field(&signature, "signature")?;
    checked(call, &s).await?;
    let (valid, key) = call
        .api
        .kms
        .verify(&call.ctx, &s.key_id, s.alg, s.kind, s.message, signature)
        .await?;
    Ok(obj(json!({
        "key_id": key.key_id,
        "signature_valid": valid.to_string(),
    })))
}

/// The asymmetric decryption an `encryption_algorithm` names, if it names one.
pub(super) fn decryption(name: &str) -> Option<DecryptAlgorithm> {
    match name {
        "SM2_ENCRYPT" => Some(DecryptAlgorithm::Sm2C1C3C2Asn1),
        "RSAES_OAEP_SHA_256" => Some(DecryptAlgorithm::RsaOaepSha256),
        "RSAES_OAEP_SHA_1" => Some(DecryptAlgorithm::RsaOaepSha1),
        _ => None,
    }
}

/// decrypt-data with an asymmetric `encryption_algorithm`: the named key's private key
/// decrypts `cipher_text`.
pub(super) async fn decrypt_data(
    call: &Call<'_>,
    alg_name: &str,
    alg: DecryptAlgorithm,
    key_id: Option<String>,
    cipher_text: &str,
) -> Handled {
    let Some(key_id) = key_id else {
        return Err(
            HwError::missing("key_id (an asymmetric encryption_algorithm needs the key)").into(),
        );
    };
    check_key_id(&key_id)?;
    if cipher_text.len() > MAX_CIPHER_TEXT_CHARS {
        return Err(HwError::invalid(format!(
            "cipher_text is {} characters; at most {MAX_CIPHER_TEXT_CHARS} are allowed",
            cipher_text.len()
        ))
        .into());
    }
    let ciphertext = base64_field(cipher_text, "cipher_text")?;
    let kms = &call.api.kms;
    let key = kms.get_key(&call.ctx, &key_id).await?;
    if let Some(spec) = key.spec.asymmetric() {
        if !alg.fits(spec) {
            let want = match spec {
                AsymmetricSpec::Sm2 => "SM2_ENCRYPT",
                AsymmetricSpec::Rsa2048 => "RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1",
                AsymmetricSpec::EccP256 => "nothing (an EC_P256 key only signs)",
            };
            return Err(HwError::bad(
                "KMS.2106",
                format!(
                    "encryption_algorithm {alg_name} does not fit the key {key_id} (key_spec {}); use {want}",
                    spec.name()
                ),
            )
            .into());
        }
    }
    let (plaintext, key) = match alg {
        DecryptAlgorithm::Sm2C1C3C2Asn1 => kms.sm2_decrypt(&call.ctx, &key_id, ciphertext).await?,
        _ => kms.rsa_decrypt(&call.ctx, &key_id, alg, ciphertext).await?,
    };
    Ok(obj(json!({
        "key_id": key.key_id,
        "plain_text": String::from_utf8_lossy(plaintext.expose()),
        "plain_text_base64": b64::encode(plaintext.expose()),
    })))
}

/// The server-side encryption an `encryption_algorithm` names, if it names one: SM2
/// as GM/T 0009 ASN.1 C1C3C2, RSA OAEP (what decrypt-data takes back).
pub(super) fn encryption(name: &str) -> Option<Algorithm> {
    match name {
        "SM2_ENCRYPT" => Some(Algorithm::Sm2C1C3C2Asn1),
        "RSAES_OAEP_SHA_256" => Some(Algorithm::RsaOaepSha256),
        "RSAES_OAEP_SHA_1" => Some(Algorithm::RsaOaepSha1),
        _ => None,
    }
}

/// The algorithms that fit a spec, for a refusal's message.
fn encryption_fits(spec: AsymmetricSpec) -> &'static str {
    match spec {
        AsymmetricSpec::Sm2 => "SM2_ENCRYPT",
        AsymmetricSpec::Rsa2048 => "RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1",
        AsymmetricSpec::EccP256 => "nothing (an EC_P256 key only signs)",
    }
}

/// encrypt-data with an asymmetric `encryption_algorithm`: `plain_text` encrypted
/// with the key's public key; `cipher_text` is base64 of the ciphertext decrypt-data
/// takes with the same algorithm.
pub(super) async fn encrypt_data(
    call: &Call<'_>,
    alg_name: &str,
    alg: Algorithm,
    key_id: &str,
    plain_text: &[u8],
) -> Handled {
    let kms = &call.api.kms;
    let key = kms.get_key(&call.ctx, key_id).await?;
    match key.spec.asymmetric() {
        None => {
            return Err(HwError::bad(
                "KMS.2105",
                format!(
                    "encryption_algorithm {alg_name} is for asymmetric keys; the key {key_id} is symmetric (use SYMMETRIC_DEFAULT or omit it)"
                ),
            )
            .into())
        }
        Some(spec) if spec == AsymmetricSpec::EccP256 || alg.is_sm2() != (spec == AsymmetricSpec::Sm2) => {
            return Err(HwError::bad(
                "KMS.2106",
                format!(
                    "encryption_algorithm {alg_name} does not fit the key {key_id} (key_spec {}); use {}",
                    spec.name(),
                    encryption_fits(spec)
                ),
            )
            .into())
        }
        Some(_) => {}
    }
    let (ciphertext, key) = kms
        .asymmetric_encrypt(&call.ctx, key_id, alg, plain_text.to_vec())
        .await?;
    Ok(obj(json!({
        "key_id": key.key_id,
        "cipher_text": b64::encode(ciphertext),
    })))
}

/// create-key's `key_spec` and `key_usage` as the core's cipher and usage. Symmetric
/// specs (AES_256, the default, and SM4) take only ENCRYPT_DECRYPT; SM2 and RSA_2048
/// take SIGN_VERIFY (the default for asymmetric keys, as Huawei's) or ENCRYPT_DECRYPT;
/// EC_P256 only signs (KMS.1114, Huawei's "an EC key cannot encrypt").
pub(super) fn key_spec_and_usage(
    spec: Option<&str>,
    usage: Option<&str>,
) -> Result<(Option<CmkCipher>, KeyUsage), HwError> {
    match usage {
        None | Some("ENCRYPT_DECRYPT" | "SIGN_VERIFY") => {}
        Some(u @ "GENERATE_VERIFY_MAC") => {
            return Err(HwError::invalid(format!(
                "key_usage {u} needs an HMAC key, which this server does not create; use ENCRYPT_DECRYPT or SIGN_VERIFY"
            )))
        }
        Some(u) => {
            return Err(HwError::invalid(format!(
                "key_usage {u:?} is not ENCRYPT_DECRYPT or SIGN_VERIFY"
            )))
        }
    }
    let signs = usage == Some("SIGN_VERIFY");
    let asymmetric = |sign: KeyUsage, decrypt: Option<KeyUsage>, name: &str| {
        match (usage, decrypt) {
            (None | Some("SIGN_VERIFY"), _) => Ok((None, sign)),
            (_, Some(d)) => Ok((None, d)),
            (_, None) => Err(HwError::bad(
                "KMS.1114",
                format!("key_spec {name} keys only sign: use key_usage SIGN_VERIFY, or an SM2 or RSA_2048 key to encrypt"),
            )),
        }
    };
    match spec {
        None | Some("AES_256") | Some("SM4") if signs => Err(HwError::bad(
            "KMS.1115",
            format!(
                "key_spec {} is a symmetric key, which cannot sign; use key_spec SM2, RSA_2048 or EC_P256 with key_usage SIGN_VERIFY",
                spec.unwrap_or("AES_256 (the default)")
            ),
        )),
        None | Some("AES_256") => Ok((Some(CmkCipher::Aes256Gcm), KeyUsage::EncryptDecrypt)),
        Some("SM4") => Ok((Some(CmkCipher::Sm4Gcm), KeyUsage::EncryptDecrypt)),
        Some("SM2") => asymmetric(
            KeyUsage::AsymmetricSignVerifySm2,
            Some(KeyUsage::AsymmetricDecryptSm2),
            "SM2",
        ),
        Some("RSA_2048") => asymmetric(
            KeyUsage::AsymmetricSignVerifyRsa2048,
            Some(KeyUsage::AsymmetricDecryptRsa2048),
            "RSA_2048",
        ),
        Some("EC_P256") => asymmetric(KeyUsage::AsymmetricSignVerifyEcc, None, "EC_P256"),
        Some(s) if ASYMMETRIC_OR_HMAC_SPECS.contains(&s) => Err(HwError::bad(
            "KMS.0201",
            format!("key_spec {s} is not implemented by this server; create an AES_256, SM4, SM2, RSA_2048 or EC_P256 key"),
        )),
        Some(s) => Err(HwError::invalid(format!(
            "key_spec {s:?} is not a key spec; use AES_256, SM4, SM2, RSA_2048 or EC_P256"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Body {
        Body::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn signing_algorithms_and_message_types() {
        let alg = |t: &str| signing_algorithm(&mut body(t));
        assert_eq!(
            alg(r#"{"signing_algorithm":"SM2DSA_SM3"}"#).unwrap(),
            SignAlgorithm::Sm2Dsa
        );
        assert_eq!(
            alg(r#"{"signing_algorithm":"RSASSA_PKCS1_V1_5_SHA_256"}"#).unwrap(),
            SignAlgorithm::RsaPkcs1Sha256
        );
        assert_eq!(
            alg(r#"{"signing_algorithm":"ECDSA_SHA_512"}"#)
                .unwrap_err()
                .code,
            "KMS.0332"
        );
        assert_eq!(
            alg(r#"{"signing_algorithm":"SM2DSA"}"#).unwrap_err().code,
            "KMS.0308"
        );
        assert_eq!(alg("{}").unwrap_err().code, "KMS.0204");
        for (name, a) in SIGNING {
            assert_eq!(huawei_sign_name(a), name);
        }
        let kind = |t: &str| message_type(&mut body(t));
        assert_eq!(kind("{}").unwrap(), MessageType::Digest, "Huawei's default");
        assert_eq!(kind(r#"{"message_type":"RAW"}"#).unwrap(), MessageType::Raw);
        assert_eq!(
            kind(r#"{"message_type":"raw"}"#).unwrap_err().code,
            "KMS.0308"
        );
    }

    #[test]
    fn message_rules() {
        use MessageType::*;
        use SignAlgorithm::*;
        assert!(check_message(Sm2Dsa, Digest, &[0; 32]).is_ok());
        assert_eq!(
            check_message(Sm2Dsa, Digest, &[0; 31]).unwrap_err().code,
            "KMS.0329"
        );
        let raw_sm2 = check_message(Sm2Dsa, Raw, b"m").unwrap_err();
        assert_eq!(raw_sm2.code, "KMS.0308");
        assert!(raw_sm2.message.contains("Z_A"), "{}", raw_sm2.message);
        assert!(check_message(EccP256R1, Raw, &[0; MAX_RAW_LEN]).is_ok());
        assert_eq!(
            check_message(EccP256R1, Raw, &[0; MAX_RAW_LEN + 1])
                .unwrap_err()
                .code,
            "KMS.0308"
        );
        assert_eq!(
            check_message(RsaPssSha256, Raw, b"").unwrap_err().code,
            "KMS.0308"
        );
        assert_eq!(
            check_message(RsaPssSha256, Digest, &[0; 48])
                .unwrap_err()
                .code,
            "KMS.0329"
        );
    }

    #[test]
    fn decryption_names() {
        assert_eq!(
            decryption("SM2_ENCRYPT"),
            Some(DecryptAlgorithm::Sm2C1C3C2Asn1)
        );
        assert_eq!(
            decryption("RSAES_OAEP_SHA_256"),
            Some(DecryptAlgorithm::RsaOaepSha256)
        );
        assert_eq!(
            decryption("RSAES_OAEP_SHA_1"),
            Some(DecryptAlgorithm::RsaOaepSha1)
        );
        assert_eq!(decryption("SYMMETRIC_DEFAULT"), None);
        assert_eq!(decryption("RSAES_PKCS1_V1_5"), None);
    }

    #[test]
    fn encryption_names() {
        assert_eq!(encryption("SM2_ENCRYPT"), Some(Algorithm::Sm2C1C3C2Asn1));
        assert_eq!(
            encryption("RSAES_OAEP_SHA_256"),
            Some(Algorithm::RsaOaepSha256)
        );
        assert_eq!(encryption("RSAES_OAEP_SHA_1"), Some(Algorithm::RsaOaepSha1));
        assert_eq!(encryption("SM2"), None);
        assert_eq!(encryption("RSAES_PKCS1_V1_5"), None);
    }

    #[test]
    fn key_specs_and_usages() {
        let ok = |s, u| key_spec_and_usage(s, u).unwrap();
        let code = |s, u| key_spec_and_usage(s, u).unwrap_err().code;
        assert_eq!(
            ok(None, None),
            (Some(CmkCipher::Aes256Gcm), KeyUsage::EncryptDecrypt)
        );
        assert_eq!(
            ok(Some("SM4"), Some("ENCRYPT_DECRYPT")).0,
            Some(CmkCipher::Sm4Gcm)
        );
        assert_eq!(
            ok(Some("SM2"), None),
            (None, KeyUsage::AsymmetricSignVerifySm2)
        );
        assert_eq!(
            ok(Some("SM2"), Some("ENCRYPT_DECRYPT")).1,
            KeyUsage::AsymmetricDecryptSm2
        );
        assert_eq!(
            ok(Some("RSA_2048"), Some("SIGN_VERIFY")).1,
            KeyUsage::AsymmetricSignVerifyRsa2048
        );
        assert_eq!(
            ok(Some("RSA_2048"), Some("ENCRYPT_DECRYPT")).1,
            KeyUsage::AsymmetricDecryptRsa2048
        );
        assert_eq!(
            ok(Some("EC_P256"), None).1,
            KeyUsage::AsymmetricSignVerifyEcc
        );
        assert_eq!(code(Some("EC_P256"), Some("ENCRYPT_DECRYPT")), "KMS.1114");
        assert_eq!(code(Some("SM4"), Some("SIGN_VERIFY")), "KMS.1115");
        assert_eq!(code(None, Some("SIGN_VERIFY")), "KMS.1115");
        assert_eq!(code(Some("RSA_4096"), None), "KMS.0201");
        assert_eq!(code(Some("RSA_1024"), None), "KMS.0308");
        assert_eq!(code(Some("SM2"), Some("SIGN")), "KMS.0308");
    }
}
