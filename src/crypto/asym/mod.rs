//! Asymmetric customer master keys: the key pairs a KMS holds for its callers (SM2,
//! RSA-2048, ECDSA P-256), and what they do: sign and verify, decrypt. Pure crypto: the
//! core seals [`PrivateKey::to_der`] into the store like symmetric material and hands
//! the bytes back to [`PrivateKey::from_der`]; nothing here knows about storage or HTTP.
//!
//! | spec ([`AsymmetricSpec`]) | signatures ([`SignAlgorithm`]) | decryption ([`DecryptAlgorithm`]) |
//! |---|---|---|
//! | `SM2` | `SM2DSA` | `SM2_C1C3C2_ASN1` |
//! | `RSA_2048` | `RSA_PSS_SHA_256`, `RSA_PKCS1_SHA_256` | `RSAES_PKCS1_V1_5`, `RSAES_OAEP_SHA_1`, `RSAES_OAEP_SHA_256` |
//! | `EC_P256` | `ECC_P256_R1` | — |
//!
//! Keys are generated from the OS CSPRNG. Private keys are PKCS#8 DER (what OpenSSL's
//! `genpkey` writes and reads); public keys are SubjectPublicKeyInfo, SM2 as
//! id-ecPublicKey on the curve sm2p256v1 (1.2.156.10197.1.301), which is what OpenSSL
//! 3, gmssl, BouncyCastle and Tencent's `GetPublicKey` use.
//!
//! Which arithmetic does the work: SM2 decryption is [`crate::crypto::sm2::decrypt`],
//! SM2DSA the `sm2` crate's (as [`crate::crypto::sm2::sign`] uses it), ECDSA the
//! `p256` crate's, and the RSA private operation our own constant-time CRT on
//! `crypto-bigint` (its module, `rsa`, says why: RUSTSEC-2023-0071). Verification of RSA
//! signatures is the `rsa` crate's (public data only).

use ::sm2::dsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use ::sm2::dsa::signature::{Signer, Verifier};
use ::sm2::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use der::Decode;
use rand_core::OsRng;
use sha2::{Digest, Sha256};

use super::keyfile::{OID_EC_PUBLIC_KEY, OID_RSA_ENCRYPTION, OID_SM2};
use super::secret::SecretBytes;
pub use super::DecryptFailed;

mod rsa;
pub mod sig;

/// The distinguishing identifier of every SM2 signature here (GM/T 0009's default,
/// what Tencent, OpenSSL's `distid:1234567812345678`, gmssl and BouncyCastle use).
pub use super::sm2::sign::DEFAULT_DISTID;

/// The longest RAW message Sign and Verify take (Tencent: 4096 bytes before Base64).
pub const MAX_RAW_LEN: usize = 4096;
/// A DIGEST message's length: SM3 or SHA-256.
pub const DIGEST_LEN: usize = 32;
/// The longest ciphertext AsymmetricSm2Decrypt takes (Tencent: "no more than 256
/// bytes" of C1C3C2_ASN1, which holds up to about 150 bytes of plaintext). Enforced
/// by the caller, with its own message; [`PrivateKey::decrypt`] takes any length.
pub const MAX_SM2_CIPHERTEXT_LEN: usize = 256;

const OID_P256: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// What kind of key pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AsymmetricSpec {
    Sm2,
    Rsa2048,
    EccP256,
}

impl AsymmetricSpec {
    pub const ALL: [AsymmetricSpec; 3] = [
        AsymmetricSpec::Sm2,
        AsymmetricSpec::Rsa2048,
        AsymmetricSpec::EccP256,
    ];

