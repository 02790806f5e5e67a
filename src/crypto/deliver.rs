//! Data-key delivery: encrypting a data key to a public key the caller sends
//! (`EncryptionPublicKey` + `EncryptionAlgorithm`), so the plaintext key never travels in
//! the clear.
//!
//! The server's side is [`Algorithm::parse`] → [`KeyCache::get_or_parse`] (or
//! [`parse_public_key`]) → [`check`] *before* anything is generated or stored →
//! [`deliver_to`] (or [`deliver`]). The recipient's side is [`unwrap`], used by `smkms
//! unwrap` and by tests.
//!
//! Byte layouts (DESIGN §2):
//! ```text
//! SM2                 C1 ‖ C3 ‖ C2, C1 = 04 ‖ x1 ‖ y1 (65 bytes), C3 = SM3 (32 bytes)
//! SM2_C1C3C2_ASN1     SEQUENCE { INTEGER x1, INTEGER y1, OCTET STRING C3, OCTET STRING C2 }
//!                     (GM/T 0009, DER: minimal INTEGERs)
//! RSAES_PKCS1_V1_5    RFC 8017 §7.2
//! RSAES_OAEP_SHA_1    RFC 8017 §7.1, SHA-1, MGF1-SHA-1, empty label
//! RSAES_OAEP_SHA_256  RFC 8017 §7.1, SHA-256, MGF1-SHA-256, empty label
//! ```
//! Errors name what is wrong and what to do about it, because the caller is a developer
//! holding a key file; decryption failures on the recipient side stay opaque.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rand_core::{CryptoRngCore, OsRng};
use sha2::Digest as _;

use super::keyfile::{self, PrivateKey};
use super::secret::SecretBytes;
use super::sm2 as pke;

pub use super::keyfile::PublicKey as RecipientKey;

/// A delivery algorithm, as `EncryptionAlgorithm` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Raw `C1 ‖ C3 ‖ C2` with `C1 = 04 ‖ x1 ‖ y1`.
    Sm2,
    /// GM/T 0009 DER `SEQUENCE { x1, y1, C3, C2 }`.
    Sm2C1C3C2Asn1,
    RsaPkcs1V15,
    /// OAEP with SHA-1 and MGF1-SHA-1.
    RsaOaepSha1,
    /// OAEP with SHA-256 and MGF1-SHA-256 (not the MGF1-SHA-1 flavour some JCE defaults
    /// produce).
    RsaOaepSha256,
}

impl Algorithm {
    pub const ALL: [Algorithm; 5] = [
        Algorithm::Sm2,
        Algorithm::Sm2C1C3C2Asn1,
        Algorithm::RsaPkcs1V15,
        Algorithm::RsaOaepSha1,
        Algorithm::RsaOaepSha256,
    ];

