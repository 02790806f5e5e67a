//! CMK lifecycle: create, describe, list, state changes, aliases, deletion.

use super::context::RequestContext;
use super::error::{Error, Field, Limit, Resource, Result};
use super::rules::{
    check_alias_charset, check_description, check_id_batch, check_tags, page, parse_key_id,
    require, Page, RANDOM_BYTES,
};
use super::states::Op;
use super::update::read_modify_write;
use super::Kms;
use crate::crypto::asym::PrivateKey;
use crate::crypto::seal;
use crate::crypto::{cmk::CmkCipher, random};
use crate::model::{Cmk, KeySpec, KeyState, KeyUsage, Origin, Tag};
use crate::store::StoreError;
use std::sync::Arc;

/// What a caller may set when creating a CMK.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub alias: String,
    pub description: String,
    pub usage: KeyUsage,
    pub origin: Origin,
    /// None: the server's default cipher. Only for `ENCRYPT_DECRYPT` keys: an
    /// asymmetric key's spec follows from its usage.
    pub cipher: Option<CmkCipher>,
    pub tags: Vec<Tag>,
}

/// Filters of a detailed listing (Tencent's ListKeyDetail; other dialects use a subset).
#[derive(Debug, Clone, Default)]
pub struct KeyFilter {
    pub state: Option<KeyState>,
    /// Substring of the key id or alias.
    pub search: Option<String>,
    pub origin: Option<Origin>,
    /// None: every usage.
    pub usage: Option<KeyUsage>,
    /// Each (key, values) must match: the key present with one of the values (any value
    /// when `values` is empty).
    pub tags: Vec<(String, Vec<String>)>,
    pub newest_first: bool,
}

