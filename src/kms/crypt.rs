//! Encrypt, Decrypt, ReEncrypt and GenerateDataKey under a CMK.

use super::context::RequestContext;
use super::error::{Error, Field, Internal, Result};
use super::rules::{
    canonical_context, check_data_key_len, parse_key_id, require, symmetric_cipher,
};
use super::states::Op;
use super::Kms;
use crate::crypto::blob::{self, Header, MAX_PLAINTEXT};
use crate::crypto::seal;
use crate::crypto::{random, secret::SecretBytes};
use crate::model::Cmk;
use std::sync::Arc;

pub struct ReEncrypted {
    pub blob: Vec<u8>,
    pub source: Arc<Cmk>,
    pub destination: Arc<Cmk>,
    /// False when the blob was already under the destination key's current material
    /// with the same context, and is returned unchanged.
    pub re_encrypted: bool,
}

impl Kms {
    /// A material version, from the cache or unsealed from the store.
    pub(crate) async fn material(&self, key_id: &str, version: u32) -> Result<Arc<SecretBytes>> {
        if let Some(m) = self.materials.get(key_id, version) {
            return Ok(m);
        }
        let sealed = self
            .store
            .get_material(key_id, version)
            .await?
            .ok_or_else(|| Internal::MissingMaterial {
                key_id: key_id.to_string(),
                version,
            })?;
        let material = self
            .sealer
            .open(&seal::cmk_identity(key_id, version), &sealed)
            .map_err(|_| Internal::Unsealable {
                key_id: key_id.to_string(),
                version,
            })?;
        let material = Arc::new(material);
        self.materials.insert(key_id, version, material.clone());
        Ok(material)
    }

    /// Seals `plaintext` under the key's newest material.
    async fn seal_under(&self, key: &Cmk, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        self.seal_with_nonce(key, context, plaintext, random::nonce12())
            .await
    }

    async fn seal_with_nonce(
        &self,
        key: &Cmk,
        context: &[u8],
        plaintext: &[u8],
        nonce: [u8; 12],
    ) -> Result<Vec<u8>> {
        let cipher = symmetric_cipher(key, Op::Encrypt)?;
        let material = self.material(&key.key_id, key.current_version).await?;
        let header = Header {
            cipher,
            key_id: uuid::Uuid::parse_str(&key.key_id).map_err(|_| Internal::CorruptRecord {
                id: key.key_id.clone(),
                what: "the key id is not a UUID",
            })?,
            key_version: key.current_version,
            nonce,
        };
        Ok(blob::seal(&header, &material, context, plaintext))
    }

    /// A key that may encrypt now: a symmetric key (an asymmetric one answers with its
    /// usage whatever its state), Enabled.
    async fn key_for_encrypt(&self, ctx: &RequestContext, key_id: &str) -> Result<Arc<Cmk>> {
        let key = self.get_key_shared(ctx, key_id).await?;
        symmetric_cipher(&key, Op::Encrypt)?;
        require(&key, Op::Encrypt)?;
        Ok(key)
    }

    pub async fn encrypt(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        plaintext: &[u8],
        context: Option<&str>,
    ) -> Result<(Vec<u8>, Arc<Cmk>)> {
        if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT {
            return Err(Error::invalid(
                Field::Plaintext,
                format!(
                    "must be 1 to {MAX_PLAINTEXT} bytes after base64 decoding, got {}",
                    plaintext.len()
                ),
            ));
        }
        let aad = canonical_context(context)?;
        let key = self.key_for_encrypt(ctx, key_id).await?;
        let blob = self.seal_under(&key, &aad, plaintext).await?;
        Ok((blob, key))
    }

    /// A fresh data key of `n` bytes, in the clear and sealed under the CMK.
    pub async fn generate_data_key(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        n: usize,
        context: Option<&str>,
    ) -> Result<(SecretBytes, Vec<u8>, Arc<Cmk>)> {
        check_data_key_len(n)?;
        let aad = canonical_context(context)?;
        let key = self.key_for_encrypt(ctx, key_id).await?;
        // The data key and the blob's nonce in one draw: one system call, not two.
        let drawn = random::secret(n + 12);
        let (dk, nonce) = drawn.expose().split_at(n);
        let data_key = SecretBytes::from_slice(dk);
        let nonce = nonce.try_into().expect("12 bytes drawn for the nonce");
        let blob = self
            .seal_with_nonce(&key, &aad, data_key.expose(), nonce)
            .await?;
        Ok((data_key, blob, key))
    }

