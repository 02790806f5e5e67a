//! The replay rule for signatures that do not cover every header that matters.
//!
//! The official SDKs sign only `content-type;host`, so `X-TC-Action`, `X-TC-Region` and
//! `X-TC-Version` can be changed in flight without breaking the signature: someone who
//! captured a signed `DescribeKey` could resend it as `ScheduleKeyDeletion` with the
//! same body. So every accepted signature is remembered, for as long as its timestamp
//! is inside the window, together with the unsigned values it came with. The same
//! signature with different values is refused; an identical resend is allowed (an SDK
//! may legitimately send the same request twice within one second).
//!
//! One refinement of that rule: the same signature with *different* values is accepted
//! on the TCP connection where the signature was first accepted. Two different actions
//! with the same body in the same second (DescribeKey then DisableKey of one key) carry
//! the same signature, and an SDK client sends them one after the other over its
//! keep-alive connection; without this, ordinary scripts would be refused. A captured
//! request replayed by someone else arrives on another connection and is refused.

use std::collections::HashMap;
use std::sync::Mutex;

/// How many remembered signatures trigger a sweep of expired ones.
const SWEEP_AT: usize = 4096;

pub struct ReplayGuard {
    seen: Mutex<Seen>,
}

struct Entry {
    /// Hash of the unsigned values the signature was first accepted with.
    binding: [u8; 32],
    /// The connection it was first accepted on.
    connection: u64,
    /// Unix second after which the signature is forgotten.
    expires_at: i64,
}

struct Seen {
    map: HashMap<[u8; 32], Entry>,
    next_sweep: usize,
}

impl Default for ReplayGuard {
    fn default() -> Self {
        ReplayGuard {
            seen: Mutex::new(Seen {
                map: HashMap::new(),
                next_sweep: SWEEP_AT,
            }),
        }
    }
}

impl ReplayGuard {
    /// Records `signature` as used with `binding` on `connection` until `expires_at`.
    /// Returns false if the signature was already used with a different binding on
    /// another connection.
    pub fn check(
        &self,
        signature: &[u8; 32],
        binding: &[u8; 32],
        connection: u64,
        expires_at: i64,
        now: i64,
    ) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.map.len() >= seen.next_sweep {
            seen.map.retain(|_, e| e.expires_at >= now);
            seen.next_sweep = (seen.map.len() * 2).max(SWEEP_AT);
        }
        match seen.map.get(signature) {
            Some(e) if e.expires_at >= now => &e.binding == binding || e.connection == connection,
            _ => {
                seen.map.insert(
                    *signature,
                    Entry {
                        binding: *binding,
                        connection,
                        expires_at,
                    },
                );
                true
            }
        }
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

/// A fixed-size digest of the unsigned values a signature is bound to.
pub fn binding(parts: &[&str]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_signature_other_action_is_a_replay() {
        let g = ReplayGuard::default();
        let sig = [1u8; 32];
        let describe = binding(&["DescribeKey", "ap-guangzhou", "2019-01-18"]);
        let delete = binding(&["ScheduleKeyDeletion", "ap-guangzhou", "2019-01-18"]);
        assert!(g.check(&sig, &describe, 1, 1300, 1000));
        assert!(
            g.check(&sig, &describe, 2, 1300, 1001),
            "identical resend is fine anywhere"
        );
        assert!(
            !g.check(&sig, &delete, 2, 1300, 1002),
            "relabelled on another connection"
        );
        assert!(
            g.check(&sig, &delete, 1, 1300, 1002),
            "the signer's own connection"
        );
        assert!(
            g.check(&[2u8; 32], &delete, 2, 1300, 1002),
            "another signature is independent"
        );
        // After expiry the old binding is forgotten (the timestamp check refuses the
        // request by then anyway).
        assert!(g.check(&sig, &delete, 2, 1700, 1301));
    }

    #[test]
    fn binding_is_unambiguous() {
        assert_ne!(binding(&["ab", "c"]), binding(&["a", "bc"]));
    }

    #[test]
    fn expired_entries_are_swept() {
        // Memory stays within about twice the live entries: once the map doubles,
        // expired entries go.
        let g = ReplayGuard::default();
        let sig = |i: u32| {
            let mut s = [0u8; 32];
            s[..4].copy_from_slice(&i.to_be_bytes());
            s
        };
        for i in 0..SWEEP_AT as u32 {
            g.check(&sig(i), &[0; 32], 0, 10, 0);
        }
        for i in 0..(SWEEP_AT as u32 + 1) {
            g.check(&sig(1_000_000 + i), &[0; 32], 0, 1000, 100);
        }
        assert!(g.len() <= SWEEP_AT + 1, "{}", g.len());
    }
}
