//! All randomness comes from the operating system's CSPRNG. There is deliberately no
//! seedable generator reachable from the server: deterministic randomness lives only in
//! the test-vector generator.

use super::secret::SecretBytes;
use rand_core::{OsRng, RngCore};

pub fn fill(buf: &mut [u8]) {
    OsRng.fill_bytes(buf);
}

pub fn bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    fill(&mut v);
    v
}

pub fn secret(n: usize) -> SecretBytes {
    let mut v = vec![0u8; n];
    fill(&mut v);
    SecretBytes::new(v)
}

pub fn nonce12() -> [u8; 12] {
    let mut n = [0u8; 12];
    fill(&mut n);
    n
}

/// A uniformly random string over `alphabet`, by rejection sampling so that no
/// character is more likely than another.
pub fn string(len: usize, alphabet: &[u8]) -> String {
    assert!(!alphabet.is_empty() && alphabet.len() <= 256);
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        fill(&mut buf);
        for &b in buf.iter() {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

pub fn u64_below(n: u64) -> u64 {
    assert!(n > 0);
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let v = OsRng.next_u64();
        if v < zone {
            return v % n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_uses_only_the_alphabet() {
        let s = string(500, b"ab");
        assert_eq!(s.len(), 500);
        assert!(s.chars().all(|c| c == 'a' || c == 'b'));
        assert!(s.contains('a') && s.contains('b'));
    }

    #[test]
    fn bounded_integers_stay_in_range() {
        for _ in 0..1000 {
            assert!(u64_below(7) < 7);
        }
    }
}