    /// Opens a blob. The blob names its CMK; a blob of another account's or region's
    /// key answers exactly like a blob of a key that does not exist.
    pub async fn decrypt(
        &self,
        ctx: &RequestContext,
        blob_bytes: &[u8],
        context: Option<&str>,
    ) -> Result<(SecretBytes, Arc<Cmk>)> {
        let aad = canonical_context(context)?;
        let (header, ct) = blob::decode(blob_bytes).map_err(|_| Error::InvalidCiphertext)?;
        let key = self
            .get_key_shared(ctx, &header.key_id.hyphenated().to_string())
            .await?;
        let cipher = symmetric_cipher(&key, Op::Decrypt)?;
        require(&key, Op::Decrypt)?;
        if header.cipher != cipher || header.key_version > key.current_version {
            return Err(Error::InvalidCiphertext);
        }
        let material = self.material(&key.key_id, header.key_version).await?;
        let plaintext =
            blob::open(&header, &material, &aad, ct).map_err(|_| Error::InvalidCiphertext)?;
        Ok((plaintext, key))
    }

    pub async fn re_encrypt(
        &self,
        ctx: &RequestContext,
        blob_bytes: &[u8],
        destination: Option<&str>,
        source_context: Option<&str>,
        destination_context: Option<&str>,
    ) -> Result<ReEncrypted> {
        let dst_ctx = canonical_context(destination_context)?;
        let src_ctx = canonical_context(source_context)?;
        let (plaintext, source) = self.decrypt(ctx, blob_bytes, source_context).await?;
        let destination = match destination.filter(|d| !d.is_empty()) {
            Some(id) if parse_key_id(id)? != source.key_id => self.key_for_encrypt(ctx, id).await?,
            _ => {
                require(&source, Op::Encrypt)?;
                source.clone()
            }
        };
        let (header, _) = blob::decode(blob_bytes).map_err(|_| Error::InvalidCiphertext)?;
        if destination.key_id == source.key_id
            && header.key_version == destination.current_version
            && src_ctx == dst_ctx
        {
            return Ok(ReEncrypted {
                blob: blob_bytes.to_vec(),
                source,
                destination,
                re_encrypted: false,
            });
        }
        let blob = self
            .seal_under(&destination, &dst_ctx, plaintext.expose())
            .await?;
        Ok(ReEncrypted {
            blob,
            source,
            destination,
            re_encrypted: true,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::crypto::cmk::CmkCipher;
    use crate::crypto::seal::Sealer;
    use crate::kms::keys::NewKey;
    use crate::kms::{Limits, ManualClock};
    use crate::model::Scope;
    use crate::model::{KeyUsage, Origin};
    use crate::store::{sqlite::SqliteStore, Store};

    pub(crate) fn kms() -> Kms {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let sealer = Arc::new(Sealer::new(&SecretBytes::new(vec![5; 32])).unwrap());
        Kms::new(
            store,
            sealer,
            Arc::new(ManualClock::new(1_000_000)),
            Limits::default(),
            CmkCipher::Sm4Gcm,
        )
    }

    fn scope(account: u64) -> RequestContext {
        RequestContext::for_scope(Scope {
            account,
            region: "ap-guangzhou".into(),
        })
    }

    async fn key(k: &Kms, alias: &str, cipher: CmkCipher) -> Cmk {
        k.create_key(
            &scope(1),
            NewKey {
                alias: alias.into(),
                description: String::new(),
                usage: KeyUsage::EncryptDecrypt,
                origin: Origin::Kms,
                cipher: Some(cipher),
                tags: vec![],
            },
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn round_trips_for_both_ciphers_and_every_size_edge() {
        let k = kms();
        for cipher in [CmkCipher::Sm4Gcm, CmkCipher::Aes256Gcm] {
            let cmk = key(&k, cipher.name(), cipher).await;
            for n in [1, 16, 32, 1024] {
                let (dk, blob, _) = k
                    .generate_data_key(&scope(1), &cmk.key_id, n, Some(r#"{"a":"b"}"#))
                    .await
                    .unwrap();
                assert_eq!(dk.len(), n);
                assert_eq!(blob[1], cipher as u8);
                let (back, owner) = k
                    .decrypt(&scope(1), &blob, Some(r#" { "a" : "b" } "#))
                    .await
                    .unwrap();
                assert_eq!(back, dk);
                assert_eq!(owner.key_id, cmk.key_id);
                assert!(matches!(
                    k.decrypt(&scope(1), &blob, None).await,
                    Err(Error::InvalidCiphertext)
                ));
                assert!(matches!(
                    k.decrypt(&scope(1), &blob, Some(r#"{"a":"c"}"#)).await,
                    Err(Error::InvalidCiphertext)
                ));
            }
            assert!(k
                .generate_data_key(&scope(1), &cmk.key_id, 0, None)
                .await
                .is_err());
            assert!(k
                .generate_data_key(&scope(1), &cmk.key_id, 1025, None)
                .await
                .is_err());
        }
    }

    #[tokio::test]
    async fn foreign_blobs_look_like_missing_keys() {
        let k = kms();
        let cmk = key(&k, "a", CmkCipher::Sm4Gcm).await;
        let (blob, _) = k
            .encrypt(&scope(1), &cmk.key_id, b"secret", None)
            .await
            .unwrap();
        assert!(matches!(
            k.decrypt(&scope(2), &blob, None).await,
            Err(Error::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn every_flipped_byte_is_invalid_ciphertext() {
        let k = kms();
        let cmk = key(&k, "a", CmkCipher::Sm4Gcm).await;
        let (blob, _) = k
            .encrypt(&scope(1), &cmk.key_id, b"secret", None)
            .await
            .unwrap();
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x01;
            let e = k.decrypt(&scope(1), &bad, None).await.unwrap_err();
            // The key-id bytes name another key, which does not exist: not found.
            if (2..18).contains(&i) {
                assert!(
                    matches!(e, Error::NotFound { .. } | Error::InvalidCiphertext),
                    "byte {i}: {e:?}"
                );
            } else {
                assert_eq!(e, Error::InvalidCiphertext, "byte {i}");
            }
        }
    }

    #[tokio::test]
    async fn states_gate_encrypt_and_decrypt() {
        let k = kms();
        let s = scope(1);
        let cmk = key(&k, "a", CmkCipher::Sm4Gcm).await;
        let (blob, _) = k.encrypt(&s, &cmk.key_id, b"x", None).await.unwrap();
        k.archive_key(&s, &cmk.key_id).await.unwrap();
        assert!(matches!(
            k.encrypt(&s, &cmk.key_id, b"x", None).await,
            Err(Error::WrongState { .. })
        ));
        assert!(
            k.decrypt(&s, &blob, None).await.is_ok(),
            "archived keys still decrypt"
        );
        k.cancel_key_archive(&s, &cmk.key_id).await.unwrap();
        k.disable_key(&s, &cmk.key_id).await.unwrap();
        assert!(matches!(
            k.decrypt(&s, &blob, None).await,
            Err(Error::WrongState { .. })
        ));
    }

    #[tokio::test]
    async fn re_encrypt_moves_and_skips_when_nothing_changes() {
        let k = kms();
        let s = scope(1);
        let a = key(&k, "a", CmkCipher::Sm4Gcm).await;
        let b = key(&k, "b", CmkCipher::Aes256Gcm).await;
        let (blob, _) = k
            .encrypt(&s, &a.key_id, b"payload", Some(r#"{"x":"1"}"#))
            .await
            .unwrap();
        let same = k
            .re_encrypt(&s, &blob, None, Some(r#"{"x":"1"}"#), Some(r#"{"x":"1"}"#))
            .await
            .unwrap();
        assert!(!same.re_encrypted);
        assert_eq!(same.blob, blob);
        let moved = k
            .re_encrypt(&s, &blob, Some(&b.key_id), Some(r#"{"x":"1"}"#), None)
            .await
            .unwrap();
        assert!(moved.re_encrypted);
        assert_eq!(moved.destination.key_id, b.key_id);
        assert_eq!(
            k.decrypt(&s, &moved.blob, None).await.unwrap().0.expose(),
            b"payload"
        );
        let new_ctx = k
            .re_encrypt(&s, &blob, None, Some(r#"{"x":"1"}"#), Some(r#"{"x":"2"}"#))
            .await
            .unwrap();
        assert!(new_ctx.re_encrypted);
        assert_eq!(
            k.decrypt(&s, &new_ctx.blob, Some(r#"{"x":"2"}"#))
                .await
                .unwrap()
                .0
                .expose(),
            b"payload"
        );
    }
}
