//! Sealing of key material and credential secrets under the root key. Pure crypto: the
//! root key arrives as bytes (reading and creating its file is `app::root_key`'s job).
//!
//! The root key is 256 bits. DESIGN fixes SM4-GCM as the sealing cipher, whose key is
//! 128 bits, so the sealing key is derived as HMAC-SM3(root, label) truncated to 16
//! bytes; the label names the purpose and version so a future scheme can derive a
//! different key from the same root. The record's identity (for example
//! `cmk/<key_id>/<version>`) is the AAD, so a sealed value copied onto another row
//! fails to open instead of serving the wrong material.
//!
//! Sealed layout: `0x01 ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.
//!
//! Imported key material also gets a *fingerprint* (see [`Sealer::import_fingerprint`]),
//! so that a re-import after the material was deleted can be checked against it
//! without keeping the material: HMAC-SM3 under a second key derived from the root key
//! (label `smkms/import-fingerprint/hmac-sm3/v1`), over the key id and the material.
//! Keyed, so that a stolen database cannot be used to test guesses of the material
//! offline (a plain hash of a 128-bit key is a guess-checker); bound to the key id, so
//! that the same material imported into two keys gives two unrelated fingerprints.

use crate::crypto::cmk::{self, CmkCipher, NONCE_LEN, TAG_LEN};
use crate::crypto::{random, secret::SecretBytes, DecryptFailed};
use hmac::{Hmac, Mac};

const SEAL_VERSION: u8 = 1;
/// The root key's length in bytes (256 bits).
pub const ROOT_KEY_LEN: usize = 32;
const SEAL_LABEL: &[u8] = b"smkms/seal/sm4-gcm/v1";
const FINGERPRINT_LABEL: &[u8] = b"smkms/import-fingerprint/hmac-sm3/v1";
/// The length of an import fingerprint in bytes (an SM3 output).
pub const FINGERPRINT_LEN: usize = 32;

pub struct Sealer {
    key: SecretBytes,
    fingerprint_key: SecretBytes,
}

fn derive(root_key: &SecretBytes, label: &[u8]) -> SecretBytes {
    let mut mac = <Hmac<sm3::Sm3> as Mac>::new_from_slice(root_key.expose())
        .expect("HMAC takes any key length");
    mac.update(label);
    SecretBytes::from_slice(&mac.finalize().into_bytes())
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([REDACTED])")
    }
}

impl Sealer {
    pub fn new(root_key: &SecretBytes) -> Result<Self, RootKeyError> {
        if root_key.len() != ROOT_KEY_LEN {
            return Err(RootKeyError::WrongLength(root_key.len()));
        }
        let derived = derive(root_key, SEAL_LABEL);
        Ok(Sealer {
            key: SecretBytes::from_slice(&derived.expose()[..16]),
            fingerprint_key: derive(root_key, FINGERPRINT_LABEL),
        })
    }

    /// The fingerprint of `material` imported into the key `key_id`:
    /// HMAC-SM3(fingerprint key, "cmk/" ‖ key_id ‖ 0x00 ‖ material). Compare two with
    /// [`fingerprints_match`].
    pub fn import_fingerprint(&self, key_id: &str, material: &[u8]) -> [u8; FINGERPRINT_LEN] {
        let mut mac = <Hmac<sm3::Sm3> as Mac>::new_from_slice(self.fingerprint_key.expose())
            .expect("HMAC takes any key length");
        mac.update(b"cmk/");
        mac.update(key_id.as_bytes());
        mac.update(&[0]);
        mac.update(material);
        mac.finalize().into_bytes().into()
    }

