//! Key rotation: each rotation adds a material version. New ciphertexts use the newest
//! version; every older one stays readable because blobs name their version.

use super::context::RequestContext;
use super::error::{Error, Field, Internal, Resource, Result};
use super::rules::{require, symmetric_cipher};
use super::states::Op;
use super::update::CONFLICT_RETRIES;
use super::Kms;
use crate::crypto::random;
use crate::crypto::seal;
use crate::model::{Cmk, Origin};
use crate::store::StoreError;

const DAY: i64 = 86_400;

impl Kms {
    /// Turns automatic rotation on with a period of `days` (the dialect checks its own
    /// range; the core refuses only what no dialect allows).
    pub async fn enable_key_rotation(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        days: u32,
    ) -> Result<Cmk> {
        if !(1..=3650).contains(&days) {
            return Err(Error::invalid(
                Field::RotateDays,
                "must be between 1 and 3650 days",
            ));
        }
        let now = self.now();
        self.modify(ctx, key_id, |k| {
            symmetric_cipher(k, Op::ConfigureRotation)?;
            if k.origin == Origin::External {
                return Err(Error::NotForExternal {
                    key_id: k.key_id.clone(),
                    op: Op::ConfigureRotation,
                });
            }
            require(k, Op::ConfigureRotation)?;
            k.rotation_enabled = true;
            k.rotate_days = days;
            k.next_rotate_time = now + days as i64 * DAY;
            Ok(())
        })
        .await
    }

    pub async fn disable_key_rotation(&self, ctx: &RequestContext, key_id: &str) -> Result<Cmk> {
        self.modify(ctx, key_id, |k| {
            k.rotation_enabled = false;
            k.next_rotate_time = 0;
            Ok(())
        })
        .await
    }

    /// Adds a new material version now and makes it current.
    pub async fn rotate_key(&self, ctx: &RequestContext, key_id: &str) -> Result<Cmk> {
        for _ in 0..CONFLICT_RETRIES {
            let key = self.get_key(ctx, key_id).await?;
            match self.rotate_once(&key).await? {
                Rotation::Done(stored) => return Ok(*stored),
                Rotation::Conflict => continue,
            }
        }
        Err(Internal::Contended {
            what: Resource::Cmk,
            id: key_id.to_string(),
        }
        .into())
    }

    /// One attempt at rotating `key` as read. Another writer's change in between is
    /// not an error but [`Rotation::Conflict`]: the caller reads again (a request) or
    /// leaves it to the next tick (the sweeper).
    async fn rotate_once(&self, key: &Cmk) -> Result<Rotation> {
        let cipher = symmetric_cipher(key, Op::Rotate)?;
        if key.origin == Origin::External {
            return Err(Error::NotForExternal {
                key_id: key.key_id.clone(),
                op: Op::Rotate,
            });
        }
        require(key, Op::Rotate)?;
        let now = self.now();
        let version = key.current_version + 1;
        let material = random::secret(cipher.key_len());
        let sealed = self
            .sealer
            .seal(&seal::cmk_identity(&key.key_id, version), material.expose());
        let mut next = key.clone();
        next.last_rotate_time = now;
        if next.rotation_enabled {
            next.next_rotate_time = now + next.rotate_days as i64 * DAY;
        }
        match self.store.add_material(&next, version, &sealed).await {
            Ok(stored) => {
                tracing::info!(key_id = %key.key_id, version, "rotated key");
                Ok(Rotation::Done(Box::new(stored)))
            }
            Err(StoreError::Conflict) => Ok(Rotation::Conflict),
            Err(e) => Err(e.into()),
        }
    }

