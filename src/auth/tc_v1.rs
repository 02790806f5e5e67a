//! The signature of Tencent Cloud's API 2.0 generation (the "v1" signature: HmacSHA1 or
//! HmacSHA256 over a sign string), which the legacy KMS API on `/v2/index.php` uses,
//! and the Nonce store that refuses a replayed request.
//!
//! ```text
//! src       = METHOD + host + path + "?" + join("&", key' + "=" + value  for key in sorted(params - Signature))
//!             key' = key with every '_' replaced by '.'   (sorted by the original key's bytes)
//! Signature = base64(HMAC-SHA1(SecretKey, src))            or HMAC-SHA256 when SignatureMethod=HmacSHA256
//! ```
//! Values enter the sign string raw (URL-decoded, never re-encoded). `host` is the Host
//! header as the client sent it (with `:port` when it used one). Anything other than
//! exactly `HmacSHA256` in `SignatureMethod`, including no value, means HmacSHA1.
//!
//! Two properties of the scheme itself, which the caller has to live with:
//! - The sign string is not an unambiguous encoding: `a=1&b=2` and one parameter `a`
//!   with the value `1&b=2` sign alike. The legacy dialect refuses unknown parameter
//!   names and checks every value's form, which leaves only free-text values (a
//!   description) able to absorb a neighbour, and the Nonce store refuses the second
//!   use of the signature's Nonce either way.
//! - The legacy Python SDK leaves POST values starting with `@` out of what it signs
//!   (a file-upload convention of its HTTP layer). This server signs every parameter:
//!   accepting unsigned values would let anyone change them in flight. Such a request
//!   fails with a message that says why.

use super::expiring::{ExpiringMap, Remembered};
use super::AuthError;
use crate::b64;
use crate::model::Uin;
use hmac::{Hmac, Mac};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;

/// The parameter that carries the signature, left out of the sign string.
pub const SIGNATURE: &str = "Signature";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureMethod {
    HmacSha1,
    HmacSha256,
}

impl SignatureMethod {
    /// `SignatureMethod` as sent: exactly `HmacSHA256` selects SHA-256; anything else,
    /// or no parameter, is HmacSHA1 (as the API 2.0 documentation defines).
    pub fn from_param(value: Option<&str>) -> Self {
        match value {
            Some("HmacSHA256") => SignatureMethod::HmacSha256,
            _ => SignatureMethod::HmacSha1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SignatureMethod::HmacSha1 => "HmacSHA1",
            SignatureMethod::HmacSha256 => "HmacSHA256",
        }
    }
}

/// The sign string of a request. `params` are the decoded parameters, each name once;
/// a `Signature` among them is skipped.
pub fn string_to_sign<'a, I>(method: &str, host: &str, path: &str, params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut pairs: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(k, _)| *k != SIGNATURE)
        .collect();
    // By the original names' bytes, as Python's sorted(), Java's TreeMap and C++'s
    // std::map order them ('_' sorts after the letters, '.' before them).
    pairs.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut src = String::with_capacity(
        method.len()
            + host.len()
            + path.len()
            + 1
            + pairs
                .iter()
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>(),
    );
    src.push_str(method);
    src.push_str(host);
    src.push_str(path);
    src.push('?');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            src.push('&');
        }
        src.extend(k.chars().map(|c| if c == '_' { '.' } else { c }));
        src.push('=');
        src.push_str(v);
    }
    src
}

/// The raw HMAC of a sign string under `secret_key`.
pub fn sign(method: SignatureMethod, secret_key: &str, string_to_sign: &str) -> Vec<u8> {
    fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
        let mut m = <M as Mac>::new_from_slice(key).expect("HMAC takes any key length");
        m.update(msg);
        m.finalize().into_bytes().to_vec()
    }
    let (key, msg) = (secret_key.as_bytes(), string_to_sign.as_bytes());
    match method {
        SignatureMethod::HmacSha1 => mac::<Hmac<sha1::Sha1>>(key, msg),
        SignatureMethod::HmacSha256 => mac::<Hmac<sha2::Sha256>>(key, msg),
    }
}