    /// "SM2", "RSA_2048", "EC_P256" (Huawei's `key_spec` names; Tencent's key usages
    /// end in SM2, RSA_2048 and ECC).
    pub fn name(self) -> &'static str {
        match self {
            AsymmetricSpec::Sm2 => "SM2",
            AsymmetricSpec::Rsa2048 => "RSA_2048",
            AsymmetricSpec::EccP256 => "EC_P256",
        }
    }

    pub fn from_name(name: &str) -> Option<AsymmetricSpec> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for AsymmetricSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A signature algorithm, by Tencent's `Algorithm` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignAlgorithm {
    /// SM2DSA (GB/T 32918.2) over SM3(Z_A ‖ M), Z_A from [`DEFAULT_DISTID`]; DER.
    Sm2Dsa,
    /// ECDSA on P-256 with SHA-256; DER.
    EccP256R1,
    /// RSASSA-PSS, SHA-256 and MGF1-SHA-256, salt 32 bytes.
    RsaPssSha256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1Sha256,
}

impl SignAlgorithm {
    pub const ALL: [SignAlgorithm; 4] = [
        SignAlgorithm::Sm2Dsa,
        SignAlgorithm::EccP256R1,
        SignAlgorithm::RsaPssSha256,
        SignAlgorithm::RsaPkcs1Sha256,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SignAlgorithm::Sm2Dsa => "SM2DSA",
            SignAlgorithm::EccP256R1 => "ECC_P256_R1",
            SignAlgorithm::RsaPssSha256 => "RSA_PSS_SHA_256",
            SignAlgorithm::RsaPkcs1Sha256 => "RSA_PKCS1_SHA_256",
        }
    }

    /// Exact, case-sensitive, as Tencent's API is.
    pub fn parse(name: &str) -> Option<SignAlgorithm> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether a key of `spec` makes this kind of signature.
    pub fn fits(self, spec: AsymmetricSpec) -> bool {
        matches!(
            (self, spec),
            (SignAlgorithm::Sm2Dsa, AsymmetricSpec::Sm2)
                | (SignAlgorithm::EccP256R1, AsymmetricSpec::EccP256)
                | (SignAlgorithm::RsaPssSha256, AsymmetricSpec::Rsa2048)
                | (SignAlgorithm::RsaPkcs1Sha256, AsymmetricSpec::Rsa2048)
        )
    }
}

/// A decryption algorithm, by Tencent's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecryptAlgorithm {
    /// SM2 (GB/T 32918.4), ciphertext `SEQUENCE { x1, y1, C3, C2 }` (GM/T 0009).
    Sm2C1C3C2Asn1,
    RsaPkcs1V15,
    RsaOaepSha1,
    RsaOaepSha256,
}

impl DecryptAlgorithm {
    pub const ALL: [DecryptAlgorithm; 4] = [
        DecryptAlgorithm::Sm2C1C3C2Asn1,
        DecryptAlgorithm::RsaPkcs1V15,
        DecryptAlgorithm::RsaOaepSha1,
        DecryptAlgorithm::RsaOaepSha256,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DecryptAlgorithm::Sm2C1C3C2Asn1 => "SM2_C1C3C2_ASN1",
            DecryptAlgorithm::RsaPkcs1V15 => "RSAES_PKCS1_V1_5",
            DecryptAlgorithm::RsaOaepSha1 => "RSAES_OAEP_SHA_1",
            DecryptAlgorithm::RsaOaepSha256 => "RSAES_OAEP_SHA_256",
        }
    }

    pub fn parse(name: &str) -> Option<DecryptAlgorithm> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    pub fn fits(self, spec: AsymmetricSpec) -> bool {
        match self {
            DecryptAlgorithm::Sm2C1C3C2Asn1 => spec == AsymmetricSpec::Sm2,
            _ => spec == AsymmetricSpec::Rsa2048,
        }
    }
}

