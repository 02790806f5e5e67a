//! Asymmetric CMKs: the public key, signatures, and decryption with the private key.
//!
//! An asymmetric key is created by [`Kms::create_key`] with an asymmetric usage; its
//! material (version 1, never rotated) is the private key's PKCS#8 DER, sealed and
//! cached like a symmetric key's. Every operation here checks, in this order, that the
//! key exists for the caller (and records it in the request context), that its usage
//! allows the operation ([`Error::WrongUsage`]), that its state does (the table in
//! `states.rs`), and that the algorithm fits the key; only then is the private key
//! opened. The private-key work (and parsing the key) runs where
//! `limits.public_key_pool` says, like the other public-key steps.

use super::context::RequestContext;
use super::error::{Error, Field, Internal, Result};
use super::rules::require;
use super::states::Op;
use super::Kms;
use crate::crypto::asym::{
    AsymmetricSpec, DecryptAlgorithm, Message, OpenedKey, SignAlgorithm, SignError, DIGEST_LEN,
    MAX_RAW_LEN,
};
use crate::crypto::secret::SecretBytes;
use crate::model::{Cmk, KeyUsage};
use std::sync::Arc;

/// The material version that holds an asymmetric key's private key.
const PRIVATE_KEY_VERSION: u32 = 1;

/// What is signed: the message itself, or a digest the caller computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// The message; the algorithm hashes it (SM2DSA: SM3(Z_A ‖ M) with the default
    /// user id).
    Raw,
    /// A 32-byte digest, used as the value the algorithm signs (SM2DSA: e, that is
    /// SM3(Z_A ‖ M) computed by the caller).
    Digest,
}

impl MessageType {
    fn message(self, bytes: &[u8]) -> Message<'_> {
        match self {
            MessageType::Raw => Message::Raw(bytes),
            MessageType::Digest => Message::Digest(bytes),
        }
    }
}

/// A public key as GetPublicKey returns it.
pub struct PublicKeyInfo {
    pub key: Arc<Cmk>,
    /// SubjectPublicKeyInfo DER.
    pub spki_der: Vec<u8>,
    /// The same as a PEM `PUBLIC KEY`.
    pub pem: String,
}

/// The message rule of both signing and verifying, so that a verification is refused
/// for the same inputs a signature would be.
fn check_message(kind: MessageType, message: &[u8]) -> Result<()> {
    match kind {
        MessageType::Raw if message.is_empty() || message.len() > MAX_RAW_LEN => {
            Err(Error::invalid(
                Field::Other("Message"),
                format!(
                    "must be 1 to {MAX_RAW_LEN} bytes after base64 decoding when MessageType \
                     is RAW, got {}; sign a longer message as its digest (MessageType DIGEST)",
                    message.len()
                ),
            ))
        }
        MessageType::Digest if message.len() != DIGEST_LEN => Err(Error::invalid(
            Field::Other("Message"),
            format!(
                "must be exactly {DIGEST_LEN} bytes after base64 decoding when MessageType is \
                 DIGEST (an SM3 or SHA-256 digest), got {}",
                message.len()
            ),
        )),
        _ => Ok(()),
    }
}

fn check_sign_algorithm(key: &Cmk, spec: AsymmetricSpec, alg: SignAlgorithm) -> Result<()> {
    if alg.fits(spec) {
        return Ok(());
    }
    let fitting: Vec<&str> = SignAlgorithm::ALL
        .iter()
        .filter(|a| a.fits(spec))
        .map(|a| a.name())
        .collect();
    Err(Error::invalid(
        Field::Other("Algorithm"),
        format!(
            "{} does not fit key {}, an {} key; use {}",
            alg.name(),
            key.key_id,
            spec.name(),
            fitting.join(" or ")
        ),
    ))
}

fn sign_error(e: SignError) -> Error {
    let field = match e {
        SignError::AlgorithmMismatch => Field::Other("Algorithm"),
        _ => Field::Other("Message"),
    };
    Error::invalid(field, e.to_string())
}

