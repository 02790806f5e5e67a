//! RSA-2048 private-key operations for asymmetric CMKs: decryption (RSAES-PKCS1-v1_5,
//! RSAES-OAEP with SHA-1 or SHA-256) and signatures (RSASSA-PKCS1-v1_5 and RSASSA-PSS
//! with SHA-256), RFC 8017.
//!
//! # Why not the `rsa` crate's private operation
//!
//! `rsa` 0.9's decryption and signing run on `num-bigint-dig`, whose arithmetic is
//! variable-time; with blinding it still leaks enough for the Marvin attack
//! (RUSTSEC-2023-0071: a timing side channel that recovers the plaintext of an RSA
//! ciphertext, or forges a signature, from many timed decryptions). A KMS is the
//! textbook victim: anyone allowed to call `AsymmetricRsaDecrypt` can time it. So the
//! private operation here is our own, on `crypto-bigint`'s fixed-size integers (the
//! crate `crypto::rsaes` already uses for encryption, and the one `rsa` 0.10 moves to):
//!
//! - every step on secret values is constant-time: Montgomery multiplication and
//!   exponentiation with a fixed window over all 1024 bits of the CRT exponents
//!   (`FixedMontyForm::pow`), constant-time reductions (`Uint::rem`, `rem_wide`) and a
//!   constant-time inversion (`FixedMontyForm::invert`);
//! - the input is blinded (c·r^e, then ·r⁻¹ at the end, with a fresh r from the OS
//!   CSPRNG for every operation), so even a leak in the arithmetic would be over a
//!   value the caller does not know;
//! - the result is checked with the public exponent before it is used (m^e = c), which
//!   stops a fault in the CRT from handing out a factor of n (the Bellcore attack on
//!   CRT signatures);
//! - the padding checks are constant-time (`subtle`), branch-free over the whole
//!   encoded message, and every failure is the same [`DecryptFailed`].
//!
//! What remains observable is inherent in the API: whether a decryption succeeded, and
//! (when it did) the length of the plaintext. For RSAES-PKCS1-v1_5 the first is itself
//! a padding oracle at the protocol level (Bleichenbacher 1998) however constant the
//! code is; callers that can choose should use OAEP.
//!
//! The key is RSA-2048 only, with two balanced 1024-bit primes (what `rsa` generates,
//! and all [`super::PrivateKey::from_der`] accepts); that lets every integer be a fixed
//! `U2048`/`U1024` that lives on the stack and is zeroized, instead of heap `BoxedUint`s
//! whose Montgomery parameters sit in an `Arc` nothing can wipe. The `rsa` crate still
//! generates keys, reads and writes PKCS#8, and verifies signatures (public data only).

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{NonZero, Odd, U1024, U2048};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater};
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::rsaes::mgf1_xor;
use crate::crypto::secret::SecretBytes;
use crate::crypto::DecryptFailed;

/// Bytes in the modulus (k).
pub const K: usize = 256;
const HALF: usize = K / 2;
const NL: usize = U2048::LIMBS;
const HL: usize = U1024::LIMBS;

/// The SHA-256 DigestInfo prefix of EMSA-PKCS1-v1_5 (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
/// The PSS salt length: the digest's length, what OpenSSL's `rsa_pss_saltlen:digest`
/// produces and checks, and what Tencent documents for RSA_PSS_SHA_256.
pub const PSS_SALT_LEN: usize = 32;

/// An RSA-2048 private key prepared for constant-time CRT. Never printed.
pub(super) struct RsaKey {
    n: FixedMontyParams<NL>,
    e: u64,
    p: FixedMontyParams<HL>,
    q: FixedMontyParams<HL>,
    dp: U1024,
    dq: U1024,
    /// q⁻¹ mod p.
    qinv: U1024,
}

impl Drop for RsaKey {
    fn drop(&mut self) {
        self.p.zeroize();
        self.q.zeroize();
        self.dp.zeroize();
        self.dq.zeroize();
        self.qinv.zeroize();
    }
}

/// Big-endian bytes of at most `N` bytes, left-padded to exactly `N`.
fn padded<const N: usize>(be: &[u8]) -> Option<Zeroizing<[u8; N]>> {
    let start = be.iter().position(|&b| b != 0).unwrap_or(be.len());
    let be = &be[start..];
    if be.len() > N {
        return None;
    }
    let mut out = Zeroizing::new([0u8; N]);
    out[N - be.len()..].copy_from_slice(be);
    Some(out)
}

