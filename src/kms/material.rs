//! Unsealed CMK material, cached so that every Encrypt does not pay an unseal and a
//! store read. Bounded; evicted entries are zeroized (SecretBytes zeroizes on drop).
//!
//! The cache is only consulted after the key's record has been read and its state
//! checked, so a key destroyed or disabled elsewhere (another replica) is refused
//! before any cached material could be used.

use crate::crypto::secret::SecretBytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct MaterialCache {
    capacity: usize,
    map: Mutex<HashMap<(String, u32), Arc<SecretBytes>>>,
}

impl MaterialCache {
    pub fn new(capacity: usize) -> Self {
        MaterialCache {
            capacity: capacity.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key_id: &str, version: u32) -> Option<Arc<SecretBytes>> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(key_id.to_string(), version)).cloned()
    }

    pub fn insert(&self, key_id: &str, version: u32, material: Arc<SecretBytes>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.capacity {
            // Evict an arbitrary entry; a miss costs one store read and one unseal.
            if let Some(k) = map.keys().next().cloned() {
                map.remove(&k);
            }
        }
        map.insert((key_id.to_string(), version), material);
    }

    /// Forgets every version of a key (on destruction).
    pub fn forget(&self, key_id: &str) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|(k, _), _| k != key_id);
    }

    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
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
        let c = MaterialCache::new(2);
        for v in 1..=5 {
            c.insert("k", v, Arc::new(SecretBytes::from_slice(&[v as u8])));
        }
        assert_eq!(c.len(), 2);
        c.insert("other", 1, Arc::new(SecretBytes::from_slice(b"o")));
        c.forget("k");
        assert!(c.get("k", 5).is_none());
        assert_eq!(c.get("other", 1).unwrap().expose(), b"o");
    }
}
