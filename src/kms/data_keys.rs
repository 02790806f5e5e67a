//! Hosted data keys: data keys the server keeps for the caller, by name.
//!
//! A hosted key is stored only as its CiphertextBlob under a CMK (with the canonical
//! EncryptionContext it was sealed with), so reading its plaintext is a decryption
//! under the CMK, gated by the CMK's state as well as the data key's own.

use super::context::RequestContext;
use super::error::{Error, Field, Internal, Limit, Resource, Result};
use super::rules::{
    canonical_context, check_data_key_len, check_id_batch, check_tags, page, parse_data_key_id,
    parse_key_id, require, Page, DATA_KEY_BYTES,
};
use super::states::{data_key_allowed, DataKeyOp, Op};
use super::update::read_modify_write;
use super::Kms;
use crate::crypto::secret::SecretBytes;
use crate::model::{DataKey, DataKeyState, Origin, Tag};
use crate::store::StoreError;

/// Longest data key description, in bytes, as the Tencent API documents.
pub const MAX_DATA_KEY_DESCRIPTION: usize = 100;

fn require_dk(k: &DataKey, op: DataKeyOp) -> Result<()> {
    if data_key_allowed(op, k.state) {
        Ok(())
    } else {
        Err(Error::DataKeyWrongState {
            data_key_id: k.data_key_id.clone(),
            state: k.state,
            op,
        })
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            Field::DataKeyName,
            "must be 1 to 255 characters without control characters",
        ));
    }
    Ok(())
}

fn check_dk_description(d: &str) -> Result<()> {
    super::rules::nul_free(Field::Description, d)?;
    if d.len() > MAX_DATA_KEY_DESCRIPTION {
        return Err(Error::invalid(
            Field::Description,
            format!(
                "is {} bytes; at most {MAX_DATA_KEY_DESCRIPTION} are allowed",
                d.len()
            ),
        ));
    }
    Ok(())
}

/// The metadata of a new hosted data key.
#[derive(Debug, Clone)]
pub struct NewDataKey {
    pub name: String,
    pub description: String,
    pub tags: Vec<Tag>,
}

impl NewDataKey {
    fn check(&self) -> Result<()> {
        check_name(&self.name)?;
        check_dk_description(&self.description)?;
        check_tags(&self.tags)
    }
}

/// A data key already sealed under its CMK, ready to be recorded.
struct Sealed {
    key_id: String,
    length: usize,
    origin: Origin,
    blob: Vec<u8>,
    context: Vec<u8>,
}

/// Key material for ImportDataKey.
pub enum Import {
    /// A CiphertextBlob made by GenerateDataKey (without an EncryptionContext); if a
    /// key id is given it must be the blob's.
    Ciphertext {
        blob: Vec<u8>,
        key_id: Option<String>,
    },
    /// Plaintext material, to be sealed under `key_id`.
    Plaintext {
        material: SecretBytes,
        key_id: String,
    },
}

/// Filters of ListDataKeyDetail.
#[derive(Debug, Clone, Default)]
pub struct DataKeyFilter {
    pub state: Option<DataKeyState>,
    /// Substring of the data key id or name.
    pub search: Option<String>,
    pub origin: Option<Origin>,
    pub key_id: Option<String>,
    pub length: Option<u32>,
    pub tags: Vec<(String, Vec<String>)>,
    pub newest_first: bool,
}

