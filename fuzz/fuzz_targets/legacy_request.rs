//! A whole Tencent legacy v2 request (`/v2/index.php`) through the dispatcher.
//!
//! Input: `flags byte ‖ action ‖ '\n' ‖ extra parameters as a form string`. The target
//! adds the common parameters (fresh Nonce, current Timestamp, the real SecretId),
//! signs everything with HmacSHA1 or HmacSHA256, and sends it as a GET query or a POST
//! form, so fuzzing reaches every action's parameter handling. Every answer must be
//! HTTP 200 JSON with an integer `code`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smkms::api::Request;
use smkms::auth::tc_v1::{self, SignatureMethod};
use smkms_fuzz::{check_answer, headers, now, world};
use std::sync::atomic::{AtomicU64, Ordering};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let nl = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let Ok(action) = std::str::from_utf8(&rest[..nl]) else { return };
    let extra = rest.get(nl + 1..).unwrap_or(&[]);
    let w = world();
    static NONCE: AtomicU64 = AtomicU64::new(1);
    let nonce = NONCE.fetch_add(1, Ordering::Relaxed).to_string();
    let ts = now().to_string();
    let method = if flags & 2 == 2 { SignatureMethod::HmacSha256 } else { SignatureMethod::HmacSha1 };
    let mut params: Vec<(String, String)> = vec![
        ("Action".into(), action.into()),
        ("Nonce".into(), nonce),
        ("Timestamp".into(), ts),
        ("SecretId".into(), w.secret_id.clone()),
        ("SignatureMethod".into(), method.as_str().into()),
    ];
    for (k, v) in form_urlencoded::parse(extra) {
        if !params.iter().any(|(p, _)| *p == k) && k != "Signature" {
            params.push((k.into_owned(), v.into_owned()));
        }
    }
    let is_get = flags & 1 == 1;
    let host = "127.0.0.1:6300";
    let sts = tc_v1::string_to_sign(
        if is_get { "GET" } else { "POST" },
        host,
        "/v2/index.php",
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let signature = tc_v1::sign_base64(method, &w.secret_key, &sts);
    params.push(("Signature".into(), signature));
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    let (query, body) = if is_get { (encoded, Vec::new()) } else { (String::new(), encoded.into_bytes()) };
    let req = Request {
        method: if is_get { http::Method::GET } else { http::Method::POST },
        path: "/v2/index.php".into(),
        query,
        headers: headers(&[("host", host), ("content-type", "application/x-www-form-urlencoded")]),
        body: bytes::Bytes::from(body),
        peer: None,
    };
    let resp = w.handle(req);
    assert_eq!(resp.status, 200, "legacy answers are always HTTP 200");
    let v = check_answer(&resp);
    assert!(v["code"].is_i64(), "{v}");
});