impl Kms {
    /// The key, if it exists for the caller, is asymmetric with a usage `wanted`
    /// accepts, and its state allows `op`. Returns its spec with it.
    async fn asymmetric_key(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        op: Op,
        wanted: impl Fn(KeyUsage) -> bool,
    ) -> Result<(Arc<Cmk>, AsymmetricSpec)> {
        let key = self.get_key_shared(ctx, key_id).await?;
        let spec = match key.spec.asymmetric() {
            Some(spec) if wanted(key.usage) => spec,
            _ => {
                return Err(Error::WrongUsage {
                    key_id: key.key_id.clone(),
                    usage: key.usage,
                    op,
                })
            }
        };
        require(&key, op)?;
        Ok((key, spec))
    }

    /// Runs `work` with the key's private key (and its public key): from the cache of
    /// opened keys, or opened from its sealed material and cached. Only called after
    /// [`Self::asymmetric_key`] checked the record and its state, as the material cache
    /// is. The step (with opening: an SM2 or P-256 key about 0.1 ms, an RSA key about
    /// 1 ms) runs where `limits.public_key_pool` says, like a delivery; an RSA step
    /// always on the blocking threads.
    async fn with_private_key<T: Send + 'static>(
        &self,
        key: &Cmk,
        spec: AsymmetricSpec,
        work: impl FnOnce(&OpenedKey) -> T + Send + 'static,
    ) -> Result<T> {
        let cached = self.opened.get(&key.key_id, PRIVATE_KEY_VERSION);
        let material = match cached {
            Some(_) => None,
            None => Some(self.material(&key.key_id, PRIVATE_KEY_VERSION).await?),
        };
        let key_id = key.key_id.clone();
        let step = move || {
            let (opened, fresh) = match (cached, material) {
                (Some(k), _) => (k, false),
                (None, Some(m)) => match OpenedKey::from_der(spec, m.expose()) {
                    Ok(k) => (Arc::new(k), true),
                    Err(_) => {
                        return Err(Internal::CorruptRecord {
                            id: key_id,
                            what: "the key's material is not a private key of its spec",
                        })
                    }
                },
                (None, None) => unreachable!("the material is read when nothing is cached"),
            };
            let out = work(&opened);
            Ok((out, fresh.then_some(opened)))
        };
        let (out, fresh) = match spec {
            AsymmetricSpec::Rsa2048 => self.blocking_work(step).await?,
            AsymmetricSpec::Sm2 | AsymmetricSpec::EccP256 => self.public_key_work(step).await?,
        }?;
        if let Some(opened) = fresh {
            self.opened.insert(&key.key_id, PRIVATE_KEY_VERSION, opened);
        }
        Ok(out)
    }

    /// GetPublicKey: the key's public key as SubjectPublicKeyInfo DER and PEM.
    pub async fn get_public_key(
        &self,
        ctx: &RequestContext,
        key_id: &str,
    ) -> Result<PublicKeyInfo> {
        let (key, spec) = self
            .asymmetric_key(ctx, key_id, Op::GetPublicKey, |_| true)
            .await?;
        let (spki_der, pem) = self
            .with_private_key(&key, spec, |k| (k.public.spki_der(), k.public.pem()))
            .await?;
        Ok(PublicKeyInfo { key, spki_der, pem })
    }

    /// SignByAsymmetricKey: a signature (DER for SM2DSA and ECDSA, as OpenSSL and the
    /// other peers expect) of `message` under a signing key.
    pub async fn sign(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        alg: SignAlgorithm,
        kind: MessageType,
        message: Vec<u8>,
    ) -> Result<(Vec<u8>, Arc<Cmk>)> {
        let (key, spec) = self
            .asymmetric_key(ctx, key_id, Op::Sign, KeyUsage::signs)
            .await?;
        check_sign_algorithm(&key, spec, alg)?;
        check_message(kind, &message)?;
        let signature = self
            .with_private_key(&key, spec, move |k| {
                k.private.sign(alg, kind.message(&message))
            })
            .await?
            .map_err(sign_error)?;
        Ok((signature, key))
    }

    /// VerifyByAsymmetricKey: whether `signature` is a valid signature of `message`
    /// under a signing key. A malformed signature is simply not valid: the answer is
    /// `false`, never an error that would say why.
    pub async fn verify(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        alg: SignAlgorithm,
        kind: MessageType,
        message: Vec<u8>,
        signature: Vec<u8>,
    ) -> Result<(bool, Arc<Cmk>)> {
        let (key, spec) = self
            .asymmetric_key(ctx, key_id, Op::Verify, KeyUsage::signs)
            .await?;
        check_sign_algorithm(&key, spec, alg)?;
        check_message(kind, &message)?;
        let valid = self
            .with_private_key(&key, spec, move |k| {
                k.public.verify(alg, kind.message(&message), &signature)
            })
            .await?;
        Ok((valid, key))
    }

    /// AsymmetricSm2Decrypt: a C1C3C2 ASN.1 ciphertext decrypted with an SM2
    /// decryption key. Length limits are the dialect's (Tencent's is
    /// [`crate::crypto::asym::MAX_SM2_CIPHERTEXT_LEN`]).
    pub async fn sm2_decrypt(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        ciphertext: Vec<u8>,
    ) -> Result<(SecretBytes, Arc<Cmk>)> {
        let (key, spec) = self
            .asymmetric_key(ctx, key_id, Op::AsymmetricDecrypt, |u| {
                u == KeyUsage::AsymmetricDecryptSm2
            })
            .await?;
        self.asymmetric_decrypt(key, spec, DecryptAlgorithm::Sm2C1C3C2Asn1, ciphertext)
            .await
    }

    /// AsymmetricRsaDecrypt: a ciphertext made with `alg` decrypted with an RSA
    /// decryption key.
    pub async fn rsa_decrypt(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        alg: DecryptAlgorithm,
        ciphertext: Vec<u8>,
    ) -> Result<(SecretBytes, Arc<Cmk>)> {
        let (key, spec) = self
            .asymmetric_key(ctx, key_id, Op::AsymmetricDecrypt, |u| {
                u == KeyUsage::AsymmetricDecryptRsa2048
            })
            .await?;
        if !alg.fits(spec) {
            return Err(Error::invalid(
                Field::Other("Algorithm"),
                format!(
                    "{} is not an RSA encryption scheme; use RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1 \
                     or RSAES_OAEP_SHA_256",
                    alg.name()
                ),
            ));
        }
        self.asymmetric_decrypt(key, spec, alg, ciphertext).await
    }

    /// Encryption with a decryption key's public key, on the server (Huawei's
    /// encrypt-data with `SM2_ENCRYPT` or `RSAES_OAEP_*`): what a client would make
    /// itself from GetPublicKey, and what [`Kms::sm2_decrypt`] / [`Kms::rsa_decrypt`]
    /// open. `alg` is a delivery algorithm (SM2 as GM/T 0009 ASN.1 C1C3C2, RSA OAEP);
    /// the key must be an asymmetric decryption key that the state table lets
    /// encrypt (Enabled). Too long a plaintext for RSA is refused with both lengths.
    pub async fn asymmetric_encrypt(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        alg: crate::crypto::deliver::Algorithm,
        plaintext: Vec<u8>,
    ) -> Result<(Vec<u8>, Arc<Cmk>)> {
        use crate::crypto::deliver;
        let (key, spec) = self
            .asymmetric_key(
                ctx,
                key_id,
                Op::AsymmetricDecrypt,
                KeyUsage::decrypts_asymmetric,
            )
            .await?;
        require(&key, Op::Encrypt)?;
        let pem = self
            .with_private_key(&key, spec, |k| k.public.pem())
            .await?;
        let recipient = deliver::parse_public_key(&pem).map_err(|_| Internal::CorruptRecord {
            id: key.key_id.clone(),
            what: "the key's public key does not parse",
        })?;
        let refused = |e: deliver::DeliveryError| {
            Error::invalid(
                Field::Plaintext,
                format!(
                    "cannot be encrypted with {} under the key {}: {}",
                    alg.name(),
                    key.key_id,
                    e.message
                ),
            )
        };
        deliver::check(&recipient, alg, plaintext.len()).map_err(refused)?;
        let ciphertext = self
            .blocking_work(move || deliver::deliver(&recipient, alg, &plaintext))
            .await?
            .map_err(refused)?;
        Ok((ciphertext, key))
    }

    /// One opaque failure for every ciphertext that does not decrypt (wrong length,
    /// encoding, padding, tag): [`Error::InvalidCiphertext`].
    async fn asymmetric_decrypt(
        &self,
        key: Arc<Cmk>,
        spec: AsymmetricSpec,
        alg: DecryptAlgorithm,
        ciphertext: Vec<u8>,
    ) -> Result<(SecretBytes, Arc<Cmk>)> {
        let plaintext = self
            .with_private_key(&key, spec, move |k| k.private.decrypt(alg, &ciphertext))
            .await?
            .map_err(|_| Error::InvalidCiphertext)?;
        Ok((plaintext, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::asym::{PrivateKey, PublicKey};
    use crate::crypto::deliver::{self, Algorithm};
    use crate::crypto::seal;
    use crate::kms::crypt::tests::kms;
    use crate::kms::keys::NewKey;
    use crate::model::{KeySpec, Origin, Scope};

    fn ctx() -> RequestContext {
        RequestContext::for_scope(Scope {
            account: 1,
            region: "ap-guangzhou".into(),
        })
    }

    async fn key(k: &Kms, usage: KeyUsage) -> Cmk {
        k.create_key(
            &ctx(),
            NewKey {
                alias: format!("{usage:?}"),
                description: String::new(),
                usage,
                origin: Origin::Kms,
                cipher: None,
                tags: vec![],
            },
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn the_material_is_the_sealed_pkcs8_private_key() {
        let k = kms();
        let cmk = key(&k, KeyUsage::AsymmetricSignVerifyEcc).await;
        assert_eq!(cmk.spec, KeySpec::Asymmetric(AsymmetricSpec::EccP256));
        assert_eq!(cmk.current_version, 1);
        let sealed = k.store.get_material(&cmk.key_id, 1).await.unwrap().unwrap();
        let der = k
            .sealer
            .open(&seal::cmk_identity(&cmk.key_id, 1), &sealed)
            .unwrap();
        let private = PrivateKey::from_der(AsymmetricSpec::EccP256, der.expose()).unwrap();
        let public = k.get_public_key(&ctx(), &cmk.key_id).await.unwrap();
        assert_eq!(private.public_key().spki_der(), public.spki_der);
        assert!(PrivateKey::from_der(AsymmetricSpec::Sm2, der.expose()).is_err());
    }

    /// No symmetric path accepts an asymmetric key, in any state: the private key is
    /// never used as symmetric material.
    #[tokio::test]
    async fn symmetric_paths_refuse_asymmetric_keys() {
        let k = kms();
        let s = ctx();
        let symmetric = key(&k, KeyUsage::EncryptDecrypt).await;
        let (blob, _) = k.encrypt(&s, &symmetric.key_id, b"x", None).await.unwrap();
        for usage in [
            KeyUsage::AsymmetricSignVerifySm2,
            KeyUsage::AsymmetricDecryptSm2,
        ] {
            let cmk = key(&k, usage).await;
            let id = cmk.key_id.as_str();
            let usage_error = |e: Error| matches!(e, Error::WrongUsage { .. });
            assert!(usage_error(
                k.encrypt(&s, id, b"x", None).await.unwrap_err()
            ));
            assert!(usage_error(
                k.generate_data_key(&s, id, 32, None).await.unwrap_err()
            ));
            assert!(usage_error(k.rotate_key(&s, id).await.unwrap_err()));
            assert!(usage_error(
                k.enable_key_rotation(&s, id, 30).await.unwrap_err()
            ));
            // A blob altered to name the key is refused for the key's usage, not opened.
            let mut forged = blob.clone();
            forged[2..18].copy_from_slice(uuid::Uuid::parse_str(id).unwrap().as_bytes());
            assert!(usage_error(k.decrypt(&s, &forged, None).await.unwrap_err()));
            // Whatever the state.
            k.disable_key(&s, id).await.unwrap();
            assert!(usage_error(
                k.encrypt(&s, id, b"x", None).await.unwrap_err()
            ));
        }
    }

    /// The opened key is cached after the first use, looked up only once the record and
    /// state were checked, and forgotten when the key is destroyed.
    #[tokio::test]
    async fn opened_keys_are_cached_behind_the_checks_and_forgotten_on_destruction() {
        use crate::crypto::cmk::CmkCipher;
        use crate::kms::{Limits, ManualClock};
        use crate::store::{sqlite::SqliteStore, Store};
        let clock = ManualClock::new(1_000_000);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let sealer = Arc::new(seal::Sealer::new(&SecretBytes::new(vec![5; 32])).unwrap());
        let k = Kms::new(
            store,
            sealer,
            Arc::new(clock.clone()),
            Limits::default(),
            CmkCipher::Sm4Gcm,
        );
        let s = ctx();
        let signer = key(&k, KeyUsage::AsymmetricSignVerifySm2).await;
        let id = signer.key_id.as_str();
        let sign = || {
            k.sign(
                &s,
                id,
                SignAlgorithm::Sm2Dsa,
                MessageType::Raw,
                b"m".to_vec(),
            )
        };
        let mut sigs = Vec::new();
        for _ in 0..3 {
            sigs.push(sign().await.unwrap().0);
        }
        let public = k.get_public_key(&s, id).await.unwrap();
        let (valid, _) = k
            .verify(
                &s,
                id,
                SignAlgorithm::Sm2Dsa,
                MessageType::Raw,
                b"m".to_vec(),
                sigs[2].clone(),
            )
            .await
            .unwrap();
        assert!(valid, "a signature made with the cached key verifies");
        let from_spki = PublicKey::from_spki_der(&public.spki_der).unwrap();
        for sig in &sigs {
            assert!(from_spki.verify(SignAlgorithm::Sm2Dsa, Message::Raw(b"m"), sig));
        }
        let st = k.opened_key_cache_stats();
        assert_eq!((st.hits, st.misses), (4, 1), "{st:?}");
        assert_eq!(k.opened.len(), 1);

        k.disable_key(&s, id).await.unwrap();
        assert!(
            sign().await.is_err(),
            "a disabled key does not sign, cached or not"
        );
        let st = k.opened_key_cache_stats();
        assert_eq!(
            st.hits + st.misses,
            5,
            "the state is checked before the cache"
        );

        k.schedule_key_deletion(&s, id, 7).await.unwrap();
        clock.advance(8 * 86_400);
        assert_eq!(k.destroy_due_keys().await.unwrap(), 1);
        assert!(k.opened.is_empty(), "destruction forgets the opened key");
        assert!(k.materials.get(id, PRIVATE_KEY_VERSION).is_none());
    }

    #[tokio::test]
    async fn sign_verify_and_decrypt_round_trip() {
        let k = kms();
        let s = ctx();
        let signer = key(&k, KeyUsage::AsymmetricSignVerifySm2).await;
        let fresh = ctx();
        k.get_public_key(&fresh, &signer.key_id).await.unwrap();
        assert_eq!(
            fresh.touched().key_ids,
            vec![signer.key_id.clone()],
            "the audit trail and metrics learn the key from the context"
        );
        let sig = k
            .sign(
                &s,
                &signer.key_id,
                SignAlgorithm::Sm2Dsa,
                MessageType::Raw,
                b"m".to_vec(),
            )
            .await
            .unwrap()
            .0;
        let verify = |msg: &'static [u8], sig: Vec<u8>| {
            k.verify(
                &s,
                &signer.key_id,
                SignAlgorithm::Sm2Dsa,
                MessageType::Raw,
                msg.to_vec(),
                sig,
            )
        };
        assert!(verify(b"m", sig.clone()).await.unwrap().0);
        assert!(!verify(b"n", sig.clone()).await.unwrap().0);
        assert!(!verify(b"m", vec![0x30, 0x00]).await.unwrap().0);
        assert!(matches!(
            k.sign(
                &s,
                &signer.key_id,
                SignAlgorithm::EccP256R1,
                MessageType::Raw,
                b"m".to_vec()
            )
            .await,
            Err(Error::Invalid {
                field: Field::Other("Algorithm"),
                ..
            })
        ));
        for (kind, len) in [
            (MessageType::Raw, MAX_RAW_LEN + 1),
            (MessageType::Raw, 0),
            (MessageType::Digest, 31),
        ] {
            assert!(
                matches!(
                    k.sign(
                        &s,
                        &signer.key_id,
                        SignAlgorithm::Sm2Dsa,
                        kind,
                        vec![0; len]
                    )
                    .await,
                    Err(Error::Invalid {
                        field: Field::Other("Message"),
                        ..
                    })
                ),
                "{kind:?} {len}"
            );
        }
        assert!(matches!(
            k.sm2_decrypt(&s, &signer.key_id, vec![0; 100]).await,
            Err(Error::WrongUsage {
                op: Op::AsymmetricDecrypt,
                ..
            })
        ));

        let decrypter = key(&k, KeyUsage::AsymmetricDecryptSm2).await;
        let pem = k.get_public_key(&s, &decrypter.key_id).await.unwrap().pem;
        let recipient = deliver::parse_public_key(&pem).unwrap();
        let ct = deliver::deliver(&recipient, Algorithm::Sm2C1C3C2Asn1, b"secret").unwrap();
        let (pt, _) = k
            .sm2_decrypt(&s, &decrypter.key_id, ct.clone())
            .await
            .unwrap();
        assert_eq!(pt.expose(), b"secret");
        let mut bad = ct;
        bad[10] ^= 1;
        assert_eq!(
            k.sm2_decrypt(&s, &decrypter.key_id, bad).await.unwrap_err(),
            Error::InvalidCiphertext
        );
        assert!(matches!(
            k.sign(
                &s,
                &decrypter.key_id,
                SignAlgorithm::Sm2Dsa,
                MessageType::Raw,
                b"m".to_vec()
            )
            .await,
            Err(Error::WrongUsage { op: Op::Sign, .. })
        ));
        // The state table: Archived decrypts, Disabled does not.
        k.archive_key(&s, &decrypter.key_id).await.unwrap();
        let ct = deliver::deliver(&recipient, Algorithm::Sm2C1C3C2Asn1, b"again").unwrap();
        assert!(k
            .sm2_decrypt(&s, &decrypter.key_id, ct.clone())
            .await
            .is_ok());
        k.cancel_key_archive(&s, &decrypter.key_id).await.unwrap();
        k.disable_key(&s, &decrypter.key_id).await.unwrap();
        assert!(matches!(
            k.sm2_decrypt(&s, &decrypter.key_id, ct).await,
            Err(Error::WrongState {
                op: Op::AsymmetricDecrypt,
                ..
            })
        ));
    }

    /// Server-side encryption with a decryption key's public key: what the key's
    /// decryption opens; a signing key, a symmetric key, an archived key and too long
    /// an RSA plaintext are refused.
    #[tokio::test]
    async fn asymmetric_encrypt_is_opened_by_decrypt() {
        let k = kms();
        let s = ctx();
        let sm2 = key(&k, KeyUsage::AsymmetricDecryptSm2).await;
        let (ct, _) = k
            .asymmetric_encrypt(&s, &sm2.key_id, Algorithm::Sm2C1C3C2Asn1, b"p".to_vec())
            .await
            .unwrap();
        assert_eq!(
            k.sm2_decrypt(&s, &sm2.key_id, ct).await.unwrap().0.expose(),
            b"p"
        );
        let rsa = key(&k, KeyUsage::AsymmetricDecryptRsa2048).await;
        let (ct, _) = k
            .asymmetric_encrypt(&s, &rsa.key_id, Algorithm::RsaOaepSha256, b"q".to_vec())
            .await
            .unwrap();
        let (pt, _) = k
            .rsa_decrypt(&s, &rsa.key_id, DecryptAlgorithm::RsaOaepSha256, ct)
            .await
            .unwrap();
        assert_eq!(pt.expose(), b"q");
        assert!(matches!(
            k.asymmetric_encrypt(&s, &rsa.key_id, Algorithm::RsaOaepSha256, vec![0; 191])
                .await,
            Err(Error::Invalid {
                field: Field::Plaintext,
                ..
            })
        ));
        let signer = key(&k, KeyUsage::AsymmetricSignVerifySm2).await;
        assert!(matches!(
            k.asymmetric_encrypt(&s, &signer.key_id, Algorithm::Sm2C1C3C2Asn1, b"p".to_vec())
                .await,
            Err(Error::WrongUsage { .. })
        ));
        k.archive_key(&s, &sm2.key_id).await.unwrap();
        assert!(matches!(
            k.asymmetric_encrypt(&s, &sm2.key_id, Algorithm::Sm2C1C3C2Asn1, b"p".to_vec())
                .await,
            Err(Error::WrongState {
                op: Op::Encrypt,
                ..
            })
        ));
    }

    /// A record marked for rotation by hand (the API refuses it) does not stop the
    /// background sweep, and its material is not replaced.
    #[tokio::test]
    async fn the_rotation_sweep_skips_asymmetric_keys() {
        let k = kms();
        let cmk = key(&k, KeyUsage::AsymmetricDecryptSm2).await;
        let mut marked = k.get_key(&ctx(), &cmk.key_id).await.unwrap();
        marked.rotation_enabled = true;
        marked.rotate_days = 1;
        marked.next_rotate_time = 1;
        k.store.update_cmk(&marked).await.unwrap();
        assert_eq!(k.rotate_due_keys().await.unwrap(), 0);
        assert_eq!(
            k.get_key(&ctx(), &cmk.key_id)
                .await
                .unwrap()
                .current_version,
            1
        );
    }

    #[tokio::test]
    async fn p384_and_imported_asymmetric_keys_are_refused() {
        let k = kms();
        let mut nk = NewKey {
            alias: "a".into(),
            description: String::new(),
            usage: KeyUsage::AsymmetricSignVerifyEcdsa384,
            origin: Origin::Kms,
            cipher: None,
            tags: vec![],
        };
        assert!(matches!(
            k.create_key(&ctx(), nk.clone()).await,
            Err(Error::Unsupported(_))
        ));
        nk.usage = KeyUsage::AsymmetricDecryptSm2;
        nk.origin = Origin::External;
        assert!(matches!(
            k.create_key(&ctx(), nk.clone()).await,
            Err(Error::Unsupported(_))
        ));
        nk.origin = Origin::Kms;
        nk.cipher = Some(crate::crypto::cmk::CmkCipher::Sm4Gcm);
        assert!(matches!(
            k.create_key(&ctx(), nk).await,
            Err(Error::Invalid { .. })
        ));
        assert_eq!(k.count_keys(&ctx()).await.unwrap(), 0);
    }
}
