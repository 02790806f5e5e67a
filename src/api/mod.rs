//! The dialects. Each one authenticates a wire request, turns it into typed calls on
//! the core, and turns the core's answer (or error) back into its own wire format. No
//! dialect holds state of its own beyond what authentication needs.

pub mod form;
pub mod huawei;
pub mod legacy;
pub mod tencent;

use crate::auth::credentials::Credentials;
use crate::kms::{Dialect, Kms, RequestContext, Touched};
use crate::model::{Scope, Uin};
use bytes::Bytes;
use http::HeaderMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// A request as the HTTP layer hands it over: fully read, within the body cap.
pub struct Request {
    pub method: http::Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The TCP peer (a proxy's address when there is one in front).
    pub peer: Option<SocketAddr>,
}

impl Request {
    /// The Host header when it was sent exactly once, as text: what a v1 signature
    /// covers (a repeated Host is ambiguous and refused by the caller).
    pub fn single_host(&self) -> Option<&str> {
        let mut hosts = self.headers.get_all(http::header::HOST).iter();
        match (hosts.next(), hosts.next()) {
            (Some(h), None) => h.to_str().ok(),
            _ => None,
        }
    }
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
    /// What the exchange came to. Its `request_id` is sent as the `X-Request-Id` header,
    /// the same id as in the body: Huawei's SDK reads a failed request's id from the
    /// header only, so its exceptions carry the id only if it is there; for the other
    /// dialects it helps correlate proxy logs.
    pub outcome: Outcome,
}

/// The longest action name an [`Outcome`] keeps. Real action names are far shorter; a
/// client can send any text as its action, and logs should not grow with it.
const MAX_ACTION_CHARS: usize = 64;

/// What one exchange came to, as far as its dialect got: who asked (once
/// authenticated), for what, the dialect's result code, and what the core touched.
/// Every response carries one, refusals included, so the HTTP layer sees every request
/// the same way whatever the dialect; the audit trail and the metrics hook in here.
///
/// Nothing secret is in it: no key material, plaintext, SecretKey or signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub request_id: String,
    pub dialect: Dialect,
    /// The action as the request named it (truncated to 64 characters); empty when the
    /// request was refused before it named one.
    pub action: String,
    /// Set once the signature verified.
    pub account: Option<Uin>,
    pub secret_id: Option<String>,
    pub source: Option<SocketAddr>,
    /// The dialect's error code (`AuthFailure.SignatureFailure`, `KMS.0205`, `4530`);
    /// `None` for success.
    pub code: Option<String>,
    /// What the core touched, as it recorded it in the [`RequestContext`].
    pub touched: Touched,
}

impl Outcome {
    /// A new exchange with a fresh request id.
    pub fn new(dialect: Dialect, source: Option<SocketAddr>) -> Self {
        Outcome {
            request_id: uuid::Uuid::new_v4().to_string(),
            dialect,
            action: String::new(),
            account: None,
            secret_id: None,
            source,
            code: None,
            touched: Touched::default(),
        }
    }

    pub(crate) fn set_action(&mut self, action: &str) {
        self.action = action.chars().take(MAX_ACTION_CHARS).collect();
    }

    pub(crate) fn authenticated(&mut self, account: Uin, secret_id: &str) {
        self.account = Some(account);
        self.secret_id = Some(secret_id.to_string());
    }

    /// The core's view of this exchange, once it is authenticated and its scope and
    /// action are known.
    pub(crate) fn context(&self, scope: Scope, action: &str) -> RequestContext {
        RequestContext::new(
            scope,
            self.secret_id.clone().unwrap_or_default(),
            self.request_id.clone(),
            self.dialect,
            action,
            self.source,
        )
    }

    /// Takes over what the core recorded while the action ran.
    pub(crate) fn record(&mut self, ctx: RequestContext) {
        self.touched = ctx.into_touched();
    }
}

/// An outcome's action as a metrics label, from a fixed set so that no client can grow
/// it: one of the dialect's own action names (Huawei's with `{key_id}` in place of an
/// id), `none` when the request named none, `other` for any other text.
pub fn metric_action(dialect: Dialect, action: &str) -> &'static str {
    if action.is_empty() {
        return "none";
    }
    let known = match dialect {
        Dialect::Tencent => tencent::known_action(action),
        Dialect::TencentLegacy => legacy::ACTIONS.iter().find(|a| **a == action).copied(),
        Dialect::Huawei => huawei::route::action_template(action),
    };
    known.unwrap_or("other")
}