    /// Parses `EncryptionAlgorithm`. Absent or empty means `SM2`, the API's default.
    /// Names are matched exactly: the API documents them in upper case, and accepting
    /// variants would make two spellings of every name a client could come to rely on.
    pub fn parse(name: Option<&str>) -> Result<Algorithm, DeliveryError> {
        let name = match name {
            None | Some("") => return Ok(Algorithm::Sm2),
            Some(n) => n,
        };
        if let Some(a) = Algorithm::ALL.into_iter().find(|a| a.name() == name) {
            return Ok(a);
        }
        let names = Algorithm::ALL.map(Algorithm::name).join(", ");
        let hint = match Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
        {
            Some(a) => format!(" (names are case-sensitive: did you mean {}?)", a.name()),
            None => String::new(),
        };
        Err(DeliveryError::new(
            ErrorKind::UnknownAlgorithm,
            SUBJECT_ALGORITHM,
            format!(
                "{:?} is not a delivery algorithm{hint}; use one of {names}, or leave it \
                 empty for SM2",
                truncate(name, 64)
            ),
        ))
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sm2 => "SM2",
            Algorithm::Sm2C1C3C2Asn1 => "SM2_C1C3C2_ASN1",
            Algorithm::RsaPkcs1V15 => "RSAES_PKCS1_V1_5",
            Algorithm::RsaOaepSha1 => "RSAES_OAEP_SHA_1",
            Algorithm::RsaOaepSha256 => "RSAES_OAEP_SHA_256",
        }
    }

    pub fn is_sm2(self) -> bool {
        matches!(self, Algorithm::Sm2 | Algorithm::Sm2C1C3C2Asn1)
    }

    /// Bytes of padding overhead for a k-byte RSA modulus (RFC 8017: 11 for v1.5,
    /// 2·hLen + 2 for OAEP); `None` for SM2, which has no upper bound.
    fn rsa_overhead(self) -> Option<usize> {
        match self {
            Algorithm::Sm2 | Algorithm::Sm2C1C3C2Asn1 => None,
            Algorithm::RsaPkcs1V15 => Some(11),
            Algorithm::RsaOaepSha1 => Some(2 * 20 + 2),
            Algorithm::RsaOaepSha256 => Some(2 * 32 + 2),
        }
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// What kind of refusal a [`DeliveryError`] is, so a dialect can pick its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The key text is not a key we deliver to (or, for unwrap, not a usable private
    /// key): garbage, wrong PEM label, private key, certificate, wrong curve, RSA size…
    BadKey,
    /// The algorithm does not fit the key (SM2 with an RSA key or the reverse).
    Mismatch,
    /// The data is longer than the RSA key can carry with this padding.
    TooLong,
    /// There is nothing to deliver (an empty data key never comes from the server).
    EmptyPlaintext,
    /// `EncryptionAlgorithm` names no algorithm.
    UnknownAlgorithm,
    /// The ciphertext does not decrypt under the private key. Deliberately says no more.
    DecryptFailed,
}

/// A refusal. `message` is a reason that reads after `subject`
/// ("EncryptionPublicKey" + " is a private key; …"), so a dialect can report it as
/// `kms::Error::Invalid { field: Field::Other(e.subject), reason: e.message }`;
/// `Display` joins the two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    pub kind: ErrorKind,
    /// What the message is about: `EncryptionPublicKey`, `EncryptionAlgorithm`, or on
    /// the recipient side "the private key" / "the ciphertext".
    pub subject: &'static str,
    pub message: String,
}

pub const SUBJECT_PUBLIC_KEY: &str = "EncryptionPublicKey";
pub const SUBJECT_ALGORITHM: &str = "EncryptionAlgorithm";
pub const SUBJECT_PRIVATE_KEY: &str = "the private key";
pub const SUBJECT_CIPHERTEXT: &str = "the ciphertext";
pub const SUBJECT_DATA: &str = "the data key";

impl DeliveryError {
    fn new(kind: ErrorKind, subject: &'static str, message: String) -> Self {
        DeliveryError {
            kind,
            subject,
            message,
        }
    }
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.subject, self.message)
    }
}

impl std::error::Error for DeliveryError {}

/// Parses and validates a recipient's PEM public key: SPKI `PUBLIC KEY` (SM2 via
/// id-ecPublicKey + sm2p256v1, or the SM2 OID as the algorithm; rsaEncryption) or PKCS#1
/// `RSA PUBLIC KEY`. SM2 points must be on the curve and not the identity; RSA keys
/// 2048–4096 bits with an odd exponent from 3 to 2^32+1.
pub fn parse_public_key(pem: &str) -> Result<RecipientKey, DeliveryError> {
    keyfile::parse_public_pem(pem)
        .map_err(|m| DeliveryError::new(ErrorKind::BadKey, SUBJECT_PUBLIC_KEY, m))
}

/// The most bytes `alg` can deliver to `key`, or `None` when there is no bound (SM2).
/// For a k-byte RSA modulus: k − 11 (PKCS#1 v1.5), k − 42 (OAEP-SHA-1), k − 66
/// (OAEP-SHA-256); 245 / 214 / 190 for 2048 bits.
pub fn max_plaintext(key: &RecipientKey, alg: Algorithm) -> Option<usize> {
    match key {
        RecipientKey::Rsa(k) => alg.rsa_overhead().map(|o| k.size().saturating_sub(o)),
        RecipientKey::Sm2(_) => None,
    }
}