/// The `Signature` value a client sends: base64 of the HMAC.
pub fn sign_base64(method: SignatureMethod, secret_key: &str, string_to_sign: &str) -> String {
    b64::encode(sign(method, secret_key, string_to_sign))
}

/// Checks `signature` (base64, as sent) against the sign string, in constant time.
///
/// A space is read as `+`: a client that forgot to URL-encode the signature has its
/// `+` turned into a space by form decoding, and the signature is not itself signed,
/// so reading it back changes nothing an attacker could use.
pub fn verify(
    method: SignatureMethod,
    secret_key: &str,
    string_to_sign: &str,
    signature: &str,
) -> Result<(), AuthError> {
    let mismatch = || {
        AuthError::BadSignature(format!(
            "the {} signature does not match; check the SecretKey, the Host the client signed \
             and the sign string (METHOD + host + path + '?' + sorted raw key=value pairs)",
            method.as_str()
        ))
    };
    let got = b64::decode(signature.replace(' ', "+")).ok_or_else(mismatch)?;
    let want = sign(method, secret_key, string_to_sign);
    if bool::from(want.as_slice().ct_eq(got.as_slice())) {
        Ok(())
    } else {
        Err(mismatch())
    }
}

/// `Timestamp` must lie within `window` seconds of the server's clock.
pub fn check_timestamp(timestamp: i64, now: i64, window: i64) -> Result<(), AuthError> {
    if now.abs_diff(timestamp) > window as u64 {
        return Err(AuthError::Expired(format!(
            "Timestamp {timestamp} is more than {window} seconds away from the server's time \
             {now}; check the client's clock"
        )));
    }
    Ok(())
}

/// What the Nonce store says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    /// First use: recorded.
    Fresh,
    /// This SecretId already used this Nonce inside the window.
    Replayed,
    /// The store holds its maximum of live Nonces; the request is refused (fail closed)
    /// rather than forgetting a Nonce that could then be replayed.
    Full,
}

/// The most live Nonces kept for one account (24-byte entries in a table of 2^21
/// buckets: about 50 MB). A Nonce lives for at most twice the window, so with the
/// default 300 s this admits well over 1,500 signed requests per second per account.
pub const MAX_NONCES: usize = 1 << 20;

/// One account's live Nonces, by truncated SHA-256 of (SecretId, Nonce).
type Nonces = ExpiringMap<[u8; 16], ()>;

/// Every (SecretId, Nonce) accepted, until the request's timestamp leaves the window.
///
/// Kept per account, each account's memory bounded by its own capacity and failing
/// closed when full (see `auth::expiring`): an account that fills its memory (only an
/// authenticated client can, since Nonces are recorded after the signature verifies)
/// is refused until its Nonces expire, and no other account notices.
pub struct NonceGuard {
    /// Account → truncated SHA-256 of (SecretId, Nonce).
    accounts: Mutex<HashMap<Uin, Arc<Nonces>>>,
    per_account: usize,
}

impl Default for NonceGuard {
    fn default() -> Self {
        Self::with_capacity(MAX_NONCES)
    }
}

impl NonceGuard {
    /// A guard that keeps at most `per_account` live Nonces for each account.
    pub fn with_capacity(per_account: usize) -> Self {
        NonceGuard {
            accounts: Mutex::new(HashMap::new()),
            per_account,
        }
    }

    /// Records `nonce` for `secret_id` of `account` until `expires_at`, unless it is
    /// already there. Call only after the request's signature has been verified, so
    /// that nobody without the SecretKey can use up a client's Nonces or fill the store.
    pub fn check(
        &self,
        account: Uin,
        secret_id: &str,
        nonce: &str,
        expires_at: i64,
        now: i64,
    ) -> NonceCheck {
        self.check_key(account, nonce_key(secret_id, nonce, None), expires_at, now)
    }

