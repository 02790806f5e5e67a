//! Unsealed CMK material, cached so that every Encrypt does not pay an unseal and a
//! store read. Bounded; evicted entries are zeroized (SecretBytes zeroizes on drop).
//!
//! The same cache, over [`crate::crypto::asym::PrivateKey`]s instead of bytes, keeps
//! asymmetric keys opened from their material (`Kms::opened`), so that a signature
//! does not parse PKCS#8 and rebuild an RSA key first; its entries wipe themselves on
//! drop too, and it is forgotten with the material (`Kms::forget_material`).
//!
//! The cache is only consulted after the key's record has been read and its state
//! checked, so a key destroyed or disabled elsewhere (another replica) is refused
//! before any cached material could be used.

use crate::crypto::secret::SecretBytes;
use crate::store::cache::{CacheStats, HitCounter};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct MaterialCache<T = SecretBytes> {
    capacity: usize,
    inner: Mutex<Inner<T>>,
    counts: HitCounter,
}

/// Versions by key id, so that a lookup by `&str` allocates nothing (every Encrypt and
/// GenerateDataKey makes one).
struct Inner<T> {
    by_key: HashMap<String, Vec<(u32, Arc<T>)>>,
    len: usize,
}

impl<T> Default for Inner<T> {
    fn default() -> Self {
        Inner {
            by_key: HashMap::new(),
            len: 0,
        }
    }
}

impl<T> MaterialCache<T> {
    pub fn new(capacity: usize) -> Self {
        MaterialCache {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
            counts: HitCounter::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<T>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, key_id: &str, version: u32) -> Option<Arc<T>> {
        let found = {
            let inner = self.lock();
            inner.by_key.get(key_id).and_then(|versions| {
                versions
                    .iter()
                    .find(|(v, _)| *v == version)
                    .map(|(_, m)| m.clone())
            })
        };
        self.counts.record(found.is_some());
        found
    }

    /// Hits and misses of [`Self::get`] so far (counts only, never material).
    pub fn stats(&self) -> CacheStats {
        self.counts.stats()
    }

    pub fn insert(&self, key_id: &str, version: u32, material: Arc<T>) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let present = inner
            .by_key
            .get(key_id)
            .is_some_and(|vs| vs.iter().any(|(v, _)| *v == version));
        if present {
            return;
        }
        if inner.len >= self.capacity {
            // Evict an arbitrary entry; a miss costs one store read and one unseal.
            if let Some(k) = inner.by_key.keys().next().cloned() {
                let vs = inner.by_key.get_mut(&k).expect("key just listed");
                vs.pop();
                inner.len -= 1;
                if vs.is_empty() {
                    inner.by_key.remove(&k);
                }
            }
        }
        inner
            .by_key
            .entry(key_id.to_string())
            .or_default()
            .push((version, material));
        inner.len += 1;
    }

    /// Forgets every version of a key (on destruction).
    pub fn forget(&self, key_id: &str) {
        let mut inner = self.lock();
        if let Some(vs) = inner.by_key.remove(key_id) {
            inner.len -= vs.len();
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_forgetful() {
        let c: MaterialCache = MaterialCache::new(2);
        for v in 1..=5 {
            c.insert("k", v, Arc::new(SecretBytes::from_slice(&[v as u8])));
        }
        assert_eq!(c.len(), 2);
        c.insert("other", 1, Arc::new(SecretBytes::from_slice(b"o")));
        c.forget("k");
        assert!(c.get("k", 5).is_none());
        assert_eq!(c.get("other", 1).unwrap().expose(), b"o");
        assert_eq!(c.len(), 1);
        c.insert("other", 1, Arc::new(SecretBytes::from_slice(b"o")));
        c.insert("other", 2, Arc::new(SecretBytes::from_slice(b"p")));
        assert_eq!(c.len(), 2, "a version already held is not held twice");
        assert_eq!(c.get("other", 2).unwrap().expose(), b"p");
        assert!(c.get("other", 3).is_none());
        let s = c.stats();
        assert_eq!((s.hits, s.misses), (2, 2), "{s:?}");
    }
}