/// Everything that can refuse a delivery, checked before the server generates or
/// stores anything: the algorithm fits the key, and `data_len` bytes fit in it.
pub fn check(key: &RecipientKey, alg: Algorithm, data_len: usize) -> Result<(), DeliveryError> {
    let fits = match key {
        RecipientKey::Sm2(_) => alg.is_sm2(),
        RecipientKey::Rsa(_) => !alg.is_sm2(),
    };
    if !fits {
        let wanted = if alg.is_sm2() {
            "an SM2 public key"
        } else {
            "an RSA public key"
        };
        let instead = if alg.is_sm2() {
            "RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1 or RSAES_PKCS1_V1_5"
        } else {
            "SM2 or SM2_C1C3C2_ASN1"
        };
        return Err(DeliveryError::new(
            ErrorKind::Mismatch,
            SUBJECT_ALGORITHM,
            format!(
                "{} needs {wanted}, but {SUBJECT_PUBLIC_KEY} is {}; use {instead} with this \
                 key, or send {wanted}",
                alg.name(),
                key.describe()
            ),
        ));
    }
    if data_len == 0 {
        return Err(DeliveryError::new(
            ErrorKind::EmptyPlaintext,
            SUBJECT_DATA,
            "is empty; there is nothing to deliver".into(),
        ));
    }
    if let Some(max) = max_plaintext(key, alg) {
        if data_len > max {
            return Err(DeliveryError::new(
                ErrorKind::TooLong,
                SUBJECT_PUBLIC_KEY,
                format!(
                    "is {}, which with {} carries at most {max} bytes, but the data is \
                     {data_len} bytes; ask for a shorter data key, use a larger RSA key, \
                     or use SM2",
                    key.describe(),
                    alg.name()
                ),
            ));
        }
    }
    Ok(())
}

/// Encrypts `plaintext` (a data key) to `key` with `alg`, using the operating system's
/// CSPRNG. Runs [`check`] first, so calling it alone is safe; the server also calls
/// `check` earlier, before it generates the data key. The server delivers through
/// [`deliver_to`] instead, which uses the precomputed table of a key that came back.
pub fn deliver(
    key: &RecipientKey,
    alg: Algorithm,
    plaintext: &[u8],
) -> Result<Vec<u8>, DeliveryError> {
    deliver_inner(key, None, alg, plaintext, &mut OsRng)
}