impl Kms {
    /// Creates the record of a hosted key whose blob is already made.
    async fn store_data_key(
        &self,
        ctx: &RequestContext,
        new: NewDataKey,
        sealed: Sealed,
    ) -> Result<DataKey> {
        let dk = DataKey {
            data_key_id: uuid::Uuid::new_v4().hyphenated().to_string(),
            scope: ctx.scope.clone(),
            key_id: sealed.key_id,
            name: new.name,
            description: new.description,
            length: sealed.length as u32,
            state: DataKeyState::Enabled,
            origin: sealed.origin,
            created_at: self.now(),
            deletion_date: 0,
            tags: new.tags,
            blob: sealed.blob,
            context: sealed.context,
            revision: 0,
        };
        match self
            .store
            .create_data_key(&dk, self.limits.data_keys_per_account)
            .await
        {
            Ok(()) => {
                ctx.touch_data_key(&dk.data_key_id);
                Ok(dk)
            }
            Err(StoreError::DataKeyNameExists) => Err(Error::Duplicate {
                field: Field::DataKeyName,
                value: dk.name,
            }),
            Err(StoreError::LimitReached(n)) => Err(Error::LimitExceeded {
                what: Limit::DataKeysPerAccount,
                limit: n as u64,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// GenerateDataKey with IsHostedByKms: a fresh data key, returned and kept.
    pub async fn generate_hosted_data_key(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        n: usize,
        context: Option<&str>,
        new: NewDataKey,
    ) -> Result<(SecretBytes, Vec<u8>, DataKey)> {
        new.check()?;
        check_data_key_len(n)?;
        let aad = canonical_context(context)?;
        let (plaintext, blob, cmk) = self.generate_data_key(ctx, key_id, n, context).await?;
        let dk = self
            .store_data_key(
                ctx,
                new,
                Sealed {
                    key_id: cmk.key_id.clone(),
                    length: n,
                    origin: Origin::Kms,
                    blob: blob.clone(),
                    context: aad,
                },
            )
            .await?;
        Ok((plaintext, blob, dk))
    }

    pub async fn import_data_key(
        &self,
        ctx: &RequestContext,
        import: Import,
        new: NewDataKey,
    ) -> Result<DataKey> {
        new.check()?;
        match import {
            Import::Ciphertext { blob, key_id } => {
                let (plaintext, cmk) = self.decrypt(ctx, &blob, None).await?;
                if let Some(id) = key_id.filter(|k| !k.is_empty()) {
                    if parse_key_id(&id)? != cmk.key_id {
                        return Err(Error::invalid(
                            Field::KeyId,
                            format!("is {id}, but the ciphertext was made under {}", cmk.key_id),
                        ));
                    }
                }
                require(&cmk, Op::Encrypt)?;
                self.store_data_key(
                    ctx,
                    new,
                    Sealed {
                        key_id: cmk.key_id.clone(),
                        length: plaintext.len(),
                        origin: Origin::External,
                        blob,
                        context: Vec::new(),
                    },
                )
                .await
            }
            Import::Plaintext { material, key_id } => {
                if check_data_key_len(material.len()).is_err() {
                    return Err(Error::invalid(
                        Field::ImportKeyMaterial,
                        format!(
                            "must be {} to {} bytes after base64 decoding, got {}",
                            DATA_KEY_BYTES.start(),
                            DATA_KEY_BYTES.end(),
                            material.len()
                        ),
                    ));
                }
                let (blob, cmk) = self.encrypt(ctx, &key_id, material.expose(), None).await?;
                self.store_data_key(
                    ctx,
                    new,
                    Sealed {
                        key_id: cmk.key_id.clone(),
                        length: material.len(),
                        origin: Origin::External,
                        blob,
                        context: Vec::new(),
                    },
                )
                .await
            }
        }
    }

    pub async fn get_data_key(&self, ctx: &RequestContext, id: &str) -> Result<DataKey> {
        let id = parse_data_key_id(id)?;
        ctx.touch_data_key(&id);
        match self.store.get_data_key(&id).await? {
            Some(k) if k.scope == ctx.scope => Ok(k),
            _ => Err(Error::NotFound {
                what: Resource::DataKey,
                id,
            }),
        }
    }

    pub async fn describe_data_keys(
        &self,
        ctx: &RequestContext,
        ids: &[String],
    ) -> Result<Vec<DataKey>> {
        let ids = check_id_batch(ids, Field::DataKeyIds, parse_data_key_id)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            out.push(self.get_data_key(ctx, id).await?);
        }
        Ok(out)
    }

    pub async fn list_data_keys(
        &self,
        ctx: &RequestContext,
        filter: &DataKeyFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Page<DataKey>> {
        let key_id = match &filter.key_id {
            Some(k) => Some(parse_key_id(k)?),
            None => None,
        };
        let mut all: Vec<DataKey> = self
            .store
            .list_data_keys(&ctx.scope)
            .await?
            .into_iter()
            .filter(|k| filter.state.map_or(true, |s| k.state == s))
            .filter(|k| filter.origin.map_or(true, |o| k.origin == o))
            .filter(|k| key_id.as_ref().map_or(true, |id| &k.key_id == id))
            .filter(|k| filter.length.map_or(true, |n| k.length == n))
            .filter(|k| {
                filter.search.as_ref().map_or(true, |s| {
                    k.data_key_id.contains(s.as_str()) || k.name.contains(s.as_str())
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

    /// The data key in the clear: the data key must be Enabled and its CMK must allow
    /// decryption.
    pub async fn data_key_plaintext(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<(SecretBytes, DataKey)> {
        let dk = self.get_data_key(ctx, id).await?;
        require_dk(&dk, DataKeyOp::Plaintext)?;
        let plaintext = self.open_data_key(ctx, &dk).await?;
        Ok((plaintext, dk))
    }

    async fn open_data_key(&self, ctx: &RequestContext, dk: &DataKey) -> Result<SecretBytes> {
        let context = (!dk.context.is_empty())
            .then(|| String::from_utf8(dk.context.clone()))
            .transpose()
            .map_err(|_| Internal::CorruptRecord {
                id: dk.data_key_id.clone(),
                what: "the EncryptionContext is not UTF-8",
            })?;
        let (plaintext, _) = self.decrypt(ctx, &dk.blob, context.as_deref()).await?;
        Ok(plaintext)
    }

    /// The data key's CiphertextBlob: only while the data key is Enabled, as for its
    /// plaintext (see `states::data_key_allowed`).
    pub async fn data_key_ciphertext(&self, ctx: &RequestContext, id: &str) -> Result<DataKey> {
        let dk = self.get_data_key(ctx, id).await?;
        require_dk(&dk, DataKeyOp::Ciphertext)?;
        Ok(dk)
    }

    async fn modify_data_key<F>(&self, ctx: &RequestContext, id: &str, change: F) -> Result<DataKey>
    where
        F: Fn(&mut DataKey) -> Result<()>,
    {
        let store = &self.store;
        read_modify_write(
            (Resource::DataKey, id),
            || self.get_data_key(ctx, id),
            change,
            |dk| async move { store.update_data_key(&dk).await },
            |e, dk| match e {
                StoreError::NotFound => Error::NotFound {
                    what: Resource::DataKey,
                    id: dk.data_key_id,
                },
                StoreError::DataKeyNameExists => Error::Duplicate {
                    field: Field::DataKeyName,
                    value: dk.name,
                },
                e => e.into(),
            },
        )
        .await
    }

    async fn data_key_transition(
        &self,
        ctx: &RequestContext,
        id: &str,
        op: DataKeyOp,
        apply: impl Fn(&mut DataKey, i64),
    ) -> Result<DataKey> {
        let now = self.now();
        self.modify_data_key(ctx, id, |k| {
            require_dk(k, op)?;
            apply(k, now);
            Ok(())
        })
        .await
    }

    pub async fn set_data_key_enabled(
        &self,
        ctx: &RequestContext,
        id: &str,
        enable: bool,
    ) -> Result<DataKey> {
        let (op, state) = if enable {
            (DataKeyOp::Enable, DataKeyState::Enabled)
        } else {
            (DataKeyOp::Disable, DataKeyState::Disabled)
        };
        self.data_key_transition(ctx, id, op, |k, _| k.state = state)
            .await
    }

    /// All or nothing: every key is checked before any changes.
    pub async fn set_data_keys_enabled(
        &self,
        ctx: &RequestContext,
        ids: &[String],
        enable: bool,
    ) -> Result<()> {
        let ids = check_id_batch(ids, Field::DataKeyIds, parse_data_key_id)?;
        let op = if enable {
            DataKeyOp::Enable
        } else {
            DataKeyOp::Disable
        };
        for id in &ids {
            require_dk(&self.get_data_key(ctx, id).await?, op)?;
        }
        for id in &ids {
            self.set_data_key_enabled(ctx, id, enable).await?;
        }
        Ok(())
    }

    pub async fn schedule_data_key_deletion(
        &self,
        ctx: &RequestContext,
        id: &str,
        days: u32,
    ) -> Result<DataKey> {
        if !(1..=1096).contains(&days) {
            return Err(Error::invalid(
                Field::PendingWindowInDays,
                "must be between 1 and 1096 days",
            ));
        }
        self.data_key_transition(ctx, id, DataKeyOp::ScheduleDeletion, |k, now| {
            k.state = DataKeyState::PendingDelete;
            k.deletion_date = now + days as i64 * 86_400;
        })
        .await
    }

    pub async fn cancel_data_key_deletion(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<DataKey> {
        self.data_key_transition(ctx, id, DataKeyOp::CancelDeletion, |k, _| {
            k.state = DataKeyState::Disabled;
            k.deletion_date = 0;
        })
        .await
    }

    pub async fn update_data_key_name(
        &self,
        ctx: &RequestContext,
        id: &str,
        name: &str,
    ) -> Result<DataKey> {
        check_name(name)?;
        self.modify_data_key(ctx, id, |k| {
            k.name = name.to_string();
            Ok(())
        })
        .await
    }

    pub async fn update_data_key_description(
        &self,
        ctx: &RequestContext,
        id: &str,
        d: &str,
    ) -> Result<DataKey> {
        check_dk_description(d)?;
        self.modify_data_key(ctx, id, |k| {
            k.description = d.to_string();
            Ok(())
        })
        .await
    }

    pub async fn count_data_keys(&self, ctx: &RequestContext) -> Result<u64> {
        Ok(self.store.count_data_keys(ctx.scope.account).await?)
    }

    /// Destroys hosted data keys whose deletion date has passed.
    pub async fn destroy_due_data_keys(&self) -> Result<usize> {
        let due = self.store.data_keys_due_for_deletion(self.now()).await?;
        for k in &due {
            self.store.destroy_data_key(&k.data_key_id).await?;
            tracing::info!(data_key_id = %k.data_key_id, "destroyed data key past its deletion date");
        }
        Ok(due.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::cmk::CmkCipher;
    use crate::crypto::seal::Sealer;
    use crate::kms::keys::NewKey;
    use crate::kms::{Limits, ManualClock};
    use crate::model::KeyUsage;
    use crate::model::Scope;
    use crate::store::{sqlite::SqliteStore, Store};
    use std::sync::Arc;

    fn kms(clock: ManualClock, limit: u32) -> Kms {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let sealer = Arc::new(Sealer::new(&SecretBytes::new(vec![5; 32])).unwrap());
        let limits = Limits {
            data_keys_per_account: limit,
            ..Limits::default()
        };
        Kms::new(store, sealer, Arc::new(clock), limits, CmkCipher::Sm4Gcm)
    }

    fn s() -> RequestContext {
        RequestContext::for_scope(Scope {
            account: 1,
            region: "ap-guangzhou".into(),
        })
    }

    fn named(name: &str) -> NewDataKey {
        NewDataKey {
            name: name.into(),
            description: "d".into(),
            tags: vec![],
        }
    }

    async fn cmk(k: &Kms) -> String {
        k.create_key(
            &s(),
            NewKey {
                alias: format!("a{}", uuid::Uuid::new_v4().simple()),
                description: String::new(),
                usage: KeyUsage::EncryptDecrypt,
                origin: Origin::Kms,
                cipher: None,
                tags: vec![],
            },
        )
        .await
        .unwrap()
        .key_id
    }

    #[test]
    fn the_whole_data_key_table() {
        // Columns: Enabled, Disabled, PendingDelete.
        let grid = [
            (DataKeyOp::Enable, [true, true, false]),
            (DataKeyOp::Disable, [true, true, false]),
            (DataKeyOp::ScheduleDeletion, [false, true, false]),
            (DataKeyOp::CancelDeletion, [false, false, true]),
            (DataKeyOp::Plaintext, [true, false, false]),
            (DataKeyOp::Ciphertext, [true, false, false]),
            (DataKeyOp::Metadata, [true, true, true]),
        ];
        assert_eq!(grid.len(), DataKeyOp::ALL.len());
        for (op, row) in grid {
            for (state, want) in DataKeyState::ALL.into_iter().zip(row) {
                assert_eq!(data_key_allowed(op, state), want, "{op:?} on {state:?}");
            }
        }
    }

    #[tokio::test]
    async fn hosted_lifecycle() {
        let clock = ManualClock::new(1_000_000);
        let k = kms(clock.clone(), 10);
        let key_id = cmk(&k).await;
        let (pt, blob, dk) = k
            .generate_hosted_data_key(&s(), &key_id, 32, Some(r#"{"app":"x"}"#), named("db-key"))
            .await
            .unwrap();
        assert_eq!(dk.length, 32);
        assert_eq!(dk.blob, blob);
        let (again, _) = k.data_key_plaintext(&s(), &dk.data_key_id).await.unwrap();
        assert_eq!(again, pt, "the stored context is used to reopen it");
        assert!(matches!(
            k.generate_hosted_data_key(&s(), &key_id, 16, None, named("db-key"))
                .await,
            Err(Error::Duplicate {
                field: Field::DataKeyName,
                ..
            })
        ));
        k.set_data_key_enabled(&s(), &dk.data_key_id, false)
            .await
            .unwrap();
        assert!(matches!(
            k.data_key_plaintext(&s(), &dk.data_key_id).await,
            Err(Error::DataKeyWrongState { .. })
        ));
        assert!(
            matches!(
                k.data_key_ciphertext(&s(), &dk.data_key_id).await,
                Err(Error::DataKeyWrongState {
                    op: DataKeyOp::Ciphertext,
                    state: DataKeyState::Disabled,
                    ..
                })
            ),
            "a disabled data key hands out its blob no more than its plaintext"
        );
        k.schedule_data_key_deletion(&s(), &dk.data_key_id, 7)
            .await
            .unwrap();
        assert!(matches!(
            k.data_key_ciphertext(&s(), &dk.data_key_id).await,
            Err(Error::DataKeyWrongState {
                op: DataKeyOp::Ciphertext,
                state: DataKeyState::PendingDelete,
                ..
            })
        ));
        let back = k
            .cancel_data_key_deletion(&s(), &dk.data_key_id)
            .await
            .unwrap();
        assert_eq!(back.state, DataKeyState::Disabled);
        k.schedule_data_key_deletion(&s(), &dk.data_key_id, 7)
            .await
            .unwrap();
        clock.advance(7 * 86_400);
        assert_eq!(k.destroy_due_data_keys().await.unwrap(), 1);
        assert!(matches!(
            k.get_data_key(&s(), &dk.data_key_id).await,
            Err(Error::NotFound { .. })
        ));
        // The CMK's state gates the plaintext too.
        let (_, _, dk2) = k
            .generate_hosted_data_key(&s(), &key_id, 16, None, named("two"))
            .await
            .unwrap();
        k.disable_key(&s(), &key_id).await.unwrap();
        assert!(matches!(
            k.data_key_plaintext(&s(), &dk2.data_key_id).await,
            Err(Error::WrongState { .. })
        ));
        assert!(matches!(
            k.get_data_key(&RequestContext::test(2), &dk2.data_key_id)
                .await,
            Err(Error::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn imports_and_limits() {
        let k = kms(ManualClock::new(1), 2);
        let key_id = cmk(&k).await;
        let (pt, blob, _) = k.generate_data_key(&s(), &key_id, 24, None).await.unwrap();
        let a = k
            .import_data_key(
                &s(),
                Import::Ciphertext {
                    blob,
                    key_id: Some(key_id.clone()),
                },
                named("imp-c"),
            )
            .await
            .unwrap();
        assert_eq!((a.origin, a.length), (Origin::External, 24));
        assert_eq!(
            k.data_key_plaintext(&s(), &a.data_key_id).await.unwrap().0,
            pt
        );
        let b = k
            .import_data_key(
                &s(),
                Import::Plaintext {
                    material: SecretBytes::from_slice(b"0123456789abcdef"),
                    key_id: key_id.clone(),
                },
                named("imp-p"),
            )
            .await
            .unwrap();
        assert_eq!(
            k.data_key_plaintext(&s(), &b.data_key_id)
                .await
                .unwrap()
                .0
                .expose(),
            b"0123456789abcdef"
        );
        assert!(matches!(
            k.import_data_key(
                &s(),
                Import::Plaintext {
                    material: SecretBytes::from_slice(b"x"),
                    key_id
                },
                named("three")
            )
            .await,
            Err(Error::LimitExceeded { .. })
        ));
    }
}