/// Why the HTTP layer refused a request before a dialect saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BodyTooLarge {
        limit: usize,
    },
    BodyUnreadable,
    /// The server cannot serve safely now (the audit trail cannot be written): the
    /// dialect's internal error.
    Unavailable,
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
    /// Headers every TC3 signature must cover (lowercase names, such as
    /// `x-tc-action`); empty by default, as on Tencent's endpoint.
    pub require_signed_headers: Vec<String>,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            default_region: "ap-guangzhou".into(),
            signature_window: 300,
            allow_unsigned_payload: false,
            require_signed_headers: Vec::new(),
        }
    }
}

pub struct Api {
    pub kms: Arc<Kms>,
    pub credentials: Credentials,
    pub settings: ApiSettings,
}

impl Api {
    pub fn new(kms: Arc<Kms>, credentials: Credentials, settings: ApiSettings) -> Self {
        Api {
            kms,
            credentials,
            settings,
        }
    }

    /// Routes a request to its dialect: `/v2/index.php` is the legacy API's; Huawei's
    /// are the paths [`huawei::route::owns_path`] names and a Huawei-signed `GET /`
    /// carrying no Tencent header ([`huawei::route::claims`]); everything else,
    /// `POST /` and Tencent's `GET /?…` included, is Tencent API 3.0.
    pub async fn handle(&self, req: Request) -> Response {
        crate::store::one_request(async {
            if req.path == legacy::PATH {
                return legacy::handle(self, req).await;
            }
            if huawei::route::claims(&req) {
                return huawei::handle(self, req).await;
            }
            tencent::handle(self, req).await
        })
        .await
    }

    /// The dialect-shaped answer to a request the HTTP layer refused.
    pub fn refuse(&self, path: &str, why: Refusal, peer: Option<SocketAddr>) -> Response {
        if path == legacy::PATH {
            return legacy::refuse(why, Outcome::new(Dialect::TencentLegacy, peer));
        }
        if huawei::route::owns_path(path) {
            return huawei::refuse(why, Outcome::new(Dialect::Huawei, peer));
        }
        tencent::refuse(why, Outcome::new(Dialect::Tencent, peer))
    }

