//! SM2 signatures (SM2DSA, GB/T 32918.2-2016) with SM3 and the default distinguishing
//! identifier `1234567812345678` (GM/T 0009), as OpenSSL, gmssl and BouncyCastle use
//! them: `e = SM3(Z_A ‖ M)`, signatures DER `SEQUENCE { INTEGER r, INTEGER s }`.
//!
//! The arithmetic and the nonce (RFC 6979, deterministic) are the RustCrypto `sm2`
//! crate's (`dsa` feature); this module fixes the identifier, the encodings (DER
//! signatures, SubjectPublicKeyInfo PEM with the SM2 curve OID) and keeps the private
//! scalar out of `Debug`. The audit trail signs its chain heads with it.

use ::sm2::dsa::signature::{Signer, Verifier};
use ::sm2::dsa::{Signature, SigningKey as DsaKey, VerifyingKey};
use ::sm2::pkcs8::EncodePublicKey;
use ::sm2::{NonZeroScalar, PublicKey as Point};
use rand_core::OsRng;

use super::super::secret::SecretBytes;

/// The distinguishing identifier every signature here uses (GM/T 0009's default).
pub const DEFAULT_DISTID: &str = "1234567812345678";

/// An SM2 signing key. Its `Debug` shows only the public key's fingerprint.
pub struct SigningKey(DsaKey);

/// An SM2 public key for verifying.
#[derive(Clone)]
pub struct PublicKey(VerifyingKey);

/// A private or public key that is not a usable SM2 key; says nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid SM2 key")]
pub struct BadKey;

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey(public {})", self.public_key().fingerprint())
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

impl SigningKey {
    /// A new key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let d = NonZeroScalar::random(&mut OsRng);
        SigningKey(DsaKey::from_nonzero_scalar(DEFAULT_DISTID, d).expect("the default id fits"))
    }

    /// The 32-byte private scalar, as [`Self::to_bytes`] gives it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BadKey> {
        DsaKey::from_slice(DEFAULT_DISTID, bytes)
            .map(SigningKey)
            .map_err(|_| BadKey)
    }

    pub fn to_bytes(&self) -> SecretBytes {
        SecretBytes::from_slice(&self.0.to_bytes())
    }

    /// The DER signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let sig: Signature = self.0.sign(message);
        super::super::asym::sig::encode(&sig.r_bytes().into(), &sig.s_bytes().into())
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().clone())
    }
}

impl PublicKey {
    /// Whether `signature` (DER, strictly: [`crate::crypto::asym::sig`]) is this key's
    /// signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Some(raw) = super::super::asym::sig::decode(signature) else {
            return false;
        };
        match Signature::from_bytes(&raw) {
            Ok(sig) => self.0.verify(message, &sig).is_ok(),
            Err(_) => false,
        }
    }

    /// SubjectPublicKeyInfo DER: id-ecPublicKey with the curve sm2p256v1
    /// (1.2.156.10197.1.301).
    pub fn to_spki_der(&self) -> Vec<u8> {
        let point: Point = self.0.clone().into();
        point
            .to_public_key_der()
            .expect("a valid point encodes")
            .as_bytes()
            .to_vec()
    }

    /// The `-----BEGIN PUBLIC KEY-----` block OpenSSL reads.
    pub fn to_pem(&self) -> String {
        super::super::keyfile::pem_encode("PUBLIC KEY", &self.to_spki_der())
    }

    /// Reads a `PUBLIC KEY` PEM holding an SM2 key.
    pub fn from_pem(text: &str) -> Result<Self, String> {
        match super::super::keyfile::parse_public_pem(text)? {
            super::super::keyfile::PublicKey::Sm2(point) => {
                VerifyingKey::new(DEFAULT_DISTID, point)
                    .map(PublicKey)
                    .map_err(|_| "is not a usable SM2 public key".into())
            }
            other => Err(format!(
                "is {}; expected an SM2 public key",
                other.describe()
            )),
        }
    }

    /// The first 16 hex characters of SM3 over the SubjectPublicKeyInfo: a short name
    /// for logs and records.
    pub fn fingerprint(&self) -> String {
        use sm3::Digest;
        hex::encode(&sm3::Sm3::digest(self.to_spki_der())[..8])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_refuses_what_it_should() {
        let k = SigningKey::generate();
        let p = k.public_key();
        let sig = k.sign(b"head");
        assert!(p.verify(b"head", &sig));
        assert!(!p.verify(b"heae", &sig));
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(!p.verify(b"head", &bad));
        assert!(!p.verify(b"head", &[]));
        assert!(!p.verify(b"head", &[0x30, 0x00]));
        let mut trailing = sig.clone();
        trailing.push(0);
        assert!(!p.verify(b"head", &trailing), "trailing bytes");
        assert!(!SigningKey::generate().public_key().verify(b"head", &sig));

        let again = SigningKey::from_bytes(k.to_bytes().expose()).unwrap();
        assert_eq!(again.public_key().to_pem(), p.to_pem());
        let read = PublicKey::from_pem(&p.to_pem()).unwrap();
        assert!(read.verify(b"head", &sig));
        assert!(SigningKey::from_bytes(&[0u8; 32]).is_err());
        assert!(SigningKey::from_bytes(&[1u8; 7]).is_err());
        assert!(!format!("{k:?}").contains(&hex::encode(k.to_bytes().expose())));
    }

    /// What OpenSSL, gmssl and BouncyCastle read (tests/audit.rs has them verify real
    /// signatures).
    #[test]
    fn the_spki_names_the_sm2_curve() {
        let der = SigningKey::generate().public_key().to_spki_der();
        // 1.2.840.10045.2.1 id-ecPublicKey, 1.2.156.10197.1.301 sm2p256v1
        let ec = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
        let sm2 = [0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d];
        assert!(der.windows(ec.len()).any(|w| w == ec));
        assert!(der.windows(sm2.len()).any(|w| w == sm2));
    }
}
