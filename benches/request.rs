//! Whole Tencent API 3.0 requests through the dispatcher (`Api::handle`) without HTTP:
//! TC3 verification, the replay rule, parameter parsing, the core, an in-memory SQLite
//! store, the JSON answer. The world is built as `fuzz/src/lib.rs` builds it.
//!
//! Each request is signed once and resent (an identical resend passes the replay rule,
//! as an SDK's retry does), so the figures are the server's work alone. The `*-fresh`
//! entry cycles through 2048 SM2 keys, more than the 1024 the server caches, so every
//! request parses its key and none ever gets a table.
//!
//! `cargo bench -j1 --bench request -- --warm-up-time 1 --measurement-time 3`

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use rand_core::OsRng;
use serde_json::{json, Value};
use smkms::api::{Api, Request};
use smkms::auth::tc3;
use smkms::crypto::keyfile::pem_encode;

const HOST: &str = "127.0.0.1:6300";
const CONTENT_TYPE: &str = "application/json";
const RSA2048_PUB: &str = include_str!("../src/crypto/deliver/testdata/rsa2048.pub");

struct World {
    rt: tokio::runtime::Runtime,
    api: Api,
    secret_id: String,
    secret_key: String,
}

impl World {
    fn new() -> World {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (api, c) = rt.block_on(smkms::app::in_memory_api(100_000_000_001));
        World {
            api,
            rt,
            secret_id: c.secret_id,
            secret_key: c.secret_key.expose().to_string(),
        }
    }

    /// A signed POST of `body` for `action`.
    fn request(&self, action: &str, body: &Value) -> Request {
        let body = serde_json::to_vec(body).unwrap();
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let authorization = tc3::sign_post(
            &self.secret_id,
            &self.secret_key,
            HOST,
            CONTENT_TYPE,
            ts,
            &body,
        );
        let mut headers = http::HeaderMap::new();
        for (k, v) in [
            ("host", HOST.to_string()),
            ("content-type", CONTENT_TYPE.to_string()),
            ("x-tc-action", action.to_string()),
            ("x-tc-version", "2019-01-18".to_string()),
            ("x-tc-region", "ap-guangzhou".to_string()),
            ("x-tc-timestamp", ts.to_string()),
            ("authorization", authorization),
        ] {
            headers.insert(k, http::HeaderValue::from_str(&v).unwrap());
        }
        Request {
            method: http::Method::POST,
            path: "/".into(),
            query: String::new(),
            headers,
            body: Bytes::from(body),
            peer: None,
        }
    }

    /// Sends `req` and returns its `Response` object, panicking on any error.
    fn call(&self, req: Request) -> Value {
        let resp = self.rt.block_on(self.api.handle(req));
        assert_eq!(resp.status, 200);
        let v: Value = serde_json::from_slice(&resp.body).unwrap();
        let r = v["Response"].clone();
        assert!(r.get("Error").is_none(), "{r}");
        r
    }
}

fn clone(r: &Request) -> Request {
    Request {
        method: r.method.clone(),
        path: r.path.clone(),
        query: r.query.clone(),
        headers: r.headers.clone(),
        body: r.body.clone(),
        peer: r.peer,
    }
}

fn sm2_pem() -> String {
    use sm2::pkcs8::EncodePublicKey;
    let p = sm2::SecretKey::random(&mut OsRng).public_key();
    pem_encode("PUBLIC KEY", p.to_public_key_der().unwrap().as_bytes())
}

fn requests(c: &mut Criterion) {
    let w = World::new();
    let key_id = w.call(w.request("CreateKey", &json!({"Alias": "bench-sm4"})))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let sm2 = sm2_pem();
    let deliver = |pem: &str, alg: &str| {
        json!({"KeyId": key_id, "KeySpec": "AES_256",
               "EncryptionPublicKey": pem, "EncryptionAlgorithm": alg})
    };
    let plaintext = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes
    let blob = w.call(w.request("Encrypt", &json!({"KeyId": key_id, "Plaintext": plaintext})))
        ["CiphertextBlob"]
        .clone();
    let cases: Vec<(&str, &str, Value)> = vec![
        (
            "GenerateRandom",
            "GenerateRandom",
            json!({"NumberOfBytes": 16}),
        ),
        (
            "GenerateDataKey",
            "GenerateDataKey",
            json!({"KeyId": key_id, "KeySpec": "AES_256"}),
        ),
        (
            "GenerateDataKey-SM2",
            "GenerateDataKey",
            deliver(&sm2, "SM2"),
        ),
        (
            "GenerateDataKey-RSA-OAEP-256",
            "GenerateDataKey",
            deliver(RSA2048_PUB, "RSAES_OAEP_SHA_256"),
        ),
        (
            "Encrypt",
            "Encrypt",
            json!({"KeyId": key_id, "Plaintext": plaintext}),
        ),
        ("Decrypt", "Decrypt", json!({"CiphertextBlob": blob})),
    ];
    let mut g = c.benchmark_group("request");
    for (name, action, body) in &cases {
        let req = w.request(action, body);
        w.call(clone(&req)); // checks the answer; a repeated key's second use builds its table
        g.bench_function(*name, |b| b.iter(|| w.call(clone(&req))));
    }
    let fresh: Vec<Request> = (0..2048)
        .map(|_| w.request("GenerateDataKey", &deliver(&sm2_pem(), "SM2")))
        .collect();
    let mut i = 0;
    g.bench_function("GenerateDataKey-SM2-fresh", |b| {
        b.iter(|| {
            i = (i + 1) % fresh.len();
            w.call(clone(&fresh[i]))
        })
    });
    g.finish();
}

criterion_group!(benches, requests);
criterion_main!(benches);
