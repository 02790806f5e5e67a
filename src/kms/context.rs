//! Who asks the core for what: one [`RequestContext`] per request, built by the dialect
//! once the caller is authenticated and passed to every core method.
//!
//! The core reads the scope from it and writes back what it touched (CMK ids, data
//! key ids, the delivery algorithm), so the layers above can say after the fact who
//! did what to which key without each dialect re-deriving it: a Decrypt names no key,
//! only the core learns it from the blob. The HTTP layer reads this through the
//! dialect's [`crate::api::Outcome`]; the audit trail and metrics hook in there.

use crate::crypto::deliver::Algorithm;
use crate::model::{Scope, Uin};
use std::net::SocketAddr;
use std::sync::Mutex;

/// The most ids of each kind a request records; a batch is at most 100
/// ([`super::rules::MAX_BATCH`]), so this bound only guards against a core change.
const MAX_TOUCHED: usize = 200;

/// Which API a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Tencent Cloud API 3.0 on `/`.
    Tencent,
    /// Tencent's legacy v2 API on `/v2/index.php`.
    TencentLegacy,
    /// Huawei Cloud KMS v1.0 on `/v1.0/{project_id}/kms/...`.
    Huawei,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Tencent => "tencent",
            Dialect::TencentLegacy => "tencent-legacy",
            Dialect::Huawei => "huawei",
        }
    }
}

/// What a request touched, as the core recorded it. Ids appear once each, in the order
/// first touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    pub key_ids: Vec<String>,
    pub data_key_ids: Vec<String>,
    /// The algorithm a data key or plaintext was delivered under, if any.
    pub delivery: Option<Algorithm>,
}

/// One authenticated request, as the core sees it.
#[derive(Debug)]
pub struct RequestContext {
    /// The caller's account and the region or project the request is for.
    pub scope: Scope,
    /// The SecretId (Tencent) or access key (Huawei) the request was signed with.
    pub secret_id: String,
    /// The id in the response (`RequestId`, `requestId`, `X-Request-Id`).
    pub request_id: String,
    pub dialect: Dialect,
    /// The action as the dialect names it (`Encrypt`, `create-key`, ...).
    pub action: String,
    /// The TCP peer; the first hop, a proxy's address behind one.
    pub source: Option<SocketAddr>,
    touched: Mutex<Touched>,
}

impl RequestContext {
    pub fn new(
        scope: Scope,
        secret_id: impl Into<String>,
        request_id: impl Into<String>,
        dialect: Dialect,
        action: impl Into<String>,
        source: Option<SocketAddr>,
    ) -> Self {
        RequestContext {
            scope,
            secret_id: secret_id.into(),
            request_id: request_id.into(),
            dialect,
            action: action.into(),
            source,
            touched: Mutex::new(Touched::default()),
        }
    }

    pub fn account(&self) -> Uin {
        self.scope.account
    }

    /// Records that the request addressed CMK `key_id` (a well-formed id, found or not:
    /// an attempt on another account's key is worth knowing about).
    pub(crate) fn touch_key(&self, key_id: &str) {
        let mut t = self.lock();
        remember(&mut t.key_ids, key_id);
    }

    pub(crate) fn touch_data_key(&self, data_key_id: &str) {
        let mut t = self.lock();
        remember(&mut t.data_key_ids, data_key_id);
    }

    pub(crate) fn delivered(&self, algorithm: Algorithm) {
        self.lock().delivery = Some(algorithm);
    }

    /// What the request touched so far.
    pub fn touched(&self) -> Touched {
        self.lock().clone()
    }

    /// What the request touched, once it is over.
    pub fn into_touched(self) -> Touched {
        self.touched.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Touched> {
        // A panic while holding this lock leaves only a list of ids behind; keep it.
        self.touched.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn remember(ids: &mut Vec<String>, id: &str) {
    if ids.len() < MAX_TOUCHED && !ids.iter().any(|k| k == id) {
        ids.push(id.to_string());
    }
}

#[cfg(test)]
impl RequestContext {
    /// A context for core tests: account `account` in `ap-guangzhou`.
    pub(crate) fn test(account: Uin) -> Self {
        Self::for_scope(Scope {
            account,
            region: "ap-guangzhou".into(),
        })
    }

    pub(crate) fn for_scope(scope: Scope) -> Self {
        Self::new(
            scope,
            "AKIDtest",
            "test-request",
            Dialect::Tencent,
            "test",
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touched_ids_are_kept_once_in_order_and_bounded() {
        let ctx = RequestContext::test(1);
        ctx.touch_key("b");
        ctx.touch_key("a");
        ctx.touch_key("b");
        ctx.touch_data_key("d");
        ctx.delivered(Algorithm::Sm2C1C3C2Asn1);
        let t = ctx.touched();
        assert_eq!(t.key_ids, ["b", "a"]);
        assert_eq!(t.data_key_ids, ["d"]);
        assert_eq!(t.delivery, Some(Algorithm::Sm2C1C3C2Asn1));
        for i in 0..1000 {
            ctx.touch_key(&i.to_string());
        }
        assert_eq!(ctx.touched().key_ids.len(), MAX_TOUCHED);
    }
}