/// What is signed (Tencent's `MessageType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// The message itself, at most [`MAX_RAW_LEN`] bytes; we hash it (SM2DSA: SM3 over
    /// Z_A ‖ M; the others: SHA-256).
    Raw(&'a [u8]),
    /// A 32-byte digest the caller computed, signed as is.
    ///
    /// For SM2DSA it is e = SM3(Z_A ‖ M), Z_A from [`DEFAULT_DISTID`] and this key's
    /// public point: the value GB/T 32918.2 §6.1 step A2 computes, used directly as e
    /// (no further hashing), so that a DIGEST signature verifies with OpenSSL over M
    /// (`pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678`) and is
    /// interchangeable with the RAW signature of M. Tencent's API reference
    /// (SignByAsymmetricKey, VerifyByAsymmetricKey) only says "message digest, exactly
    /// 32 bytes"; Huawei's (Sign: "SM2 … only digests; per GB/T 32918 the digest is
    /// not SM3 of the message but of Z(A) ‖ M") and Alibaba's (AsymmetricSign: "for
    /// SM2DSA, Digest is SM3 over Z(A) ‖ M, not over M") define it as this value, and
    /// it is the only reading under which RAW and DIGEST agree. A caller who sends
    /// SM3(M) gets a signature nobody else verifies over M (the test vectors' WrongId
    /// case "signed over SM3(M), without Z_A").
    ///
    /// For ECC_P256_R1 and the RSA algorithms it is SHA-256(M).
    Digest(&'a [u8]),
}

impl Message<'_> {
    fn check(&self) -> Result<(), SignError> {
        match self {
            Message::Raw(m) if m.len() > MAX_RAW_LEN => Err(SignError::MessageTooLong),
            Message::Digest(d) if d.len() != DIGEST_LEN => Err(SignError::DigestLength),
            _ => Ok(()),
        }
    }

    /// SHA-256 of a RAW message; a DIGEST as it is (checked to be 32 bytes).
    fn sha256(&self) -> [u8; 32] {
        match self {
            Message::Raw(m) => Sha256::digest(m).into(),
            Message::Digest(d) => {
                let mut out = [0u8; 32];
                out.copy_from_slice(d);
                out
            }
        }
    }
}

/// Why a signature was not made. Nothing secret in any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error(
        "the algorithm does not fit the key: SM2DSA needs an SM2 key, ECC_P256_R1 an \
         EC_P256 key, RSA_PSS_SHA_256 and RSA_PKCS1_SHA_256 an RSA_2048 key"
    )]
    AlgorithmMismatch,
    #[error("the message is longer than 4096 bytes; sign its digest with MessageType DIGEST")]
    MessageTooLong,
    #[error("a DIGEST message must be exactly 32 bytes (an SM3 or SHA-256 digest)")]
    DigestLength,
}

/// Key material that is not a valid key of the expected spec; says nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the key material is not a valid key of the expected spec")]
pub struct BadKey;

/// A private key. Zeroized on drop (the `sm2`/`p256` secret keys and our RSA key wipe
/// themselves); `Debug` shows only the spec.
pub struct PrivateKey(Inner);

enum Inner {
    Sm2(::sm2::SecretKey),
    Rsa(Box<RsaPair>),
    EccP256(p256::ecdsa::SigningKey),
}

/// The `rsa` crate's key (PKCS#8, public half) next to our constant-time form.
struct RsaPair {
    key: ::rsa::RsaPrivateKey,
    ct: rsa::RsaKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({})", self.spec())
    }
}

impl PrivateKey {
    /// A new key pair from the OS CSPRNG. RSA-2048 takes a while (prime search: tens
    /// of milliseconds to a second in an optimised build).
    pub fn generate(spec: AsymmetricSpec) -> PrivateKey {
        PrivateKey(match spec {
            AsymmetricSpec::Sm2 => Inner::Sm2(::sm2::SecretKey::random(&mut OsRng)),
            AsymmetricSpec::EccP256 => Inner::EccP256(p256::ecdsa::SigningKey::random(&mut OsRng)),
            AsymmetricSpec::Rsa2048 => loop {
                let key = ::rsa::RsaPrivateKey::new(&mut OsRng, 2048)
                    .expect("2048-bit RSA key generation with e = 65537");
                // Always true for the rsa crate's balanced primes; checked anyway.
                if let Some(ct) = rsa::RsaKey::new(&key) {
                    break Inner::Rsa(Box::new(RsaPair { key, ct }));
                }
            },
        })
    }

    pub fn spec(&self) -> AsymmetricSpec {
        match &self.0 {
            Inner::Sm2(_) => AsymmetricSpec::Sm2,
            Inner::Rsa(_) => AsymmetricSpec::Rsa2048,
            Inner::EccP256(_) => AsymmetricSpec::EccP256,
        }
    }