    /// Like [`NonceGuard::check`], for the pair (`timestamp`, `nonce`): Tencent
    /// documents the v1 Nonce as preventing replay "together with Timestamp". A replay
    /// carries the signed Timestamp of the original, so it is refused all the same, and
    /// a client whose Nonces are short is not refused for reusing one in another second:
    /// the official Node.js SDK sends `Math.round(Math.random() * 65535)`, which keyed on
    /// the Nonce alone refuses about one request in 20 at 10 requests a second over the
    /// default 300 s window (a Nonce among 3,000 live ones out of 65,536).
    pub fn check_with_timestamp(
        &self,
        account: Uin,
        secret_id: &str,
        timestamp: i64,
        nonce: &str,
        expires_at: i64,
        now: i64,
    ) -> NonceCheck {
        let key = nonce_key(secret_id, nonce, Some(timestamp));
        self.check_key(account, key, expires_at, now)
    }

    /// Records a key made by [`nonce_key`]: the form the shared (store) memory takes too.
    pub fn check_key(&self, account: Uin, key: [u8; 16], expires_at: i64, now: i64) -> NonceCheck {
        let seen = {
            let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
            accounts
                .entry(account)
                .or_insert_with(|| Arc::new(ExpiringMap::new(self.per_account)))
                .clone()
        };
        match seen.remember(key, (), expires_at, now, |_| ()) {
            Remembered::Live(()) => NonceCheck::Replayed,
            Remembered::New => NonceCheck::Fresh,
            Remembered::Full => NonceCheck::Full,
        }
    }

