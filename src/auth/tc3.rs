//! TC3-HMAC-SHA256, the signature of Tencent Cloud API 3.0, exactly as the official
//! SDKs compute it.
//!
//! ```text
//! CanonicalRequest = METHOD \n / \n query \n canonical-headers \n signed-headers \n hex(sha256(body))
//! StringToSign     = TC3-HMAC-SHA256 \n timestamp \n date/service/tc3_request \n hex(sha256(CanonicalRequest))
//! key              = HMAC(HMAC(HMAC("TC3"+SecretKey, date), service), "tc3_request")
//! Signature        = hex(HMAC(key, StringToSign))
//! ```
//! Only the headers the client lists are canonicalised (name and value lowercased and
//! trimmed, as the Go SDK does for `x-tc-action`), so `X-TC-Action` and `X-TC-Region`
//! are covered only when the client signs them, as on Tencent's endpoint; an operator
//! can require that with `auth.require_signed_headers` ([`check_required_headers`]).
//! The service in the credential scope is the client's to choose (the Node.js SDK
//! derives it from the endpoint's first label): it enters the key derivation, so it is
//! bound to the signature like the date.

use super::AuthError;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub secret_id: String,
    pub date: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: [u8; 32],
}

/// Parses `TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=HEX`.
pub fn parse_authorization(header: &str) -> Result<Authorization, AuthError> {
    let bad = |m: &str| AuthError::Malformed(format!("Authorization header: {m}"));
    let rest = header
        .strip_prefix(ALGORITHM)
        .ok_or_else(|| bad("must start with TC3-HMAC-SHA256"))?;
    if !rest.starts_with(' ') {
        return Err(bad("must start with TC3-HMAC-SHA256"));
    }
    let [credential, signed, signature] =
        super::named_parts(rest, ["Credential", "SignedHeaders", "Signature"])
            .map_err(|m| bad(&m))?;

    let parts: Vec<&str> = credential.split('/').collect();
    if parts.len() != 4 || parts[3] != "tc3_request" {
        return Err(bad(
            "Credential must be SecretId/YYYY-MM-DD/service/tc3_request",
        ));
    }
    if parts[0].is_empty() {
        return Err(bad("Credential has an empty SecretId"));
    }
    let date = parts[1];
    if date.len() != 10
        || !date.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
    {
        return Err(bad("the Credential date must be YYYY-MM-DD"));
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
    let mut sig = [0u8; 32];
    if signature.len() != 64 || hex::decode_to_slice(signature, &mut sig).is_err() {
        return Err(bad("Signature must be 64 hex characters"));
    }
    Ok(Authorization {
        secret_id: parts[0].to_string(),
        date: date.to_string(),
        service: parts[2].to_string(),
        signed_headers,
        signature: sig,
    })
}

/// The request as the signature sees it.
pub struct SignedParts<'a> {
    pub method: &'a str,
    /// The raw query string (without `?`), empty for POST.
    pub query: &'a str,
    /// Looks up a header value by lowercase name.
    pub header: &'a dyn Fn(&str) -> Option<String>,
    /// `hex(sha256(body))`, or `UNSIGNED-PAYLOAD`.
    pub payload_hash: &'a str,
}

