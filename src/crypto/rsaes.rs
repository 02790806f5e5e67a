//! RSA encryption to a recipient's public key (RFC 8017 §7): RSAES-OAEP and
//! RSAES-PKCS1-v1_5, the sender's side only.
//!
//! Why not the `rsa` crate's `encrypt`: its public operation is `num-bigint-dig`'s
//! `modpow`, which walks all 64 bits of the exponent's word with a 4-bit window (about
//! 94 Montgomery multiplications for e = 65537, where 17 do) on allocating, variable-time
//! integers. It was half of a delivery request's CPU (BENCHMARKS.md). Here the
//! arithmetic is `crypto-bigint`'s constant-time Montgomery multiplication (the same
//! crate `rsa` 0.10 moves to), driven by plain square-and-multiply over the bits of the
//! public exponent, with the Montgomery parameters computed once per key: a 2048-bit
//! encryption drops from about 120 µs to about 22 µs, and the timing no longer depends
//! on the padded message, which carries the data key.
//!
//! The encodings are RFC 8017's EME-OAEP (§7.1.1 step 2, MGF1 with the same hash, empty
//! label) and EME-PKCS1-v1_5 (§7.2.1 step 2). They read the random generator exactly as
//! the `rsa` crate 0.9 does (the OAEP seed in one `fill_bytes`; the v1.5 padding string
//! in one `fill_bytes`, then one byte at a time for every zero byte), so under the same
//! seeded generator both produce the same ciphertext byte for byte — which the unit
//! tests check, and which keeps `test-vectors/` (made by the `rsa` crate) reproducible.
//! The recipient's side (decryption, for `smkms unwrap` and tests) stays with the `rsa`
//! crate, so every test that decrypts our output does so with code that is not ours.

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use rand_core::CryptoRngCore;
use sha2::digest::{Digest, FixedOutputReset};
use zeroize::Zeroizing;

/// A validated RSA public key, ready to encrypt: the modulus, the exponent and the
/// modulus's Montgomery parameters (computed once, about 10–20 µs for 2048 bits, which
/// is why a parsed key is worth caching).
#[derive(Clone)]
pub struct RsaPublicKey {
    /// Big-endian, no leading zero byte; `k` bytes.
    n: Box<[u8]>,
    e: u64,
    params: BoxedMontyParams,
}

/// The message does not fit the modulus with this padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageTooLong;

impl RsaPublicKey {
    /// `n` big-endian (leading zero bytes allowed); `e` the public exponent. Refuses
    /// an even modulus (no Montgomery form exists, and no real key has one) and an
    /// exponent below 3; the caller enforces its own size policy.
    pub fn new(n: &[u8], e: u64) -> Result<Self, &'static str> {
        let start = n.iter().position(|&b| b != 0).unwrap_or(n.len());
        let n = &n[start..];
        if n.len() < 64 {
            return Err("the modulus is too small");
        }
        if e < 3 {
            return Err("the public exponent is below 3");
        }
        let bits = u32::try_from(n.len() * 8).map_err(|_| "the modulus is too large")?;
        let modulus =
            BoxedUint::from_be_slice(n, bits).map_err(|_| "the modulus does not decode")?;
        let odd = Option::<Odd<BoxedUint>>::from(Odd::new(modulus)).ok_or("the modulus is even")?;
        Ok(RsaPublicKey {
            n: n.into(),
            e,
            // The modulus is public: the variable-time set-up is safe and faster.
            params: BoxedMontyParams::new_vartime(odd),
        })
    }

    /// The modulus, big-endian, without leading zeros.
    pub fn modulus(&self) -> &[u8] {
        &self.n
    }

    pub fn exponent(&self) -> u64 {
        self.e
    }

    /// `k`: the modulus's length in bytes, which is every ciphertext's length.
    pub fn size(&self) -> usize {
        self.n.len()
    }

    /// The modulus's length in bits.
    pub fn bits(&self) -> usize {
        self.n.len() * 8 - self.n[0].leading_zeros() as usize
    }

    /// RSAES-OAEP-ENCRYPT with hash `D` for both the label hash and MGF1, empty label.
    pub fn encrypt_oaep<D: Digest + FixedOutputReset>(
        &self,
        rng: &mut (impl CryptoRngCore + ?Sized),
        msg: &[u8],
    ) -> Result<Vec<u8>, MessageTooLong> {
        let k = self.size();
        let h_len = <D as Digest>::output_size();
        if msg.len() + 2 * h_len + 2 > k {
            return Err(MessageTooLong);
        }
        // EM = 0x00 ‖ maskedSeed ‖ maskedDB, DB = lHash ‖ PS ‖ 0x01 ‖ M
        let mut em = Zeroizing::new(vec![0u8; k]);
        let (seed, db) = em[1..].split_at_mut(h_len);
        rng.fill_bytes(seed);
        let db_len = db.len();
        db[..h_len].copy_from_slice(&D::digest([]));
        db[db_len - msg.len() - 1] = 1;
        db[db_len - msg.len()..].copy_from_slice(msg);
        let mut hash = D::new();
        mgf1_xor(&mut hash, seed, db);
        mgf1_xor(&mut hash, db, seed);
        Ok(self.raw_encrypt(&em))
    }

    /// RSAES-PKCS1-V1_5-ENCRYPT.
    pub fn encrypt_pkcs1v15(
        &self,
        rng: &mut (impl CryptoRngCore + ?Sized),
        msg: &[u8],
    ) -> Result<Vec<u8>, MessageTooLong> {
        let k = self.size();
        if msg.len() + 11 > k {
            return Err(MessageTooLong);
        }
        // EM = 0x00 ‖ 0x02 ‖ PS (non-zero random, ≥ 8 bytes) ‖ 0x00 ‖ M
        let mut em = Zeroizing::new(vec![0u8; k]);
        em[1] = 2;
        let ps = &mut em[2..k - msg.len() - 1];
        rng.fill_bytes(ps);
        for b in ps.iter_mut() {
            while *b == 0 {
                rng.fill_bytes(std::slice::from_mut(b));
            }
        }
        em[k - msg.len()..].copy_from_slice(msg);
        Ok(self.raw_encrypt(&em))
    }

    /// RSAEP: `em`^e mod n, for an encoded message of exactly `k` bytes whose first byte
    /// is zero (so it is below n). Square-and-multiply branches on the exponent's bits,
    /// which are public; every multiplication is constant-time in the message.
    fn raw_encrypt(&self, em: &[u8]) -> Vec<u8> {
        debug_assert!(em.len() == self.size() && em[0] == 0);
        let precision = self.params.bits_precision();
        let m = Zeroizing::new(
            BoxedUint::from_be_slice(em, precision).expect("k bytes fit the modulus precision"),
        );
        let base = Zeroizing::new(BoxedMontyForm::new((*m).clone(), &self.params));
        let mut acc = Zeroizing::new((*base).clone());
        let top = 63 - self.e.leading_zeros();
        for bit in (0..top).rev() {
            *acc = acc.square();
            if (self.e >> bit) & 1 == 1 {
                *acc = acc.mul(&base);
            }
        }
        let c = acc.retrieve().to_be_bytes();
        // `c` is padded to whole limbs; the ciphertext is exactly k bytes (I2OSP).
        c[c.len() - self.size()..].to_vec()
    }
}

