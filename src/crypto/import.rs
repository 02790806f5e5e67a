//! Bring your own key, the crypto half: the algorithms that wrap imported key material
//! for the trip to the server, and unwrapping it. The wrapping key pairs are ordinary
//! [`asym`](super::asym) keys; this module only names the pairings and checks the
//! wrapped blob's shape. Storage and tokens are the core's (`kms::import`).
//!
//! | `WrappingAlgorithm` | `WrappingKeySpec` | blob |
//! |---|---|---|
//! | `RSAES_PKCS1_V1_5` | `RSA_2048` | 256 bytes, PKCS#1 v1.5 |
//! | `RSAES_OAEP_SHA_1` | `RSA_2048` | 256 bytes, OAEP, SHA-1 and MGF1-SHA-1, empty label |
//! | `RSAES_OAEP_SHA_256` | `RSA_2048` | 256 bytes, OAEP, SHA-256 and MGF1-SHA-256, empty label |
//! | `SM2_ENCRYPT` (extension) | `SM2` | SM2 (GB/T 32918.4) C1C3C2, GM/T 0009 ASN.1 |
//!
//! The RSA rows are Tencent's. `SM2_ENCRYPT` is Huawei's name for SM2 encryption and
//! wrapping, offered here so that an SM-only deployment never needs RSA: the blob is
//! `SEQUENCE { INTEGER x1, INTEGER y1, OCTET STRING C3, OCTET STRING C2 }`, what
//! `openssl pkeyutl -encrypt` writes with an SM2 key.

use super::asym::{AsymmetricSpec, DecryptAlgorithm, PrivateKey};
use super::secret::SecretBytes;
use super::DecryptFailed;

/// The longest wrapped blob looked at: an RSA-2048 blob is 256 bytes, an SM2 one of 32
/// bytes of material about 140. Anything longer is refused before any arithmetic.
pub const MAX_WRAPPED_LEN: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WrappingAlgorithm {
    RsaPkcs1V15,
    RsaOaepSha1,
    RsaOaepSha256,
    Sm2Encrypt,
}

impl WrappingAlgorithm {
    pub const ALL: [WrappingAlgorithm; 4] = [
        WrappingAlgorithm::RsaPkcs1V15,
        WrappingAlgorithm::RsaOaepSha1,
        WrappingAlgorithm::RsaOaepSha256,
        WrappingAlgorithm::Sm2Encrypt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            WrappingAlgorithm::RsaPkcs1V15 => "RSAES_PKCS1_V1_5",
            WrappingAlgorithm::RsaOaepSha1 => "RSAES_OAEP_SHA_1",
            WrappingAlgorithm::RsaOaepSha256 => "RSAES_OAEP_SHA_256",
            WrappingAlgorithm::Sm2Encrypt => "SM2_ENCRYPT",
        }
    }

    pub fn parse(name: &str) -> Option<WrappingAlgorithm> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The one wrapping key spec the algorithm goes with.
    pub fn spec(self) -> AsymmetricSpec {
        match self {
            WrappingAlgorithm::Sm2Encrypt => AsymmetricSpec::Sm2,
            _ => AsymmetricSpec::Rsa2048,
        }
    }

    /// The decryption that unwraps.
    pub fn decryption(self) -> DecryptAlgorithm {
        match self {
            WrappingAlgorithm::RsaPkcs1V15 => DecryptAlgorithm::RsaPkcs1V15,
            WrappingAlgorithm::RsaOaepSha1 => DecryptAlgorithm::RsaOaepSha1,
            WrappingAlgorithm::RsaOaepSha256 => DecryptAlgorithm::RsaOaepSha256,
            WrappingAlgorithm::Sm2Encrypt => DecryptAlgorithm::Sm2C1C3C2Asn1,
        }
    }
}

/// Every wrapping key spec a `WrappingKeySpec` may name: "RSA_2048" and "SM2".
pub fn wrapping_spec(name: &str) -> Option<AsymmetricSpec> {
    match name {
        "RSA_2048" => Some(AsymmetricSpec::Rsa2048),
        "SM2" => Some(AsymmetricSpec::Sm2),
        _ => None,
    }
}

/// The key material inside `wrapped`, decrypted with the wrapping key. Every failure
/// (too long, malformed, bad padding, wrong key or algorithm) is the same
/// [`DecryptFailed`]; whether the material then has the right length is the caller's
/// question, asked only of material that did decrypt.
pub fn unwrap(
    key: &PrivateKey,
    alg: WrappingAlgorithm,
    wrapped: &[u8],
) -> Result<SecretBytes, DecryptFailed> {
    if wrapped.is_empty() || wrapped.len() > MAX_WRAPPED_LEN || key.spec() != alg.spec() {
        return Err(DecryptFailed);
    }
    key.decrypt(alg.decryption(), wrapped)
}

/// A new import token: 32 bytes from the OS CSPRNG, base64. The caller holds it; the
/// store keeps only its [`token_id`].
pub fn new_token() -> String {
    crate::b64::encode(super::random::bytes(32))
}

/// The stored id of `token`: hex SM3 over a label and the token, so that a copy of the
/// database holds nothing a caller could present.
pub fn token_id(token: &str) -> String {
    use sm3::Digest;
    let mut h = sm3::Sm3::new();
    h.update(b"smkms/import-token/v1\0");
    h.update(token.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_pairings() {
        for a in WrappingAlgorithm::ALL {
            assert_eq!(WrappingAlgorithm::parse(a.name()), Some(a));
            assert!(a.decryption().fits(a.spec()));
        }
        assert_eq!(WrappingAlgorithm::parse("SM2"), None);
        assert_eq!(wrapping_spec("RSA_2048"), Some(AsymmetricSpec::Rsa2048));
        assert_eq!(wrapping_spec("SM2"), Some(AsymmetricSpec::Sm2));
        assert_eq!(wrapping_spec("RSA_4096"), None);
    }

    #[test]
    fn sm2_unwraps_what_its_public_key_wrapped_and_nothing_else() {
        let key = PrivateKey::generate(AsymmetricSpec::Sm2);
        let public = crate::crypto::deliver::parse_public_key(&key.public_key().pem()).unwrap();
        let wrapped = crate::crypto::deliver::deliver(
            &public,
            crate::crypto::deliver::Algorithm::Sm2C1C3C2Asn1,
            &[0x42; 16],
        )
        .unwrap();
        let got = unwrap(&key, WrappingAlgorithm::Sm2Encrypt, &wrapped).unwrap();
        assert_eq!(got.expose(), &[0x42; 16]);
        assert!(unwrap(&key, WrappingAlgorithm::RsaOaepSha256, &wrapped).is_err());
        let mut bad = wrapped.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(unwrap(&key, WrappingAlgorithm::Sm2Encrypt, &bad).is_err());
        assert!(unwrap(&key, WrappingAlgorithm::Sm2Encrypt, &[]).is_err());
        assert!(unwrap(&key, WrappingAlgorithm::Sm2Encrypt, &[0x30; 600]).is_err());
    }
}
