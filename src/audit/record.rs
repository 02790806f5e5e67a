//! The records of the audit trail: one JSON object per line, fields in a fixed order.
//!
//! Every line starts with `seq` (1, 2, … along one replica's chain), `time` (UTC,
//! RFC 3339 with milliseconds), `replica` and `kind`, and ends with `prev`: the SM3 hash
//! (64 hex characters) of the line before it, the bytes between the newlines; the first
//! line of a chain has 64 zeros. Kinds:
//!
//! - `request`: one per request that reached a dialect, built from its
//!   [`crate::api::Outcome`] and nothing else: `request_id`, `dialect`, `action`,
//!   `account` (a string, null before authentication), `secret_id` (null before
//!   authentication), `source` (the TCP peer), `key_ids`, `data_key_ids`, `result`
//!   (`ok` or the dialect's error code), `delivery` (the EncryptionAlgorithm, or null).
//! - `open`: the first line of every file: `file` (its index), `reason` (`start` for a
//!   server start, `rotate` when the one before grew past `max_file_bytes`), `key` (the
//!   signing key's fingerprint, or null), and on a start after a crash that left half a
//!   line, `torn_bytes`: how many bytes the file before ends with after its last newline.
//! - `head`: a signed chain head: `key` (fingerprint) and `sig`, base64 of the DER
//!   SM2DSA signature (SM3, ID `1234567812345678`) of this line's `prev` as 64 ASCII
//!   hex characters.
//! - `resumed`: the first line written after a failed write: `failed_at`, when it began.
//!
//! What is never in a record: plaintexts, data keys, key material, SecretKeys,
//! signatures of requests, EncryptionContext (neither keys nor values: they may name
//! what the data is), the public key a data key was delivered to, request bodies and
//! headers. An Outcome holds none of these.

use crate::api::Outcome;
use serde_json::{Map, Value};
use sm3::{Digest, Sm3};

/// The `prev` of the first record of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The SM3 hash of one line (without its newline), in lowercase hex.
pub fn hash_line(line: &[u8]) -> String {
    hex::encode(Sm3::digest(line))
}

/// The current time as a record writes it: `2026-12-07T01:02:03.456Z`.
pub fn now() -> String {
    let t = time::OffsetDateTime::now_utc();
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&f).unwrap_or_default()
}

/// The fields of a `request` record, between `kind` and `prev`.
pub fn request_fields(o: &Outcome) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("request_id".into(), o.request_id.clone().into());
    m.insert("dialect".into(), o.dialect.as_str().into());
    m.insert("action".into(), o.action.clone().into());
    m.insert(
        "account".into(),
        o.account.map_or(Value::Null, |a| a.to_string().into()),
    );
    m.insert(
        "secret_id".into(),
        o.secret_id.clone().map_or(Value::Null, Value::from),
    );
    m.insert(
        "source".into(),
        o.source.map_or(Value::Null, |s| s.to_string().into()),
    );
    m.insert("key_ids".into(), o.touched.key_ids.clone().into());
    m.insert("data_key_ids".into(), o.touched.data_key_ids.clone().into());
    m.insert(
        "result".into(),
        o.code.clone().unwrap_or_else(|| "ok".into()).into(),
    );
    m.insert(
        "delivery".into(),
        o.touched.delivery.map_or(Value::Null, |a| a.name().into()),
    );
    m
}

/// The middle of a line, from `time` to the kind's last field, without braces:
/// serialised where the record is made (on the request's thread), so that the writer
/// only adds `seq` and `prev` and hashes.
pub fn body(time: &str, replica: &str, kind: &str, fields: &Map<String, Value>) -> Vec<u8> {
    let mut m = Map::new();
    m.insert("time".into(), time.into());
    m.insert("replica".into(), replica.into());
    m.insert("kind".into(), kind.into());
    for (k, v) in fields {
        m.insert(k.clone(), v.clone());
    }
    let mut v = serde_json::to_vec(&Value::Object(m)).expect("a map of JSON values serialises");
    // `{…}` without its braces: the object is never empty.
    v.pop();
    v.remove(0);
    v
}

/// `{"seq":N,` body `,"prev":"…"}`: byte for byte what serialising the whole object
/// in this order gives.
pub fn assemble(seq: u64, body: &[u8], prev: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + prev.len() + 32);
    out.extend_from_slice(b"{\"seq\":");
    out.extend_from_slice(seq.to_string().as_bytes());
    out.push(b',');
    out.extend_from_slice(body);
    out.extend_from_slice(b",\"prev\":\"");
    out.extend_from_slice(prev.as_bytes());
    out.extend_from_slice(b"\"}");
    out
}

/// One line: `seq`, `time`, `replica`, `kind`, the kind's fields, `prev`.
pub fn line(
    seq: u64,
    time: &str,
    replica: &str,
    kind: &str,
    fields: &Map<String, Value>,
    prev: &str,
) -> Vec<u8> {
    assemble(seq, &body(time, replica, kind, fields), prev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::deliver::Algorithm;
    use crate::kms::Dialect;

    #[test]
    fn a_request_line_has_its_fields_in_order_and_nothing_else() {
        let mut o = Outcome::new(Dialect::Tencent, Some("10.0.0.1:5555".parse().unwrap()));
        o.set_action("GenerateDataKey");
        o.authenticated(100_000_000_001, "AKIDx");
        o.touched.key_ids.push("k1".into());
        o.touched.delivery = Some(Algorithm::Sm2);
        let l = line(7, "T", "r1", "request", &request_fields(&o), GENESIS);
        let text = String::from_utf8(l.clone()).unwrap();
        let keys: Vec<String> = serde_json::from_slice::<Map<String, Value>>(&l)
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            keys,
            [
                "seq",
                "time",
                "replica",
                "kind",
                "request_id",
                "dialect",
                "action",
                "account",
                "secret_id",
                "source",
                "key_ids",
                "data_key_ids",
                "result",
                "delivery",
                "prev"
            ]
        );
        assert!(text.contains(r#""account":"100000000001""#), "{text}");
        assert!(text.contains(r#""result":"ok""#), "{text}");
        assert!(text.contains(r#""delivery":"SM2""#), "{text}");
        assert!(!text.contains('\n'));
        let mut whole = Map::new();
        whole.insert("seq".into(), 7.into());
        whole.insert("time".into(), "T".into());
        whole.insert("replica".into(), "r1".into());
        whole.insert("kind".into(), "request".into());
        whole.extend(request_fields(&o));
        whole.insert("prev".into(), GENESIS.into());
        assert_eq!(l, serde_json::to_vec(&Value::Object(whole)).unwrap());
        assert_eq!(hash_line(&l).len(), 64);
        assert_eq!(now().len(), "2026-12-07T01:02:03.456Z".len());
    }
}
