//! Huawei Cloud AK/SK request signing (`SDK-HMAC-SHA256`, and its SM3 twin
//! `SDK-HMAC-SM3`), exactly as the official Python SDK `huaweicloudsdkcore` computes it
//! (`huaweicloudsdkcore/signer/signer.py`).
//!
//! ```text
//! CanonicalRequest = METHOD \n canonical-uri \n canonical-query \n
//!                    name:value\n for each signed header \n signed-headers \n hex(hash(body))
//! StringToSign     = ALGORITHM \n X-Sdk-Date \n hex(hash(CanonicalRequest))
//! Signature        = hex(HMAC(SK, StringToSign))
//! Authorization    = ALGORITHM Access=AK, SignedHeaders=a;b, Signature=HEX
//! ```
//! - canonical-uri: the path percent-decoded, split on `/`, each segment re-encoded
//!   with only RFC 3986 unreserved characters kept, joined, and always ending in `/`.
//! - canonical-query: `key=value` pairs (both percent-encoded the same way) sorted by
//!   key, then value.
//! - the SDK signs *every* header it sends whose name has no `_` (with the Python SDK:
//!   `content-type;host;user-agent;x-project-id;x-sdk-date`); values are trimmed, not
//!   lowercased. The path, and with it the action and the project id, is signed, and so
//!   is the body: there is nothing unsigned a replayer could relabel. An identical
//!   resend inside the window is accepted, as it is for TC3.
//! - `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC) must be within 15 minutes of the server's
//!   clock, as the Huawei API gateway requires.

use super::AuthError;
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use sm3::Sm3;
use subtle::ConstantTimeEq;

