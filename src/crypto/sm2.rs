//! SM2 public-key encryption (GB/T 32918.4-2016, GM/T 0003.4-2012) and its two wire
//! encodings.
//!
//! The curve arithmetic is the RustCrypto `sm2` crate's (0.13: `ProjectivePoint`,
//! `Scalar`, point validation); this module only strings the standard's steps A1–A8 and
//! B1–B7 together. We do not use a packaged `encrypt` because the 0.13 line has none,
//! and the 0.14 line's `pke` module lives on a second copy of the whole RustCrypto stack
//! (rand_core 0.10, der 0.8, elliptic-curve 0.14) next to the one the `rsa` crate needs;
//! owning these lines also lets us draw `k` in a documented way, so the GM/T 0003.5
//! Annex C vector can be reproduced by feeding `k` through the RNG.
//!
//! [`encrypt`] is faster than the textbook steps ([`encrypt_reference`]) without
//! touching field arithmetic ([`fast`]): no multiplication by the cofactor (h = 1),
//! `[k]G` from a precomputed table of the generator, and one batched inversion for C1
//! and `[k]P`. [`encrypt_with_table`]
//! also takes `[k]P` from a precomputed [`KeyTable`] of a recipient key that comes
//! back. All of them produce the same bytes for the same k.
//!
//! ```text
//! raw (SM2)              C1 ‖ C3 ‖ C2      C1 = 04 ‖ x1 ‖ y1 (65 bytes), C3 = 32 bytes
//! DER (SM2_C1C3C2_ASN1)  SEQUENCE { INTEGER x1, INTEGER y1, OCTET STRING C3, OCTET STRING C2 }
//! ```
//! Decoding is strict in both: the raw form must start with `04` (a C1 without it is
//! refused, never guessed at: x1 may itself begin with `04`), and the DER form must be
//! DER (minimal INTEGERs, definite minimal lengths, nothing after the SEQUENCE).

use ::sm2::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use ::sm2::elliptic_curve::BatchNormalize;
use ::sm2::{AffinePoint, EncodedPoint, FieldBytes, NonZeroScalar, ProjectivePoint, Scalar};
use der::asn1::{OctetStringRef, UintRef};
use der::{Decode, Encode, Sequence};
use rand_core::CryptoRngCore;
use sm3::{Digest, Sm3};
use std::sync::OnceLock;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::secret::SecretBytes;
use super::DecryptFailed;

pub mod fast;
pub mod sign;

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

/// Row spacing of the generator's table: 65 rows, no doubling in `[k]G`
/// (65 × 8 affine points, 37 KiB, built once per process on first use).
const G_SPACING: usize = 1;
/// Row spacing of a recipient key's table: 33 rows and 4 doublings per multiplication,
/// half the memory of spacing 1 for about 5% more time (see [`KeyTable`]).
const KEY_SPACING: usize = 2;

fn g_table() -> &'static fast::FixedBase {
    static G: OnceLock<fast::FixedBase> = OnceLock::new();
    G.get_or_init(|| fast::FixedBase::new(&ProjectivePoint::GENERATOR, G_SPACING))
}

/// Precomputed multiples of one recipient's public point P, so that `[k]P` costs what
/// `[k]G` does (a fixed-base multiplication) instead of a variable-base one. Built for
/// keys that come back (`deliver::KeyCache`); [`KeyTable::bytes`] says how large.
pub struct KeyTable {
    point: ::sm2::PublicKey,
    table: fast::FixedBase,
}

impl KeyTable {
    /// Costs about one and a half variable-base multiplications.
    pub fn new(p: &::sm2::PublicKey) -> KeyTable {
        KeyTable {
            point: *p,
            table: fast::FixedBase::new(&p.to_projective(), KEY_SPACING),
        }
    }

    pub fn public_key(&self) -> &::sm2::PublicKey {
        &self.point
    }

    /// Heap bytes held (33 rows × 8 affine points).
    pub fn bytes(&self) -> usize {
        self.table.table_bytes()
    }
}

/// Encrypts `msg` (non-empty) to the public point `p` (validated by the caller: on the
/// curve, not the identity), steps A1–A8 of GB/T 32918.4 §6.1.
///
/// - A1: k from `rng` (`draw_k`).
/// - A2: C1 = \[k\]G from the generator's precomputed table.
/// - A3: S = \[h\]P is P itself: the SM2 cofactor h is 1, and P was validated as a
///   non-identity point of the curve, whose order n is prime. No multiplication by 1.
/// - A4: \[k\]P by the crate's constant-time variable-base multiplication (4-bit
///   windows, every table entry read); C1 and \[k\]P are brought to affine coordinates
///   together, with one field inversion.
/// - A5–A8 as written. k is redrawn if `[k]P` is the identity or t is all zeros, as the
///   standard asks (neither happens for a valid P and k in [1, n−1]).
///
/// The output is the same as [`encrypt_reference`]'s for the same `rng` bytes.
pub fn encrypt(p: &::sm2::PublicKey, msg: &[u8], rng: &mut impl CryptoRngCore) -> Ciphertext {
    let point = p.to_projective();
    encrypt_inner(|k| point * k, msg, rng)
}