    /// PKCS#8 `PrivateKeyInfo` DER: the material the core seals. SM2 and P-256 as
    /// id-ecPublicKey with the named curve and the public point included (as OpenSSL
    /// writes them), RSA as rsaEncryption.
    pub fn to_der(&self) -> SecretBytes {
        let doc = match &self.0 {
            Inner::Sm2(k) => k.to_pkcs8_der(),
            Inner::Rsa(k) => k.key.to_pkcs8_der(),
            Inner::EccP256(k) => p256::SecretKey::from(k.as_nonzero_scalar()).to_pkcs8_der(),
        }
        .expect("a valid key encodes");
        SecretBytes::from_slice(doc.as_bytes())
    }

    /// Reads [`Self::to_der`]'s output (or any PKCS#8 key of `spec`, such as
    /// `openssl genpkey` writes; SM2 also with the SM2 OID as the algorithm). Refuses a
    /// key of another spec, and RSA keys that are not 2048 bits with two balanced
    /// primes.
    pub fn from_der(spec: AsymmetricSpec, der: &[u8]) -> Result<PrivateKey, BadKey> {
        use super::keyfile::{parse_private_pkcs8_der, PrivateKey as Parsed};
        Ok(PrivateKey(match spec {
            AsymmetricSpec::Sm2 => match parse_private_pkcs8_der(der) {
                Ok(Parsed::Sm2(k)) => Inner::Sm2(k),
                _ => return Err(BadKey),
            },
            AsymmetricSpec::Rsa2048 => {
                let key = ::rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(|_| BadKey)?;
                key.validate().map_err(|_| BadKey)?;
                let ct = rsa::RsaKey::new(&key).ok_or(BadKey)?;
                Inner::Rsa(Box::new(RsaPair { key, ct }))
            }
            AsymmetricSpec::EccP256 => {
                Inner::EccP256(p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|_| BadKey)?)
            }
        }))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(match &self.0 {
            Inner::Sm2(k) => PublicInner::Sm2(k.public_key()),
            Inner::Rsa(k) => PublicInner::Rsa(::rsa::RsaPublicKey::from(&k.key)),
            Inner::EccP256(k) => PublicInner::EccP256(p256::PublicKey::from(k.verifying_key())),
        })
    }

    /// Signs `msg` with `alg` (which must fit the key). SM2DSA and ECDSA signatures are
    /// DER `SEQUENCE { INTEGER r, INTEGER s }` with RFC 6979 nonces; RSA signatures are
    /// 256 bytes.
    pub fn sign(&self, alg: SignAlgorithm, msg: Message<'_>) -> Result<Vec<u8>, SignError> {
        if !alg.fits(self.spec()) {
            return Err(SignError::AlgorithmMismatch);
        }
        msg.check()?;
        Ok(match (&self.0, alg) {
            (Inner::Sm2(k), _) => {
                // sm2 0.13's DSA key does not wipe its scalar on drop: it is made for
                // this one signature from the zeroizing SecretKey and dropped at once.
                let dsa =
                    ::sm2::dsa::SigningKey::new(DEFAULT_DISTID, k).expect("the default id fits");
                let sig: ::sm2::dsa::Signature = match msg {
                    Message::Raw(m) => dsa.sign(m),
                    Message::Digest(d) => dsa.sign_prehash(d).expect("a 32-byte prehash signs"),
                };
                sig::encode(&sig.r_bytes().into(), &sig.s_bytes().into())
            }
            (Inner::EccP256(k), _) => {
                let sig: p256::ecdsa::Signature = k
                    .sign_prehash(&msg.sha256())
                    .expect("a 32-byte prehash signs");
                sig::encode(&sig.r().to_bytes().into(), &sig.s().to_bytes().into())
            }
            (Inner::Rsa(k), SignAlgorithm::RsaPssSha256) => k.ct.sign_pss_sha256(&msg.sha256()),
            (Inner::Rsa(k), _) => k.ct.sign_pkcs1v15_sha256(&msg.sha256()),
        })
    }

    /// Decrypts `ciphertext` with `alg` (which must fit the key). Every failure, the
    /// algorithm not fitting included, is the same [`DecryptFailed`].
    pub fn decrypt(
        &self,
        alg: DecryptAlgorithm,
        ciphertext: &[u8],
    ) -> Result<SecretBytes, DecryptFailed> {
        match (&self.0, alg) {
            (Inner::Sm2(k), DecryptAlgorithm::Sm2C1C3C2Asn1) => {
                let ct = super::sm2::Ciphertext::from_der(ciphertext)?;
                super::sm2::decrypt(k, &ct)
            }
            (Inner::Rsa(k), DecryptAlgorithm::RsaPkcs1V15) => k.ct.decrypt_pkcs1v15(ciphertext),
            (Inner::Rsa(k), DecryptAlgorithm::RsaOaepSha1) => {
                k.ct.decrypt_oaep::<sha1::Sha1>(ciphertext)
            }
            (Inner::Rsa(k), DecryptAlgorithm::RsaOaepSha256) => {
                k.ct.decrypt_oaep::<Sha256>(ciphertext)
            }
            _ => Err(DecryptFailed),
        }
    }
}