pub fn canonical_request(
    parts: &SignedParts<'_>,
    signed_headers: &[String],
) -> Result<String, AuthError> {
    let mut canon = String::with_capacity(256);
    canon.push_str(parts.method);
    canon.push_str("\n/\n");
    canon.push_str(parts.query);
    canon.push('\n');
    for name in signed_headers {
        let value = (parts.header)(name).ok_or_else(|| {
            AuthError::Malformed(format!("signed header {name} is not in the request"))
        })?;
        canon.push_str(name);
        canon.push(':');
        canon.push_str(&value.trim().to_ascii_lowercase());
        canon.push('\n');
    }
    canon.push('\n');
    canon.push_str(&signed_headers.join(";"));
    canon.push('\n');
    canon.push_str(parts.payload_hash);
    Ok(canon)
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// The signature for a canonical request.
pub fn signature(
    secret_key: &str,
    timestamp: i64,
    date: &str,
    service: &str,
    canonical_request: &str,
) -> [u8; 32] {
    let scope = format!("{date}/{service}/tc3_request");
    let string_to_sign = format!(
        "{ALGORITHM}\n{timestamp}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let mut k = Vec::with_capacity(3 + secret_key.len());
    k.extend_from_slice(b"TC3");
    k.extend_from_slice(secret_key.as_bytes());
    let k_date = hmac(&k, date.as_bytes());
    zeroize::Zeroize::zeroize(&mut k);
    let k_service = hmac(&k_date, service.as_bytes());
    let k_signing = hmac(&k_service, b"tc3_request");
    hmac(&k_signing, string_to_sign.as_bytes())
}

/// The UTC calendar date (YYYY-MM-DD) of a unix timestamp, which the credential scope
/// must carry.
pub fn utc_date(timestamp: i64) -> Option<String> {
    let dt = time::OffsetDateTime::from_unix_timestamp(timestamp).ok()?;
    let f = time::macros::format_description!("[year]-[month]-[day]");
    dt.format(&f).ok()
}

/// Checks everything but the secret: the scope date against the timestamp, the time
/// window, and that `host` and `content-type` are signed.
pub fn check_scope(
    auth: &Authorization,
    timestamp: i64,
    now: i64,
    window: i64,
) -> Result<(), AuthError> {
    for required in ["content-type", "host"] {
        if !auth.signed_headers.iter().any(|h| h == required) {
            return Err(AuthError::Malformed(format!(
                "SignedHeaders must include {required}"
            )));
        }
    }
    // abs_diff cannot overflow, whatever timestamp a client sends.
    if now.abs_diff(timestamp) > window.unsigned_abs() {
        return Err(AuthError::Expired(format!(
            "X-TC-Timestamp {timestamp} is more than {window} seconds away from the server's \
             time {now}; check the client's clock"
        )));
    }
    if utc_date(timestamp).as_deref() != Some(auth.date.as_str()) {
        return Err(AuthError::BadSignature(format!(
            "the Credential date {} is not the UTC date of X-TC-Timestamp {timestamp}",
            auth.date
        )));
    }
    Ok(())
}

/// Refuses a signature whose SignedHeaders leave out a header the operator requires
/// (`auth.require_signed_headers`, lowercase names such as `x-tc-action`).
pub fn check_required_headers(auth: &Authorization, required: &[String]) -> Result<(), AuthError> {
    let missing: Vec<&str> = required
        .iter()
        .filter(|r| {
            !auth
                .signed_headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case(r))
        })
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(AuthError::Malformed(format!(
        "this server requires signed {}: list {} in SignedHeaders and sign {} (the official \
         SDKs sign only content-type;host; sign the request yourself, as the Go SDK does for \
         x-tc-action)",
        missing.join(", "),
        if missing.len() == 1 { "it" } else { "them" },
        if missing.len() == 1 {
            "its value"
        } else {
            "their values"
        },
    )))
}

/// `host` without a trailing `:port` (`127.0.0.1:6300` → `127.0.0.1`, `[::1]:80` →
/// `[::1]`); a host without a port is returned as it is.
pub fn host_without_port(host: &str) -> &str {
    if let Some(end) = host.strip_prefix('[').and_then(|h| h.find(']')) {
        return &host[..end + 2];
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Verifies the signature in constant time.
pub fn verify(
    auth: &Authorization,
    secret_key: &str,
    timestamp: i64,
    canonical_request: &str,
) -> Result<(), AuthError> {
    let want = signature(
        secret_key,
        timestamp,
        &auth.date,
        &auth.service,
        canonical_request,
    );
    if bool::from(want.ct_eq(&auth.signature)) {
        Ok(())
    } else {
        Err(AuthError::BadSignature(
            "the request signature does not match; check the SecretKey and the signing steps"
                .into(),
        ))
    }
}

/// What a client needs to sign a POST request: the Authorization header value.
/// Signs `content-type;host`, as the official SDKs do. Used by our own test client.
pub fn sign_post(
    secret_id: &str,
    secret_key: &str,
    host: &str,
    content_type: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    let date = utc_date(timestamp).expect("valid timestamp");
    authorization(
        secret_id,
        secret_key,
        timestamp,
        &date,
        &[("content-type", content_type), ("host", host)],
        &sha256_hex(body),
    )
}

/// The Authorization header of a POST that signs `headers` (lowercase names with
/// their values, in signing order) and a body whose SHA-256 is `payload_hash`. `date`
/// is `utc_date(timestamp)`, which a caller signing many requests can keep.
pub fn authorization(
    secret_id: &str,
    secret_key: &str,
    timestamp: i64,
    date: &str,
    headers: &[(&str, &str)],
    payload_hash: &str,
) -> String {
    let signed: Vec<String> = headers.iter().map(|(n, _)| n.to_string()).collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    };
    let parts = SignedParts {
        method: "POST",
        query: "",
        header: &header,
        payload_hash,
    };
    let canon = canonical_request(&parts, &signed).expect("every signed header is given");
    let sig = signature(secret_key, timestamp, date, "kms", &canon);
    format!(
        "{ALGORITHM} Credential={secret_id}/{date}/kms/tc3_request, SignedHeaders={}, Signature={}",
        signed.join(";"),
        hex::encode(sig)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inputs of Tencent Cloud's public signing walk-through (CVM
    /// DescribeInstances, 2019-02-25), with the canonical-request hash and signature
    /// computed by the official Python SDK's own code (`tencentcloud.common.sign`).
    #[test]
    fn matches_the_python_sdk() {
        let body = br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let header = |n: &str| match n {
            "content-type" => Some("application/json; charset=utf-8".to_string()),
            "host" => Some("cvm.tencentcloudapi.com".to_string()),
            _ => None,
        };
        let hash = sha256_hex(body);
        let parts = SignedParts {
            method: "POST",
            query: "",
            header: &header,
            payload_hash: &hash,
        };
        let signed = vec!["content-type".into(), "host".into()];
        let canon = canonical_request(&parts, &signed).unwrap();
        assert_eq!(
            sha256_hex(canon.as_bytes()),
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        let sig = signature(
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            1551113065,
            "2019-02-25",
            "cvm",
            &canon,
        );
        assert_eq!(
            hex::encode(sig),
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn parses_and_rejects_authorization_headers() {
        let sig = "a".repeat(64);
        let ok = format!("TC3-HMAC-SHA256 Credential=AKIDx/2024-01-02/kms/tc3_request, SignedHeaders=content-type;host, Signature={sig}");
        let a = parse_authorization(&ok).unwrap();
        assert_eq!(a.secret_id, "AKIDx");
        assert_eq!(a.date, "2024-01-02");
        assert_eq!(a.signed_headers, vec!["content-type", "host"]);
        for bad in [
            "".to_string(),
            "TC3-HMAC-SHA1 Credential=a/2024-01-02/kms/tc3_request, SignedHeaders=host, Signature=00".into(),
            ok.replace("tc3_request", "tc4_request"),
            ok.replace("2024-01-02", "2024-1-2"),
            ok.replace(&sig, "zz"),
            ok.replace("content-type;host", "Content-Type;host"),
            ok.replace(", Signature", ", Signature=1, Signature"),
            ok.replace("Credential=AKIDx", "Credential="),
            format!("{ok}, Extra=1"),
        ] {
            assert!(parse_authorization(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scope_window_and_date() {
        let now = 1_700_000_000;
        let mk = |date: &str, service: &str, signed: &[&str]| Authorization {
            secret_id: "x".into(),
            date: date.into(),
            service: service.into(),
            signed_headers: signed.iter().map(|s| s.to_string()).collect(),
            signature: [0; 32],
        };
        let date = utc_date(now).unwrap();
        let a = mk(&date, "kms", &["content-type", "host"]);
        assert!(check_scope(&a, now, now, 300).is_ok());
        assert!(
            check_scope(&a, now - 299, now, 300).is_ok() || utc_date(now - 299).unwrap() != date
        );
        assert!(matches!(
            check_scope(&a, now - 301, now, 300),
            Err(AuthError::Expired(_))
        ));
        assert!(matches!(
            check_scope(&a, now + 301, now, 300),
            Err(AuthError::Expired(_))
        ));
        // Any service name: it is part of the key derivation, so verify() binds it.
        assert!(check_scope(&mk(&date, "127", &["content-type", "host"]), now, now, 300).is_ok());
        // Extreme timestamps are outside the window, not an overflow.
        for ts in [i64::MIN, i64::MIN + 1, i64::MAX] {
            assert!(matches!(
                check_scope(&a, ts, now, 300),
                Err(AuthError::Expired(_))
            ));
        }
        assert!(matches!(
            check_scope(&a, now, i64::MIN, 300),
            Err(AuthError::Expired(_))
        ));
        assert!(matches!(
            check_scope(&mk(&date, "kms", &["content-type"]), now, now, 300),
            Err(AuthError::Malformed(_))
        ));
        assert!(matches!(
            check_scope(
                &mk("2001-01-01", "kms", &["content-type", "host"]),
                now,
                now,
                300
            ),
            Err(AuthError::BadSignature(_))
        ));
    }

    #[test]
    fn required_headers_and_hosts_without_ports() {
        let mk = |signed: &[&str]| Authorization {
            secret_id: "x".into(),
            date: "2024-01-01".into(),
            service: "kms".into(),
            signed_headers: signed.iter().map(|s| s.to_string()).collect(),
            signature: [0; 32],
        };
        let required = vec!["x-tc-action".to_string(), "x-tc-region".to_string()];
        assert!(check_required_headers(&mk(&["content-type", "host"]), &[]).is_ok());
        let e = check_required_headers(&mk(&["content-type", "host", "x-tc-action"]), &required)
            .unwrap_err();
        assert!(e.to_string().contains("requires signed x-tc-region"), "{e}");
        assert!(check_required_headers(
            &mk(&["content-type", "host", "x-tc-action", "x-tc-region"]),
            &required
        )
        .is_ok());
        for (host, bare) in [
            ("127.0.0.1:6300", "127.0.0.1"),
            ("127.0.0.1", "127.0.0.1"),
            ("kms.example.com:443", "kms.example.com"),
            ("[::1]:6300", "[::1]"),
            ("[::1]", "[::1]"),
            ("host:", "host:"),
            ("host:abc", "host:abc"),
        ] {
            assert_eq!(host_without_port(host), bare, "{host}");
        }
    }

    #[test]
    fn sign_then_verify() {
        let ts = 1_700_000_000;
        let body = br#"{"Alias":"a"}"#;
        let header_value = sign_post(
            "AKID1",
            "secret",
            "127.0.0.1:1",
            "application/json",
            ts,
            body,
        );
        let auth = parse_authorization(&header_value).unwrap();
        let header = |n: &str| match n {
            "content-type" => Some("application/json".to_string()),
            "host" => Some("127.0.0.1:1".to_string()),
            _ => None,
        };
        let hash = sha256_hex(body);
        let parts = SignedParts {
            method: "POST",
            query: "",
            header: &header,
            payload_hash: &hash,
        };
        let canon = canonical_request(&parts, &auth.signed_headers).unwrap();
        assert!(verify(&auth, "secret", ts, &canon).is_ok());
        assert!(verify(&auth, "secreT", ts, &canon).is_err());
        assert!(verify(&auth, "secret", ts + 1, &canon).is_err());
    }
}
