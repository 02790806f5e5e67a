//! Bring your own key: EXTERNAL CMKs get their material from the caller.
//!
//! 1. `get_parameters_for_import` makes a fresh wrapping key pair (RSA-2048, or SM2
//!    as an extension), seals its private key into the store with a token, and hands
//!    out the public key and the token, both good for [`PARAMETERS_VALID_FOR`].
//! 2. The caller encrypts (wraps) the material to that public key and calls
//!    `import_key_material` with the token. A token is bound to its key and scope and
//!    imports once: the first ImportKeyMaterial that presents it spends it, whether or
//!    not its blob then decrypts, so each wrapping key answers at most one decryption
//!    and cannot serve as a padding oracle (PKCS#1 v1.5). Tokens live in the store,
//!    so they survive a restart and are spent exactly once across replicas.
//! 3. The key becomes Enabled with material version 1. Its record keeps a keyed
//!    fingerprint of the material (`Sealer::import_fingerprint`), never the material:
//!    after `delete_imported_key_material` or expiry, a re-import must bring the same
//!    material, so that every CiphertextBlob made before still decrypts.
//!
//! Expiry (`valid_to`): from that second on the key reads as PendingImport (see
//! `as_of`), so no request uses expired material even before the background sweep
//! ([`Kms::expire_imported_material`]) removes it from the store.

use super::context::RequestContext;
use super::error::{Error, Field, ImportError, Internal, Resource, Result};
use super::rules::require;
use super::states::Op;
use super::update::read_modify_write;
use super::Kms;
use crate::crypto::asym::{AsymmetricSpec, PrivateKey};
use crate::crypto::cmk::CmkCipher;
use crate::crypto::import::{self as wrap, WrappingAlgorithm};
use crate::crypto::seal;
use crate::model::{Cmk, ImportToken, KeyState, Origin};
use crate::store::StoreError;
use std::sync::Arc;

/// How long a token and its public key are good for: 24 hours, as Tencent's.
pub const PARAMETERS_VALID_FOR: i64 = 86_400;

/// The latest `ValidTo` Tencent accepts (2037-11-30 UTC, unix seconds).
pub const MAX_VALID_TO: i64 = 2_147_443_200;

/// The longest ImportToken looked up; ours are 44 characters.
const MAX_TOKEN_LEN: usize = 256;

/// What GetParametersForImport answers.
#[derive(Debug, Clone)]
pub struct ImportParameters {
    pub key_id: String,
    /// The token to present to ImportKeyMaterial (the store keeps only its hash).
    pub import_token: String,
    /// The wrapping public key, SubjectPublicKeyInfo DER.
    pub public_key: Vec<u8>,
    /// Unix seconds; the token and key are refused from then on.
    pub valid_to: i64,
}

/// The key as a request sees it at `now`: once its imported material has expired, it
/// is PendingImport (PendingDelete stays PendingDelete) with no material version, even
/// while the store still holds the record as it was; the sweep makes that permanent.
/// `valid_to` is left as it was, so that the sweep still finds the key if the view is
/// written back by some other change.
pub(crate) fn as_of(key: Arc<Cmk>, now: i64) -> Arc<Cmk> {
    if !key.material_expired(now) || key.current_version == 0 {
        return key;
    }
    let mut view = (*key).clone();
    without_material(&mut view);
    Arc::new(view)
}

/// The record of a key whose material is gone.
fn without_material(k: &mut Cmk) {
    if k.state != KeyState::PendingDelete {
        k.state = KeyState::PendingImport;
    }
    k.current_version = 0;
}

/// The symmetric cipher of a key that can take imported material; `None` for any
/// other key, through the core's one helper that refuses asymmetric keys. Its
/// material is the cipher's key length: SM4 128 bits, AES-256 256 bits.
/// A store refusal of an import's write, in the core's terms.
fn refused(e: StoreError, key: Cmk) -> Error {
    match e {
        StoreError::NotFound => Error::NotFound {
            what: Resource::Cmk,
            id: key.key_id,
        },
        e => e.into(),
    }
}

fn import_cipher(key: &Cmk) -> Option<CmkCipher> {
    super::rules::symmetric_cipher(key, Op::Import).ok()
}