/// A private key opened from its PKCS#8 material together with its public key,
/// derived once: what the core keeps between requests, so that a signature, a
/// decryption or a verification does not parse the key (for RSA, also validate it and
/// build the constant-time form) and derive the public point every time. The private
/// key wipes itself on drop; `Debug` shows only the spec.
pub struct OpenedKey {
    pub private: PrivateKey,
    pub public: PublicKey,
}

impl OpenedKey {
    /// [`PrivateKey::from_der`], then its public key.
    pub fn from_der(spec: AsymmetricSpec, der: &[u8]) -> Result<OpenedKey, BadKey> {
        let private = PrivateKey::from_der(spec, der)?;
        let public = private.public_key();
        Ok(OpenedKey { private, public })
    }
}

impl std::fmt::Debug for OpenedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpenedKey({})", self.private.spec())
    }
}

/// A public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(PublicInner);

#[derive(Clone, PartialEq, Eq)]
enum PublicInner {
    Sm2(::sm2::PublicKey),
    Rsa(::rsa::RsaPublicKey),
    EccP256(p256::PublicKey),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.spec())
    }
}

impl PublicKey {
    pub fn spec(&self) -> AsymmetricSpec {
        match &self.0 {
            PublicInner::Sm2(_) => AsymmetricSpec::Sm2,
            PublicInner::Rsa(_) => AsymmetricSpec::Rsa2048,
            PublicInner::EccP256(_) => AsymmetricSpec::EccP256,
        }
    }

    /// SubjectPublicKeyInfo DER. SM2: id-ecPublicKey with the named curve sm2p256v1
    /// (1.2.156.10197.1.301), uncompressed point; P-256: id-ecPublicKey with
    /// prime256v1; RSA: rsaEncryption with NULL parameters.
    pub fn spki_der(&self) -> Vec<u8> {
        match &self.0 {
            PublicInner::Sm2(k) => k.to_public_key_der(),
            PublicInner::Rsa(k) => k.to_public_key_der(),
            PublicInner::EccP256(k) => k.to_public_key_der(),
        }
        .expect("a valid public key encodes")
        .as_bytes()
        .to_vec()
    }

    /// `-----BEGIN PUBLIC KEY-----`, 64 columns, `\n` line ends (what OpenSSL writes).
    pub fn pem(&self) -> String {
        super::keyfile::pem_encode("PUBLIC KEY", &self.spki_der())
    }

