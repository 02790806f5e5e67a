//! A whole Tencent API 3.0 request through the dispatcher, on an in-memory store.
//!
//! The input is `method byte ‖ action ‖ '\n' ‖ body-or-query`. The target signs it
//! with a real credential so that fuzzing reaches past authentication into parameter
//! parsing and every action; the answer must always be HTTP 200 JSON with a
//! `Response` object, whatever the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smkms::api::{Api, ApiSettings, Request};
use smkms::auth::credentials::Credentials;
use smkms::auth::tc3;
use smkms::crypto::cmk::CmkCipher;
use smkms::crypto::secret::SecretBytes;
use smkms::kms::{Kms, Limits, SystemClock};
use smkms::store::{seal::Sealer, sqlite::SqliteStore, Store};
use std::sync::{Arc, OnceLock};

struct World {
    rt: tokio::runtime::Runtime,
    api: Api,
    secret_id: String,
    secret_key: String,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let sealer = Arc::new(Sealer::new(&SecretBytes::new(vec![9; 32])).unwrap());
        let kms = Arc::new(Kms::new(
            store.clone(),
            sealer.clone(),
            Arc::new(SystemClock),
            Limits::default(),
            CmkCipher::Sm4Gcm,
        ));
        let creds = Credentials::new(store, sealer);
        let c = rt.block_on(creds.create(Some(100_000_000_001), 0)).unwrap();
        let api = Api::new(kms, creds, ApiSettings::default());
        World { rt, api, secret_id: c.secret_id, secret_key: c.secret_key.expose().to_string() }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&m, rest)) = data.split_first() else { return };
    let nl = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let Ok(action) = std::str::from_utf8(&rest[..nl]) else { return };
    let payload = rest.get(nl + 1..).unwrap_or(&[]);
    let w = world();
    let host = "127.0.0.1:6300";
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
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
    let mut headers = http::HeaderMap::new();
    let mut put = |k: &'static str, v: &str| {
        if let Ok(v) = http::HeaderValue::from_str(v) {
            headers.insert(k, v);
        }
    };
    put("host", host);
    put("content-type", content_type);
    put("x-tc-action", action);
    put("x-tc-version", "2019-01-18");
    put("x-tc-timestamp", &ts.to_string());
    put("authorization", &authorization);
    let req = Request {
        method: if is_get { http::Method::GET } else { http::Method::POST },
        path: "/".into(),
        query,
        headers,
        body: bytes::Bytes::from(body),
        connection: 1,
    };
    let resp = w.rt.block_on(w.api.handle(req));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.content_type, "application/json");
    let v: serde_json::Value = serde_json::from_slice(&resp.body).expect("JSON answer");
    assert!(v["Response"]["RequestId"].is_string(), "{v}");
});