/// `out` ^= MGF1(seed, out.len()) with `hash` (RFC 8017 B.2.1).
pub(crate) fn mgf1_xor<D: Digest + FixedOutputReset>(hash: &mut D, seed: &[u8], out: &mut [u8]) {
    let h_len = <D as Digest>::output_size();
    for (counter, chunk) in (0u32..).zip(out.chunks_mut(h_len)) {
        Digest::update(hash, seed);
        Digest::update(hash, counter.to_be_bytes());
        let mask = hash.finalize_reset();
        for (o, m) in chunk.iter_mut().zip(mask.iter()) {
            *o ^= m;
        }
    }
}

impl PartialEq for RsaPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n && self.e == other.e
    }
}

impl Eq for RsaPublicKey {}

impl std::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaPublicKey({} bits, e = {})", self.bits(), self.e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use rsa::traits::PublicKeyParts;

    /// 2048 and 3072 bits, and 2056 (a modulus that is not a whole number of limbs).
    fn keys() -> Vec<rsa::RsaPrivateKey> {
        use rsa::pkcs8::DecodePrivateKey;
        [
            include_str!("deliver/testdata/rsa2048.pkcs8"),
            include_str!("deliver/testdata/rsa2056.pkcs8"),
            include_str!("deliver/testdata/rsa3072.pkcs8"),
        ]
        .into_iter()
        .map(|pem| rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap())
        .collect()
    }

    fn ours(k: &rsa::RsaPrivateKey) -> RsaPublicKey {
        let e = k
            .e()
            .to_bytes_be()
            .iter()
            .fold(0u64, |a, &b| a << 8 | b as u64);
        RsaPublicKey::new(&k.n().to_bytes_be(), e).unwrap()
    }

    /// Under the same seeded generator, our ciphertexts are the `rsa` crate's, byte
    /// for byte, for every padding, several sizes (one not a multiple of 64 bits) and
    /// message lengths from empty to the maximum; and the `rsa` crate decrypts them.
    #[test]
    fn bit_exact_with_the_rsa_crate() {
        for sk in keys() {
            let theirs = rsa::RsaPublicKey::from(&sk);
            let pk = ours(&sk);
            assert_eq!(pk.size(), theirs.size());
            assert_eq!(pk.bits(), theirs.n().bits());
            let k = pk.size();
            for len in [0, 1, 16, 32, 64, k - 66, k - 42, k - 11] {
                let msg: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
                for seed in 0..3u64 {
                    let r = || ChaCha20Rng::seed_from_u64(seed);
                    if len + 11 <= k {
                        let a = pk.encrypt_pkcs1v15(&mut r(), &msg).unwrap();
                        let b = theirs
                            .encrypt(&mut r(), rsa::Pkcs1v15Encrypt, &msg)
                            .unwrap();
                        assert_eq!(a, b, "PKCS1 v1.5, {} bits, {len} bytes", pk.bits());
                        assert_eq!(sk.decrypt(rsa::Pkcs1v15Encrypt, &a).unwrap(), msg);
                    }
                    if len + 42 <= k {
                        let a = pk.encrypt_oaep::<sha1::Sha1>(&mut r(), &msg).unwrap();
                        let b = theirs
                            .encrypt(&mut r(), rsa::Oaep::new::<sha1::Sha1>(), &msg)
                            .unwrap();
                        assert_eq!(a, b, "OAEP-SHA-1, {} bits, {len} bytes", pk.bits());
                    }
                    if len + 66 <= k {
                        let a = pk.encrypt_oaep::<sha2::Sha256>(&mut r(), &msg).unwrap();
                        let b = theirs
                            .encrypt(&mut r(), rsa::Oaep::new::<sha2::Sha256>(), &msg)
                            .unwrap();
                        assert_eq!(a, b, "OAEP-SHA-256, {} bits, {len} bytes", pk.bits());
                        let back = sk.decrypt(rsa::Oaep::new::<sha2::Sha256>(), &a).unwrap();
                        assert_eq!(back, msg);
                    }
                }
            }
        }
    }

    /// The v1.5 padding string is redrawn byte by byte where the generator gives zeros.
    #[test]
    fn pkcs1_padding_has_no_zero_bytes() {
        struct Zeros(u32);
        impl rand_core::RngCore for Zeros {
            fn next_u32(&mut self) -> u32 {
                rand_core::impls::next_u32_via_fill(self)
            }
            fn next_u64(&mut self) -> u64 {
                rand_core::impls::next_u64_via_fill(self)
            }
            fn fill_bytes(&mut self, dest: &mut [u8]) {
                // Every other byte is zero, then ones: the redraw loop must run.
                for b in dest {
                    self.0 += 1;
                    *b = if self.0 % 2 == 0 { 0 } else { 0x5a };
                }
            }
            fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
                self.fill_bytes(dest);
                Ok(())
            }
        }
        impl rand_core::CryptoRng for Zeros {}
        let sk = &keys()[0];
        let pk = ours(sk);
        let ct = pk.encrypt_pkcs1v15(&mut Zeros(0), b"key").unwrap();
        assert_eq!(sk.decrypt(rsa::Pkcs1v15Encrypt, &ct).unwrap(), b"key");
        let theirs = rsa::RsaPublicKey::from(sk);
        let b = theirs
            .encrypt(&mut Zeros(0), rsa::Pkcs1v15Encrypt, b"key")
            .unwrap();
        assert_eq!(ct, b);
    }

    #[test]
    fn refusals() {
        let sk = &keys()[0];
        let pk = ours(sk);
        let k = pk.size();
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        assert_eq!(
            pk.encrypt_pkcs1v15(&mut rng, &vec![1; k - 10]),
            Err(MessageTooLong)
        );
        assert_eq!(
            pk.encrypt_oaep::<sha2::Sha256>(&mut rng, &vec![1; k - 65]),
            Err(MessageTooLong)
        );
        let mut even = sk.n().to_bytes_be();
        *even.last_mut().unwrap() &= 0xfe;
        assert_eq!(
            RsaPublicKey::new(&even, 65537).err(),
            Some("the modulus is even")
        );
        assert!(RsaPublicKey::new(&sk.n().to_bytes_be(), 1).is_err());
        assert!(RsaPublicKey::new(&[0, 0, 3], 3).is_err());
        // Leading zero bytes are not part of k.
        let mut padded = vec![0, 0];
        padded.extend(sk.n().to_bytes_be());
        assert_eq!(RsaPublicKey::new(&padded, 65537).unwrap(), pk);
        assert_eq!(format!("{pk:?}"), "RsaPublicKey(2048 bits, e = 65537)");
    }

    /// Exponents other than 65537 take the same square-and-multiply path.
    #[test]
    fn small_and_large_exponents() {
        let sk = &keys()[0];
        let n = sk.n().to_bytes_be();
        for e in [3u64, 17, 65537, (1 << 32) + 1] {
            let pk = RsaPublicKey::new(&n, e).unwrap();
            let theirs = rsa::RsaPublicKey::new_unchecked(sk.n().clone(), rsa::BigUint::from(e));
            let r = || ChaCha20Rng::seed_from_u64(e);
            let a = pk
                .encrypt_oaep::<sha1::Sha1>(&mut r(), b"data key")
                .unwrap();
            let b = theirs
                .encrypt(&mut r(), rsa::Oaep::new::<sha1::Sha1>(), b"data key")
                .unwrap();
            assert_eq!(a, b, "e = {e}");
        }
    }
}
