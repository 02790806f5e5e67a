//! What the request-level fuzz targets share: one in-memory server world (store, core,
//! a real credential, the API) built once per process, and a way to run a request
//! through it.

use smkms::api::{Api, Request, Response};
use std::sync::OnceLock;

pub struct World {
    pub rt: tokio::runtime::Runtime,
    pub api: Api,
    pub secret_id: String,
    pub secret_key: String,
}

impl World {
    pub fn handle(&self, req: Request) -> Response {
        self.rt.block_on(self.api.handle(req))
    }
}

pub fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (api, c) = rt.block_on(smkms::app::in_memory_api(100_000_000_001));
        World {
            rt,
            api,
            secret_id: c.secret_id,
            secret_key: c.secret_key.expose().to_string(),
        }
    })
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    for (k, v) in pairs {
        if let Ok(v) = http::HeaderValue::from_str(v) {
            h.insert(*k, v);
        }
    }
    h
}

/// Every answer, whatever the input: JSON under an `application/json` media type
/// (Huawei adds `;charset=UTF-8`), and never a server error (only a broken store could
/// cause one, and the store here is fine).
pub fn check_answer(resp: &Response) -> serde_json::Value {
    assert!(
        resp.content_type.starts_with("application/json"),
        "{}",
        resp.content_type
    );
    assert!(resp.status < 500, "HTTP {} for a client's input", resp.status);
    serde_json::from_slice(&resp.body).expect("a JSON answer")
}
