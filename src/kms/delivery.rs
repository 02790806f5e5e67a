//! Data-key delivery: returning a plaintext key encrypted to the caller's public key
//! instead of in the clear.
//!
//! The rule that matters: every reason to refuse a delivery (a bad key, an algorithm
//! that does not fit it, a data key longer than an RSA key can carry) is found before
//! anything is generated or stored, so a refused GenerateDataKey leaves no hosted data
//! key behind. Callers therefore [`Kms::prepare_delivery`] and
//! [`Kms::check_delivery`] first, generate, and only then [`Kms::reveal`].

use super::error::{Error, Field, Result};
use super::Kms;
use crate::crypto::deliver::{self, Algorithm, DeliveryError, Recipient};
use crate::crypto::secret::SecretBytes;

/// A validated recipient: a parsed public key (with its precomputed SM2 table when the
/// key keeps coming back) and the algorithm to use with it.
pub struct Delivery {
    recipient: Recipient,
    algorithm: Algorithm,
}

impl Delivery {
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

/// A plaintext as it leaves the server: in the clear, or delivered to a public key.
pub enum Revealed {
    Clear(SecretBytes),
    Delivered(Vec<u8>),
}

impl Revealed {
    /// The bytes the API puts (base64) in its `Plaintext` field.
    pub fn wire_bytes(&self) -> &[u8] {
        match self {
            Revealed::Clear(s) => s.expose(),
            Revealed::Delivered(c) => c,
        }
    }
}

fn refused(e: DeliveryError) -> Error {
    Error::invalid(Field::Other(e.subject), e.message)
}

impl Kms {
    /// Parses the algorithm and the public key (through the bounded cache of parsed
    /// keys) and checks that they fit each other.
    pub fn prepare_delivery(
        &self,
        public_key_pem: &str,
        algorithm: Option<&str>,
    ) -> Result<Delivery> {
        let algorithm = Algorithm::parse(algorithm).map_err(refused)?;
        let recipient = self
            .recipient_keys
            .get_or_parse(public_key_pem)
            .map_err(refused)?;
        Ok(Delivery {
            recipient,
            algorithm,
        })
    }

    /// Refuses, before anything is generated, a data key of `len` bytes that the
    /// recipient's key cannot carry.
    pub fn check_delivery(&self, d: &Delivery, len: usize) -> Result<()> {
        deliver::check(d.recipient.key(), d.algorithm, len).map_err(refused)
    }

    /// The plaintext in the clear, or encrypted to the recipient when one is given.
    pub fn reveal(&self, delivery: Option<&Delivery>, plaintext: SecretBytes) -> Result<Revealed> {
        match delivery {
            None => Ok(Revealed::Clear(plaintext)),
            Some(d) => deliver::deliver_to(&d.recipient, d.algorithm, plaintext.expose())
                .map(Revealed::Delivered)
                .map_err(refused),
        }
    }
}
