//! A read cache that is exact, not eventually consistent: entries are tagged with the
//! store's generation ([`super::Store::generation`]), which changes whenever anything —
//! this process or another one, such as `smkms credentials delete` — commits a write.
//! A lookup under a new generation empties the cache first, so a deleted credential or
//! a disabled key is never served from it.
//!
//! What it saves: the store read (a trip through tokio's blocking pool and SQLite) that
//! every request would otherwise make for its credential and its CMK.
//!
//! Every cache here and in the core counts its hits and misses in plain atomics
//! ([`HitCounter`]) and shows them as [`CacheStats`]; whoever exports metrics reads
//! them when asked, so no cache knows of any metrics library.

use super::Generation;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// How often a cache answered from memory (hits) and how often it did not (misses),
/// since the process started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
}

/// Hit and miss counts, cheap to bump from any thread (relaxed atomics: the counts
/// order nothing else).
#[derive(Debug, Default)]
pub struct HitCounter {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl HitCounter {
    /// Counts one lookup: a hit if it found something.
    pub fn record(&self, hit: bool) {
        let n = if hit { &self.hits } else { &self.misses };
        n.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

pub struct VersionedCache<V> {
    capacity: usize,
    inner: Mutex<Inner<V>>,
    counts: HitCounter,
}

struct Inner<V> {
    generation: Option<Generation>,
    map: HashMap<String, V>,
}

impl<V: Clone> VersionedCache<V> {
    pub fn new(capacity: usize) -> Self {
        VersionedCache {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner {
                generation: None,
                map: HashMap::new(),
            }),
            counts: HitCounter::default(),
        }
    }

    /// The cached value, if it was cached under `generation`.
    pub fn get(&self, generation: Generation, key: &str) -> Option<V> {
        let found = self.lookup(generation, key);
        self.counts.record(found.is_some());
        found
    }

    fn lookup(&self, generation: Generation, key: &str) -> Option<V> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.generation != Some(generation) {
            inner.map.clear();
            inner.generation = Some(generation);
            return None;
        }
        inner.map.get(key).cloned()
    }

    /// Hits and misses of [`Self::get`] so far.
    pub fn stats(&self) -> CacheStats {
        self.counts.stats()
    }

    /// Caches a value read under `generation`, unless the cache has moved on since.
    pub fn insert(&self, generation: Generation, key: &str, value: V) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.generation != Some(generation) {
            return;
        }
        if inner.map.len() >= self.capacity {
            inner.map.clear();
        }
        inner.map.insert(key.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_generation_empties_it() {
        let c = VersionedCache::new(2);
        let g1 = Generation(1, 0);
        let g2 = Generation(2, 0);
        assert_eq!(c.get(g1, "a"), None);
        c.insert(g1, "a", 1);
        assert_eq!(c.get(g1, "a"), Some(1));
        assert_eq!(
            c.get(g2, "a"),
            None,
            "a write happened: nothing old is served"
        );
        c.insert(g1, "a", 1);
        assert_eq!(
            c.get(g2, "a"),
            None,
            "a value read before the write is not kept"
        );
        c.insert(g2, "a", 2);
        c.insert(g2, "b", 3);
        c.insert(g2, "c", 4);
        assert!(c.get(g2, "a").is_none(), "bounded: cleared when full");
        assert_eq!(c.get(g2, "c"), Some(4));
    }

    #[test]
    fn it_counts_hits_and_misses() {
        let c = VersionedCache::new(4);
        let g = Generation(1, 0);
        assert_eq!(c.stats(), CacheStats::default());
        assert_eq!(c.get(g, "a"), None);
        c.insert(g, "a", 1);
        assert_eq!(c.get(g, "a"), Some(1));
        assert_eq!(c.get(g, "a"), Some(1));
        assert_eq!(c.get(g, "b"), None);
        assert_eq!(c.stats(), CacheStats { hits: 2, misses: 2 });
    }
}