/// [`encrypt`] to the key of a precomputed [`KeyTable`]: `[k]P` is a fixed-base
/// multiplication too, so the whole encryption is two of them and one inversion.
pub fn encrypt_with_table(
    table: &KeyTable,
    msg: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Ciphertext {
    encrypt_inner(|k| table.table.mul(k), msg, rng)
}

fn encrypt_inner(
    k_times_p: impl Fn(&Scalar) -> ProjectivePoint,
    msg: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Ciphertext {
    assert!(!msg.is_empty(), "callers refuse an empty message");
    let g = g_table();
    loop {
        let k = draw_k(rng);
        let c1 = g.mul(&k);
        let s = k_times_p(&k);
        let [c1, s] = ProjectivePoint::batch_normalize(&[c1, s]);
        // C1 is never the identity for k in [1, n−1]; [k]P is checked as A4 asks.
        let (Some(c1), Some(s)) = (coordinates(&c1), coordinates(&s)) else {
            continue;
        };
        if let Some(ct) = finish(&c1, &s, msg) {
            return ct;
        }
    }
}

/// A5–A8 from the affine C1 and (x2, y2); `None` when t is all zeros (redraw k).
fn finish(
    c1: &([u8; COORD_LEN], [u8; COORD_LEN]),
    s: &([u8; COORD_LEN], [u8; COORD_LEN]),
    msg: &[u8],
) -> Option<Ciphertext> {
    let (x2, y2) = (&s.0, &s.1);
    let t = kdf(x2, y2, msg.len());
    if t.iter().all(|&b| b == 0) {
        return None;
    }
    let c2 = msg.iter().zip(t.iter()).map(|(m, t)| m ^ t).collect();
    Some(Ciphertext {
        x1: c1.0,
        y1: c1.1,
        c3: c3_of(x2, msg, y2),
        c2,
    })
}

/// The textbook A1–A8, step by step on the crate's arithmetic: `[k]G` and `[k]([h]P)`
/// as generic variable-base multiplications (including the multiplication by h = 1),
/// each brought to affine coordinates with its own inversion. Kept as the reference
/// the fast path is tested against, and as a benchmark baseline on the same
/// arithmetic; the server never calls it.
pub fn encrypt_reference(
    p: &::sm2::PublicKey,
    msg: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Ciphertext {
    assert!(!msg.is_empty(), "callers refuse an empty message");
    let h = Scalar::ONE;
    let p = p.to_projective();
    loop {
        let k = draw_k(rng);
        let c1 = (ProjectivePoint::GENERATOR * *k).to_affine();
        let hp = p * h;
        let s = (hp * *k).to_affine();
        let (Some(c1), Some(s)) = (coordinates(&c1), coordinates(&s)) else {
            continue;
        };
        if let Some(ct) = finish(&c1, &s, msg) {
            return ct;
        }
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

    /// Replays fixed bytes as the RNG: how a chosen k reaches the encryption.
    struct Replay(Vec<u8>);

    impl rand_core::RngCore for Replay {
        fn next_u32(&mut self) -> u32 {
            rand_core::impls::next_u32_via_fill(self)
        }
        fn next_u64(&mut self) -> u64 {
            rand_core::impls::next_u64_via_fill(self)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.copy_from_slice(&self.0[..dest.len()]);
            self.0.drain(..dest.len());
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl rand_core::CryptoRng for Replay {}

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// GM/T 0003.5-2012 Annex C through all three encryptions, bit for bit.
    #[test]
    fn annex_c_through_every_path() {
        let d = ::sm2::SecretKey::from_slice(&h(
            "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8",
        ))
        .unwrap();
        let p = d.public_key();
        let k = h("59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21");
        let msg = b"encryption standard";
        let want = h(concat!(
            "0404EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73",
            "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0",
            "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766",
            "21886CA989CA9C7D58087307CA93092D651EFA"
        ));
        let table = KeyTable::new(&p);
        let runs = [
            encrypt(&p, msg, &mut Replay(k.clone())),
            encrypt_with_table(&table, msg, &mut Replay(k.clone())),
            encrypt_reference(&p, msg, &mut Replay(k.clone())),
        ];
        for ct in runs {
            assert_eq!(hex::encode_upper(ct.to_raw()), hex::encode_upper(&want));
            assert_eq!(decrypt(&d, &ct).unwrap().expose(), msg);
        }
    }

    /// The fast paths produce exactly the reference's ciphertexts for the same
    /// randomness, over many keys, k and lengths (including a k ≥ n that is redrawn).
    #[test]
    fn fast_paths_match_the_reference() {
        use rand_chacha::rand_core::SeedableRng;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        for i in 0..24 {
            let d = ::sm2::SecretKey::random(&mut rng);
            let p = d.public_key();
            let table = KeyTable::new(&p);
            assert_eq!(table.public_key(), &p);
            let len = [1, 16, 32, 33, 100, 4096][i % 6];
            let msg: Vec<u8> = (0..len).map(|j| (j * 31 + i) as u8).collect();
            let mut k = vec![0u8; 32];
            rand_core::RngCore::fill_bytes(&mut rng, &mut k);
            if i == 5 {
                // First draw ≥ n (all ones) is refused and the next 32 bytes are used.
                k = [vec![0xff; 32], k].concat();
            }
            let want = encrypt_reference(&p, &msg, &mut Replay(k.clone()));
            assert_eq!(encrypt(&p, &msg, &mut Replay(k.clone())), want);
            assert_eq!(encrypt_with_table(&table, &msg, &mut Replay(k)), want);
            assert_eq!(decrypt(&d, &want).unwrap().expose(), &msg[..]);
        }
    }

    #[test]
    fn key_table_size() {
        let p = ::sm2::SecretKey::from_slice(&[7u8; 32])
            .unwrap()
            .public_key();
        let bytes = KeyTable::new(&p).bytes();
        assert_eq!(bytes, 33 * 8 * std::mem::size_of::<AffinePoint>());
        assert!(bytes <= 20 * 1024, "{bytes}");
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