    /// Rotates every key whose automatic rotation is due. A due key that cannot rotate
    /// now (disabled, say) has its next rotation moved one period on.
    pub async fn rotate_due_keys(&self) -> Result<usize> {
        let now = self.now();
        let mut rotated = 0;
        for key in self.store.cmks_due_for_rotation(now).await? {
            match self.rotate_once(&key).await {
                Ok(Rotation::Done(_)) => rotated += 1,
                // Someone changed the key meanwhile; the next tick sees it fresh.
                Ok(Rotation::Conflict) => {}
                Err(Error::WrongState { .. }) => {
                    let mut later = key.clone();
                    later.next_rotate_time = now + later.rotate_days.max(1) as i64 * DAY;
                    if let Err(e) = self.store.update_cmk(&later).await {
                        tracing::warn!(key_id = %key.key_id, error = %e, "could not postpone rotation");
                    }
                }
                // Cannot happen through the API (rotation of an asymmetric key is
                // refused when it is turned on); one such record must not stop the sweep.
                Err(Error::WrongUsage { .. }) => {
                    tracing::warn!(key_id = %key.key_id, "an asymmetric key is marked for rotation; skipped");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(rotated)
    }
}

/// How one rotation attempt ended, when nothing failed.
enum Rotation {
    Done(Box<Cmk>),
    /// The key changed since it was read; nothing was written.
    Conflict,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::cmk::CmkCipher;
    use crate::crypto::seal::Sealer;
    use crate::crypto::secret::SecretBytes;
    use crate::kms::keys::NewKey;
    use crate::kms::{Limits, ManualClock};
    use crate::model::Scope;
    use crate::model::{KeyState, KeyUsage};
    use crate::store::{sqlite::SqliteStore, Store};
    use std::sync::Arc;

    fn kms(clock: ManualClock) -> Kms {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let sealer = Arc::new(Sealer::new(&SecretBytes::new(vec![5; 32])).unwrap());
        Kms::new(
            store,
            sealer,
            Arc::new(clock),
            Limits::default(),
            CmkCipher::Sm4Gcm,
        )
    }

    fn s() -> RequestContext {
        RequestContext::for_scope(Scope {
            account: 1,
            region: "ap-guangzhou".into(),
        })
    }

    async fn key(k: &Kms, alias: &str, origin: Origin) -> Cmk {
        k.create_key(
            &s(),
            NewKey {
                alias: alias.into(),
                description: String::new(),
                usage: KeyUsage::EncryptDecrypt,
                origin,
                cipher: None,
                tags: vec![],
            },
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn old_blobs_decrypt_after_rotations() {
        let k = kms(ManualClock::new(1_000_000));
        let cmk = key(&k, "a", Origin::Kms).await;
        let mut blobs = Vec::new();
        for i in 0..4u8 {
            let (b, _) = k.encrypt(&s(), &cmk.key_id, &[i; 8], None).await.unwrap();
            assert_eq!(
                u32::from_be_bytes(b[18..22].try_into().unwrap()),
                i as u32 + 1
            );
            blobs.push(b);
            let r = k.rotate_key(&s(), &cmk.key_id).await.unwrap();
            assert_eq!(r.current_version, i as u32 + 2);
            assert_eq!(r.last_rotate_time, 1_000_000);
        }
        for (i, b) in blobs.iter().enumerate() {
            assert_eq!(
                k.decrypt(&s(), b, None).await.unwrap().0.expose(),
                &[i as u8; 8]
            );
        }
    }

    #[tokio::test]
    async fn automatic_rotation_runs_when_due() {
        let clock = ManualClock::new(1_000_000);
        let k = kms(clock.clone());
        let cmk = key(&k, "a", Origin::Kms).await;
        let on = k.enable_key_rotation(&s(), &cmk.key_id, 7).await.unwrap();
        assert!(on.rotation_enabled);
        assert_eq!(on.next_rotate_time, 1_000_000 + 7 * DAY);
        clock.advance(7 * DAY - 1);
        assert_eq!(k.rotate_due_keys().await.unwrap(), 0);
        clock.advance(1);
        assert_eq!(k.rotate_due_keys().await.unwrap(), 1);
        let after = k.get_key(&s(), &cmk.key_id).await.unwrap();
        assert_eq!(after.current_version, 2);
        assert_eq!(after.next_rotate_time, 1_000_000 + 14 * DAY);
        // A disabled key is not rotated; its schedule moves on.
        k.disable_key(&s(), &cmk.key_id).await.unwrap();
        clock.advance(7 * DAY);
        assert_eq!(k.rotate_due_keys().await.unwrap(), 0);
        let later = k.get_key(&s(), &cmk.key_id).await.unwrap();
        assert_eq!(
            (later.current_version, later.state),
            (2, KeyState::Disabled)
        );
        assert!(later.next_rotate_time > crate::kms::Clock::now(&clock));
        let off = k.disable_key_rotation(&s(), &cmk.key_id).await.unwrap();
        assert!(!off.rotation_enabled);
    }

    #[tokio::test]
    async fn external_keys_do_not_rotate() {
        let k = kms(ManualClock::new(1));
        let ext = key(&k, "x", Origin::External).await;
        assert!(matches!(
            k.enable_key_rotation(&s(), &ext.key_id, 30).await,
            Err(Error::NotForExternal { .. })
        ));
        assert!(matches!(
            k.rotate_key(&s(), &ext.key_id).await,
            Err(Error::NotForExternal { .. })
        ));
    }
}
