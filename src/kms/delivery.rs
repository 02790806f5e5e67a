//! Data-key delivery: returning a plaintext key encrypted to the caller's public key
//! instead of in the clear.
//!
//! The rule that matters: every reason to refuse a delivery (a bad key, an algorithm
//! that does not fit it, a data key longer than an RSA key can carry) is found before
//! anything is generated or stored, so a refused GenerateDataKey leaves no hosted data
//! key behind. Callers therefore [`Kms::prepare_delivery`] and
//! [`Kms::check_delivery`] first, generate, and only then [`Kms::reveal`].

use super::context::RequestContext;
use super::error::{Error, Field, Internal, Result};
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
    pub async fn prepare_delivery(
        &self,
        _ctx: &RequestContext,
        public_key_pem: &str,
        algorithm: Option<&str>,
    ) -> Result<Delivery> {
        let algorithm = Algorithm::parse(algorithm).map_err(refused)?;
        let cache = self.recipient_keys.clone();
        let pem = public_key_pem.to_string();
        let recipient = self
            .public_key_work(move || cache.get_or_parse(&pem))
            .await?
            .map_err(refused)?;
        Ok(Delivery {
            recipient,
            algorithm,
        })
    }

    /// Refuses, before anything is generated, a data key of `len` bytes that the
    /// recipient's key cannot carry.
    pub fn check_delivery(&self, _ctx: &RequestContext, d: &Delivery, len: usize) -> Result<()> {
        deliver::check(d.recipient.key(), d.algorithm, len).map_err(refused)
    }

    /// The plaintext in the clear, or encrypted to the recipient when one is given.
    pub async fn reveal(
        &self,
        ctx: &RequestContext,
        delivery: Option<&Delivery>,
        plaintext: SecretBytes,
    ) -> Result<Revealed> {
        let Some(d) = delivery else {
            return Ok(Revealed::Clear(plaintext));
        };
        let (recipient, algorithm) = (d.recipient.clone(), d.algorithm);
        let delivered = self
            .public_key_work(move || deliver::deliver_to(&recipient, algorithm, plaintext.expose()))
            .await?
            .map(Revealed::Delivered)
            .map_err(refused)?;
        ctx.delivered(algorithm);
        Ok(delivered)
    }

    /// Runs a public-key step (parsing, which may build a key's table, or an
    /// encryption: 20–400 µs of CPU) where `limits.public_key_pool` says. By default
    /// (0) right here, on the async worker: on the 2-core machine of BENCHMARKS.md that
    /// gave the best throughput on every delivery path and the best p99 under mixed
    /// load, while a blocking pool cost 23–71 % of delivery throughput in thread
    /// hand-offs. With N > 0 at most N steps run at once on tokio's blocking threads, so
    /// cheap requests (Decrypt, GenerateRandom) mixed in with deliveries are answered
    /// without waiting behind them (a mixed run's GenerateRandom p99 fell from 8.0 to
    /// 0.6 ms with N = 2).
    pub(crate) async fn public_key_work<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let Some(pool) = &self.public_key_pool else {
            return Ok(work());
        };
        let _permit = pool
            .acquire()
            .await
            .map_err(|_| Internal::WorkerPool("the pool is closed".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Internal::WorkerPool(format!("a task failed: {e}")).into())
    }

    /// Runs work of milliseconds or more (an RSA-2048 key generation takes 50–500 ms,
    /// an RSA private-key step about 1 ms) on tokio's blocking threads, whatever
    /// `limits.public_key_pool` says: on an async worker it would hold up every request
    /// queued behind it, on a machine with two workers.
    pub(crate) async fn blocking_work<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Internal::WorkerPool(format!("a task failed: {e}")).into())
    }
}