    /// The dialect's internal error in place of a response already computed (its
    /// record could not be made durable): same dialect, request id, caller and action.
    pub fn unavailable(&self, mut outcome: Outcome) -> Response {
        outcome.code = None;
        match outcome.dialect {
            Dialect::TencentLegacy => legacy::refuse(Refusal::Unavailable, outcome),
            Dialect::Huawei => huawei::refuse(Refusal::Unavailable, outcome),
            Dialect::Tencent => tencent::refuse(Refusal::Unavailable, outcome),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tc3;
    use crate::crypto::deliver::Algorithm;
    use serde_json::{json, Value};

    const HOST: &str = "127.0.0.1:6300";
    const SM2_PUB: &str = include_str!("../crypto/deliver/testdata/sm2.pub");

    struct World {
        api: Api,
        secret_id: String,
        secret_key: String,
    }

    async fn world() -> World {
        let (api, c) = crate::app::in_memory_api(100_000_000_001).await;
        World {
            api,
            secret_id: c.secret_id,
            secret_key: c.secret_key.expose().to_string(),
        }
    }

    impl World {
        async fn send(&self, action: &str, params: Value, secret_key: &str) -> Response {
            let body = serde_json::to_vec(&params).unwrap();
            let ts = self.api.kms.now();
            let authorization = tc3::sign_post(
                &self.secret_id,
                secret_key,
                HOST,
                "application/json",
                ts,
                &body,
            );
            let mut headers = HeaderMap::new();
            for (k, v) in [
                ("host", HOST.to_string()),
                ("content-type", "application/json".to_string()),
                ("x-tc-action", action.to_string()),
                ("x-tc-version", "2019-01-18".to_string()),
                ("x-tc-region", "ap-guangzhou".to_string()),
                ("x-tc-timestamp", ts.to_string()),
                ("authorization", authorization),
            ] {
                headers.insert(k, http::HeaderValue::from_str(&v).unwrap());
            }
            self.api
                .handle(Request {
                    method: http::Method::POST,
                    path: "/".into(),
                    query: String::new(),
                    headers,
                    body: Bytes::from(body),
                    peer: Some("127.0.0.1:40000".parse().unwrap()),
                })
                .await
        }

        async fn ok(&self, action: &str, params: Value) -> (Value, Outcome) {
            let r = self.send(action, params, &self.secret_key).await;
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            assert!(v["Response"].get("Error").is_none(), "{v}");
            assert_eq!(v["Response"]["RequestId"], r.outcome.request_id.as_str());
            (v["Response"].clone(), r.outcome)
        }
    }

    /// The outcome says who did what to which key, including what only the core knows
    /// (the key a Decrypt's blob names, the delivery algorithm).
    #[tokio::test]
    async fn outcomes_carry_caller_action_result_and_touched_keys() {
        let w = world().await;
        let (created, o) = w.ok("CreateKey", json!({"Alias": "audited"})).await;
        let key_id = created["KeyId"].as_str().unwrap().to_string();
        assert_eq!(o.dialect, Dialect::Tencent);
        assert_eq!(o.action, "CreateKey");
        assert_eq!(o.account, Some(100_000_000_001));
        assert_eq!(o.secret_id.as_deref(), Some(w.secret_id.as_str()));
        assert_eq!(o.source, Some("127.0.0.1:40000".parse().unwrap()));
        assert_eq!(o.code, None);
        assert_eq!(o.touched.key_ids, [key_id.as_str()]);

        let (enc, _) = w
            .ok("Encrypt", json!({"KeyId": key_id, "Plaintext": "aGk="}))
            .await;
        let (_, o) = w
            .ok("Decrypt", json!({"CiphertextBlob": enc["CiphertextBlob"]}))
            .await;
        assert_eq!(o.touched.key_ids, [key_id.as_str()], "the blob's key");
        assert_eq!(o.touched.delivery, None);

        let (_, o) = w
            .ok(
                "GenerateDataKey",
                json!({"KeyId": key_id, "NumberOfBytes": 16,
                       "EncryptionPublicKey": SM2_PUB, "EncryptionAlgorithm": "SM2"}),
            )
            .await;
        assert_eq!(o.touched.delivery, Some(Algorithm::Sm2));

        let r = w
            .send(
                "Encrypt",
                json!({"KeyId": key_id, "Plaintext": "aGk="}),
                "wrong",
            )
            .await;
        assert_eq!(r.outcome.action, "Encrypt");
        assert_eq!(
            r.outcome.code.as_deref(),
            Some("AuthFailure.SignatureFailure")
        );
        assert_eq!(r.outcome.account, None, "not authenticated");
        assert!(r.outcome.touched.key_ids.is_empty());

        let unknown = "00000000-0000-4000-8000-000000000000";
        let r = w
            .send("DescribeKey", json!({"KeyId": unknown}), &w.secret_key)
            .await;
        assert_eq!(
            r.outcome.code.as_deref(),
            Some("ResourceUnavailable.CmkNotFound")
        );
        assert_eq!(
            r.outcome.touched.key_ids,
            [unknown],
            "attempts are recorded too"
        );
    }

    #[test]
    fn metric_actions_are_a_fixed_set() {
        assert_eq!(
            metric_action(Dialect::Tencent, "GenerateDataKey"),
            "GenerateDataKey"
        );
        assert_eq!(metric_action(Dialect::Tencent, "ArchiveKey"), "ArchiveKey");
        assert_eq!(metric_action(Dialect::Tencent, "NoSuchAction"), "other");
        assert_eq!(metric_action(Dialect::Tencent, ""), "none");
        assert_eq!(metric_action(Dialect::TencentLegacy, "ListKey"), "ListKey");
        assert_eq!(metric_action(Dialect::TencentLegacy, "ListKeys"), "other");
        assert_eq!(metric_action(Dialect::Huawei, "create-key"), "create-key");
        assert_eq!(metric_action(Dialect::Huawei, "x\"y"), "other");
    }

    #[test]
    fn refusals_have_an_outcome_with_the_body_request_id() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let w = rt.block_on(world());
        for (path, dialect) in [
            ("/", Dialect::Tencent),
            (legacy::PATH, Dialect::TencentLegacy),
            ("/v1.0/p/kms/create-key", Dialect::Huawei),
        ] {
            let r = w
                .api
                .refuse(path, Refusal::BodyTooLarge { limit: 1024 }, None);
            assert_eq!(r.outcome.dialect, dialect);
            assert!(r.outcome.code.is_some());
            let body = String::from_utf8(r.body).unwrap();
            assert!(
                dialect == Dialect::Huawei || body.contains(&r.outcome.request_id),
                "{body}"
            );
        }
    }
}