impl RsaKey {
    /// From a key the `rsa` crate has parsed and validated. `None` unless n has exactly
    /// 2048 bits, p and q fit 1024 bits each, and e fits 64 bits.
    pub(super) fn new(key: &rsa::RsaPrivateKey) -> Option<RsaKey> {
        if key.n().bits() != 2048 || key.primes().len() != 2 {
            return None;
        }
        let e_be = key.e().to_bytes_be();
        if e_be.len() > 8 {
            return None;
        }
        let e = e_be.iter().fold(0u64, |a, &b| a << 8 | u64::from(b));
        let n = U2048::from_be_slice(&*padded::<K>(&key.n().to_bytes_be())?);
        let p = U1024::from_be_slice(&*padded::<HALF>(&Zeroizing::new(
            key.primes()[0].to_bytes_be(),
        ))?);
        let q = U1024::from_be_slice(&*padded::<HALF>(&Zeroizing::new(
            key.primes()[1].to_bytes_be(),
        ))?);
        let d = Zeroizing::new(U2048::from_be_slice(&*padded::<K>(&Zeroizing::new(
            key.d().to_bytes_be(),
        ))?));
        let p_odd = Option::<Odd<U1024>>::from(Odd::new(p))?;
        let q_odd = Option::<Odd<U1024>>::from(Odd::new(q))?;
        let n_odd = Option::<Odd<U2048>>::from(Odd::new(n))?;
        let p_params = FixedMontyParams::new(p_odd);
        let q_params = FixedMontyParams::new(q_odd);
        // d mod (p − 1) and d mod (q − 1), with constant-time division.
        let pm1 = Option::<NonZero<U1024>>::from(NonZero::new(p.wrapping_sub(&U1024::ONE)))?;
        let qm1 = Option::<NonZero<U1024>>::from(NonZero::new(q.wrapping_sub(&U1024::ONE)))?;
        let dp = d.rem(&pm1);
        let dq = d.rem(&qm1);
        let q_mod_p = q.rem(p_params.modulus().as_nz_ref());
        let qinv =
            Option::<FixedMontyForm<HL>>::from(FixedMontyForm::new(&q_mod_p, &p_params).invert())?
                .retrieve();
        let key = RsaKey {
            // n is public: the variable-time set-up is fine.
            n: FixedMontyParams::new_vartime(n_odd),
            e,
            p: p_params,
            q: q_params,
            dp,
            dq,
            qinv,
        };
        // The parts must agree (p·q = n, and the exponents invert each other): one
        // round trip through the private operation shows both.
        // private_op checks its result with e.
        let mut probe = [0x5au8; K];
        probe[0] = 0;
        key.private_op(&probe).ok()?;
        Some(key)
    }

    pub(super) fn public_n(&self) -> U2048 {
        *self.n.modulus().as_ref()
    }

    fn pow_e(&self, x: &FixedMontyForm<NL>) -> FixedMontyForm<NL> {
        // e is public: square-and-multiply may branch on its bits.
        x.pow_vartime(&crypto_bigint::U64::from_u64(self.e))
    }