    /// Live or not-yet-swept Nonces, over every account.
    pub fn len(&self) -> usize {
        let accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        accounts.values().map(|m| m.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Truncated SHA-256 of (SecretId, Nonce[, Timestamp]): the SecretId length-prefixed,
/// the Nonce length-prefixed, then a tag byte and the timestamp when there is one, so no
/// two inputs share an encoding.
pub fn nonce_key(secret_id: &str, nonce: &str, timestamp: Option<i64>) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update((secret_id.len() as u64).to_be_bytes());
    h.update(secret_id.as_bytes());
    h.update((nonce.len() as u64).to_be_bytes());
    h.update(nonce.as_bytes());
    if let Some(t) = timestamp {
        h.update([1u8]);
        h.update(t.to_be_bytes());
    }
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parameters of the published vector (a port of the legacy Python SDK's
    /// `Sign.make`), as a client holds them before signing.
    fn vector_params(method: &str) -> Vec<(&'static str, String)> {
        vec![
            ("Action", "CreateKey".into()),
            ("Nonce", "12345".into()),
            ("Region", "sh".into()),
            ("RequestClient", "SDK_Python_1.0".into()),
            ("SecretId", "AKIDEXAMPLE".into()),
            ("SignatureMethod", method.into()),
            ("Timestamp", "1500000000".into()),
            ("alias", "test".into()),
            ("description", "demo key".into()),
            ("keyUsage", "ENCRYPT/DECRYPT".into()),
        ]
    }

    #[test]
    fn reproduces_the_published_vector() {
        let params = vector_params("HmacSHA256");
        // Given out of order, with the signature among them: both must not matter.
        let mut shuffled: Vec<(&str, &str)> =
            params.iter().rev().map(|(k, v)| (*k, v.as_str())).collect();
        shuffled.push(("Signature", "ignored"));
        let src = string_to_sign("POST", "kms-sh.api.qcloud.com", "/v2/index.php", shuffled);
        assert_eq!(
            src,
            "POSTkms-sh.api.qcloud.com/v2/index.php?Action=CreateKey&Nonce=12345&Region=sh\
             &RequestClient=SDK_Python_1.0&SecretId=AKIDEXAMPLE&SignatureMethod=HmacSHA256\
             &Timestamp=1500000000&alias=test&description=demo key&keyUsage=ENCRYPT/DECRYPT"
        );
        let m = SignatureMethod::from_param(Some("HmacSHA256"));
        assert_eq!(
            sign_base64(m, "SECRETKEYEXAMPLE", &src),
            "uDC6i5ugLrSItU/REr5Q9XO3aShGGJ1fl2eK+gCmGic="
        );
        verify(
            m,
            "SECRETKEYEXAMPLE",
            &src,
            "uDC6i5ugLrSItU/REr5Q9XO3aShGGJ1fl2eK+gCmGic=",
        )
        .unwrap();

        let params = vector_params("HmacSHA1");
        let src = string_to_sign(
            "POST",
            "kms-sh.api.qcloud.com",
            "/v2/index.php",
            params.iter().map(|(k, v)| (*k, v.as_str())),
        );
        let m = SignatureMethod::from_param(Some("HmacSHA1"));
        assert_eq!(m, SignatureMethod::HmacSha1);
        assert_eq!(
            sign_base64(m, "SECRETKEYEXAMPLE", &src),
            "rObc3EDnCMPf17cTefUVZFDE7nY="
        );
    }

    #[test]
    fn anything_but_hmac_sha256_is_sha1() {
        for v in [
            None,
            Some(""),
            Some("HmacSHA1"),
            Some("hmacsha256"),
            Some("SHA256"),
        ] {
            assert_eq!(SignatureMethod::from_param(v), SignatureMethod::HmacSha1);
        }
    }

    #[test]
    fn underscores_become_dots_after_sorting() {
        let src = string_to_sign("GET", "h", "/p", [("a_0", "x"), ("aZ", "y"), ("a.1", "z")]);
        // Sorted as a.1 < aZ < a_0 by their bytes, then a_0 is written a.0.
        assert_eq!(src, "GETh/p?a.1=z&aZ=y&a.0=x");
        assert_eq!(string_to_sign("GET", "h", "/p", []), "GETh/p?");
    }

    #[test]
    fn verify_refuses_what_does_not_match() {
        let m = SignatureMethod::HmacSha256;
        let good = sign_base64(m, "k", "src");
        assert!(verify(m, "k", "src", &good).is_ok());
        assert!(verify(m, "k", "src", &good.replace('+', " ")).is_ok());
        assert!(verify(m, "K", "src", &good).is_err());
        assert!(verify(m, "k", "src2", &good).is_err());
        assert!(verify(SignatureMethod::HmacSha1, "k", "src", &good).is_err());
        assert!(verify(m, "k", "src", "").is_err());
        assert!(verify(m, "k", "src", "not base64!").is_err());
        assert!(verify(m, "k", "src", &good[..20]).is_err());
    }

    #[test]
    fn timestamps_outside_the_window_expire() {
        assert!(check_timestamp(1000, 1300, 300).is_ok());
        assert!(check_timestamp(1600, 1300, 300).is_ok());
        assert!(matches!(
            check_timestamp(999, 1300, 300),
            Err(AuthError::Expired(_))
        ));
        assert!(check_timestamp(1601, 1300, 300).is_err());
        assert!(check_timestamp(i64::MIN, 0, 300).is_err());
    }

    #[test]
    fn a_nonce_is_used_once_per_secret_id_inside_its_window() {
        let g = NonceGuard::default();
        assert_eq!(g.check(1, "AKID1", "7", 1300, 1000), NonceCheck::Fresh);
        assert_eq!(g.check(1, "AKID1", "7", 1301, 1001), NonceCheck::Replayed);
        assert_eq!(
            g.check(1, "AKID2", "7", 1300, 1001),
            NonceCheck::Fresh,
            "another SecretId"
        );
        assert_eq!(g.check(1, "AKID1", "8", 1300, 1001), NonceCheck::Fresh);
        // Once the first request's timestamp has left the window, the Nonce is free.
        assert_eq!(g.check(1, "AKID1", "7", 1700, 1301), NonceCheck::Fresh);
        // (SecretId, Nonce) is hashed unambiguously.
        assert_eq!(g.check(1, "AKID", "17", 1700, 1301), NonceCheck::Fresh);
    }

    #[test]
    fn with_a_timestamp_the_pair_is_used_once() {
        let g = NonceGuard::default();
        let check = |sid: &str, ts: i64, nonce: &str, now: i64| {
            g.check_with_timestamp(1, sid, ts, nonce, ts + 300, now)
        };
        assert_eq!(check("AKID1", 1000, "7", 1000), NonceCheck::Fresh);
        // The same request again (a replay carries the signed Timestamp): refused.
        assert_eq!(check("AKID1", 1000, "7", 1001), NonceCheck::Replayed);
        // The same Nonce in another second, as a 16-bit Nonce repeats: a new request.
        assert_eq!(check("AKID1", 1001, "7", 1001), NonceCheck::Fresh);
        assert_eq!(check("AKID1", 1001, "7", 1002), NonceCheck::Replayed);
        assert_eq!(check("AKID2", 1000, "7", 1002), NonceCheck::Fresh);
        assert_eq!(check("AKID1", 1000, "8", 1002), NonceCheck::Fresh);
        // Unambiguous: neither the Nonce/Timestamp boundary nor the keys without one.
        assert_eq!(check("AKID1", 0, "17", 1002), NonceCheck::Fresh);
        assert_eq!(check("AKID1", 10, "7", 1002), NonceCheck::Fresh);
        assert_eq!(g.check(1, "AKID1", "7", 1300, 1002), NonceCheck::Fresh);
        // Once the timestamp has left the window, the pair is free.
        assert_eq!(check("AKID1", 1000, "7", 1301), NonceCheck::Fresh);
    }

    #[test]
    fn the_store_is_bounded_and_sweeps() {
        use crate::auth::expiring::SWEEP_AT;
        let g = NonceGuard::with_capacity(SWEEP_AT * 2);
        for i in 0..SWEEP_AT {
            assert_eq!(
                g.check(1, "A", &i.to_string(), 10, 0),
                NonceCheck::Fresh,
                "{i}"
            );
        }
        // All of those expire at 10; at 11 the next sweep drops them.
        for i in 0..SWEEP_AT * 2 {
            assert_eq!(
                g.check(1, "B", &i.to_string(), 1000, 11),
                NonceCheck::Fresh,
                "{i}"
            );
        }
        assert_eq!(g.len(), SWEEP_AT * 2);
        // Full of live entries: refused, not forgotten.
        assert_eq!(g.check(1, "C", "1", 1000, 12), NonceCheck::Full);
        assert_eq!(g.check(1, "B", "1", 1000, 12), NonceCheck::Replayed);
        // Later, when they have expired, there is room again.
        assert_eq!(g.check(1, "C", "1", 2000, 1001), NonceCheck::Fresh);
        assert_eq!(g.len(), 1);
    }

    /// One account filling its Nonce memory does not lock another out.
    #[test]
    fn each_account_has_its_own_bound() {
        let g = NonceGuard::with_capacity(8);
        for i in 0..8 {
            assert_eq!(g.check(1, "A", &i.to_string(), 1000, 0), NonceCheck::Fresh);
        }
        assert_eq!(g.check(1, "A", "x", 1000, 0), NonceCheck::Full);
        assert_eq!(
            g.check(1, "A2", "x", 1000, 0),
            NonceCheck::Full,
            "the account's bound"
        );
        assert_eq!(
            g.check(2, "B", "x", 1000, 0),
            NonceCheck::Fresh,
            "another account"
        );
        assert_eq!(g.check(2, "B", "x", 1000, 0), NonceCheck::Replayed);
        assert_eq!(g.len(), 9);
    }
}
