//! SM2 public-key encryption (GB/T 32918.4-2016, GM/T 0003.4-2012) and its two wire
//! encodings.
//!
//! The curve arithmetic is the RustCrypto `sm2` crate's (0.13: `ProjectivePoint`,
//! `Scalar`, point validation); this module only strings the standard's steps A1–A8 and
//! B1–B7 together. We do not use a packaged `encrypt` because the 0.13 line has none,
//! and the 0.14 line's `pke` module lives on a second copy of the whole RustCrypto stack
//! (rand_core 0.10, der 0.8, elliptic-curve 0.14) next to the one the `rsa` crate needs;
//! owning these ~60 lines also lets us draw `k` in a documented way, so the GM/T 0003.5
//! Annex C vector can be reproduced by feeding `k` through the RNG.
//!
//! ```text
//! raw (SM2)              C1 ‖ C3 ‖ C2      C1 = 04 ‖ x1 ‖ y1 (65 bytes), C3 = 32 bytes
//! DER (SM2_C1C3C2_ASN1)  SEQUENCE { INTEGER x1, INTEGER y1, OCTET STRING C3, OCTET STRING C2 }
//! ```
//! Decoding is strict in both: the raw form must start with `04` (a C1 without it is
//! refused, never guessed at: x1 may itself begin with `04`), and the DER form must be
//! DER (minimal INTEGERs, definite minimal lengths, nothing after the SEQUENCE).

use ::sm2::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use ::sm2::{AffinePoint, EncodedPoint, FieldBytes, NonZeroScalar, ProjectivePoint};
use der::asn1::{OctetStringRef, UintRef};
use der::{Decode, Encode, Sequence};
use rand_core::CryptoRngCore;
use sm3::{Digest, Sm3};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::secret::SecretBytes;
use super::DecryptFailed;

/// Bytes in a coordinate (x1, y1, x2, y2) and in C3 (an SM3 digest).
pub const COORD_LEN: usize = 32;
/// `04 ‖ x1 ‖ y1`.
pub const C1_LEN: usize = 1 + 2 * COORD_LEN;
pub const C3_LEN: usize = 32;

/// One SM2 ciphertext, in parts. C2 is as long as the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ciphertext {
    pub x1: [u8; COORD_LEN],
    pub y1: [u8; COORD_LEN],
    pub c3: [u8; C3_LEN],
    pub c2: Vec<u8>,
}

/// The GM/T 0009 ASN.1 structure, borrowed. `der` encodes `UintRef` minimally (leading
/// zeros stripped, a `00` sign byte when the top bit is set) and refuses anything else
/// when decoding.
#[derive(Sequence)]
struct CipherDer<'a> {
    x: UintRef<'a>,
    y: UintRef<'a>,
    hash: OctetStringRef<'a>,
    ciphertext: OctetStringRef<'a>,
}

impl Ciphertext {
    /// `C1 ‖ C3 ‖ C2` with `C1 = 04 ‖ x1 ‖ y1`.
    pub fn to_raw(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(C1_LEN + C3_LEN + self.c2.len());
        out.push(0x04);
        out.extend_from_slice(&self.x1);
        out.extend_from_slice(&self.y1);
        out.extend_from_slice(&self.c3);
        out.extend_from_slice(&self.c2);
        out
    }

    /// The DER `SEQUENCE { INTEGER x1, INTEGER y1, OCTET STRING C3, OCTET STRING C2 }`.
    pub fn to_der(&self) -> Vec<u8> {
        let seq = CipherDer {
            x: UintRef::new(&self.x1).expect("32 bytes fit"),
            y: UintRef::new(&self.y1).expect("32 bytes fit"),
            hash: OctetStringRef::new(&self.c3).expect("32 bytes fit"),
            ciphertext: OctetStringRef::new(&self.c2).expect("callers bound C2"),
        };
        seq.to_der()
            .expect("an in-memory SEQUENCE of bounded parts encodes")
    }

