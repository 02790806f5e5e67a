//! A whole Huawei KMS v1.0 request through the dispatcher.
//!
//! Input: `path tail ‖ '\n' ‖ JSON body`, sent as `POST /v1.0/<project>/kms/<tail>`
//! and signed with SDK-HMAC-SHA256 by the real credential, so fuzzing reaches every
//! endpoint's body handling. Any status may come back, but never a server error, and
//! always JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smkms::api::Request;
use smkms::auth::huawei::{self, Algorithm, ToSign};
use smkms_fuzz::{check_answer, headers, now, world};

fuzz_target!(|data: &[u8]| {
    let nl = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(tail) = std::str::from_utf8(&data[..nl]) else { return };
    if tail.contains(['?', '#', ' ']) || tail.chars().any(char::is_control) {
        return;
    }
    let body = data.get(nl + 1..).unwrap_or(&[]).to_vec();
    let w = world();
    let path = format!("/v1.0/ap-guangzhou/kms/{tail}");
    let Ok(_) = http::uri::PathAndQuery::try_from(path.as_str()) else { return };
    let date = huawei::format_sdk_date(now());
    let host = "127.0.0.1:6300";
    let content_type = "application/json;charset=UTF-8";
    let signed_headers = [("Host", host), ("X-Sdk-Date", date.as_str()), ("Content-Type", content_type)];
    let authorization = huawei::sign(
        Algorithm::HmacSha256,
        &w.secret_id,
        &w.secret_key,
        &ToSign { method: "POST", path: &path, query: "", headers: &signed_headers, body: &body },
    );
    let req = Request {
        method: http::Method::POST,
        path,
        query: String::new(),
        headers: headers(&[
            ("host", host),
            ("x-sdk-date", &date),
            ("content-type", content_type),
            ("authorization", &authorization),
        ]),
        body: bytes::Bytes::from(body),
        peer: None,
    };
    let resp = w.handle(req);
    check_answer(&resp);
});