impl Kms {
    pub async fn create_key(&self, ctx: &RequestContext, new: NewKey) -> Result<Cmk> {
        check_alias_charset(&new.alias)?;
        check_description(&new.description)?;
        check_tags(&new.tags)?;
        let spec = key_spec(&new, self.default_cipher)?;
        let key_id = uuid::Uuid::new_v4().hyphenated().to_string();
        let (state, version) = match new.origin {
            Origin::Kms => (KeyState::Enabled, 1),
            Origin::External => (KeyState::PendingImport, 0),
        };
        let cmk = Cmk {
            key_id: key_id.clone(),
            scope: ctx.scope.clone(),
            alias: new.alias,
            description: new.description,
            usage: new.usage,
            spec,
            origin: new.origin,
            state,
            created_at: self.now(),
            deletion_date: 0,
            rotation_enabled: false,
            rotate_days: 0,
            next_rotate_time: 0,
            last_rotate_time: 0,
            current_version: version,
            tags: new.tags,
            valid_to: 0,
            import_fingerprint: None,
            revision: 0,
        };
        // The material: a symmetric key, or an asymmetric private key as PKCS#8 DER,
        // sealed and stored the same way (version 1 of the key's material).
        let material = match (version > 0, spec) {
            (false, _) => None,
            (true, KeySpec::Symmetric(cipher)) => Some(random::secret(cipher.key_len())),
            (true, KeySpec::Asymmetric(a)) => Some(
                // An RSA key takes tens to hundreds of milliseconds.
                self.blocking_work(move || PrivateKey::generate(a).to_der())
                    .await?,
            ),
        };
        let sealed = material.map(|m| {
            self.sealer
                .seal(&seal::cmk_identity(&key_id, version), m.expose())
        });
        match self
            .store
            .create_cmk(&cmk, sealed.as_deref(), self.limits.cmks_per_scope)
            .await
        {
            Ok(()) => {
                ctx.touch_key(&cmk.key_id);
                Ok(cmk)
            }
            Err(StoreError::AliasExists) => Err(Error::Duplicate {
                field: Field::Alias,
                value: cmk.alias,
            }),
            Err(StoreError::LimitReached(n)) => Err(Error::LimitExceeded {
                what: Limit::CmksPerScope,
                limit: n as u64,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The key, if it exists in the caller's scope. Anything else is `NotFound`.
    pub async fn get_key(&self, ctx: &RequestContext, key_id: &str) -> Result<Cmk> {
        Ok((*self.get_key_shared(ctx, key_id).await?).clone())
    }

    /// [`Kms::get_key`] without copying the record out of the cache, for the paths
    /// every request takes (Encrypt, Decrypt, GenerateDataKey).
    pub async fn get_key_shared(&self, ctx: &RequestContext, key_id: &str) -> Result<Arc<Cmk>> {
        let id = parse_key_id(key_id)?;
        ctx.touch_key(&id);
        let generation = self.store.generation().await;
        let cached = generation.and_then(|g| self.keys.get(g, &id));
        let found = match cached {
            Some(hit) => hit,
            None => {
                let read = self.store.get_cmk(&id).await?.map(Arc::new);
                if let Some(g) = generation {
                    self.keys.insert(g, &id, read.clone());
                }
                read
            }
        };
        match found {
            Some(k) if k.scope == ctx.scope => Ok(super::import::as_of(k, self.now())),
            _ => Err(Error::NotFound {
                what: Resource::Cmk,
                id,
            }),
        }
    }

    pub async fn describe_keys(&self, ctx: &RequestContext, ids: &[String]) -> Result<Vec<Cmk>> {
        let ids = check_batch(ids)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            out.push(self.get_key(ctx, id).await?);
        }
        Ok(out)
    }

    pub async fn list_keys(
        &self,
        ctx: &RequestContext,
        offset: u64,
        limit: u64,
    ) -> Result<Page<Cmk>> {
        let all = self.store.list_cmks(&ctx.scope).await?;
        Ok(page(self.as_of_now(all), offset, limit))
    }

    pub async fn list_keys_filtered(
        &self,
        ctx: &RequestContext,
        filter: &KeyFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Page<Cmk>> {
        let mut all: Vec<Cmk> = self
            .as_of_now(self.store.list_cmks(&ctx.scope).await?)
            .into_iter()
            .filter(|k| filter.state.map_or(true, |s| k.state == s))
            .filter(|k| filter.origin.map_or(true, |o| k.origin == o))
            .filter(|k| filter.usage.map_or(true, |u| k.usage == u))
            .filter(|k| {
                filter.search.as_ref().map_or(true, |s| {
                    k.key_id.contains(s.as_str()) || k.alias.contains(s.as_str())
                })
            })
            .filter(|k| {
                filter.tags.iter().all(|(key, values)| {
                    k.tags
                        .iter()
                        .any(|t| &t.key == key && (values.is_empty() || values.contains(&t.value)))
                })
            })
            .collect();
        if filter.newest_first {
            all.reverse();
        }
        Ok(page(all, offset, limit))
    }

    /// Keys as requests see them now (imported material past its expiry is gone).
    fn as_of_now(&self, keys: Vec<Cmk>) -> Vec<Cmk> {
        let now = self.now();
        keys.into_iter()
            .map(|k| Arc::unwrap_or_clone(super::import::as_of(Arc::new(k), now)))
            .collect()
    }

    /// Reads the key, lets `change` edit it, and writes it back under the store's
    /// revision check, retrying from a fresh read if another writer got in between.
    pub(crate) async fn modify<F>(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        change: F,
    ) -> Result<Cmk>
    where
        F: Fn(&mut Cmk) -> Result<()>,
    {
        let store = &self.store;
        read_modify_write(
            (Resource::Cmk, key_id),
            || self.get_key(ctx, key_id),
            change,
            |key| async move { store.update_cmk(&key).await },
            |e, key| match e {
                StoreError::NotFound => Error::NotFound {
                    what: Resource::Cmk,
                    id: key.key_id,
                },
                StoreError::AliasExists => Error::Duplicate {
                    field: Field::Alias,
                    value: key.alias,
                },
                e => e.into(),
            },
        )
        .await
    }

    /// Moves a key from one state to another after the state table allows `op`.
    async fn transition(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        op: Op,
        apply: impl Fn(&mut Cmk, i64),
    ) -> Result<Cmk> {
        let now = self.now();
        self.modify(ctx, key_id, |k| {
            require(k, op)?;
            apply(k, now);
            Ok(())
        })
        .await
    }

    pub async fn enable_key(&self, ctx: &RequestContext, key_id: &str) -> Result<Cmk> {
        self.transition(ctx, key_id, Op::Enable, |k, _| k.state = KeyState::Enabled)
            .await
    }

    pub async fn disable_key(&self, ctx: &RequestContext, key_id: &str) -> Result<Cmk> {
        self.transition(ctx, key_id, Op::Disable, |k, _| {
            k.state = KeyState::Disabled
        })
        .await
    }

    /// Enables (or disables) every key or none: all are checked before any changes.
    pub async fn set_keys_enabled(
        &self,
        ctx: &RequestContext,
        ids: &[String],
        enable: bool,
    ) -> Result<()> {
        let ids = check_batch(ids)?;
        let op = if enable { Op::Enable } else { Op::Disable };
        for id in &ids {
            require(&self.get_key(ctx, id).await?, op)?;
        }
        for id in &ids {
            if enable {
                self.enable_key(ctx, id).await?;
            } else {
                self.disable_key(ctx, id).await?;
            }
        }
        Ok(())
    }

    /// Schedules destruction `days` days from now. The dialect checks its own window;
    /// the core only refuses what no dialect allows.
    pub async fn schedule_key_deletion(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        days: u32,
    ) -> Result<Cmk> {
        if !(1..=1096).contains(&days) {
            return Err(Error::invalid(
                Field::PendingWindowInDays,
                "must be between 1 and 1096 days",
            ));
        }
        self.transition(ctx, key_id, Op::ScheduleDeletion, |k, now| {
            k.state = KeyState::PendingDelete;
            k.deletion_date = now + days as i64 * 86_400;
        })
        .await
    }

    /// A key taken out of deletion comes back Disabled, or PendingImport if it never got
    /// material, so cancelling a deletion never silently puts a key back into use.
    pub async fn cancel_key_deletion(&self, ctx: &RequestContext, key_id: &str) -> Result<Cmk> {
        self.transition(ctx, key_id, Op::CancelDeletion, |k, _| {
            k.state = if k.current_version == 0 {
                KeyState::PendingImport
            } else {
                KeyState::Disabled
            };
            k.deletion_date = 0;
        })
        .await
    }

    pub async fn archive_key(&self, ctx: &RequestContext, key_id: &str) -> Result<Cmk> {
        self.transition(ctx, key_id, Op::Archive, |k, _| {
            k.state = KeyState::Archived
        })
        .await
    }

    pub async fn cancel_key_archive(&self, ctx: &RequestContext, key_id: &str) -> Result<Cmk> {
        self.transition(ctx, key_id, Op::CancelArchive, |k, _| {
            k.state = KeyState::Enabled
        })
        .await
    }

    pub async fn update_alias(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        alias: &str,
    ) -> Result<Cmk> {
        check_alias_charset(alias)?;
        self.modify(ctx, key_id, |k| {
            k.alias = alias.to_string();
            Ok(())
        })
        .await
    }

    pub async fn update_description(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        d: &str,
    ) -> Result<Cmk> {
        check_description(d)?;
        self.modify(ctx, key_id, |k| {
            k.description = d.to_string();
            Ok(())
        })
        .await
    }

    pub async fn count_keys(&self, ctx: &RequestContext) -> Result<u64> {
        Ok(self.store.count_cmks(&ctx.scope).await?)
    }

    /// Destroys every key whose deletion date has passed, material and all. Returns how
    /// many were destroyed. Run periodically by the server's background task.
    pub async fn destroy_due_keys(&self) -> Result<usize> {
        let due = self.store.cmks_due_for_deletion(self.now()).await?;
        for k in &due {
            self.store.destroy_cmk(&k.key_id).await?;
            self.forget_material(&k.key_id);
            tracing::info!(key_id = %k.key_id, "destroyed key past its deletion date");
        }
        Ok(due.len())
    }
}

impl Kms {
    /// Random bytes for GenerateRandom. The context is unused by the draw itself; it is
    /// taken like every core operation's, so that the request is attributed the same way.
    pub fn generate_random(&self, _ctx: &RequestContext, n: u64) -> Result<Vec<u8>> {
        if !RANDOM_BYTES.contains(&(n.min(usize::MAX as u64) as usize)) {
            return Err(Error::invalid(
                Field::NumberOfBytes,
                format!(
                    "must be between {} and {}, got {n}",
                    RANDOM_BYTES.start(),
                    RANDOM_BYTES.end()
                ),
            ));
        }
        Ok(random::bytes(n as usize))
    }
}

/// The spec of a new key: its usage decides. `ENCRYPT_DECRYPT` keys use the cipher
/// asked for or the server's default; each asymmetric usage has one key type.
fn key_spec(new: &NewKey, default_cipher: CmkCipher) -> Result<KeySpec> {
    if new.usage == KeyUsage::EncryptDecrypt {
        return Ok(KeySpec::Symmetric(new.cipher.unwrap_or(default_cipher)));
    }
    let Some(spec) = new.usage.asymmetric_spec() else {
        return Err(Error::Unsupported(format!(
            "KeyUsage {} is not supported by this server; the asymmetric usages it creates are \
             ASYMMETRIC_SIGN_VERIFY_SM2, ASYMMETRIC_DECRYPT_SM2, ASYMMETRIC_SIGN_VERIFY_RSA_2048, \
             ASYMMETRIC_DECRYPT_RSA_2048 and ASYMMETRIC_SIGN_VERIFY_ECC",
            new.usage.as_str()
        )));
    };
    if let Some(c) = new.cipher {
        return Err(Error::invalid(
            Field::Other("KeySpec"),
            format!(
                "{} is a symmetric cipher, but KeyUsage {} makes an {} key; omit KeySpec",
                c.name(),
                new.usage.as_str(),
                spec.name()
            ),
        ));
    }
    if new.origin == Origin::External {
        return Err(Error::Unsupported(format!(
            "importing key material (an EXTERNAL key) is supported for ENCRYPT_DECRYPT keys only, \
             not for KeyUsage {}; create the key with KMS-generated material instead",
            new.usage.as_str()
        )));
    }
    Ok(KeySpec::Asymmetric(spec))
}

fn check_batch(ids: &[String]) -> Result<Vec<String>> {
    check_id_batch(ids, Field::KeyIds, parse_key_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::seal::Sealer;
    use crate::crypto::secret::SecretBytes;
    use crate::kms::{Limits, ManualClock};
    use crate::model::Scope;
    use crate::store::{sqlite::SqliteStore, Store};
    use std::sync::Arc;

    fn kms_with(clock: ManualClock, limit: u32) -> (Kms, Arc<dyn Store>) {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let sealer = Arc::new(Sealer::new(&SecretBytes::new(vec![5; 32])).unwrap());
        let kms = Kms::new(
            store.clone(),
            sealer,
            Arc::new(clock),
            Limits {
                cmks_per_scope: limit,
                ..Limits::default()
            },
            CmkCipher::Sm4Gcm,
        );
        (kms, store)
    }

    fn scope(account: u64) -> RequestContext {
        RequestContext::for_scope(Scope {
            account,
            region: "ap-guangzhou".into(),
        })
    }

    fn new_key(alias: &str) -> NewKey {
        NewKey {
            alias: alias.into(),
            description: String::new(),
            usage: KeyUsage::EncryptDecrypt,
            origin: Origin::Kms,
            cipher: None,
            tags: vec![],
        }
    }

    #[tokio::test]
    async fn material_is_sealed_under_the_key_identity() {
        let (kms, store) = kms_with(ManualClock::new(1_000), 10);
        let k = kms.create_key(&scope(1), new_key("a")).await.unwrap();
        let sealed = store.get_material(&k.key_id, 1).await.unwrap().unwrap();
        let material = kms
            .sealer
            .open(&seal::cmk_identity(&k.key_id, 1), &sealed)
            .unwrap();
        assert_eq!(material.len(), 16, "SM4 material is 128 bits");
        assert!(!sealed.windows(16).any(|w| w == material.expose()));
        let mut aes = new_key("b");
        aes.cipher = Some(CmkCipher::Aes256Gcm);
        let k = kms.create_key(&scope(1), aes).await.unwrap();
        let sealed = store.get_material(&k.key_id, 1).await.unwrap().unwrap();
        let m = kms
            .sealer
            .open(&seal::cmk_identity(&k.key_id, 1), &sealed)
            .unwrap();
        assert_eq!(m.len(), 32);
    }

    #[tokio::test]
    async fn other_accounts_and_regions_see_nothing() {
        let (kms, _) = kms_with(ManualClock::new(1_000), 10);
        let k = kms.create_key(&scope(1), new_key("a")).await.unwrap();
        let foreign = kms.get_key(&scope(2), &k.key_id).await.unwrap_err();
        let missing = kms
            .get_key(&scope(1), "00000000-0000-4000-8000-000000000000")
            .await
            .unwrap_err();
        assert!(matches!(foreign, Error::NotFound { .. }));
        assert!(matches!(missing, Error::NotFound { .. }));
        let mut elsewhere = scope(1);
        elsewhere.scope.region = "ap-beijing".into();
        assert!(kms.get_key(&elsewhere, &k.key_id).await.is_err());
        assert!(kms.disable_key(&scope(2), &k.key_id).await.is_err());
        assert_eq!(
            kms.get_key(&scope(1), &k.key_id).await.unwrap().state,
            KeyState::Enabled
        );
    }

    #[tokio::test]
    async fn deletion_lifecycle_and_destruction() {
        let clock = ManualClock::new(1_000_000);
        let (kms, store) = kms_with(clock.clone(), 10);
        let s = scope(1);
        let k = kms.create_key(&s, new_key("a")).await.unwrap();
        let e = kms
            .schedule_key_deletion(&s, &k.key_id, 7)
            .await
            .unwrap_err();
        assert!(matches!(
            e,
            Error::WrongState {
                state: KeyState::Enabled,
                op: Op::ScheduleDeletion,
                ..
            }
        ));
        kms.disable_key(&s, &k.key_id).await.unwrap();
        let pending = kms.schedule_key_deletion(&s, &k.key_id, 7).await.unwrap();
        assert_eq!(pending.deletion_date, 1_000_000 + 7 * 86_400);
        let back = kms.cancel_key_deletion(&s, &k.key_id).await.unwrap();
        assert_eq!(back.state, KeyState::Disabled);
        assert_eq!(back.deletion_date, 0);
        kms.schedule_key_deletion(&s, &k.key_id, 7).await.unwrap();
        clock.advance(7 * 86_400 - 1);
        assert_eq!(kms.destroy_due_keys().await.unwrap(), 0);
        clock.advance(1);
        assert_eq!(kms.destroy_due_keys().await.unwrap(), 1);
        assert!(matches!(
            kms.get_key(&s, &k.key_id).await,
            Err(Error::NotFound { .. })
        ));
        assert!(store.get_material(&k.key_id, 1).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn external_keys_wait_for_material() {
        let (kms, _) = kms_with(ManualClock::new(1_000), 10);
        let s = scope(1);
        let mut nk = new_key("ext");
        nk.origin = Origin::External;
        let k = kms.create_key(&s, nk).await.unwrap();
        assert_eq!(k.state, KeyState::PendingImport);
        assert_eq!(k.current_version, 0);
        assert!(kms.enable_key(&s, &k.key_id).await.is_err());
        kms.schedule_key_deletion(&s, &k.key_id, 7).await.unwrap();
        let back = kms.cancel_key_deletion(&s, &k.key_id).await.unwrap();
        assert_eq!(back.state, KeyState::PendingImport);
    }

    #[tokio::test]
    async fn batches_are_all_or_nothing() {
        let (kms, _) = kms_with(ManualClock::new(1_000), 10);
        let s = scope(1);
        let a = kms.create_key(&s, new_key("a")).await.unwrap();
        let b = kms.create_key(&s, new_key("b")).await.unwrap();
        kms.archive_key(&s, &b.key_id).await.unwrap();
        let ids = vec![a.key_id.clone(), b.key_id.clone()];
        assert!(kms.set_keys_enabled(&s, &ids, false).await.is_err());
        assert_eq!(
            kms.get_key(&s, &a.key_id).await.unwrap().state,
            KeyState::Enabled
        );
        let dup = vec![a.key_id.clone(), a.key_id.to_uppercase()];
        assert!(matches!(
            kms.set_keys_enabled(&s, &dup, false).await,
            Err(Error::Duplicate {
                field: Field::KeyIds,
                ..
            })
        ));
        let many: Vec<String> = (0..101).map(|_| uuid::Uuid::new_v4().to_string()).collect();
        assert!(matches!(
            kms.describe_keys(&s, &many).await,
            Err(Error::Invalid {
                field: Field::KeyIds,
                ..
            })
        ));
    }

    #[tokio::test]
    async fn aliases_limits_and_filters() {
        let (kms, _) = kms_with(ManualClock::new(1_000), 3);
        let s = scope(1);
        let a = kms.create_key(&s, new_key("a")).await.unwrap();
        assert!(matches!(
            kms.create_key(&s, new_key("a")).await,
            Err(Error::Duplicate {
                field: Field::Alias,
                ..
            })
        ));
        let b = kms.create_key(&s, new_key("b")).await.unwrap();
        assert!(matches!(
            kms.update_alias(&s, &b.key_id, "a").await,
            Err(Error::Duplicate {
                field: Field::Alias,
                ..
            })
        ));
        kms.update_alias(&s, &b.key_id, "zulu").await.unwrap();
        let mut tagged = new_key("c");
        tagged.tags = vec![Tag {
            key: "env".into(),
            value: "prod".into(),
        }];
        let c = kms.create_key(&s, tagged).await.unwrap();
        assert!(matches!(
            kms.create_key(&s, new_key("d")).await,
            Err(Error::LimitExceeded { limit: 3, .. })
        ));
        let f = KeyFilter {
            tags: vec![("env".into(), vec!["prod".into()])],
            ..Default::default()
        };
        let p = kms.list_keys_filtered(&s, &f, 0, 10).await.unwrap();
        assert_eq!(p.total, 1);
        assert_eq!(p.items[0].key_id, c.key_id);
        let f = KeyFilter {
            search: Some("zulu".into()),
            ..Default::default()
        };
        assert_eq!(
            kms.list_keys_filtered(&s, &f, 0, 10).await.unwrap().items[0].key_id,
            b.key_id
        );
        let f = KeyFilter {
            newest_first: true,
            ..Default::default()
        };
        let p = kms.list_keys_filtered(&s, &f, 1, 1).await.unwrap();
        assert_eq!((p.total, p.items.len()), (3, 1));
        assert_eq!(p.items[0].key_id, b.key_id);
        let p = kms.list_keys(&s, 0, 2).await.unwrap();
        assert_eq!(p.items[0].key_id, a.key_id);
    }

    #[test]
    fn key_ids_must_be_uuids() {
        assert!(parse_key_id("not-a-key").is_err());
        assert!(parse_key_id("").is_err());
        assert!(
            parse_key_id("1b7c6a3e2f0d4c5b9a8e0d1f2e3c4b5a").is_err(),
            "simple form refused"
        );
        assert_eq!(
            parse_key_id("1B7C6A3E-2F0D-4C5B-9A8E-0D1F2E3C4B5A").unwrap(),
            "1b7c6a3e-2f0d-4c5b-9a8e-0d1f2e3c4b5a"
        );
    }

    #[tokio::test]
    async fn random_lengths() {
        let (kms, _) = kms_with(ManualClock::new(0), 10);
        let ctx = scope(1);
        assert!(kms.generate_random(&ctx, 0).is_err());
        assert!(kms.generate_random(&ctx, 1025).is_err());
        assert_eq!(kms.generate_random(&ctx, 1024).unwrap().len(), 1024);
    }
}
