//! CiphertextBlob v1: what Encrypt and GenerateDataKey return.
//!
//! ```text
//! version  u8        1
//! cipher   u8        1 = SM4-GCM (RFC 8998), 2 = AES-256-GCM
//! key_id   16 bytes  the CMK's UUID
//! key_ver  u32 BE    which version of the CMK's material
//! nonce    12 bytes  random
//! ct‖tag   n + 16    the plaintext under the CMK
//! AAD      = header bytes (version … nonce) ‖ canonical EncryptionContext
//! ```
//! Binding the header as AAD means no header byte can be changed without the tag
//! failing; binding the context means a blob opens only with the context it was made
//! with. Decoding is strict and every failure is the same [`InvalidBlob`].

use super::cmk::{self, CmkCipher, NONCE_LEN, TAG_LEN};
use super::secret::SecretBytes;
use super::DecryptFailed;

pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 1 + 1 + 16 + 4 + NONCE_LEN;
/// The largest plaintext a blob carries (Encrypt's 4 KiB limit).
pub const MAX_PLAINTEXT: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid CiphertextBlob")]
pub struct InvalidBlob;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub cipher: CmkCipher,
    pub key_id: uuid::Uuid,
    pub key_version: u32,
    pub nonce: [u8; NONCE_LEN],
}

impl Header {
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0] = VERSION;
        h[1] = self.cipher as u8;
        h[2..18].copy_from_slice(self.key_id.as_bytes());
        h[18..22].copy_from_slice(&self.key_version.to_be_bytes());
        h[22..].copy_from_slice(&self.nonce);
        h
    }
}

/// Splits a blob into its header and `ct‖tag`, refusing anything that is not exactly
/// one well-formed v1 blob.
pub fn decode(blob: &[u8]) -> Result<(Header, &[u8]), InvalidBlob> {
    if blob.len() < HEADER_LEN + 1 + TAG_LEN || blob.len() > HEADER_LEN + MAX_PLAINTEXT + TAG_LEN {
        return Err(InvalidBlob);
    }
    if blob[0] != VERSION {
        return Err(InvalidBlob);
    }
    let cipher = CmkCipher::from_byte(blob[1]).ok_or(InvalidBlob)?;
    let key_id = uuid::Uuid::from_slice(&blob[2..18]).map_err(|_| InvalidBlob)?;
    let key_version = u32::from_be_bytes(blob[18..22].try_into().unwrap());
    if key_version == 0 {
        return Err(InvalidBlob);
    }
    let nonce: [u8; NONCE_LEN] = blob[22..HEADER_LEN].try_into().unwrap();
    Ok((
        Header {
            cipher,
            key_id,
            key_version,
            nonce,
        },
        &blob[HEADER_LEN..],
    ))
}

fn aad(header: &[u8; HEADER_LEN], context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(HEADER_LEN + context.len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(context);
    aad
}

/// Encrypts `plaintext` into a blob under `material` (the CMK version named in
/// `header`). `context` is the canonical EncryptionContext.
pub fn seal(header: &Header, material: &SecretBytes, context: &[u8], plaintext: &[u8]) -> Vec<u8> {
    assert!(
        !plaintext.is_empty() && plaintext.len() <= MAX_PLAINTEXT,
        "callers bound the plaintext"
    );
    let h = header.to_bytes();
    let ct = cmk::seal(
        header.cipher,
        material,
        &header.nonce,
        &aad(&h, context),
        plaintext,
    );
    let mut out = Vec::with_capacity(HEADER_LEN + ct.len());
    out.extend_from_slice(&h);
    out.extend_from_slice(&ct);
    out
}

/// Opens `ct‖tag` of a decoded blob.
pub fn open(
    header: &Header,
    material: &SecretBytes,
    context: &[u8],
    ciphertext: &[u8],
) -> Result<SecretBytes, DecryptFailed> {
    let h = header.to_bytes();
    cmk::open(
        header.cipher,
        material,
        &header.nonce,
        &aad(&h, context),
        ciphertext,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cipher: CmkCipher) -> Header {
        Header {
            cipher,
            key_id: uuid::Uuid::parse_str("1b7c6a3e-2f0d-4c5b-9a8e-0d1f2e3c4b5a").unwrap(),
            key_version: 3,
            nonce: [7; 12],
        }
    }

    #[test]
    fn round_trip_and_layout() {
        for cipher in [CmkCipher::Sm4Gcm, CmkCipher::Aes256Gcm] {
            let m = SecretBytes::new(vec![1; cipher.key_len()]);
            let h = header(cipher);
            let blob = seal(&h, &m, b"{\"a\":\"1\"}", b"data key!");
            assert_eq!(blob.len(), HEADER_LEN + 9 + TAG_LEN);
            assert_eq!(blob[0], 1);
            assert_eq!(blob[1], cipher as u8);
            assert_eq!(&blob[18..22], &[0, 0, 0, 3]);
            let (h2, ct) = decode(&blob).unwrap();
            assert_eq!(h2, h);
            assert_eq!(
                open(&h2, &m, b"{\"a\":\"1\"}", ct).unwrap().expose(),
                b"data key!"
            );
            assert!(open(&h2, &m, b"", ct).is_err(), "context is bound");
            // decode → encode reproduces the input.
            let mut again = h2.to_bytes().to_vec();
            again.extend_from_slice(ct);
            assert_eq!(again, blob);
        }
    }

    #[test]
    fn every_flipped_bit_and_truncation_fails() {
        let m = SecretBytes::new(vec![1; 16]);
        let h = header(CmkCipher::Sm4Gcm);
        let blob = seal(&h, &m, b"", b"0123456789abcdef");
        for i in 0..blob.len() {
            for bit in [0x01u8, 0x80] {
                let mut bad = blob.clone();
                bad[i] ^= bit;
                let opened = decode(&bad)
                    .ok()
                    .and_then(|(h, ct)| open(&h, &m, b"", ct).ok());
                assert!(opened.is_none(), "byte {i} bit {bit:#x}");
            }
        }
        for n in 0..blob.len() {
            let opened = decode(&blob[..n])
                .ok()
                .and_then(|(h, ct)| open(&h, &m, b"", ct).ok());
            assert!(opened.is_none(), "truncated to {n}");
        }
        let mut longer = blob.clone();
        longer.push(0);
        let opened = decode(&longer)
            .ok()
            .and_then(|(h, ct)| open(&h, &m, b"", ct).ok());
        assert!(opened.is_none(), "trailing byte");
    }

    #[test]
    fn strict_header() {
        let m = SecretBytes::new(vec![1; 16]);
        let blob = seal(&header(CmkCipher::Sm4Gcm), &m, b"", b"x");
        let mut v2 = blob.clone();
        v2[0] = 2;
        assert_eq!(decode(&v2), Err(InvalidBlob));
        let mut c9 = blob.clone();
        c9[1] = 9;
        assert_eq!(decode(&c9), Err(InvalidBlob));
        let mut zero_ver = blob.clone();
        zero_ver[18..22].copy_from_slice(&[0; 4]);
        assert_eq!(decode(&zero_ver), Err(InvalidBlob));
        assert_eq!(
            decode(&vec![1u8; HEADER_LEN + MAX_PLAINTEXT + TAG_LEN + 1]),
            Err(InvalidBlob)
        );
    }
}
