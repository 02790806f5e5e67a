//! Tencent Cloud's legacy KMS API ("v2", the API 2.0 generation) on `/v2/index.php`,
//! as the 2017–2018 Python, Java and C++ SDKs speak it.
//!
//! - Requests: GET with the parameters in the query string, or POST with them in an
//!   `application/x-www-form-urlencoded` body; the legacy Python SDK sends that body with
//!   no Content-Type at all, which is read as a form too. Common parameters are
//!   UpperCamel (`Action`, `Region`, `Timestamp`, `Nonce`, `SecretId`, `Signature`,
//!   `SignatureMethod`, `RequestClient`), an action's own are lowerCamel (`keyId`).
//! - Authentication: the v1 signature ([`crate::auth::tc_v1`]) with the same SecretId /
//!   SecretKey pairs as TC3; `Timestamp` within the signature window (300 s); each
//!   `Nonce` used once per SecretId inside that window.
//! - Answers: always HTTP 200 with `Content-Type: application/json`,
//!   `{"code":0,"message":"","requestId":"...", ...}` on success and
//!   `{"code":N,"message":"(module)text","requestId":"..."}` on failure; `code` is a
//!   JSON integer (the Python SDK compares it with the integer 0).
//! - Scope: the account of the SecretId and the `Region` parameter, or the server's
//!   default region when there is none (the SDKs never send one). A key made here is the
//!   same key through API 3.0 and the Huawei dialect.
//!
//! Codes and module codes are those of the legacy KMS error table. An unknown SecretId
//! answers the generation's 4104 with 10270, the module code the KMS table gives that
//! condition. Where no table has a module code (the generation-wide 4105, 4400 and
//! 4500 "replay", which covers a repeated Nonce and a Timestamp outside the window),
//! the message carries the code itself in the parentheses, so `message` always has the
//! `(module)text` shape. Where an action's page defines a message
//! (CreateKey's 4490, 4500/10480, 4510, 4520), the message is exactly that text.
//!
//! Where the legacy semantics are unspecified or differ from API 3.0, this dialect
//! follows these rules:
//! - `alias` is 1–32 characters (API 3.0: 1–60) of the characters the core accepts for
//!   every dialect (letters, digits, `_ - : /`), unique per account and region; the
//!   `kms-` prefix is not reserved here.
//! - `ScheduleKeyDeletion` takes `pendingWindowInDays` 7–30 (as API 3.0) and, as in
//!   API 3.0, only for a Disabled key.
//! - `type` 2 ("quantum") is accepted and makes the same kind of key as 1: this server
//!   draws all key material from the operating system's CSPRNG.
//! - `keySpec` on CreateKey chooses the CMK's cipher, `SM4` or `AES_256` (the smkms
//!   extension API 3.0 has too); on GenerateDataKey it is `AES_128` or `AES_256`.
//! - A `keyId` that is not an id of this server answers 4530 (key is not existed).
//! - A key that exists but may not be used (Disabled, PendingDelete, PendingImport, or
//!   Archived for encryption) answers 4550 (key is disabled); a state change the key's
//!   state does not allow (scheduling an Enabled key's deletion, say) answers 4000.
//! - `Region` `gz`, `sh` and `bj` (the API 2.0 short names) mean `ap-guangzhou`,
//!   `ap-shanghai` and `ap-beijing`.
//! - The legacy Python SDK spells the key `KeyId` in ScheduleKeyDeletion and
//!   CancelKeyDeletion; those two actions accept either spelling.
//! - A Nonce is refused the second time a SecretId uses it inside the window even when
//!   the rest of the request differs. (The legacy C++ SDK seeds `rand()` with the
//!   current second before every call, so its second call within one second repeats
//!   the Nonce and is refused; retry it a second later.)

mod actions;
mod auth;
pub mod errors;

use super::form::parse_form;
use super::{Api, Outcome, Refusal, Request, Response};
use crate::kms::Dialect;
use crate::model::Scope;
use actions::{dispatch, Args, Call};
use auth::authenticate;
use errors::LegacyError;
use serde_json::{json, Map, Value};

/// The one path this dialect serves.
pub const PATH: &str = "/v2/index.php";

/// How the legacy API spells the one key usage: ENCRYPT_DECRYPT in the core.
pub const KEY_USAGE: &str = "ENCRYPT/DECRYPT";

/// Alias length in characters, as the CreateKey page defines it.
pub const ALIAS_CHARS: std::ops::RangeInclusive<usize> = 1..=32;

const DEFAULT_LIMIT: i64 = 10;
/// One page may hold every key of a region at the default CMK limit.
const MAX_LIMIT: i64 = 1000;