    /// Splits a raw `04 ‖ x1 ‖ y1 ‖ C3 ‖ C2`. The layout has no length fields, so this
    /// only checks the prefix and that C2 is not empty; the C3 check in [`decrypt`]
    /// catches the C1C2C3 order and any byte added or removed.
    pub fn from_raw(bytes: &[u8]) -> Result<Self, DecryptFailed> {
        if bytes.len() < C1_LEN + C3_LEN + 1 || bytes[0] != 0x04 {
            return Err(DecryptFailed);
        }
        let mut x1 = [0u8; COORD_LEN];
        let mut y1 = [0u8; COORD_LEN];
        let mut c3 = [0u8; C3_LEN];
        x1.copy_from_slice(&bytes[1..1 + COORD_LEN]);
        y1.copy_from_slice(&bytes[1 + COORD_LEN..C1_LEN]);
        c3.copy_from_slice(&bytes[C1_LEN..C1_LEN + C3_LEN]);
        Ok(Ciphertext {
            x1,
            y1,
            c3,
            c2: bytes[C1_LEN + C3_LEN..].to_vec(),
        })
    }

    /// Parses the DER form strictly: exactly one SEQUENCE of two minimal non-negative
    /// INTEGERs that fit 32 bytes, a 32-byte OCTET STRING and a non-empty OCTET STRING.
    pub fn from_der(bytes: &[u8]) -> Result<Self, DecryptFailed> {
        let seq = CipherDer::from_der(bytes).map_err(|_| DecryptFailed)?;
        let c3: [u8; C3_LEN] = seq.hash.as_bytes().try_into().map_err(|_| DecryptFailed)?;
        let c2 = seq.ciphertext.as_bytes();
        if c2.is_empty() {
            return Err(DecryptFailed);
        }
        Ok(Ciphertext {
            x1: left_pad(seq.x.as_bytes())?,
            y1: left_pad(seq.y.as_bytes())?,
            c3,
            c2: c2.to_vec(),
        })
    }
}

/// A minimal big-endian integer (as `UintRef` yields it) as a 32-byte coordinate.
fn left_pad(bytes: &[u8]) -> Result<[u8; COORD_LEN], DecryptFailed> {
    if bytes.len() > COORD_LEN {
        return Err(DecryptFailed);
    }
    let mut out = [0u8; COORD_LEN];
    out[COORD_LEN - bytes.len()..].copy_from_slice(bytes);
    Ok(out)
}

/// KDF of GB/T 32918.4 §5.4.3 with SM3: `Hash(Z ‖ ct)` for ct = 1, 2, … (32-bit big
/// endian), concatenated and cut to `len` bytes.
fn kdf(x2: &[u8], y2: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(len + 32));
    let mut counter: u32 = 1;
    while out.len() < len {
        let block = Sm3::new()
            .chain_update(x2)
            .chain_update(y2)
            .chain_update(counter.to_be_bytes())
            .finalize();
        out.extend_from_slice(&block);
        counter += 1;
    }
    out.truncate(len);
    out
}

fn c3_of(x2: &[u8], msg: &[u8], y2: &[u8]) -> [u8; C3_LEN] {
    Sm3::new()
        .chain_update(x2)
        .chain_update(msg)
        .chain_update(y2)
        .finalize()
        .into()
}

/// Draws k uniformly from [1, n−1]: 32 bytes from `rng`, read big-endian, redrawn if 0
/// or ≥ n. Documented because the vector generator relies on it: an RNG that yields the
/// bytes of a valid k produces exactly that k.
fn draw_k(rng: &mut impl CryptoRngCore) -> NonZeroScalar {
    loop {
        let mut bytes = Zeroizing::new(FieldBytes::default());
        rng.fill_bytes(&mut bytes);
        let k: Option<NonZeroScalar> = NonZeroScalar::from_repr(*bytes).into();
        if let Some(k) = k {
            return k;
        }
    }
}

