//! SecretId/SecretKey pairs and the accounts they speak for.
//!
//! Secrets are sealed under the root key before they are stored and are shown once,
//! when created. Every request looks its credential up in the store, so a credential
//! created or deleted by `smkms credentials` (another process) takes effect at once.

use crate::auth::tc_v1::{NonceCheck, NonceGuard};
use crate::crypto::seal::{credential_identity, Sealer};
use crate::crypto::{random, secret::SecretString};
use crate::model::{Credential, Uin};
use crate::store::cache::VersionedCache;
use crate::store::{Store, StoreError};
use std::sync::Arc;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Why a credential operation failed: always ours or the store's, never the caller's
/// (an unknown SecretId is `Ok(None)`). Never carries the secret.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the sealed secret of credential {secret_id} does not open under the root key: \
         the record was tampered with or the root key changed"
    )]
    Unsealable { secret_id: String },
    #[error("credential {secret_id} holds a non-text secret")]
    NotText { secret_id: String },
    #[error("could not generate a unique SecretId")]
    NoUniqueId,
}

pub struct Credentials {
    store: Arc<dyn Store>,
    sealer: Arc<Sealer>,
    /// SecretId → (account, secret), exact: emptied by any write to the store (see
    /// `store::cache`), so a credential deleted by another process is refused at once.
    cache: VersionedCache<Option<(Uin, SecretString)>>,
    /// Nonces of the v1 and legacy signatures, when the store leaves them to this
    /// process (see [`Store::remember_nonce`]).
    nonces: NonceGuard,
}

/// A credential as listed (never with its secret).
#[derive(Debug, Clone)]
pub struct CredentialInfo {
    pub secret_id: String,
    pub account: Uin,
    pub created_at: i64,
}

/// A new credential; the only time the secret leaves the server.
#[derive(Debug)]
pub struct NewCredential {
    pub secret_id: String,
    pub secret_key: SecretString,
    pub account: Uin,
}

impl Credentials {
    /// Lookups of the SecretId cache so far (counts only, never a secret).
    pub fn cache_stats(&self) -> crate::store::cache::CacheStats {
        self.cache.stats()
    }

    pub fn new(store: Arc<dyn Store>, sealer: Arc<Sealer>) -> Self {
        Credentials {
            store,
            sealer,
            cache: VersionedCache::new(4096),
            nonces: NonceGuard::default(),
        }
    }

    /// Records a signature Nonce (its [`crate::auth::tc_v1::nonce_key`]) until
    /// `expires_at`: in the store when it is shared by several replicas, so that a
    /// request replayed to another replica is refused too; otherwise in this process.
    pub async fn remember_nonce(
        &self,
        account: Uin,
        key: [u8; 16],
        expires_at: i64,
        now: i64,
    ) -> Result<NonceCheck, CredentialError> {
        Ok(
            match self
                .store
                .remember_nonce(account, &key, expires_at, now)
                .await?
            {
                Some(true) => NonceCheck::Fresh,
                Some(false) => NonceCheck::Replayed,
                None => self.nonces.check_key(account, key, expires_at, now),
            },
        )
    }

    /// Creates a credential for `account`, or for a new account when None.
    pub async fn create(
        &self,
        account: Option<Uin>,
        now: i64,
    ) -> Result<NewCredential, CredentialError> {
        // Tencent account ids (Uin) are 12-digit numbers; ours look the same.
        let account =
            account.unwrap_or_else(|| 100_000_000_000 + random::u64_below(900_000_000_000));
        for _ in 0..4 {
            let secret_id = format!("AKID{}", random::string(32, ALNUM));
            let secret_key = SecretString::new(random::string(32, ALNUM));
            let sealed = self.sealer.seal(
                &credential_identity(&secret_id, account),
                secret_key.expose().as_bytes(),
            );
            let cred = Credential {
                secret_id: secret_id.clone(),
                account,
                sealed_secret: sealed,
                created_at: now,
            };
            match self.store.put_credential(&cred).await {
                Ok(()) => {
                    return Ok(NewCredential {
                        secret_id,
                        secret_key,
                        account,
                    })
                }
                Err(StoreError::AlreadyExists) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CredentialError::NoUniqueId)
    }

    /// The account and secret for a SecretId, if it exists.
    pub async fn lookup(
        &self,
        secret_id: &str,
    ) -> Result<Option<(Uin, SecretString)>, CredentialError> {
        let generation = self.store.generation().await;
        if let Some(g) = generation {
            if let Some(hit) = self.cache.get(g, secret_id) {
                return Ok(hit);
            }
        }
        let found = self.lookup_uncached(secret_id).await?;
        if let Some(g) = generation {
            self.cache.insert(g, secret_id, found.clone());
        }
        Ok(found)
    }

    async fn lookup_uncached(
        &self,
        secret_id: &str,
    ) -> Result<Option<(Uin, SecretString)>, CredentialError> {
        let Some(cred) = self.store.get_credential(secret_id).await? else {
            return Ok(None);
        };
        let secret = self
            .sealer
            .open(
                &credential_identity(&cred.secret_id, cred.account),
                &cred.sealed_secret,
            )
            .map_err(|_| CredentialError::Unsealable {
                secret_id: cred.secret_id.clone(),
            })?;
        let text =
            String::from_utf8(secret.expose().to_vec()).map_err(|_| CredentialError::NotText {
                secret_id: cred.secret_id.clone(),
            })?;
        Ok(Some((cred.account, SecretString::new(text))))
    }

    pub async fn list(&self) -> Result<Vec<CredentialInfo>, CredentialError> {
        Ok(self
            .store
            .list_credentials()
            .await?
            .into_iter()
            .map(|c| CredentialInfo {
                secret_id: c.secret_id,
                account: c.account,
                created_at: c.created_at,
            })
            .collect())
    }

    pub async fn delete(&self, secret_id: &str) -> Result<bool, CredentialError> {
        Ok(self.store.delete_credential(secret_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::secret::SecretBytes;
    use crate::store::sqlite::SqliteStore;

    #[tokio::test]
    async fn create_lookup_delete() {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let sealer = Arc::new(Sealer::new(&SecretBytes::new(vec![1; 32])).unwrap());
        let creds = Credentials::new(store.clone(), sealer);
        let c = creds.create(None, 10).await.unwrap();
        assert!(c.secret_id.starts_with("AKID") && c.secret_id.len() == 36);
        assert!((100_000_000_000..1_000_000_000_000).contains(&c.account));
        let (uin, secret) = creds.lookup(&c.secret_id).await.unwrap().unwrap();
        assert_eq!(uin, c.account);
        assert_eq!(secret.expose(), c.secret_key.expose());
        let stored = store.get_credential(&c.secret_id).await.unwrap().unwrap();
        assert!(!stored
            .sealed_secret
            .windows(32)
            .any(|w| w == c.secret_key.expose().as_bytes()));
        let same_account = creds.create(Some(c.account), 11).await.unwrap();
        assert_eq!(same_account.account, c.account);
        assert_eq!(creds.list().await.unwrap().len(), 2);
        assert!(creds.delete(&c.secret_id).await.unwrap());
        assert!(creds.lookup(&c.secret_id).await.unwrap().is_none());
    }
}