/// [`deliver`] with the caller's randomness. It exists for the test-vector generator
/// (`examples/gen_test_vectors/`) and tests, which need fixed `k` (GM/T 0003.5 Annex C)
/// and reproducible files. The server never calls it: it calls [`deliver_to`], whose
/// only randomness is `OsRng`; a predictable RNG here would reveal the data key. The
/// SM2 arithmetic is the server's own (`crypto::sm2::encrypt`), so the vectors prove
/// the code that runs.
pub fn deliver_with_rng(
    key: &RecipientKey,
    alg: Algorithm,
    plaintext: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, DeliveryError> {
    deliver_inner(key, None, alg, plaintext, rng)
}

/// [`deliver`] to a recipient from the [`KeyCache`]: an SM2 key that carries its
/// precomputed table costs two fixed-base multiplications instead of one fixed-base
/// and one variable-base. The ciphertext is the same either way for the same k.
pub fn deliver_to(
    recipient: &Recipient,
    alg: Algorithm,
    plaintext: &[u8],
) -> Result<Vec<u8>, DeliveryError> {
    deliver_to_with_rng(recipient, alg, plaintext, &mut OsRng)
}

/// [`deliver_to`] with the caller's randomness, for tests and benchmarks only (see
/// [`deliver_with_rng`]).
pub fn deliver_to_with_rng(
    recipient: &Recipient,
    alg: Algorithm,
    plaintext: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, DeliveryError> {
    deliver_inner(
        &recipient.key,
        recipient.table.as_deref(),
        alg,
        plaintext,
        rng,
    )
}

fn deliver_inner(
    key: &RecipientKey,
    table: Option<&pke::KeyTable>,
    alg: Algorithm,
    plaintext: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, DeliveryError> {
    check(key, alg, plaintext.len())?;
    let sm2 = |p: &::sm2::PublicKey, rng: &mut _| match table {
        Some(t) => {
            debug_assert!(t.public_key() == p, "a recipient's table is its key's");
            pke::encrypt_with_table(t, plaintext, rng)
        }
        None => pke::encrypt(p, plaintext, rng),
    };
    let out = match (key, alg) {
        (RecipientKey::Sm2(p), Algorithm::Sm2) => sm2(p, rng).to_raw(),
        (RecipientKey::Sm2(p), Algorithm::Sm2C1C3C2Asn1) => sm2(p, rng).to_der(),
        (RecipientKey::Rsa(k), Algorithm::RsaPkcs1V15) => {
            k.encrypt_pkcs1v15(rng, plaintext).map_err(rsa_failed)?
        }
        (RecipientKey::Rsa(k), Algorithm::RsaOaepSha1) => k
            .encrypt_oaep::<sha1::Sha1>(rng, plaintext)
            .map_err(rsa_failed)?,
        (RecipientKey::Rsa(k), Algorithm::RsaOaepSha256) => k
            .encrypt_oaep::<sha2::Sha256>(rng, plaintext)
            .map_err(rsa_failed)?,
        _ => unreachable!("check() refused every mismatch"),
    };
    Ok(out)
}

/// `check` bounds the length first, so this is unreachable in practice; should it
/// happen anyway, say so without details.
fn rsa_failed(_: super::rsaes::MessageTooLong) -> DeliveryError {
    DeliveryError::new(
        ErrorKind::BadKey,
        SUBJECT_PUBLIC_KEY,
        "could not be used for RSA encryption".into(),
    )
}

/// A recipient key as [`KeyCache`] hands it out: the parsed key and, for an SM2 key
/// that has come back, its precomputed multiples ([`pke::KeyTable`]).
#[derive(Clone)]
pub struct Recipient {
    key: Arc<RecipientKey>,
    table: Option<Arc<pke::KeyTable>>,
}

impl Recipient {
    /// A recipient without a table (what a key seen once gets).
    pub fn new(key: RecipientKey) -> Recipient {
        Recipient {
            key: Arc::new(key),
            table: None,
        }
    }

    /// A recipient with its table built now when it is an SM2 key (as a key that keeps
    /// coming back has it), for tests and benchmarks.
    pub fn precomputed(key: RecipientKey) -> Recipient {
        let table = match &key {
            RecipientKey::Sm2(p) => Some(Arc::new(pke::KeyTable::new(p))),
            RecipientKey::Rsa(_) => None,
        };
        Recipient {
            key: Arc::new(key),
            table,
        }
    }

    pub fn key(&self) -> &RecipientKey {
        &self.key
    }

    /// Whether this recipient carries a precomputed SM2 table.
    pub fn has_table(&self) -> bool {
        self.table.is_some()
    }
}

/// A bounded cache of parsed public keys, keyed by the SHA-256 of the PEM text, so a
/// client that sends the same key with every request pays for parsing (and, for SM2,
/// point validation) once. When full, the least recently used entry goes. Refusals are
/// not cached: they are cheap, and caching them would let garbage push keys out.
///
/// An SM2 key that comes back (its second use) also gets a [`pke::KeyTable`] of
/// precomputed multiples, built once by the request that finds it missing, so that its
/// deliveries cost two fixed-base multiplications. A table is about 19 KB
/// ([`pke::KeyTable::bytes`]), so at most `tables` entries hold one (default
/// [`KeyCache::DEFAULT_TABLES`], about 2.4 MB); building one more takes the table of
/// the least recently used holder. A key seen once never pays for a table, and a
/// workload that cycles through more SM2 keys than there are tables rebuilds one per
/// request at worst (about one and a half variable-base multiplications), which is
/// bounded and no worse than twice the tableless cost.
pub struct KeyCache {
    capacity: usize,
    tables: usize,
    inner: Mutex<CacheInner>,
}

struct Entry {
    key: Arc<RecipientKey>,
    /// Tick of the last use (LRU order).
    used: u64,
    /// Uses so far (saturating): the table is built at the second.
    uses: u32,
    table: Option<Arc<pke::KeyTable>>,
    /// A request is building this entry's table (others go on without it).
    building: bool,
}

#[derive(Default)]
struct CacheInner {
    map: HashMap<[u8; 32], Entry>,
    tick: u64,
    /// Entries whose `table` is `Some`.
    tables: usize,
}

/// What a lookup found to do outside the lock.
enum Found {
    Ready(Recipient),
    BuildTable(Arc<RecipientKey>),
    Missing,
}

impl KeyCache {
    pub const DEFAULT_CAPACITY: usize = 1024;
    /// SM2 keys holding a precomputed table at once (about 19 KB each).
    pub const DEFAULT_TABLES: usize = 128;

    pub fn new(capacity: usize) -> Self {
        KeyCache::with_tables(capacity, KeyCache::DEFAULT_TABLES)
    }

    /// At most `capacity` parsed keys, of which at most `tables` hold an SM2 table (0
    /// turns tables off).
    pub fn with_tables(capacity: usize, tables: usize) -> Self {
        KeyCache {
            capacity: capacity.max(1),
            tables,
            inner: Mutex::new(CacheInner::default()),
        }
    }

    /// The parsed key for `pem`, from the cache or freshly parsed (and then cached).
    /// Parsing and table building happen outside the lock, so concurrent misses do not
    /// serialise.
    pub fn get_or_parse(&self, pem: &str) -> Result<Recipient, DeliveryError> {
        let id: [u8; 32] = sha2::Sha256::digest(pem.as_bytes()).into();
        match self.find(&id) {
            Found::Ready(r) => Ok(r),
            Found::BuildTable(key) => Ok(self.build_table(&id, key)),
            Found::Missing => {
                let key = Arc::new(parse_public_key(pem)?);
                Ok(self.insert(id, key))
            }
        }
    }

    fn find(&self, id: &[u8; 32]) -> Found {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let Some(e) = inner.map.get_mut(id) else {
            return Found::Missing;
        };
        e.used = tick;
        e.uses = e.uses.saturating_add(1);
        let wants_table = matches!(*e.key, RecipientKey::Sm2(_))
            && e.table.is_none()
            && !e.building
            && e.uses >= 2
            && self.tables > 0;
        if wants_table {
            e.building = true;
            Found::BuildTable(e.key.clone())
        } else {
            Found::Ready(Recipient {
                key: e.key.clone(),
                table: e.table.clone(),
            })
        }
    }

    fn build_table(&self, id: &[u8; 32], key: Arc<RecipientKey>) -> Recipient {
        let RecipientKey::Sm2(p) = &*key else {
            unreachable!("find() builds tables for SM2 keys only")
        };
        let table = Arc::new(pke::KeyTable::new(p));
        let mut inner = self.lock();
        let inner = &mut *inner;
        if let Some(e) = inner.map.get_mut(id).filter(|e| Arc::ptr_eq(&e.key, &key)) {
            e.building = false;
            if e.table.is_none() {
                e.table = Some(table.clone());
                inner.tables += 1;
            }
        }
        while inner.tables > self.tables {
            // O(capacity), only when a table is built into a full budget.
            let victim = inner
                .map
                .iter()
                .filter(|(k, e)| e.table.is_some() && *k != id)
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| *k);
            let Some(victim) = victim else { break };
            if let Some(e) = inner.map.get_mut(&victim) {
                e.table = None;
                inner.tables -= 1;
            }
        }
        Recipient {
            key,
            table: Some(table),
        }
    }

    fn insert(&self, id: [u8; 32], key: Arc<RecipientKey>) -> Recipient {
        let mut inner = self.lock();
        if !inner.map.contains_key(&id) && inner.map.len() >= self.capacity {
            // O(capacity) scan on a miss into a full cache: cheap next to an RSA parse
            // or an SM2 point check, and it keeps the structure trivially correct.
            if let Some(oldest) = inner
                .map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| *k)
            {
                if let Some(gone) = inner.map.remove(&oldest) {
                    inner.tables -= usize::from(gone.table.is_some());
                }
            }
        }
        inner.tick += 1;
        let tick = inner.tick;
        let e = inner.map.entry(id).or_insert(Entry {
            key,
            used: tick,
            uses: 0,
            table: None,
            building: false,
        });
        e.used = tick;
        e.uses = e.uses.saturating_add(1);
        Recipient {
            key: e.key.clone(),
            table: e.table.clone(),
        }
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many cached keys hold a precomputed SM2 table.
    pub fn tables(&self) -> usize {
        self.lock().tables
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        // Every update leaves the map and its table count consistent before the next
        // statement that could panic.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache::new(KeyCache::DEFAULT_CAPACITY)
    }
}

/// The recipient's side: decrypts a delivered `ciphertext` with the PEM private key
/// (PKCS#8 `PRIVATE KEY` for SM2 or RSA, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE
/// KEY`). Decoding is strict (SM2: `04` prefix, DER-minimal INTEGERs, nothing trailing,
/// C3 checked), and every failure to decrypt is the same opaque error.
///
/// RSA decryption uses the `rsa` crate 0.9, which is not constant-time
/// (RUSTSEC-2023-0071): fine for a recipient decrypting on their own machine, which is
/// what this is for; the server only ever encrypts.
pub fn unwrap(
    private_key_pem: &str,
    alg: Algorithm,
    ciphertext: &[u8],
) -> Result<SecretBytes, DeliveryError> {
    let key = keyfile::parse_private_pem(private_key_pem)
        .map_err(|m| DeliveryError::new(ErrorKind::BadKey, SUBJECT_PRIVATE_KEY, m))?;
    let failed = || {
        DeliveryError::new(
            ErrorKind::DecryptFailed,
            SUBJECT_CIPHERTEXT,
            format!(
                "does not decrypt under this private key with {}",
                alg.name()
            ),
        )
    };
    match (&key, alg) {
        (PrivateKey::Sm2(d), Algorithm::Sm2) => pke::Ciphertext::from_raw(ciphertext)
            .and_then(|ct| pke::decrypt(d, &ct))
            .map_err(|_| failed()),
        (PrivateKey::Sm2(d), Algorithm::Sm2C1C3C2Asn1) => pke::Ciphertext::from_der(ciphertext)
            .and_then(|ct| pke::decrypt(d, &ct))
            .map_err(|_| failed()),
        (PrivateKey::Rsa(k), Algorithm::RsaPkcs1V15) => k
            .decrypt(rsa::Pkcs1v15Encrypt, ciphertext)
            .map(SecretBytes::new)
            .map_err(|_| failed()),
        (PrivateKey::Rsa(k), Algorithm::RsaOaepSha1) => k
            .decrypt(rsa::Oaep::new::<sha1::Sha1>(), ciphertext)
            .map(SecretBytes::new)
            .map_err(|_| failed()),
        (PrivateKey::Rsa(k), Algorithm::RsaOaepSha256) => k
            .decrypt(rsa::Oaep::new::<sha2::Sha256>(), ciphertext)
            .map(SecretBytes::new)
            .map_err(|_| failed()),
        _ => Err(DeliveryError::new(
            ErrorKind::Mismatch,
            SUBJECT_PRIVATE_KEY,
            format!("is {}, which cannot decrypt {}", key.describe(), alg.name()),
        )),
    }
}

#[cfg(test)]
mod tests;