/// Uncompressed affine coordinates of a non-identity point.
fn coordinates(p: &AffinePoint) -> Option<Zeroizing<([u8; COORD_LEN], [u8; COORD_LEN])>> {
    let enc = p.to_encoded_point(false);
    let (x, y) = (enc.x()?, enc.y()?);
    let mut out = Zeroizing::new(([0u8; COORD_LEN], [0u8; COORD_LEN]));
    out.0.copy_from_slice(x);
    out.1.copy_from_slice(y);
    Some(out)
}

/// Encrypts `msg` (non-empty) to the public point `p` (validated by the caller: on the
/// curve, not the identity), steps A1–A8 of GB/T 32918.4 §6.1. The cofactor is 1, so
/// `[h]P` is `P`. k is redrawn if `[k]P` is the identity or the KDF output is all zeros,
/// as the standard asks (neither happens in practice).
pub fn encrypt(p: &::sm2::PublicKey, msg: &[u8], rng: &mut impl CryptoRngCore) -> Ciphertext {
    assert!(!msg.is_empty(), "callers refuse an empty message");
    let p = p.to_projective();
    loop {
        let k = draw_k(rng);
        let c1 = (ProjectivePoint::GENERATOR * *k).to_affine();
        let s = (p * *k).to_affine();
        let (Some(c1), Some(s)) = (coordinates(&c1), coordinates(&s)) else {
            continue;
        };
        let (x2, y2) = (&s.0, &s.1);
        let t = kdf(x2, y2, msg.len());
        if t.iter().all(|&b| b == 0) {
            continue;
        }
        let c2 = msg.iter().zip(t.iter()).map(|(m, t)| m ^ t).collect();
        return Ciphertext {
            x1: c1.0,
            y1: c1.1,
            c3: c3_of(x2, msg, y2),
            c2,
        };
    }
}

/// Decrypts with the secret scalar `d`, steps B1–B7 of GB/T 32918.4 §7.1: C1 must be a
/// point on the curve, and C3 must match (compared in constant time). Every failure is
/// the same [`DecryptFailed`].
pub fn decrypt(d: &::sm2::SecretKey, ct: &Ciphertext) -> Result<SecretBytes, DecryptFailed> {
    if ct.c2.is_empty() {
        return Err(DecryptFailed);
    }
    let mut c1 = [0u8; C1_LEN];
    c1[0] = 0x04;
    c1[1..1 + COORD_LEN].copy_from_slice(&ct.x1);
    c1[1 + COORD_LEN..].copy_from_slice(&ct.y1);
    let enc = EncodedPoint::from_bytes(c1).map_err(|_| DecryptFailed)?;
    let c1: Option<AffinePoint> = AffinePoint::from_encoded_point(&enc).into();
    let c1 = c1.ok_or(DecryptFailed)?;
    let s = (ProjectivePoint::from(c1) * *d.to_nonzero_scalar()).to_affine();
    let s = coordinates(&s).ok_or(DecryptFailed)?;
    let (x2, y2) = (&s.0, &s.1);
    let t = kdf(x2, y2, ct.c2.len());
    if t.iter().all(|&b| b == 0) {
        return Err(DecryptFailed);
    }
    let msg = SecretBytes::new(ct.c2.iter().zip(t.iter()).map(|(c, t)| c ^ t).collect());
    let u = c3_of(x2, msg.expose(), y2);
    if bool::from(u.ct_eq(&ct.c3)) {
        Ok(msg)
    } else {
        Err(DecryptFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdf_lengths_and_prefix_property() {
        let long = kdf(b"x", b"y", 100);
        assert_eq!(long.len(), 100);
        for n in [1, 31, 32, 33, 64, 65] {
            assert_eq!(&kdf(b"x", b"y", n)[..], &long[..n]);
        }
    }

    #[test]
    fn der_parts_round_trip() {
        let ct = Ciphertext {
            x1: [0u8; 32],
            y1: [0xff; 32],
            c3: [3; 32],
            c2: vec![9; 5],
        };
        let der = ct.to_der();
        assert_eq!(Ciphertext::from_der(&der).unwrap(), ct);
        assert_eq!(Ciphertext::from_raw(&ct.to_raw()).unwrap(), ct);
    }
}
