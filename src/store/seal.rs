//! Sealing of key material and credential secrets under the root key.
//!
//! The root key is 256 bits. DESIGN fixes SM4-GCM as the sealing cipher, whose key is
//! 128 bits, so the sealing key is derived as HMAC-SM3(root, label) truncated to 16
//! bytes; the label names the purpose and version so a future scheme can derive a
//! different key from the same root. The record's identity (for example
//! `cmk/<key_id>/<version>`) is the AAD, so a sealed value copied onto another row
//! fails to open instead of serving the wrong material.
//!
//! Sealed layout: `0x01 ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.

use crate::crypto::cmk::{self, CmkCipher, NONCE_LEN, TAG_LEN};
use crate::crypto::{random, secret::SecretBytes, DecryptFailed};
use hmac::{Hmac, Mac};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

const SEAL_VERSION: u8 = 1;
const ROOT_KEY_LEN: usize = 32;
const SEAL_LABEL: &[u8] = b"smkms/seal/sm4-gcm/v1";

pub struct Sealer {
    key: SecretBytes,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([REDACTED])")
    }
}

impl Sealer {
    pub fn new(root_key: &SecretBytes) -> Result<Self, String> {
        if root_key.len() != ROOT_KEY_LEN {
            return Err(format!(
                "the root key must be {ROOT_KEY_LEN} bytes, got {}",
                root_key.len()
            ));
        }
        let mut mac = <Hmac<sm3::Sm3> as Mac>::new_from_slice(root_key.expose())
            .expect("HMAC takes any key length");
        mac.update(SEAL_LABEL);
        let derived = mac.finalize().into_bytes();
        Ok(Sealer {
            key: SecretBytes::from_slice(&derived[..16]),
        })
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

/// The identity a credential's secret is sealed under.
pub fn credential_identity(secret_id: &str, account: u64) -> String {
    format!("credential/{account}/{secret_id}")
}

/// Reads the root key file (64 hex characters), or creates it with mode 0600 when it
/// does not exist. Returns the key and whether it was created now.
pub fn load_or_create_root_key(path: &Path) -> Result<(SecretBytes, bool), String> {
    match fs::read_to_string(path) {
        Ok(text) => {
            let meta = fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(format!(
                    "{} is readable by other users (mode {:o}); run `chmod 600 {}`",
                    path.display(),
                    meta.permissions().mode() & 0o777,
                    path.display()
                ));
            }
            let key = hex::decode(text.trim())
                .map_err(|_| format!("{} does not hold a hex-encoded root key", path.display()))?;
            let key = SecretBytes::new(key);
            if key.len() != ROOT_KEY_LEN {
                return Err(format!(
                    "{} must hold a {ROOT_KEY_LEN}-byte root key ({} hex characters)",
                    path.display(),
                    ROOT_KEY_LEN * 2
                ));
            }
            Ok((key, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random::secret(ROOT_KEY_LEN);
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            let mut text = hex::encode(key.expose());
            text.push('\n');
            let res = f.write_all(text.as_bytes()).and_then(|_| f.sync_all());
            zeroize::Zeroize::zeroize(&mut text);
            res.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            if let Some(dir) = path.parent() {
                // Make the new directory entry itself durable.
                if let Ok(d) = fs::File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            Ok((key, true))
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Parses a root key given as 64 hex characters (from config or the environment).
pub fn root_key_from_hex(text: &str) -> Result<SecretBytes, String> {
    let key = hex::decode(text.trim())
        .map_err(|_| "the root key must be 64 hex characters".to_string())?;
    if key.len() != ROOT_KEY_LEN {
        return Err("the root key must be 64 hex characters (32 bytes)".into());
    }
    Ok(SecretBytes::new(key))
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
    fn root_key_must_be_32_bytes() {
        assert!(Sealer::new(&SecretBytes::new(vec![1u8; 16])).is_err());
        assert!(root_key_from_hex("abcd").is_err());
        assert!(root_key_from_hex(&"ab".repeat(32)).is_ok());
    }

    #[test]
    fn root_key_file_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        let (k1, created) = load_or_create_root_key(&path).unwrap();
        assert!(created);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let (k2, created) = load_or_create_root_key(&path).unwrap();
        assert!(!created);
        assert_eq!(k1, k2);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(load_or_create_root_key(&path)
            .unwrap_err()
            .contains("chmod 600"));
    }
}
