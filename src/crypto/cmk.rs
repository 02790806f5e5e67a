//! The two authenticated ciphers a CMK can use: SM4-GCM (RFC 8998) and AES-256-GCM.
//!
//! SM4-GCM is the generic GCM construction over the SM4 block cipher, which is exactly
//! what RFC 8998 specifies, so it is built from `aes-gcm`'s generic `AesGcm` with the
//! `sm4` crate rather than hand-written.

use super::secret::SecretBytes;
use super::DecryptFailed;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm};

pub type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

pub const NONCE_LEN: usize = 12;
pub const TAG_LEN: usize = 16;

/// Which cipher a CMK's material is for. The discriminants are the `cipher` byte of a
/// CiphertextBlob v1, so they must never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmkCipher {
    Sm4Gcm = 1,
    Aes256Gcm = 2,
}

impl CmkCipher {
    pub fn key_len(self) -> usize {
        match self {
            CmkCipher::Sm4Gcm => 16,
            CmkCipher::Aes256Gcm => 32,
        }
    }

    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(CmkCipher::Sm4Gcm),
            2 => Some(CmkCipher::Aes256Gcm),
            _ => None,
        }
    }

    /// The name used in configuration, storage and ListAlgorithms.
    pub fn name(self) -> &'static str {
        match self {
            CmkCipher::Sm4Gcm => "SM4",
            CmkCipher::Aes256Gcm => "AES_256",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "SM4" => Some(CmkCipher::Sm4Gcm),
            "AES_256" => Some(CmkCipher::Aes256Gcm),
            _ => None,
        }
    }
}

/// Encrypts `plaintext` and returns `ciphertext ‖ tag`.
///
/// Panics only if `key` has the wrong length for `cipher`, which is a bug in the caller
/// (material lengths are fixed when the material is generated), never a user input.
pub fn seal(
    cipher: CmkCipher,
    key: &SecretBytes,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Vec<u8> {
    let payload = Payload {
        msg: plaintext,
        aad,
    };
    let out = match cipher {
        CmkCipher::Sm4Gcm => Sm4Gcm::new_from_slice(key.expose())
            .expect("SM4 key is 16 bytes")
            .encrypt(nonce.into(), payload),
        CmkCipher::Aes256Gcm => Aes256Gcm::new_from_slice(key.expose())
            .expect("AES-256 key is 32 bytes")
            .encrypt(nonce.into(), payload),
    };
    out.expect("GCM encryption of a bounded message cannot fail")
}

/// Decrypts `ciphertext ‖ tag`. Every failure, including a key of the wrong length, is
/// the same opaque [`DecryptFailed`].
pub fn open(
    cipher: CmkCipher,
    key: &SecretBytes,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<SecretBytes, DecryptFailed> {
    if ciphertext_and_tag.len() < TAG_LEN {
        return Err(DecryptFailed);
    }
    let payload = Payload {
        msg: ciphertext_and_tag,
        aad,
    };
    let out = match cipher {
        CmkCipher::Sm4Gcm => Sm4Gcm::new_from_slice(key.expose())
            .map_err(|_| DecryptFailed)?
            .decrypt(nonce.into(), payload),
        CmkCipher::Aes256Gcm => Aes256Gcm::new_from_slice(key.expose())
            .map_err(|_| DecryptFailed)?
            .decrypt(nonce.into(), payload),
    };
    out.map(SecretBytes::new).map_err(|_| DecryptFailed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm4::cipher::BlockEncrypt;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    #[test]
    fn sm4_block_gbt32907_vector() {
        let key = h("0123456789ABCDEFFEDCBA9876543210");
        let c = sm4::Sm4::new_from_slice(&key).unwrap();
        let mut block = sm4::cipher::generic_array::GenericArray::clone_from_slice(&key);
        c.encrypt_block(&mut block);
        assert_eq!(block.to_vec(), h("681EDF34D206965E86B3E94F536E4246"));
    }

    #[test]
    fn sm4_gcm_rfc8998_vector() {
        let key = SecretBytes::new(h("0123456789ABCDEFFEDCBA9876543210"));
        let nonce: [u8; 12] = h("00001234567800000000ABCD").try_into().unwrap();
        let aad = h("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        let pt = h("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA");
        let want = h("17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D83DE3541E4C2B58177E065A9BF7B62EC");
        let ct = seal(CmkCipher::Sm4Gcm, &key, &nonce, &aad, &pt);
        assert_eq!(ct, want);
        let back = open(CmkCipher::Sm4Gcm, &key, &nonce, &aad, &ct).unwrap();
        assert_eq!(back.expose(), &pt[..]);
    }

    #[test]
    fn any_changed_bit_fails_to_open() {
        for cipher in [CmkCipher::Sm4Gcm, CmkCipher::Aes256Gcm] {
            let key = SecretBytes::new(vec![7u8; cipher.key_len()]);
            let nonce = [9u8; 12];
            let ct = seal(cipher, &key, &nonce, b"aad", b"hello world");
            for i in 0..ct.len() {
                let mut bad = ct.clone();
                bad[i] ^= 1;
                assert_eq!(open(cipher, &key, &nonce, b"aad", &bad), Err(DecryptFailed));
            }
            assert_eq!(open(cipher, &key, &nonce, b"aae", &ct), Err(DecryptFailed));
            assert_eq!(
                open(cipher, &key, &[0u8; 12], b"aad", &ct),
                Err(DecryptFailed)
            );
            assert_eq!(
                open(cipher, &key, &nonce, b"aad", &ct[..10]),
                Err(DecryptFailed)
            );
            let wrong = SecretBytes::new(vec![7u8; 5]);
            assert_eq!(
                open(cipher, &wrong, &nonce, b"aad", &ct),
                Err(DecryptFailed)
            );
        }
    }

    /// Every Wycheproof SM4-GCM case with a 96-bit IV must give the file's result. The
    /// file is kept in test-vectors/third_party/wycheproof/.
    #[test]
    fn sm4_gcm_wycheproof() {
        let path = crate::testutil::wycheproof_file("sm4_gcm_test.json");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let mut checked = 0;
        for group in doc["testGroups"].as_array().unwrap() {
            if group["ivSize"].as_u64() != Some(96) || group["tagSize"].as_u64() != Some(128) {
                continue;
            }
            for t in group["tests"].as_array().unwrap() {
                let key = SecretBytes::new(h(t["key"].as_str().unwrap()));
                let nonce: [u8; 12] = h(t["iv"].as_str().unwrap()).try_into().unwrap();
                let aad = h(t["aad"].as_str().unwrap());
                let msg = h(t["msg"].as_str().unwrap());
                let mut ct = h(t["ct"].as_str().unwrap());
                ct.extend(h(t["tag"].as_str().unwrap()));
                let result = t["result"].as_str().unwrap();
                let opened = open(CmkCipher::Sm4Gcm, &key, &nonce, &aad, &ct);
                match result {
                    "valid" => {
                        assert_eq!(opened.unwrap().expose(), &msg[..], "tcId {}", t["tcId"]);
                        assert_eq!(seal(CmkCipher::Sm4Gcm, &key, &nonce, &aad, &msg), ct);
                    }
                    "invalid" => assert!(opened.is_err(), "tcId {}", t["tcId"]),
                    other => panic!("unexpected result {other}"),
                }
                checked += 1;
            }
        }
        assert!(checked > 20, "only {checked} SM4-GCM cases had a 96-bit IV");
    }
}
