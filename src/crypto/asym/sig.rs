//! The DER form of SM2DSA and ECDSA signatures, `SEQUENCE { INTEGER r, INTEGER s }`
//! (GM/T 0009, RFC 3279 `Ecdsa-Sig-Value`), for 256-bit curves.
//!
//! Decoding is strict DER through the `der` crate: minimal definite lengths, minimal
//! non-negative INTEGERs (a leading `00` only before a byte ≥ 0x80), nothing after the
//! SEQUENCE. It only checks the form and that r and s fit 32 bytes; the range checks
//! (1 ≤ r, s ≤ n − 1) are the curve crates' when they build a `Signature`.

use der::asn1::UintRef;
use der::{Decode, Encode, Sequence};

#[derive(Sequence)]
struct SigDer<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// DER of (r, s), each a 32-byte big-endian integer.
pub fn encode(r: &[u8; 32], s: &[u8; 32]) -> Vec<u8> {
    SigDer {
        r: UintRef::new(r).expect("32 bytes fit"),
        s: UintRef::new(s).expect("32 bytes fit"),
    }
    .to_der()
    .expect("two bounded INTEGERs encode")
}

/// `r ‖ s`, each left-padded to 32 bytes, from strict DER; `None` for anything else.
pub fn decode(der: &[u8]) -> Option<[u8; 64]> {
    let seq = SigDer::from_der(der).ok()?;
    let (r, s) = (seq.r.as_bytes(), seq.s.as_bytes());
    if r.len() > 32 || s.len() > 32 {
        return None;
    }
    let mut raw = [0u8; 64];
    raw[32 - r.len()..32].copy_from_slice(r);
    raw[64 - s.len()..].copy_from_slice(s);
    Some(raw)
}