    /// RSADP / RSASP1 (RFC 8017 §5.1.2, §5.2.1) on `input` (exactly k bytes, below n):
    /// blinded, CRT, constant-time, checked with e. Returns the k-byte result.
    fn private_op(&self, input: &[u8]) -> Result<Zeroizing<[u8; K]>, DecryptFailed> {
        if input.len() != K {
            return Err(DecryptFailed);
        }
        let n = self.public_n();
        let c = U2048::from_be_slice(input);
        // c < n (public values: a plain comparison is fine).
        if c >= n {
            return Err(DecryptFailed);
        }
        // Blinding factor r, uniform enough in [0, n): 4096 random bits reduced mod n.
        let mut wide = Zeroizing::new([0u8; 2 * K]);
        crate::crypto::random::fill(&mut wide[..]);
        let lo = Zeroizing::new(U2048::from_be_slice(&wide[K..]));
        let hi = Zeroizing::new(U2048::from_be_slice(&wide[..K]));
        let r = Zeroizing::new(U2048::rem_wide((*lo, *hi), self.n.modulus().as_nz_ref()));
        let r_m = FixedMontyForm::new(&r, &self.n);
        let r_inv = Option::<FixedMontyForm<NL>>::from(r_m.invert()).ok_or(DecryptFailed)?;
        let c_m = FixedMontyForm::new(&c, &self.n);
        let blinded = Zeroizing::new(c_m.mul(&self.pow_e(&r_m)).retrieve());

        // CRT halves: m_p = c^dp mod p, m_q = c^dq mod q.
        let cp = Zeroizing::new(blinded.rem(self.p.modulus().as_nz_ref()));
        let cq = Zeroizing::new(blinded.rem(self.q.modulus().as_nz_ref()));
        let mp = FixedMontyForm::new(&cp, &self.p).pow(&self.dp);
        let mq = Zeroizing::new(FixedMontyForm::new(&cq, &self.q).pow(&self.dq).retrieve());
        // Garner: h = qinv·(m_p − m_q) mod p; m = m_q + h·q (< n, no reduction needed).
        let mq_p = Zeroizing::new(mq.rem(self.p.modulus().as_nz_ref()));
        let h = FixedMontyForm::new(&self.qinv, &self.p)
            .mul(&mp.sub(&FixedMontyForm::new(&mq_p, &self.p)))
            .retrieve();
        let hq: U2048 = h.concatenating_mul(self.q.modulus().as_ref());
        let m_blinded = Zeroizing::new(hq.wrapping_add(&mq.resize::<NL>()));
        let m_m = FixedMontyForm::new(&m_blinded, &self.n).mul(&r_inv);

        // Check with the public exponent before anything leaves.
        // (Both sides are the public c unless something went wrong.)
        if self.pow_e(&m_m).retrieve() != c {
            return Err(DecryptFailed);
        }
        let m = Zeroizing::new(m_m.retrieve());
        let mut out = Zeroizing::new([0u8; K]);
        out.copy_from_slice(m.to_be_bytes().as_ref());
        Ok(out)
    }

    /// RSAES-PKCS1-V1_5-DECRYPT (§7.2.2), the padding checked in constant time.
    pub(super) fn decrypt_pkcs1v15(&self, ct: &[u8]) -> Result<SecretBytes, DecryptFailed> {
        let em = self.private_op(ct)?;
        let (valid, start) = pkcs1v15_unpad(&em[..]);
        if bool::from(valid) {
            Ok(SecretBytes::from_slice(&em[start..]))
        } else {
            Err(DecryptFailed)
        }
    }

    /// RSAES-OAEP-DECRYPT (§7.1.2) with hash `D` for the label and MGF1, empty label.
    pub(super) fn decrypt_oaep<D: Digest + sha2::digest::FixedOutputReset>(
        &self,
        ct: &[u8],
    ) -> Result<SecretBytes, DecryptFailed> {
        let mut em = self.private_op(ct)?;
        let (valid, start) = oaep_unpad::<D>(&mut em[..]);
        if bool::from(valid) {
            Ok(SecretBytes::from_slice(&em[start..]))
        } else {
            Err(DecryptFailed)
        }
    }

    /// RSASSA-PKCS1-V1_5-SIGN (§8.2.1) over a SHA-256 hash.
    pub(super) fn sign_pkcs1v15_sha256(&self, hash: &[u8; 32]) -> Vec<u8> {
        let mut em = [0xffu8; K];
        em[0] = 0;
        em[1] = 1;
        let t = K - SHA256_DIGEST_INFO.len() - 32;
        em[t - 1] = 0;
        em[t..t + SHA256_DIGEST_INFO.len()].copy_from_slice(&SHA256_DIGEST_INFO);
        em[K - 32..].copy_from_slice(hash);
        self.private_op(&em)
            .expect("a valid key signs an encoded message below n")
            .to_vec()
    }

    /// RSASSA-PSS-SIGN (§8.1.1) over a SHA-256 hash: MGF1-SHA-256, a 32-byte random
    /// salt, trailer 0xbc.
    pub(super) fn sign_pss_sha256(&self, hash: &[u8; 32]) -> Vec<u8> {
        let mut salt = [0u8; PSS_SALT_LEN];
        crate::crypto::random::fill(&mut salt);
        self.private_op(&pss_encode(hash, &salt))
            .expect("a valid key signs an encoded message below n")
            .to_vec()
    }
}