    /// Reads a SubjectPublicKeyInfo: SM2 (id-ecPublicKey on sm2p256v1, or the SM2 OID
    /// as the algorithm, as some tools write it), P-256, or RSA of exactly 2048 bits.
    /// The point must be on its curve; the DER must be DER with nothing after it.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, BadKey> {
        let info =
            ::rsa::pkcs8::spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|_| BadKey)?;
        let oid = info.algorithm.oid;
        if oid == OID_RSA_ENCRYPTION {
            use ::rsa::pkcs8::DecodePublicKey;
            use ::rsa::traits::PublicKeyParts;
            let k = ::rsa::RsaPublicKey::from_public_key_der(der).map_err(|_| BadKey)?;
            return if k.n().bits() == 2048 {
                Ok(PublicKey(PublicInner::Rsa(k)))
            } else {
                Err(BadKey)
            };
        }
        let curve = match info.algorithm.parameters {
            Some(p) if !p.is_null() => Some(
                p.decode_as::<der::asn1::ObjectIdentifier>()
                    .map_err(|_| BadKey)?,
            ),
            _ => None,
        };
        let point = info.subject_public_key.as_bytes().ok_or(BadKey)?;
        if (oid == OID_EC_PUBLIC_KEY && curve == Some(OID_SM2))
            || (oid == OID_SM2 && curve.map_or(true, |c| c == OID_SM2))
        {
            return ::sm2::PublicKey::from_sec1_bytes(point)
                .map(|p| PublicKey(PublicInner::Sm2(p)))
                .map_err(|_| BadKey);
        }
        if oid == OID_EC_PUBLIC_KEY && curve == Some(OID_P256) {
            return p256::PublicKey::from_sec1_bytes(point)
                .map(|p| PublicKey(PublicInner::EccP256(p)))
                .map_err(|_| BadKey);
        }
        Err(BadKey)
    }

    /// Whether `sig` is this key's `alg` signature of `msg`. Anything wrong (the
    /// algorithm not fitting, a message too long, a digest not 32 bytes, a signature
    /// that is not strict DER or has r or s outside [1, n−1]) is just `false`.
    ///
    /// Malleability: ECDSA accepts (r, s) and (r, n − s) alike, as X9.62 and FIPS
    /// 186-5 define it and as OpenSSL and pyca/cryptography sign (either half), so
    /// both verify here; a low-s rule would refuse half of their signatures. SM2DSA
    /// (GB/T 32918.2) defines no low-s rule and needs none: n − s changes t = r + s,
    /// so (r, n − s) does not verify, and we do not normalise s when signing either.
    /// RSA signatures must be exactly 256 bytes.
    pub fn verify(&self, alg: SignAlgorithm, msg: Message<'_>, sig: &[u8]) -> bool {
        if !alg.fits(self.spec()) || msg.check().is_err() {
            return false;
        }
        match &self.0 {
            PublicInner::Sm2(p) => {
                let Some(raw) = sig::decode(sig) else {
                    return false;
                };
                let Ok(sig) = ::sm2::dsa::Signature::from_bytes(&raw) else {
                    return false;
                };
                let Ok(vk) = ::sm2::dsa::VerifyingKey::new(DEFAULT_DISTID, *p) else {
                    return false;
                };
                match msg {
                    Message::Raw(m) => vk.verify(m, &sig).is_ok(),
                    Message::Digest(d) => vk.verify_prehash(d, &sig).is_ok(),
                }
            }
            PublicInner::EccP256(p) => {
                let Some(raw) = sig::decode(sig) else {
                    return false;
                };
                let Ok(sig) = p256::ecdsa::Signature::from_bytes(&raw.into()) else {
                    return false;
                };
                p256::ecdsa::VerifyingKey::from(p)
                    .verify_prehash(&msg.sha256(), &sig)
                    .is_ok()
            }
            PublicInner::Rsa(k) => {
                let hash = msg.sha256();
                let scheme_ok = match alg {
                    SignAlgorithm::RsaPssSha256 => k.verify(
                        ::rsa::Pss::new_with_salt::<Sha256>(rsa::PSS_SALT_LEN),
                        &hash,
                        sig,
                    ),
                    _ => k.verify(::rsa::Pkcs1v15Sign::new::<Sha256>(), &hash, sig),
                };
                sig.len() == rsa::K && scheme_ok.is_ok()
            }
        }
    }
}

#[cfg(test)]
mod tests;
