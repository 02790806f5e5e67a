//! The dialects. Each one authenticates a wire request, turns it into typed calls on
//! the core, and turns the core's answer (or error) back into its own wire format. No
//! dialect holds state of its own beyond what authentication needs.

pub mod huawei;
pub mod legacy;
pub mod tencent;

use crate::auth::credentials::Credentials;
use crate::auth::replay::ReplayGuard;
use crate::auth::tc_v1::NonceGuard;
use crate::kms::Kms;
use bytes::Bytes;
use http::HeaderMap;
use std::sync::Arc;

/// A request as the HTTP layer hands it over: fully read, within the body cap.
pub struct Request {
    pub method: http::Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Identifies the TCP connection the request came on (unique per server process).
    /// The replay rule uses it; see `auth::replay`.
    pub connection: u64,
}

/// Why an action failed: found while reading its parameters (already in the dialect's
/// terms, `D`), or in the core, which the dialect's dispatcher maps to its own codes in
/// one place. Each dialect adds `From<D>` for its error type.
pub(crate) enum Fail<D> {
    Dialect(D),
    Core(crate::kms::Error),
}

impl<D> From<crate::kms::Error> for Fail<D> {
    fn from(e: crate::kms::Error) -> Self {
        Fail::Core(e)
    }
}

/// A response for the HTTP layer to write.
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Sent as the `X-Request-Id` header, the same id as in the body. Huawei's SDK reads
    /// a failed request's id from the header only, so its exceptions carry the id only
    /// if it is there; for the other dialects it helps correlate proxy logs.
    pub request_id: Option<String>,
}

/// Why the HTTP layer refused a request before a dialect saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BodyTooLarge { limit: usize },
    BodyUnreadable,
}

/// Settings the dialects share.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// The region used when a request names none.
    pub default_region: String,
    /// How far a signed timestamp may be from the server's clock, in seconds.
    pub signature_window: i64,
    /// Whether TC3 `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` is accepted.
    pub allow_unsigned_payload: bool,
    /// The most TC3 signatures the replay rule remembers at once (`auth::replay`).
    pub max_remembered_signatures: usize,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            default_region: "ap-guangzhou".into(),
            signature_window: 300,
            allow_unsigned_payload: false,
            max_remembered_signatures: crate::auth::replay::DEFAULT_MAX_SIGNATURES,
        }
    }
}

pub struct Api {
    pub kms: Arc<Kms>,
    pub credentials: Credentials,
    pub replay: ReplayGuard,
    /// Nonces of the legacy v1 signature, each usable once per SecretId in the window.
    pub nonces: NonceGuard,
    pub settings: ApiSettings,
}

impl Api {
    pub fn new(kms: Arc<Kms>, credentials: Credentials, settings: ApiSettings) -> Self {
        Api {
            kms,
            credentials,
            replay: ReplayGuard::with_capacity(settings.max_remembered_signatures),
            nonces: NonceGuard::default(),
            settings,
        }
    }

    /// Routes a request to its dialect by path.
    pub async fn handle(&self, req: Request) -> Response {
        crate::store::one_request(async {
            if req.path == legacy::PATH {
                return legacy::handle(self, req).await;
            }
            if req.path.starts_with(huawei::PATH_PREFIX) {
                return huawei::handle(self, req).await;
            }
            tencent::handle(self, req).await
        })
        .await
    }

    /// The dialect-shaped answer to a request the HTTP layer refused.
    pub fn refuse(&self, path: &str, why: Refusal) -> Response {
        if path == legacy::PATH {
            return legacy::refuse(why);
        }
        if path.starts_with(huawei::PATH_PREFIX) {
            return huawei::refuse(why);
        }
        tencent::refuse(why)
    }
}