/// EMSA-PSS-ENCODE (§9.1.1) for a 2048-bit modulus (emBits = 2047, emLen = k).
fn pss_encode(hash: &[u8; 32], salt: &[u8; PSS_SALT_LEN]) -> [u8; K] {
    let h: [u8; 32] = Sha256::new()
        .chain_update([0u8; 8])
        .chain_update(hash)
        .chain_update(salt)
        .finalize()
        .into();
    let mut em = [0u8; K];
    let db_len = K - 32 - 1;
    {
        let db = &mut em[..db_len];
        db[db_len - PSS_SALT_LEN - 1] = 1;
        db[db_len - PSS_SALT_LEN..].copy_from_slice(salt);
        mgf1_xor(&mut Sha256::new(), &h, db);
        // 8·emLen − emBits = 1 leftmost bit cleared.
        db[0] &= 0x7f;
    }
    em[db_len..K - 1].copy_from_slice(&h);
    em[K - 1] = 0xbc;
    em
}

/// EME-PKCS1-v1_5 decoding in constant time: `(valid, index of the message)`.
/// Valid is `00 02 PS 00 M` with PS at least 8 non-zero bytes.
fn pkcs1v15_unpad(em: &[u8]) -> (Choice, usize) {
    let mut valid = em[0].ct_eq(&0) & em[1].ct_eq(&2);
    let mut looking = Choice::from(1);
    let mut zero_at = 0u32;
    for (i, b) in em.iter().enumerate().skip(2) {
        let is_zero = b.ct_eq(&0);
        zero_at = u32::conditional_select(&zero_at, &(i as u32), looking & is_zero);
        looking &= !is_zero;
    }
    // The separator was found, after at least 8 bytes of PS (index ≥ 10).
    valid &= !looking & zero_at.ct_gt(&9);
    (valid, zero_at as usize + 1)
}

/// EME-OAEP decoding (§7.1.2 step 3) in place, in constant time: `(valid, index of the
/// message)` in `em`.
fn oaep_unpad<D: Digest + sha2::digest::FixedOutputReset>(em: &mut [u8]) -> (Choice, usize) {
    let h_len = <D as Digest>::output_size();
    let l_hash = D::digest([]);
    let y = em[0];
    let (seed, db) = em[1..].split_at_mut(h_len);
    let mut hash = D::new();
    mgf1_xor(&mut hash, db, seed);
    mgf1_xor(&mut hash, seed, db);
    let mut valid = y.ct_eq(&0) & db[..h_len].ct_eq(&l_hash[..]);
    let mut looking = Choice::from(1);
    let mut one_at = 0u32;
    let mut bad = Choice::from(0);
    for (i, b) in db.iter().enumerate().skip(h_len) {
        let is_zero = b.ct_eq(&0);
        let is_one = b.ct_eq(&1);
        one_at = u32::conditional_select(&one_at, &(i as u32), looking & is_one);
        bad |= looking & !is_zero & !is_one;
        looking &= !is_one;
    }
    valid &= !bad & !looking;
    // db starts at em[1 + h_len]; the message after the 0x01.
    (valid, 1 + h_len + one_at as usize + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs1v15_padding_rules() {
        let mut em = [0x11u8; K];
        em[0] = 0;
        em[1] = 2;
        em[K - 5] = 0;
        let (ok, at) = pkcs1v15_unpad(&em);
        assert!(bool::from(ok));
        assert_eq!(at, K - 4);
        // PS of exactly 8 bytes is fine, 7 is not.
        let mut em8 = [0x11u8; K];
        em8[0] = 0;
        em8[1] = 2;
        em8[10] = 0;
        assert!(bool::from(pkcs1v15_unpad(&em8).0));
        em8[10] = 1;
        em8[9] = 0;
        assert!(!bool::from(pkcs1v15_unpad(&em8).0));
        // No separator, wrong first bytes.
        let mut none = [0x11u8; K];
        none[1] = 2;
        none[0] = 0;
        assert!(!bool::from(pkcs1v15_unpad(&none).0));
        let mut wrong = em;
        wrong[1] = 1;
        assert!(!bool::from(pkcs1v15_unpad(&wrong).0));
        wrong = em;
        wrong[0] = 1;
        assert!(!bool::from(pkcs1v15_unpad(&wrong).0));
        // An empty message (separator last) is valid.
        let mut empty = [0x11u8; K];
        empty[0] = 0;
        empty[1] = 2;
        empty[K - 1] = 0;
        let (ok, at) = pkcs1v15_unpad(&empty);
        assert!(bool::from(ok));
        assert_eq!(at, K);
    }
}