impl Kms {
    /// An EXTERNAL, symmetric key of the caller's, in a state that takes `op`.
    async fn external_key(&self, ctx: &RequestContext, key_id: &str, op: Op) -> Result<Arc<Cmk>> {
        let key = self.get_key_shared(ctx, key_id).await?;
        let problem = if key.origin != Origin::External {
            Some(ImportError::NotExternal)
        } else if import_cipher(&key).is_none() {
            Some(ImportError::NotSymmetric)
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::Import {
                key_id: key.key_id.clone(),
                problem,
            });
        }
        require(&key, op)?;
        Ok(key)
    }

    pub async fn get_parameters_for_import(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        algorithm: &str,
        spec: &str,
    ) -> Result<ImportParameters> {
        let alg = WrappingAlgorithm::parse(algorithm).ok_or_else(|| {
            Error::invalid(
                Field::WrappingAlgorithm,
                format!(
                    "{algorithm:?} is not a wrapping algorithm; use RSAES_PKCS1_V1_5, \
                     RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256 (with RSA_2048), or SM2_ENCRYPT \
                     (with SM2)"
                ),
            )
        })?;
        let wanted = wrap::wrapping_spec(spec).ok_or_else(|| {
            Error::invalid(
                Field::WrappingKeySpec,
                format!("{spec:?} is not a wrapping key spec; use RSA_2048 or SM2"),
            )
        })?;
        if wanted != alg.spec() {
            return Err(Error::invalid(
                Field::WrappingKeySpec,
                format!(
                    "{spec} does not go with WrappingAlgorithm {}; use {}",
                    alg.name(),
                    alg.spec().name()
                ),
            ));
        }
        let key = self.external_key(ctx, key_id, Op::Import).await?;
        // RSA: tens to hundreds of milliseconds, never on an async worker.
        let pair = self
            .blocking_work(move || PrivateKey::generate(wanted))
            .await?;
        let import_token = wrap::new_token();
        let token_id = wrap::token_id(&import_token);
        let now = self.now();
        let record = ImportToken {
            token_id: token_id.clone(),
            key_id: key.key_id.clone(),
            scope: key.scope.clone(),
            wrapping_algorithm: alg.name().to_string(),
            wrapping_spec: wanted.name().to_string(),
            sealed_private_key: self.sealer.seal(
                &seal::import_token_identity(&key.key_id, &token_id),
                pair.to_der().expose(),
            ),
            created_at: now,
            expires_at: now + PARAMETERS_VALID_FOR,
            used_at: 0,
        };
        self.store.put_import_token(&record).await?;
        tracing::info!(key_id = %key.key_id, algorithm = alg.name(), "issued import parameters");
        Ok(ImportParameters {
            key_id: key.key_id.clone(),
            import_token,
            public_key: pair.public_key().spki_der(),
            valid_to: record.expires_at,
        })
    }

    /// Imports the material wrapped in `wrapped` with the token, to expire at
    /// `valid_to` (0: never).
    pub async fn import_key_material(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        import_token: &str,
        wrapped: &[u8],
        valid_to: i64,
    ) -> Result<Cmk> {
        let now = self.now();
        if valid_to != 0 && !(now < valid_to && valid_to <= MAX_VALID_TO) {
            return Err(Error::invalid(
                Field::ValidTo,
                format!(
                    "must be 0 (the material never expires) or a unix time after now ({now}) \
                     and at most {MAX_VALID_TO}, got {valid_to}"
                ),
            ));
        }
        if import_token.is_empty() || import_token.len() > MAX_TOKEN_LEN {
            return Err(Error::invalid(
                Field::ImportToken,
                "must be the ImportToken that GetParametersForImport returned",
            ));
        }
        let key = self.external_key(ctx, key_id, Op::Import).await?;
        let problem = |problem| Error::Import {
            key_id: key.key_id.clone(),
            problem,
        };
        let token_id = wrap::token_id(import_token);
        let token = self
            .store
            .get_import_token(&token_id)
            .await?
            .ok_or_else(|| problem(ImportError::TokenUnknown))?;
        if token.key_id != key.key_id || token.scope != key.scope {
            return Err(problem(ImportError::TokenForeign));
        }
        if token.used_at != 0 {
            return Err(problem(ImportError::TokenUsed));
        }
        if now >= token.expires_at {
            return Err(problem(ImportError::TokenExpired));
        }
        // Spent here, before the blob is looked at: exactly one request gets to try.
        if !self
            .store
            .use_import_token(&token_id, &key.key_id, now)
            .await?
        {
            return Err(problem(ImportError::TokenUsed));
        }
        let corrupt = |what| Internal::CorruptRecord {
            id: format!("import token of key {}", key.key_id),
            what,
        };
        let alg = WrappingAlgorithm::parse(&token.wrapping_algorithm)
            .ok_or_else(|| corrupt("unknown wrapping algorithm"))?;
        let spec = AsymmetricSpec::from_name(&token.wrapping_spec)
            .ok_or_else(|| corrupt("unknown wrapping key spec"))?;
        let der = self
            .sealer
            .open(
                &seal::import_token_identity(&key.key_id, &token_id),
                &token.sealed_private_key,
            )
            .map_err(|_| corrupt("the wrapping key does not open under the root key"))?;
        let pair = PrivateKey::from_der(spec, der.expose())
            .map_err(|_| corrupt("the wrapping key is not a key of its spec"))?;
        let blob = wrapped.to_vec();
        let material = self
            .blocking_work(move || wrap::unwrap(&pair, alg, &blob))
            .await?
            .map_err(|_| problem(ImportError::UnwrapFailed))?;
        let want = import_cipher(&key)
            .ok_or_else(|| problem(ImportError::NotSymmetric))?
            .key_len();
        if material.len() != want {
            return Err(problem(ImportError::WrongLength {
                got: material.len() * 8,
                want: want * 8,
            }));
        }
        let fingerprint = self
            .sealer
            .import_fingerprint(&key.key_id, material.expose());
        let sealed = self
            .sealer
            .seal(&seal::cmk_identity(&key.key_id, 1), material.expose());
        let store = &self.store;
        let sealed = &sealed;
        let stored = read_modify_write(
            (Resource::Cmk, key_id),
            || async { Ok((*self.external_key(ctx, key_id, Op::Import).await?).clone()) },
            |next: &mut Cmk| {
                if let Some(first) = &next.import_fingerprint {
                    if !seal::fingerprints_match(first, &fingerprint) {
                        return Err(problem(ImportError::MaterialMismatch));
                    }
                }
                if next.state == KeyState::PendingImport {
                    next.state = KeyState::Enabled;
                }
                next.current_version = 1;
                next.valid_to = valid_to;
                next.import_fingerprint = Some(fingerprint.to_vec());
                Ok(())
            },
            |next| async move { store.replace_material(&next, sealed).await },
            refused,
        )
        .await?;
        self.forget_material(key_id);
        tracing::info!(key_id, valid_to, "imported key material");
        Ok(stored)
    }

    /// Removes an EXTERNAL key's material: the key is PendingImport again (or stays
    /// PendingDelete) until the same material is imported again.
    pub async fn delete_imported_key_material(
        &self,
        ctx: &RequestContext,
        key_id: &str,
    ) -> Result<Cmk> {
        let store = &self.store;
        let stored = read_modify_write(
            (Resource::Cmk, key_id),
            || async {
                let key = self
                    .external_key(ctx, key_id, Op::DeleteImportedMaterial)
                    .await?;
                Ok((*key).clone())
            },
            |next: &mut Cmk| {
                without_material(next);
                next.valid_to = 0;
                Ok(())
            },
            |next| async move { store.remove_material(&next).await },
            refused,
        )
        .await?;
        self.forget_material(key_id);
        tracing::info!(key_id, "deleted imported key material");
        Ok(stored)
    }

    /// Removes the material of every EXTERNAL key past its `valid_to`; the keys are
    /// PendingImport again. Run by the background task; a key changed meanwhile is left
    /// to the next tick.
    pub async fn expire_imported_material(&self) -> Result<usize> {
        let now = self.now();
        let mut expired = 0;
        for key in self.store.cmks_with_expired_material(now).await? {
            let mut next = key.clone();
            without_material(&mut next);
            next.valid_to = 0;
            match self.store.remove_material(&next).await {
                Ok(_) => {
                    self.forget_material(&key.key_id);
                    expired += 1;
                    tracing::info!(key_id = %key.key_id, "imported key material expired and was removed");
                }
                Err(StoreError::Conflict | StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(expired)
    }
}

#[cfg(test)]
mod tests;
