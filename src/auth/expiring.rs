//! A bounded memory of things seen until a deadline: the legacy API's Nonces and TC3's
//! signatures. Both must be remembered for as long as the request that carried them
//! could still be accepted, and both are filled by authenticated clients, so both need
//! the same two properties: bounded memory, and failing closed when the bound is
//! reached (forgetting a live entry early would let the request it stands for be
//! replayed).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// How many entries trigger the first sweep of expired ones.
pub(crate) const SWEEP_AT: usize = 4096;

pub struct ExpiringMap<K, V> {
    seen: Mutex<Seen<K, V>>,
    max: usize,
}

struct Seen<K, V> {
    /// Each entry's value and the Unix second after which it is forgotten.
    map: HashMap<K, (V, i64)>,
    /// Sweep expired entries once the map holds this many (twice what the last sweep
    /// left), so sweeping is amortised O(1) per insertion.
    next_sweep: usize,
    /// The second of the last sweep that found the map full of live entries: while it
    /// stays full, sweep at most once a second rather than on every refused request.
    full_at: Option<i64>,
}

/// What [`ExpiringMap::remember`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remembered<R> {
    /// A live entry was there; the caller's judgement of it.
    Live(R),
    /// Nothing live was there; the new entry is remembered.
    New,
    /// Nothing live was there, and the map is full of live entries: nothing was
    /// remembered, and the request must be refused.
    Full,
}

impl<K: Hash + Eq, V> ExpiringMap<K, V> {
    /// A map holding at most `max` live entries.
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        ExpiringMap {
            seen: Mutex::new(Seen {
                map: HashMap::new(),
                next_sweep: SWEEP_AT.min(max),
                full_at: None,
            }),
            max,
        }
    }

    /// If `key` has a live entry, returns `judge` of its value. Otherwise remembers
    /// `value` under `key` until `expires_at`, unless the map is full.
    pub fn remember<R>(
        &self,
        key: K,
        value: V,
        expires_at: i64,
        now: i64,
        judge: impl FnOnce(&V) -> R,
    ) -> Remembered<R> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((v, until)) = seen.map.get(&key) {
            if *until >= now {
                return Remembered::Live(judge(v));
            }
        }
        if seen.map.len() >= seen.next_sweep {
            if seen.map.len() >= self.max && seen.full_at == Some(now) {
                return Remembered::Full;
            }
            seen.map.retain(|_, (_, until)| *until >= now);
            seen.next_sweep = (seen.map.len() * 2).clamp(SWEEP_AT.min(self.max), self.max);
            if seen.map.len() >= self.max {
                seen.full_at = Some(now);
                return Remembered::Full;
            }
            seen.full_at = None;
        }
        seen.map.insert(key, (value, expires_at));
        Remembered::New
    }

    pub fn len(&self) -> usize {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_entries_are_judged_and_expired_ones_replaced() {
        let m = ExpiringMap::new(10);
        assert_eq!(m.remember(1, "a", 100, 0, |_| ()), Remembered::New);
        assert_eq!(m.remember(1, "b", 100, 50, |v| *v), Remembered::Live("a"));
        assert_eq!(m.remember(1, "b", 200, 101, |v| *v), Remembered::New);
        assert_eq!(m.remember(1, "c", 200, 150, |v| *v), Remembered::Live("b"));
    }

    #[test]
    fn full_of_live_entries_refuses_and_expiry_frees_room() {
        let m = ExpiringMap::new(SWEEP_AT + 3);
        for i in 0..SWEEP_AT + 3 {
            assert_eq!(m.remember(i, (), 100, 0, |_| ()), Remembered::New);
        }
        assert_eq!(m.remember(usize::MAX, (), 100, 1, |_| ()), Remembered::Full);
        assert_eq!(
            m.remember(usize::MAX, (), 100, 1, |_| ()),
            Remembered::Full,
            "refused again in the same second without a sweep"
        );
        assert_eq!(m.len(), SWEEP_AT + 3, "nothing live was forgotten");
        assert_eq!(m.remember(0, (), 100, 1, |_| 7), Remembered::Live(7));
        assert_eq!(
            m.remember(usize::MAX, (), 300, 101, |_| ()),
            Remembered::New
        );
        assert_eq!(m.len(), 1, "the expired entries went");
    }

    #[test]
    fn memory_stays_within_twice_the_live_entries() {
        let m = ExpiringMap::new(1 << 20);
        for i in 0..SWEEP_AT {
            m.remember(i, (), 10, 0, |_| ());
        }
        for i in 0..SWEEP_AT + 1 {
            m.remember(1_000_000 + i, (), 1000, 100, |_| ());
        }
        assert!(m.len() <= SWEEP_AT + 1, "{}", m.len());
    }
}
