//! A whole Tencent API 3.0 request through the dispatcher, on an in-memory store.
//!
//! The input is `method byte ‖ action ‖ '\n' ‖ body-or-query`. The target signs it
//! with a real credential so that fuzzing reaches past authentication into parameter
//! parsing and every action; the answer must always be HTTP 200 JSON with a
//! `Response` object, whatever the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smkms::api::Request;
use smkms::auth::tc3;
use smkms_fuzz::{check_answer, headers, now, world};

fuzz_target!(|data: &[u8]| {
    let Some((&m, rest)) = data.split_first() else { return };
    let nl = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let Ok(action) = std::str::from_utf8(&rest[..nl]) else { return };
    let payload = rest.get(nl + 1..).unwrap_or(&[]);
    let w = world();
    let host = "127.0.0.1:6300";
    let ts = now();
    let is_get = m & 1 == 1;
    let (query, body) = if is_get {
        (String::from_utf8_lossy(payload).into_owned(), Vec::new())
    } else {
        (String::new(), payload.to_vec())
    };
    let content_type = if is_get { "application/x-www-form-urlencoded" } else { "application/json" };
    let authorization = if is_get {
        let header = |n: &str| match n {
            "content-type" => Some(content_type.to_string()),
            "host" => Some(host.to_string()),
            _ => None,
        };
        let hash = tc3::sha256_hex(b"");
        let parts = tc3::SignedParts { method: "GET", query: &query, header: &header, payload_hash: &hash };
        let canon = tc3::canonical_request(&parts, &["content-type".into(), "host".into()]).unwrap();
        let date = tc3::utc_date(ts).unwrap();
        let sig = tc3::signature(&w.secret_key, ts, &date, "kms", &canon);
        format!(
            "TC3-HMAC-SHA256 Credential={}/{date}/kms/tc3_request, SignedHeaders=content-type;host, Signature={}",
            w.secret_id,
            sig.iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    } else {
        tc3::sign_post(&w.secret_id, &w.secret_key, host, content_type, ts, &body)
    };
    let ts_text = ts.to_string();
    let req = Request {
        method: if is_get { http::Method::GET } else { http::Method::POST },
        path: "/".into(),
        query,
        headers: headers(&[
            ("host", host),
            ("content-type", content_type),
            ("x-tc-action", action),
            ("x-tc-version", "2019-01-18"),
            ("x-tc-timestamp", &ts_text),
            ("authorization", &authorization),
        ]),
        body: bytes::Bytes::from(body),
        peer: None,
    };
    let resp = w.handle(req);
    assert_eq!(resp.status, 200, "Tencent answers are always HTTP 200");
    let v = check_answer(&resp);
    assert!(v["Response"]["RequestId"].is_string(), "{v}");
});