/// How far `X-Sdk-Date` may be from the server's clock, in seconds.
pub const WINDOW: i64 = 15 * 60;
/// The literal a client may put in `X-Sdk-Content-Sha256` (or `-Sm3`) instead of the
/// body hash. Refused unless the server allows unsigned payloads.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `SDK-HMAC-SHA256`, the SDK's default.
    HmacSha256,
    /// `SDK-HMAC-SM3` (`HttpConfig.signing_algorithm = SigningAlgorithm.HMAC_SM3`).
    HmacSm3,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "SDK-HMAC-SHA256",
            Algorithm::HmacSm3 => "SDK-HMAC-SM3",
        }
    }

    /// The header a client may use to pass the payload hash (or `UNSIGNED-PAYLOAD`).
    pub fn content_header(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "x-sdk-content-sha256",
            Algorithm::HmacSm3 => "x-sdk-content-sm3",
        }
    }

    pub fn hash_hex(self, data: &[u8]) -> String {
        match self {
            Algorithm::HmacSha256 => hex::encode(Sha256::digest(data)),
            Algorithm::HmacSm3 => hex::encode(Sm3::digest(data)),
        }
    }

    fn hmac(self, key: &[u8], msg: &[u8]) -> [u8; 32] {
        match self {
            Algorithm::HmacSha256 => {
                let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
                m.update(msg);
                m.finalize().into_bytes().into()
            }
            Algorithm::HmacSm3 => {
                let mut m = <Hmac<Sm3> as Mac>::new_from_slice(key).expect("any key length");
                m.update(msg);
                m.finalize().into_bytes().into()
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub algorithm: Algorithm,
    /// The AK: an smkms SecretId.
    pub access: String,
    pub signed_headers: Vec<String>,
    pub signature: [u8; 32],
}

/// Parses `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=HEX`.
pub fn parse_authorization(header: &str) -> Result<Authorization, AuthError> {
    let bad = |m: &str| AuthError::Malformed(format!("Authorization header: {m}"));
    let (name, rest) = header.split_once(' ').ok_or_else(|| {
        bad("expected \"SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...\"")
    })?;
    let algorithm = match name {
        "SDK-HMAC-SHA256" => Algorithm::HmacSha256,
        "SDK-HMAC-SM3" => Algorithm::HmacSm3,
        other => {
            return Err(bad(&format!(
                "the signing algorithm {other:?} is not supported; sign with SDK-HMAC-SHA256 \
                 (the SDK's default) or SDK-HMAC-SM3"
            )))
        }
    };
    let [access, signed, signature] =
        super::named_parts(rest, ["Access", "SignedHeaders", "Signature"]).map_err(|m| bad(&m))?;
    if access.is_empty() {
        return Err(bad("Access (the AK) is empty"));
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_string).collect();
    if signed_headers.iter().any(|h| {
        h.is_empty()
            || h.bytes()
                .any(|b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
    }) {
        return Err(bad(
            "SignedHeaders must be lowercase header names separated by ';'",
        ));
    }
    for (i, h) in signed_headers.iter().enumerate() {
        if signed_headers[..i].contains(h) {
            return Err(bad(&format!("SignedHeaders names {h} twice")));
        }
    }
    for required in ["host", "x-sdk-date"] {
        if !signed_headers.iter().any(|h| h == required) {
            return Err(bad(&format!("SignedHeaders must include {required}")));
        }
    }
    let mut sig = [0u8; 32];
    if signature.len() != 64 || hex::decode_to_slice(signature, &mut sig).is_err() {
        return Err(bad("Signature must be 64 hex characters"));
    }
    Ok(Authorization {
        algorithm,
        access: access.to_string(),
        signed_headers,
        signature: sig,
    })
}

/// Parses `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC) into unix seconds.
pub fn parse_sdk_date(text: &str) -> Result<i64, AuthError> {
    let bad = || {
        AuthError::Malformed(format!(
            "X-Sdk-Date {text:?} is not a UTC time of the form 20240101T000000Z"
        ))
    };
    let b = text.as_bytes();
    if b.len() != 16
        || b[8] != b'T'
        || b[15] != b'Z'
        || !b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
    {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| text[r].parse::<u32>().map_err(|_| bad());
    let month = time::Month::try_from(num(4..6)? as u8).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(num(0..4)? as i32, month, num(6..8)? as u8)
        .map_err(|_| bad())?;
    let t = time::Time::from_hms(num(9..11)? as u8, num(11..13)? as u8, num(13..15)? as u8)
        .map_err(|_| bad())?;
    Ok(time::PrimitiveDateTime::new(date, t)
        .assume_utc()
        .unix_timestamp())
}

/// Formats unix seconds as `X-Sdk-Date`.
pub fn format_sdk_date(unix: i64) -> String {
    let dt = time::OffsetDateTime::from_unix_timestamp(unix).expect("a valid timestamp");
    let f = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    dt.format(&f).expect("formats")
}

/// Checks `X-Sdk-Date` against the server's clock.
pub fn check_date(date: i64, now: i64) -> Result<(), AuthError> {
    if (now - date).abs() > WINDOW {
        return Err(AuthError::Expired(format!(
            "X-Sdk-Date is {} seconds away from the server's time; at most {WINDOW} are \
             allowed (check the client's clock)",
            (now - date).abs()
        )));
    }
    Ok(())
}

/// What Python's `quote(s, safe='~')` escapes: every byte but letters, digits and
/// `_ . - ~`.
const QUOTED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// Python's `quote(s, safe='~')`: UTF-8, every byte but the unreserved ones as `%XX`.
fn quote(s: &str) -> String {
    utf8_percent_encode(s, QUOTED).to_string()
}

/// Python's `unquote`: `%XX` sequences decoded (a malformed one is kept literally, as
/// `percent_decode_str` does), the bytes read as UTF-8 with invalid sequences replaced
/// by U+FFFD. `+` stays `+`.
fn unquote(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The canonical URI of a request path (without the query).
pub fn canonical_uri(path: &str) -> String {
    let mut uri = unquote(path)
        .split('/')
        .map(quote)
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The canonical query string of a raw query (without `?`): every `k=v` decoded, sorted
/// by key then value, re-encoded. The SDK sends exactly this string on the wire.
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unquote(k), unquote(v))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", quote(k), quote(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The request as the signature sees it.
pub struct SignedParts<'a> {
    pub method: &'a str,
    /// The raw path, as in the request line.
    pub path: &'a str,
    /// The raw query (without `?`), empty if none.
    pub query: &'a str,
    /// The value of a header by lowercase name, as raw bytes; None if absent.
    pub header: &'a dyn Fn(&str) -> Option<Vec<u8>>,
    /// Lowercase hex hash of the body (or the literal the client chose, see
    /// [`payload_hash`]).
    pub payload_hash: &'a str,
}

/// Trims what Python's `str.strip()` trims from a header value (ASCII whitespace; HTTP
/// header values hold no other).
fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &v[start..end.max(start)]
}

/// The canonical request, as bytes (header values are signed as the bytes sent; the SDK
/// sends a value's UTF-8 bytes).
pub fn canonical_request(
    parts: &SignedParts<'_>,
    signed_headers: &[String],
) -> Result<Vec<u8>, AuthError> {
    let mut canon = Vec::with_capacity(512);
    canon.extend_from_slice(parts.method.to_ascii_uppercase().as_bytes());
    canon.push(b'\n');
    canon.extend_from_slice(canonical_uri(parts.path).as_bytes());
    canon.push(b'\n');
    canon.extend_from_slice(canonical_query(parts.query).as_bytes());
    canon.push(b'\n');
    for name in signed_headers {
        let value = (parts.header)(name).ok_or_else(|| {
            AuthError::Malformed(format!("signed header {name} is not in the request"))
        })?;
        canon.extend_from_slice(name.as_bytes());
        canon.push(b':');
        canon.extend_from_slice(trim(&value));
        canon.push(b'\n');
    }
    canon.push(b'\n');
    canon.extend_from_slice(signed_headers.join(";").as_bytes());
    canon.push(b'\n');
    canon.extend_from_slice(parts.payload_hash.as_bytes());
    Ok(canon)
}

/// The payload hash the SDK signs: the empty-body hash for an empty body, else the
/// literal value of `X-Sdk-Content-Sha256`/`-Sm3` when the client sent one, else the
/// body's hash. A literal other than the body's true hash is refused (it would let the
/// body change under the signature); `UNSIGNED-PAYLOAD` only when `allow_unsigned`.
pub fn payload_hash(
    algorithm: Algorithm,
    body: &[u8],
    content_header: Option<&str>,
    allow_unsigned: bool,
) -> Result<String, AuthError> {
    let actual = algorithm.hash_hex(body);
    if body.is_empty() {
        return Ok(actual);
    }
    match content_header {
        None => Ok(actual),
        Some(UNSIGNED_PAYLOAD) if allow_unsigned => Ok(UNSIGNED_PAYLOAD.to_string()),
        Some(UNSIGNED_PAYLOAD) => Err(AuthError::Malformed(format!(
            "{}: UNSIGNED-PAYLOAD is not accepted by this server; sign the body (send \
             Content-Type: application/json)",
            algorithm.content_header()
        ))),
        Some(v) if v == actual => Ok(actual),
        Some(_) => Err(AuthError::BadSignature(format!(
            "{} does not match the body",
            algorithm.content_header()
        ))),
    }
}

pub fn string_to_sign(algorithm: Algorithm, sdk_date: &str, canonical_request: &[u8]) -> String {
    format!(
        "{}\n{sdk_date}\n{}",
        algorithm.name(),
        algorithm.hash_hex(canonical_request)
    )
}

pub fn signature(algorithm: Algorithm, secret_key: &str, string_to_sign: &str) -> [u8; 32] {
    algorithm.hmac(secret_key.as_bytes(), string_to_sign.as_bytes())
}

/// Verifies the signature in constant time.
pub fn verify(
    auth: &Authorization,
    secret_key: &str,
    sdk_date: &str,
    canonical_request: &[u8],
) -> Result<(), AuthError> {
    let sts = string_to_sign(auth.algorithm, sdk_date, canonical_request);
    let want = signature(auth.algorithm, secret_key, &sts);
    if bool::from(want.ct_eq(&auth.signature)) {
        Ok(())
    } else {
        Err(AuthError::BadSignature(
            "the request signature does not match; check the SK and the signing steps".into(),
        ))
    }
}

/// A request a client is about to send.
#[derive(Clone, Copy)]
pub struct ToSign<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// Signs a request the way the SDK does: every header in `headers` is signed (they
/// must include `Host` and `X-Sdk-Date`). Returns the Authorization header value.
/// Used by our own test client.
pub fn sign(algorithm: Algorithm, access: &str, secret_key: &str, req: &ToSign<'_>) -> String {
    let ToSign {
        method,
        path,
        query,
        headers,
        body,
    } = *req;
    let mut signed: Vec<String> = headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .filter(|k| !k.contains('_'))
        .collect();
    signed.sort();
    let lookup = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_bytes().to_vec())
    };
    let date = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-sdk-date"))
        .map(|(_, v)| v.to_string())
        .expect("X-Sdk-Date among the headers");
    let content = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(algorithm.content_header()))
        .map(|(_, v)| *v);
    let hash = if body.is_empty() {
        algorithm.hash_hex(body)
    } else {
        content.map_or_else(|| algorithm.hash_hex(body), str::to_string)
    };
    let parts = SignedParts {
        method,
        path,
        query,
        header: &lookup,
        payload_hash: &hash,
    };
    let canon = canonical_request(&parts, &signed).expect("all signed headers present");
    let sig = signature(
        algorithm,
        secret_key,
        &string_to_sign(algorithm, &date, &canon),
    );
    format!(
        "{} Access={access}, SignedHeaders={}, Signature={}",
        algorithm.name(),
        signed.join(";"),
        hex::encode(sig)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const AK: &str = "AKTESTEXAMPLE0000001";
    const SK: &str = "SKTESTEXAMPLESECRET0000000000000000000001";

    fn req<'a>(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        headers: &'a [(&'a str, &'a str)],
        body: &'a [u8],
    ) -> ToSign<'a> {
        ToSign {
            method,
            path,
            query,
            headers,
            body,
        }
    }

    /// The reference's vector (produced by the SDK's `Signer` and `SM3Signer`).
    #[test]
    fn reference_vector() {
        let pid = "0123456789abcdef0123456789abcdef";
        let headers = [
            ("Content-Type", "application/json;charset=UTF-8"),
            ("X-Project-Id", pid),
            ("X-Sdk-Date", "20240101T000000Z"),
            ("Host", "kms.cn-north-4.myhuaweicloud.com"),
        ];
        let path = format!("/v1.0/{pid}/kms/create-key");
        let body = br#"{"key_alias": "test"}"#;
        assert_eq!(
            sign(Algorithm::HmacSha256, AK, SK, &req("POST", &path, "", &headers, body)),
            "SDK-HMAC-SHA256 Access=AKTESTEXAMPLE0000001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=39feef757cb9f100f936651dd6e386d61971786279b3ceac860c742fa8c51d92"
        );
        assert_eq!(
            sign(Algorithm::HmacSm3, AK, SK, &req("POST", &path, "", &headers, body)),
            "SDK-HMAC-SM3 Access=AKTESTEXAMPLE0000001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=eb98b792a530ae5365abb5ad4c9710f77f2c2722ed161689539a71c878000803"
        );
    }

    /// Computed once by `huaweicloudsdkcore` 3.1.219's `Signer.sign` for the headers
    /// the Python SDK really sends (User-Agent included, host with a port) and a body
    /// with non-ASCII text.
    #[test]
    fn matches_the_python_sdk_with_every_header_signed() {
        let headers = [
            ("Content-Type", "application/json;charset=utf-8"),
            ("X-Project-Id", "ap-guangzhou"),
            ("X-Sdk-Date", "20261122T165527Z"),
            (
                "User-Agent",
                "huaweicloud-usdk-python/3.0; os/Linux python/3.11.7",
            ),
            ("Host", "127.0.0.1:8080"),
        ];
        let body =
            r#"{"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f", "plain_text": "hello 世界"}"#;
        assert_eq!(
            sign(
                Algorithm::HmacSha256,
                AK,
                SK,
                &req(
                    "POST",
                    "/v1.0/ap-guangzhou/kms/encrypt-data",
                    "",
                    &headers,
                    body.as_bytes()
                )
            ),
            "SDK-HMAC-SHA256 Access=AKTESTEXAMPLE0000001, SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, Signature=a440a34c7a6cd4e43ad70b622c53655734e9c7828cb09315c53d25819a22f659"
        );
    }

    /// Also from the SDK: a GET with an encoded path segment, `~`, and a query whose
    /// parameters the SDK sorted (a repeated key sorted by value) and encoded.
    #[test]
    fn matches_the_python_sdk_for_paths_and_queries() {
        let headers = [
            ("Content-Type", "application/json"),
            ("X-Sdk-Date", "20261122T165527Z"),
            ("Host", "127.0.0.1:8080"),
        ];
        let want = "SDK-HMAC-SHA256 Access=AKTESTEXAMPLE0000001, SignedHeaders=content-type;host;x-sdk-date, Signature=386d5143cfc1788020b6aaea487c2fc966ad4b38fc068615c623730b0f283dd5";
        // As the SDK sent it, and in another order and spelling of the same query.
        for query in ["a=1&a=x%20y&b=2", "b=2&a=x%20y&a=1", "b=%32&a=x%20y&a=1"] {
            assert_eq!(
                sign(
                    Algorithm::HmacSha256,
                    AK,
                    SK,
                    &req("GET", "/v1.0/p%20x/kms/a~b", query, &headers, b"")
                ),
                want,
                "{query}"
            );
        }
    }

    #[test]
    fn canonical_uri_and_query() {
        assert_eq!(
            canonical_uri("/v1.0/pid/kms/create-key"),
            "/v1.0/pid/kms/create-key/"
        );
        assert_eq!(canonical_uri("/a/"), "/a/");
        assert_eq!(canonical_uri("/a%2fb"), "/a/b/");
        assert_eq!(canonical_uri("/%e4%b8%96 x+y"), "/%E4%B8%96%20x%2By/");
        assert_eq!(canonical_uri("/bad%zz%4"), "/bad%25zz%254/");
        assert_eq!(canonical_uri("/%ff"), "/%EF%BF%BD/");
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=1&a"), "a=&b=1");
    }

    #[test]
    fn parses_and_rejects_authorization_headers() {
        let sig = "ab".repeat(32);
        let ok = format!(
            "SDK-HMAC-SHA256 Access=AKID1, SignedHeaders=content-type;host;x-sdk-date, Signature={sig}"
        );
        let a = parse_authorization(&ok).unwrap();
        assert_eq!(a.access, "AKID1");
        assert_eq!(a.algorithm, Algorithm::HmacSha256);
        assert_eq!(a.signed_headers, vec!["content-type", "host", "x-sdk-date"]);
        let sm3 = ok.replace("SDK-HMAC-SHA256", "SDK-HMAC-SM3");
        assert_eq!(
            parse_authorization(&sm3).unwrap().algorithm,
            Algorithm::HmacSm3
        );
        for bad in [
            String::new(),
            ok.replace("SDK-HMAC-SHA256", "SDK-ECDSA-P256-SHA256"),
            ok.replace("SDK-HMAC-SHA256 ", "SDK-HMAC-SHA256,"),
            ok.replace("Access=AKID1", "Access="),
            ok.replace(";host", ""),
            ok.replace(";x-sdk-date", ""),
            ok.replace("content-type", "Content-Type"),
            ok.replace("content-type", "host"),
            ok.replace(&sig, "zz"),
            ok.replace(", Signature", ", Signature=1, Signature"),
            format!("{ok}, Extra=1"),
        ] {
            assert!(parse_authorization(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sdk_dates() {
        assert_eq!(parse_sdk_date("20240101T000000Z").unwrap(), 1_704_067_200);
        assert_eq!(format_sdk_date(1_704_067_200), "20240101T000000Z");
        for bad in [
            "",
            "20240101T000000",
            "2024-01-01T00:00:00Z",
            "20241301T000000Z",
            "20240230T000000Z",
            "20240101T240000Z",
            "20240101t000000z",
            "+0240101T000000Z",
        ] {
            assert!(parse_sdk_date(bad).is_err(), "{bad}");
        }
        let now = 1_704_067_200;
        assert!(check_date(now - WINDOW, now).is_ok());
        assert!(check_date(now + WINDOW, now).is_ok());
        assert!(matches!(
            check_date(now - WINDOW - 1, now),
            Err(AuthError::Expired(_))
        ));
        assert!(matches!(
            check_date(now + WINDOW + 1, now),
            Err(AuthError::Expired(_))
        ));
    }

    #[test]
    fn payload_hashes() {
        let a = Algorithm::HmacSha256;
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(payload_hash(a, b"", Some("junk"), false).unwrap(), empty);
        assert_eq!(
            Algorithm::HmacSm3.hash_hex(b""),
            "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
        );
        let body = b"{}";
        let h = a.hash_hex(body);
        assert_eq!(payload_hash(a, body, None, false).unwrap(), h);
        assert_eq!(payload_hash(a, body, Some(&h), false).unwrap(), h);
        assert!(matches!(
            payload_hash(a, body, Some(empty), false),
            Err(AuthError::BadSignature(_))
        ));
        assert!(matches!(
            payload_hash(a, body, Some(UNSIGNED_PAYLOAD), false),
            Err(AuthError::Malformed(_))
        ));
        assert_eq!(
            payload_hash(a, body, Some(UNSIGNED_PAYLOAD), true).unwrap(),
            UNSIGNED_PAYLOAD
        );
    }

    #[test]
    fn sign_then_verify() {
        let headers = [
            ("Host", "127.0.0.1:1"),
            ("X-Sdk-Date", "20240101T000000Z"),
            ("Content-Type", "application/json"),
        ];
        let body = br#"{"key_id":"x"}"#;
        for alg in [Algorithm::HmacSha256, Algorithm::HmacSm3] {
            let value = sign(
                alg,
                "AK",
                "secret",
                &req("POST", "/v1.0/p/kms/x", "", &headers, body),
            );
            let auth = parse_authorization(&value).unwrap();
            let lookup = |name: &str| {
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| format!("  {v} ").into_bytes())
            };
            let hash = alg.hash_hex(body);
            let mut parts = SignedParts {
                method: "POST",
                path: "/v1.0/p/kms/x",
                query: "",
                header: &lookup,
                payload_hash: &hash,
            };
            let canon = canonical_request(&parts, &auth.signed_headers).unwrap();
            assert!(verify(&auth, "secret", "20240101T000000Z", &canon).is_ok());
            assert!(verify(&auth, "secreT", "20240101T000000Z", &canon).is_err());
            assert!(verify(&auth, "secret", "20240101T000001Z", &canon).is_err());
            parts.path = "/v1.0/p/kms/y";
            let other = canonical_request(&parts, &auth.signed_headers).unwrap();
            assert!(verify(&auth, "secret", "20240101T000000Z", &other).is_err());
        }
    }
}
