//! TEMPORARY stand-in for helper A's `crypto::asym` (branch asym-crypto), with the
//! signatures of notes/api.md, so that the core compiles before A lands. Removed in
//! the commit before `git merge asym-crypto`.
#![allow(dead_code, unused_variables)]

use super::secret::SecretBytes;

pub const MAX_RAW_LEN: usize = 4096;
pub const DIGEST_LEN: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AsymmetricSpec {
    Sm2,
    Rsa2048,
    EccP256,
}

impl AsymmetricSpec {
    pub fn name(self) -> &'static str {
        match self {
            AsymmetricSpec::Sm2 => "SM2",
            AsymmetricSpec::Rsa2048 => "RSA_2048",
            AsymmetricSpec::EccP256 => "EC_P256",
        }
    }
    pub fn from_name(s: &str) -> Option<Self> {
        [Self::Sm2, Self::Rsa2048, Self::EccP256]
            .into_iter()
            .find(|x| x.name() == s)
    }
}

#[derive(Debug)]
pub struct BadKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("the algorithm does not fit the key")]
    AlgorithmMismatch,
    #[error("message too long")]
    MessageTooLong,
    #[error("digest length")]
    DigestLength,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignAlgorithm {
    Sm2Dsa,
    EccP256R1,
    RsaPssSha256,
    RsaPkcs1Sha256,
}

impl SignAlgorithm {
    pub const ALL: [SignAlgorithm; 4] = [
        Self::Sm2Dsa,
        Self::EccP256R1,
        Self::RsaPssSha256,
        Self::RsaPkcs1Sha256,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Self::Sm2Dsa => "SM2DSA",
            Self::EccP256R1 => "ECC_P256_R1",
            Self::RsaPssSha256 => "RSA_PSS_SHA_256",
            Self::RsaPkcs1Sha256 => "RSA_PKCS1_SHA_256",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == s)
    }
    pub fn fits(self, spec: AsymmetricSpec) -> bool {
        matches!(
            (self, spec),
            (Self::Sm2Dsa, AsymmetricSpec::Sm2)
                | (Self::EccP256R1, AsymmetricSpec::EccP256)
                | (
                    Self::RsaPssSha256 | Self::RsaPkcs1Sha256,
                    AsymmetricSpec::Rsa2048
                )
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecryptAlgorithm {
    Sm2C1C3C2Asn1,
    RsaPkcs1V15,
    RsaOaepSha1,
    RsaOaepSha256,
}

impl DecryptAlgorithm {
    pub const ALL: [DecryptAlgorithm; 4] = [
        Self::Sm2C1C3C2Asn1,
        Self::RsaPkcs1V15,
        Self::RsaOaepSha1,
        Self::RsaOaepSha256,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Self::Sm2C1C3C2Asn1 => "SM2_C1C3C2_ASN1",
            Self::RsaPkcs1V15 => "RSAES_PKCS1_V1_5",
            Self::RsaOaepSha1 => "RSAES_OAEP_SHA_1",
            Self::RsaOaepSha256 => "RSAES_OAEP_SHA_256",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == s)
    }
    pub fn fits(self, spec: AsymmetricSpec) -> bool {
        matches!(
            (self, spec),
            (Self::Sm2C1C3C2Asn1, AsymmetricSpec::Sm2)
                | (
                    Self::RsaPkcs1V15 | Self::RsaOaepSha1 | Self::RsaOaepSha256,
                    AsymmetricSpec::Rsa2048
                )
        )
    }
}

pub enum Message<'a> {
    Raw(&'a [u8]),
    Digest(&'a [u8]),
}

pub struct PrivateKey(AsymmetricSpec);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({})", self.0.name())
    }
}

impl PrivateKey {
    pub fn generate(spec: AsymmetricSpec) -> PrivateKey {
        todo!()
    }
    pub fn to_der(&self) -> SecretBytes {
        todo!()
    }
    pub fn from_der(spec: AsymmetricSpec, der: &[u8]) -> Result<PrivateKey, BadKey> {
        todo!()
    }
    pub fn spec(&self) -> AsymmetricSpec {
        self.0
    }
    pub fn public_key(&self) -> PublicKey {
        todo!()
    }
    pub fn sign(&self, alg: SignAlgorithm, msg: Message<'_>) -> Result<Vec<u8>, SignError> {
        todo!()
    }
    pub fn decrypt(
        &self,
        alg: DecryptAlgorithm,
        ciphertext: &[u8],
    ) -> Result<SecretBytes, super::DecryptFailed> {
        todo!()
    }
}

pub struct PublicKey;

impl PublicKey {
    pub fn spki_der(&self) -> Vec<u8> {
        todo!()
    }
    pub fn pem(&self) -> String {
        todo!()
    }
    pub fn verify(&self, alg: SignAlgorithm, msg: Message<'_>, sig: &[u8]) -> bool {
        todo!()
    }
}
