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

use super::expiring::{ExpiringMap, Remembered};

/// The most signatures remembered by default. An entry is 48 bytes; 1.8 M of them
/// fit a hash table of 2^21 buckets, about 100 MB at the bound. An honest client's
/// signature lives for the window (300 s by default), so this admits about 6,000
/// requests per second with distinct signatures (identical requests in the same second
/// share one) before new signatures are refused; `auth.max_remembered_signatures`
/// changes it.
pub const DEFAULT_MAX_SIGNATURES: usize = 1_800_000;

/// What [`ReplayGuard::check`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    /// The signature was already used with other unsigned values on another connection.
    Relabelled,
    /// The guard holds its maximum of live signatures; refused rather than forgetting
    /// one that could then be relabelled.
    Full,
}

pub struct ReplayGuard {
    /// First 16 bytes of the signature → how it was first accepted.
    seen: ExpiringMap<[u8; 16], Entry>,
}

struct Entry {
    /// First 16 bytes of the hash of the unsigned values it was first accepted with.
    binding: [u8; 16],
    /// The connection it was first accepted on.
    connection: u64,
}

impl Default for ReplayGuard {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_MAX_SIGNATURES)
    }
}

fn first16(b: &[u8; 32]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(&b[..16]);
    out
}

impl ReplayGuard {
    pub fn with_capacity(max: usize) -> Self {
        ReplayGuard {
            seen: ExpiringMap::new(max),
        }
    }

    /// Records `signature` as used with `binding` on `connection` until `expires_at`.
    /// Signatures are HMAC outputs nobody can choose without the SecretKey, so 128 bits
    /// of each identify it; the binding hash is truncated alike.
    pub fn check(
        &self,
        signature: &[u8; 32],
        binding: &[u8; 32],
        connection: u64,
        expires_at: i64,
        now: i64,
    ) -> Verdict {
        let binding = first16(binding);
        let entry = Entry {
            binding,
            connection,
        };
        let judge = |e: &Entry| e.binding == binding || e.connection == connection;
        match self
            .seen
            .remember(first16(signature), entry, expires_at, now, judge)
        {
            Remembered::Live(true) | Remembered::New => Verdict::Accept,
            Remembered::Live(false) => Verdict::Relabelled,
            Remembered::Full => Verdict::Full,
        }
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
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
        use Verdict::*;
        assert_eq!(g.check(&sig, &describe, 1, 1300, 1000), Accept);
        assert_eq!(
            g.check(&sig, &describe, 2, 1300, 1001),
            Accept,
            "identical resend is fine anywhere"
        );
        assert_eq!(
            g.check(&sig, &delete, 2, 1300, 1002),
            Relabelled,
            "relabelled on another connection"
        );
        assert_eq!(
            g.check(&sig, &delete, 1, 1300, 1002),
            Accept,
            "the signer's own connection"
        );
        assert_eq!(
            g.check(&[2u8; 32], &delete, 2, 1300, 1002),
            Accept,
            "another signature is independent"
        );
        // After expiry the old binding is forgotten (the timestamp check refuses the
        // request by then anyway).
        assert_eq!(g.check(&sig, &delete, 2, 1700, 1301), Accept);
    }

    #[test]
    fn binding_is_unambiguous() {
        assert_ne!(binding(&["ab", "c"]), binding(&["a", "bc"]));
    }

    #[test]
    fn bounded_and_failing_closed() {
        let g = ReplayGuard::with_capacity(crate::auth::expiring::SWEEP_AT);
        let sig = |i: u32| {
            let mut s = [0u8; 32];
            s[..4].copy_from_slice(&i.to_be_bytes());
            s
        };
        for i in 0..crate::auth::expiring::SWEEP_AT as u32 {
            assert_eq!(g.check(&sig(i), &[0; 32], 0, 100, 0), Verdict::Accept);
        }
        assert_eq!(g.check(&sig(u32::MAX), &[0; 32], 0, 100, 1), Verdict::Full);
        assert_eq!(
            g.check(&sig(0), &[0; 32], 9, 100, 1),
            Verdict::Accept,
            "an identical resend of a remembered signature still passes"
        );
        assert_eq!(
            g.check(&sig(0), &[1; 32], 9, 100, 1),
            Verdict::Relabelled,
            "and a relabelled one is still caught"
        );
        assert_eq!(
            g.check(&sig(u32::MAX), &[0; 32], 0, 300, 101),
            Verdict::Accept
        );
    }
}