    pub fn seal(&self, identity: &str, plaintext: &[u8]) -> Vec<u8> {
        let nonce = random::nonce12();
        let ct = cmk::seal(
            CmkCipher::Sm4Gcm,
            &self.key,
            &nonce,
            identity.as_bytes(),
            plaintext,
        );
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, identity: &str, sealed: &[u8]) -> Result<SecretBytes, DecryptFailed> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != SEAL_VERSION {
            return Err(DecryptFailed);
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN].try_into().unwrap();
        cmk::open(
            CmkCipher::Sm4Gcm,
            &self.key,
            &nonce,
            identity.as_bytes(),
            &sealed[1 + NONCE_LEN..],
        )
    }
}

/// The identity a CMK material version is sealed under.
pub fn cmk_identity(key_id: &str, version: u32) -> String {
    format!("cmk/{key_id}/{version}")
}

/// The identity an import token's wrapping private key is sealed under.
pub fn import_token_identity(key_id: &str, token_id: &str) -> String {
    format!("import-token/{key_id}/{token_id}")
}

/// Whether two fingerprints are equal, in constant time.
pub fn fingerprints_match(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The identity a credential's secret is sealed under.
pub fn credential_identity(secret_id: &str, account: u64) -> String {
    format!("credential/{account}/{secret_id}")
}

/// Parses a root key given as 64 hex characters (from config, the environment or the
/// root key file).
pub fn root_key_from_hex(text: &str) -> Result<SecretBytes, RootKeyError> {
    let key = SecretBytes::new(hex::decode(text.trim()).map_err(|_| RootKeyError::NotHex)?);
    if key.len() != ROOT_KEY_LEN {
        return Err(RootKeyError::WrongLength(key.len()));
    }
    Ok(key)
}

/// A root key of the wrong shape. The messages never include the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RootKeyError {
    #[error("the root key must be 64 hex characters")]
    NotHex,
    #[error("the root key must be 64 hex characters (32 bytes), got {0} bytes")]
    WrongLength(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(&SecretBytes::new(vec![42u8; 32])).unwrap()
    }

    #[test]
    fn round_trip_and_identity_binding() {
        let s = sealer();
        let sealed = s.seal("cmk/a/1", b"material");
        assert_eq!(s.open("cmk/a/1", &sealed).unwrap().expose(), b"material");
        assert!(
            s.open("cmk/b/1", &sealed).is_err(),
            "a record moved to another row must not open"
        );
        assert!(s.open("cmk/a/2", &sealed).is_err());
        let other = Sealer::new(&SecretBytes::new(vec![43u8; 32])).unwrap();
        assert!(
            other.open("cmk/a/1", &sealed).is_err(),
            "another root key must not open it"
        );
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x80;
            assert!(s.open("cmk/a/1", &bad).is_err(), "byte {i}");
        }
        assert!(s.open("cmk/a/1", &sealed[..sealed.len() - 1]).is_err());
    }

    #[test]
    fn import_fingerprints_are_keyed_and_bound_to_the_key() {
        let s = sealer();
        let f = s.import_fingerprint("k1", &[7; 16]);
        assert_eq!(f, s.import_fingerprint("k1", &[7; 16]));
        assert_ne!(f, s.import_fingerprint("k1", &[8; 16]));
        assert_ne!(
            f,
            s.import_fingerprint("k2", &[7; 16]),
            "bound to the key id"
        );
        let other = Sealer::new(&SecretBytes::new(vec![43u8; 32])).unwrap();
        assert_ne!(
            f,
            other.import_fingerprint("k1", &[7; 16]),
            "keyed by the root"
        );
        use sm3::Digest;
        assert_ne!(&f[..], &sm3::Sm3::digest([7u8; 16])[..], "not a plain hash");
        assert!(fingerprints_match(&f, &f));
        assert!(!fingerprints_match(&f, &f[..31]));
    }

    #[test]
    fn root_key_must_be_32_bytes() {
        assert!(Sealer::new(&SecretBytes::new(vec![1u8; 16])).is_err());
        assert!(root_key_from_hex("abcd").is_err());
        assert!(root_key_from_hex(&"ab".repeat(32)).is_ok());
    }
}