/// The actions of this API, as the legacy SDKs name them.
pub const ACTIONS: &[&str] = &[
    "CreateKey",
    "GetKeyAttributes",
    "SetKeyAttributes",
    "ListKey",
    "GenerateDataKey",
    "Encrypt",
    "Decrypt",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
];

pub async fn handle(api: &Api, req: Request) -> Response {
    let mut outcome = Outcome::new(Dialect::TencentLegacy, req.peer);
    let result = process(api, &req, &mut outcome).await;
    render(result, outcome)
}

pub fn refuse(why: Refusal, outcome: Outcome) -> Response {
    let err = match why {
        Refusal::BodyTooLarge { limit } => LegacyError::unparsable(format!(
            "the request body is larger than the {limit}-byte limit"
        )),
        Refusal::BodyUnreadable => {
            LegacyError::unparsable("the request body could not be read completely")
        }
        Refusal::Unavailable => LegacyError::internal(&outcome.request_id),
    };
    render(Err(err), outcome)
}

fn render(result: Result<Map<String, Value>, LegacyError>, mut outcome: Outcome) -> Response {
    outcome.code = result.as_ref().err().map(|e| e.code.to_string());
    let request_id = outcome.request_id.as_str();
    let mut body = Map::new();
    match result {
        Ok(fields) => {
            body.insert("code".into(), json!(0));
            body.insert("message".into(), json!(""));
            body.insert("requestId".into(), json!(request_id));
            body.extend(fields);
        }
        Err(e) => {
            body.insert("code".into(), json!(e.code));
            body.insert("message".into(), json!(e.message()));
            body.insert("requestId".into(), json!(request_id));
        }
    }
    let body = serde_json::to_vec(&Value::Object(body)).expect("JSON values serialise");
    Response {
        status: 200,
        content_type: "application/json",
        body,
        outcome,
    }
}

async fn process(
    api: &Api,
    req: &Request,
    outcome: &mut Outcome,
) -> Result<Map<String, Value>, LegacyError> {
    let method = match req.method {
        http::Method::GET => "GET",
        http::Method::POST => "POST",
        ref m => return Err(LegacyError::method(format!("{m} is not served on {PATH}"))),
    };
    let raw: &[u8] = if method == "GET" {
        if !req.body.is_empty() {
            return Err(LegacyError::unparsable(
                "a GET request carries its parameters in the query string, not in a body",
            ));
        }
        req.query.as_bytes()
    } else {
        if let Some(ct) = req.headers.get(http::header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("");
            let media = ct.split(';').next().unwrap_or("").trim();
            if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
                return Err(LegacyError::unparsable(format!(
                    "a POST body must be a form: Content-Type application/x-www-form-urlencoded \
                     (or none), got {ct:?}"
                )));
            }
        }
        if !req.query.is_empty() {
            return Err(LegacyError::unparsable(
                "a POST request carries its parameters in the body; the query string must be empty",
            ));
        }
        &req.body
    };
    let mut params = parse_form(raw).map_err(LegacyError::from)?;
    if let Some(action) = params.get("Action") {
        outcome.set_action(action);
    }
    let (account, secret_id) = authenticate(api, req, method, &params, &outcome.request_id).await?;
    outcome.authenticated(account, &secret_id);

    for name in [
        "Timestamp",
        "Nonce",
        "SecretId",
        "Signature",
        "SignatureMethod",
        "RequestClient",
    ] {
        params.remove(name);
    }
    if params.remove("Token").is_some_and(|t| !t.is_empty()) {
        return Err(LegacyError::token());
    }
    let action = params
        .remove("Action")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| LegacyError::missing("Action"))?;
    let region = region(api, params.remove("Region"))?;
    let call = Call {
        api,
        ctx: outcome.context(Scope { account, region }, &action),
    };
    let result = dispatch(&call, Args { map: params }).await;
    outcome.record(call.ctx);
    result
}

/// The region a request names, or the default. The API 2.0 short names of the regions
/// the legacy KMS hosts were named after map to their full names.
fn region(api: &Api, given: Option<String>) -> Result<String, LegacyError> {
    let region = match given.as_deref() {
        None | Some("") => return Ok(api.settings.default_region.clone()),
        Some("gz") => "ap-guangzhou",
        Some("sh") => "ap-shanghai",
        Some("bj") => "ap-beijing",
        Some(r) => r,
    };
    if region.len() <= 40
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(region.to_string())
    } else {
        Err(LegacyError::out_of_range(format!(
            "Region {region:?} is not a region name (such as ap-guangzhou)"
        )))
    }
}
