//! Tags on an existing CMK: adding (or re-valuing) and removing them. Tags given at
//! creation go through `keys`; both hold every key to the same `rules::check_tags`.

use super::context::RequestContext;
use super::error::Result;
use super::rules::check_tags;
use super::Kms;
use crate::model::{Cmk, Tag};

impl Kms {
    /// Adds `tags` to the key; a tag key the key already has takes the new value. The
    /// key's tags afterwards must pass the same rules as at creation (count included).
    pub async fn tag_key(&self, ctx: &RequestContext, key_id: &str, tags: &[Tag]) -> Result<Cmk> {
        check_tags(tags)?;
        self.modify(ctx, key_id, |k| {
            let mut next = k.tags.clone();
            for t in tags {
                match next.iter_mut().find(|u| u.key == t.key) {
                    Some(u) => u.value = t.value.clone(),
                    None => next.push(t.clone()),
                }
            }
            check_tags(&next)?;
            k.tags = next;
            Ok(())
        })
        .await
    }

    /// Removes the tags with these keys. A key the CMK has no tag for is not an error
    /// (removal is idempotent); a dialect that must say so reads the key first.
    pub async fn untag_key(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        tag_keys: &[String],
    ) -> Result<Cmk> {
        self.modify(ctx, key_id, |k| {
            k.tags.retain(|t| !tag_keys.contains(&t.key));
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::cmk::CmkCipher;
    use crate::crypto::seal::Sealer;
    use crate::crypto::secret::SecretBytes;
    use crate::kms::error::{Error, Field};
    use crate::kms::keys::NewKey;
    use crate::kms::{Limits, ManualClock};
    use crate::model::{KeyUsage, Origin, Scope};
    use crate::store::{sqlite::SqliteStore, Store};
    use std::sync::Arc;

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            key: k.into(),
            value: v.into(),
        }
    }

    #[tokio::test]
    async fn add_revalue_and_remove() {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let sealer = Arc::new(Sealer::new(&SecretBytes::new(vec![5; 32])).unwrap());
        let k = Kms::new(
            store,
            sealer,
            Arc::new(ManualClock::new(1)),
            Limits::default(),
            CmkCipher::Sm4Gcm,
        );
        let ctx = RequestContext::for_scope(Scope {
            account: 1,
            region: "r".into(),
        });
        let key = k
            .create_key(
                &ctx,
                NewKey {
                    alias: "t".into(),
                    description: String::new(),
                    usage: KeyUsage::EncryptDecrypt,
                    origin: Origin::Kms,
                    cipher: None,
                    tags: vec![tag("a", "1")],
                },
            )
            .await
            .unwrap();
        let id = key.key_id.as_str();
        let after = k
            .tag_key(&ctx, id, &[tag("a", "2"), tag("b", "")])
            .await
            .unwrap();
        assert_eq!(after.tags, [tag("a", "2"), tag("b", "")]);
        assert_eq!(k.get_key(&ctx, id).await.unwrap().tags, after.tags);
        let after = k
            .untag_key(&ctx, id, &["a".into(), "missing".into()])
            .await
            .unwrap();
        assert_eq!(after.tags, [tag("b", "")]);
        let many: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
        assert!(matches!(
            k.tag_key(&ctx, id, &many).await,
            Err(Error::Invalid {
                field: Field::Tags,
                ..
            })
        ));
        assert!(matches!(
            k.tag_key(&ctx, id, &[tag("x", "1"), tag("x", "2")]).await,
            Err(Error::Duplicate {
                field: Field::Tags,
                ..
            })
        ));
    }
}
