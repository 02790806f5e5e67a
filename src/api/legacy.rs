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

use super::{Api, Refusal, Request, Response};
use crate::auth::tc_v1::{self, NonceCheck, SignatureMethod};
use crate::auth::AuthError;
use crate::crypto::cmk::CmkCipher;
use crate::kms::error::{Error, Field, Limit, Resource};
use crate::kms::keys::NewKey;
use crate::kms::states::Op;
use crate::model::{Cmk, KeyState, KeyUsage, Origin, Scope};
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

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

/// A legacy error: the numeric code, the module code and the message after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyError {
    pub code: u32,
    pub module: u32,
    pub text: String,
}

impl LegacyError {
    fn new(code: u32, module: u32, text: &str, detail: impl AsRef<str>) -> Self {
        let detail = detail.as_ref();
        LegacyError {
            code,
            module,
            text: if detail.is_empty() {
                text.to_string()
            } else {
                format!("{text}: {detail}")
            },
        }
    }

    /// The wire `message`: `(module)text`.
    pub fn message(&self) -> String {
        format!("({}){}", self.module, self.text)
    }

    pub fn missing(name: &str) -> Self {
        Self::new(
            4000,
            10010,
            "lacked of required parameters",
            format!("{name} is required"),
        )
    }
    pub fn unknown_parameter(name: &str) -> Self {
        Self::new(
            4000,
            10320,
            "no such parameter",
            format!("{name} is not a parameter of this action"),
        )
    }
    pub fn repeated(name: &str) -> Self {
        Self::new(
            4000,
            10330,
            "parameter is NOT a repeatable parameter",
            format!("{name} appears more than once"),
        )
    }
    pub fn out_of_range(detail: impl AsRef<str>) -> Self {
        Self::new(
            4000,
            10350,
            "parameter value or length is out of range",
            detail,
        )
    }
    pub fn wrong_type(detail: impl AsRef<str>) -> Self {
        Self::new(4000, 10360, "parameter error type", detail)
    }
    pub fn bad_request(detail: impl AsRef<str>) -> Self {
        Self::new(4000, 10110, "request parameters error", detail)
    }
    pub fn method(detail: impl AsRef<str>) -> Self {
        Self::new(
            4000,
            10410,
            "unexpected http method, only GET or POST is supported",
            detail,
        )
    }
    pub fn unparsable(detail: impl AsRef<str>) -> Self {
        Self::new(4000, 10420, "cannot parse", detail)
    }
    pub fn no_such_action(action: &str) -> Self {
        Self::new(
            4000,
            10430,
            "action name is not existed",
            format!(
                "{action:?} is not an action of the legacy KMS API ({})",
                ACTIONS.join(", ")
            ),
        )
    }
    pub fn secret_id_format() -> Self {
        Self::new(4000, 10450, "secret id doesn't begin with AKID", "")
    }
    pub fn auth_failed(detail: impl AsRef<str>) -> Self {
        Self::new(4100, 10030, "authentication failed", detail)
    }
    pub fn unknown_secret_id(secret_id: &str) -> Self {
        Self::new(
            4104,
            10270,
            "key agent secret id is not exist",
            format!("the SecretId {secret_id} does not exist or has been deleted"),
        )
    }
    pub fn token() -> Self {
        Self::new(
            4105,
            4105,
            "token error",
            "temporary credentials (Token) are not supported by this server; sign with a permanent SecretId",
        )
    }
    pub fn replay(detail: impl AsRef<str>) -> Self {
        Self::new(4500, 4500, "replay attack", detail)
    }
    pub fn throttled() -> Self {
        Self::new(
            4420,
            10250,
            "qps throttling",
            "too many signed requests inside the replay window; retry shortly",
        )
    }
    pub fn key_usage() -> Self {
        Self::new(
            4490,
            10470,
            "string of KeyUsage must be ENCRYPT/DECRYPT",
            "",
        )
    }
    pub fn alias_exists() -> Self {
        Self::new(
            4500,
            10480,
            "alias is already existed in your account, please input another unique one",
            "",
        )
    }
    pub fn cmk_limit() -> Self {
        Self::new(
            4510,
            10610,
            "number of CMK in your account has reached the limit",
            "",
        )
    }
    pub fn key_spec() -> Self {
        Self::new(4520, 10620, "keySpec value error", "")
    }
    pub fn not_found(detail: impl AsRef<str>) -> Self {
        Self::new(4530, 10630, "key is not existed", detail)
    }
    pub fn disabled(detail: impl AsRef<str>) -> Self {
        Self::new(4550, 10650, "key is disabled", detail)
    }
    pub fn quota(detail: impl AsRef<str>) -> Self {
        Self::new(4400, 4400, "quota exceeded", detail)
    }
    pub fn internal(request_id: &str) -> Self {
        Self::new(
            6000,
            10050,
            "server internal error",
            format!("the server log has the details under requestId {request_id}"),
        )
    }
}

impl From<AuthError> for LegacyError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Malformed(m) => LegacyError::bad_request(m),
            AuthError::Expired(m) | AuthError::Replay(m) => LegacyError::replay(m),
            AuthError::UnknownSecretId(id) => LegacyError::unknown_secret_id(&id),
            AuthError::BadSignature(m) => LegacyError::auth_failed(m),
        }
    }
}

/// A field's name as this API spells it.
fn wire_name(field: Field) -> &'static str {
    match field {
        Field::KeyId => "keyId",
        Field::Alias => "alias",
        Field::Description => "description",
        Field::PendingWindowInDays => "pendingWindowInDays",
        Field::NumberOfBytes => "numberOfBytes",
        Field::EncryptionContext => "encryptionContext",
        Field::Plaintext => "plaintext",
        other => other.name(),
    }
}

/// The one mapping from the core's errors to legacy codes.
pub fn from_core(action: &str, e: Error, request_id: &str) -> LegacyError {
    match e {
        Error::Invalid { field, reason } => {
            let detail = format!("{} {reason}", wire_name(field));
            match field {
                // An id that cannot be one of this server's cannot name an existing key.
                Field::KeyId => LegacyError::not_found(detail),
                Field::EncryptionContext => LegacyError::bad_request(detail),
                Field::Alias
                | Field::Description
                | Field::PendingWindowInDays
                | Field::NumberOfBytes
                | Field::Plaintext
                | Field::KeyIds
                | Field::Tags
                | Field::RotateDays
                | Field::DataKeyId
                | Field::DataKeyIds
                | Field::DataKeyName
                | Field::ImportKeyMaterial
                | Field::Other(_) => LegacyError::out_of_range(detail),
            }
        }
        Error::Duplicate { field, value } => match field {
            Field::Alias => LegacyError::alias_exists(),
            other => LegacyError::bad_request(format!(
                "{} {value} appears more than once",
                wire_name(other)
            )),
        },
        Error::NotFound {
            what: Resource::Cmk,
            id,
        } => LegacyError::not_found(format!(
            "the key {id} does not exist in this account and region"
        )),
        Error::NotFound {
            what: Resource::DataKey,
            id,
        } => LegacyError::not_found(format!(
            "the data key {id} does not exist in this account and region"
        )),
        Error::WrongState { key_id, state, op } => {
            let hint = match (op, state) {
                (Op::ScheduleDeletion, KeyState::Enabled) => "; disable it first (DisableKey)",
                (Op::CancelDeletion, _) => {
                    "; only a key pending deletion can have its deletion cancelled"
                }
                (_, KeyState::Disabled) => "; EnableKey makes it usable again",
                (_, KeyState::PendingDelete) => "; CancelKeyDeletion takes it out of deletion",
                (_, KeyState::Archived) => "; CancelKeyArchive (API 3.0) makes it usable again",
                (_, KeyState::PendingImport) => "; it has no key material yet",
                (_, KeyState::Enabled) => "",
            };
            let detail = format!(
                "the key {key_id} is {} and does not allow {action}{hint}",
                state.as_str()
            );
            match op {
                // Using a key that is not usable: "disabled" in this API's terms.
                Op::Encrypt | Op::Decrypt | Op::Rotate => LegacyError::disabled(detail),
                Op::Enable
                | Op::Disable
                | Op::ScheduleDeletion
                | Op::CancelDeletion
                | Op::Archive
                | Op::CancelArchive
                | Op::Metadata
                | Op::ConfigureRotation => LegacyError::bad_request(detail),
            }
        }
        Error::DataKeyWrongState {
            data_key_id, state, ..
        } => LegacyError::bad_request(format!(
            "the data key {data_key_id} is {} and does not allow {action}",
            state.as_str()
        )),
        Error::InvalidCiphertext => LegacyError::bad_request(
            "ciphertextBlob is not a valid ciphertext of this server, was altered, or is \
             presented with an encryptionContext other than the one it was made with",
        ),
        Error::NotForExternal { key_id, .. } => LegacyError::bad_request(format!(
            "the key {key_id} holds imported (EXTERNAL) material, which does not allow {action}"
        )),
        Error::LimitExceeded {
            what: Limit::CmksPerScope,
            ..
        } => LegacyError::cmk_limit(),
        Error::LimitExceeded {
            what: Limit::DataKeysPerAccount,
            limit,
        } => LegacyError::quota(format!(
            "this account already has {limit} hosted data keys, the configured limit"
        )),
        Error::Unsupported(msg) => LegacyError::bad_request(msg),
        Error::Internal(detail) => {
            tracing::error!(request_id, action, %detail, "internal error");
            LegacyError::internal(request_id)
        }
    }
}

pub async fn handle(api: &Api, req: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let outcome = process(api, &req, &request_id).await;
    render(outcome, &request_id)
}

pub fn refuse(why: Refusal) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let err = match why {
        Refusal::BodyTooLarge { limit } => LegacyError::unparsable(format!(
            "the request body is larger than the {limit}-byte limit"
        )),
        Refusal::BodyUnreadable => {
            LegacyError::unparsable("the request body could not be read completely")
        }
    };
    render(Err(err), &request_id)
}

fn render(outcome: Result<Map<String, Value>, LegacyError>, request_id: &str) -> Response {
    let mut body = Map::new();
    match outcome {
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
    Response {
        status: 200,
        content_type: "application/json",
        body: serde_json::to_vec(&Value::Object(body)).expect("JSON values serialise"),
        request_id: Some(request_id.to_string()),
    }
}

async fn process(
    api: &Api,
    req: &Request,
    request_id: &str,
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
    let mut params = parse_form(raw)?;
    let account = authenticate(api, req, method, &params, request_id).await?;

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
        action: &action,
        scope: Scope { account, region },
        request_id,
    };
    dispatch(&call, Args { map: params }).await
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

/// Verifies the signature, the timestamp and the Nonce; returns the caller's account.
async fn authenticate(
    api: &Api,
    req: &Request,
    method: &str,
    params: &BTreeMap<String, String>,
    request_id: &str,
) -> Result<u64, LegacyError> {
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let secret_id = get("SecretId").ok_or_else(|| LegacyError::missing("SecretId"))?;
    let signature = get("Signature").ok_or_else(|| LegacyError::missing("Signature"))?;
    let timestamp = get("Timestamp").ok_or_else(|| LegacyError::missing("Timestamp"))?;
    let nonce = get("Nonce").ok_or_else(|| LegacyError::missing("Nonce"))?;
    let timestamp: i64 = digits(timestamp, 19)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| LegacyError::wrong_type("Timestamp must be a Unix time in seconds"))?;
    digits(nonce, 20)
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| LegacyError::wrong_type("Nonce must be a non-negative integer"))?;
    if !secret_id.starts_with("AKID") {
        return Err(LegacyError::secret_id_format());
    }
    let now = api.kms.now();
    let window = api.settings.signature_window;
    tc_v1::check_timestamp(timestamp, now, window)?;

    let mut hosts = req.headers.get_all(http::header::HOST).iter();
    let host = match (hosts.next().map(|h| h.to_str()), hosts.next()) {
        (Some(Ok(h)), None) => h,
        _ => {
            return Err(LegacyError::bad_request(
                "the request needs exactly one Host header: the signature covers the host",
            ))
        }
    };

    let (account, secret) = api
        .credentials
        .lookup(secret_id)
        .await
        .map_err(|detail| {
            tracing::error!(%detail, "credential lookup failed");
            LegacyError::internal(request_id)
        })?
        .ok_or_else(|| LegacyError::unknown_secret_id(secret_id))?;

    let sig_method = SignatureMethod::from_param(get("SignatureMethod"));
    let src = tc_v1::string_to_sign(
        method,
        host,
        PATH,
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    if let Err(e) = tc_v1::verify(sig_method, secret.expose(), &src, signature) {
        let mut err = LegacyError::from(e);
        if method == "POST" && params.values().any(|v| v.starts_with('@')) {
            err.text.push_str(
                " (a value starting with '@' is signed like any other here; the legacy Python \
                 SDK leaves such values out of its signature)",
            );
        }
        return Err(err);
    }

    match api.nonces.check(secret_id, nonce, timestamp + window, now) {
        NonceCheck::Fresh => Ok(account),
        NonceCheck::Replayed => Err(LegacyError::replay(format!(
            "the Nonce {nonce} was already used by this SecretId within the last {window} \
             seconds; send a fresh random Nonce with every request"
        ))),
        NonceCheck::Full => Err(LegacyError::throttled()),
    }
}

/// `s` if it is 1 to `max` ASCII digits.
fn digits(s: &str, max: usize) -> Option<&str> {
    (!s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

/// Parses a query string or form body strictly: `+` is a space, `%XX` a byte, the
/// result UTF-8, each name once.
pub fn parse_form(input: &[u8]) -> Result<BTreeMap<String, String>, LegacyError> {
    let mut out = BTreeMap::new();
    for pair in input.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let k = decode(k)?;
        if k.is_empty() {
            return Err(LegacyError::unparsable("a parameter has an empty name"));
        }
        let v = decode(v)?;
        if out.contains_key(&k) {
            return Err(LegacyError::repeated(&k));
        }
        out.insert(k, v);
    }
    Ok(out)
}

fn decode(raw: &[u8]) -> Result<String, LegacyError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        LegacyError::unparsable("a '%' is not followed by two hex digits")
                    })?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out)
        .map_err(|_| LegacyError::unparsable("a parameter is not UTF-8 after URL-decoding"))
}

/// Who is calling, for which scope.
struct Call<'a> {
    api: &'a Api,
    action: &'a str,
    scope: Scope,
    request_id: &'a str,
}

/// An action's parameters. Each getter removes what it reads, so `finish` can name a
/// parameter nobody asked for.
struct Args {
    map: BTreeMap<String, String>,
}

impl Args {
    fn opt_str(&mut self, name: &str) -> Option<String> {
        self.map.remove(name)
    }

    /// A required value; empty counts as missing.
    fn req_str(&mut self, name: &str) -> Result<String, LegacyError> {
        self.opt_str(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| LegacyError::missing(name))
    }

    /// An optional integer; empty counts as absent.
    fn opt_int(&mut self, name: &str) -> Result<Option<i64>, LegacyError> {
        match self.opt_str(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| LegacyError::wrong_type(format!("{name} must be an integer"))),
        }
    }

    fn key_id(&mut self) -> Result<String, LegacyError> {
        self.req_str("keyId")
    }

    /// `keyId`, or `KeyId` as the legacy Python SDK sends it to some actions.
    fn key_id_either(&mut self) -> Result<String, LegacyError> {
        match (self.opt_str("keyId"), self.opt_str("KeyId")) {
            (Some(_), Some(_)) => Err(LegacyError::bad_request(
                "give the key once, as keyId or as KeyId",
            )),
            (Some(v), None) | (None, Some(v)) if !v.is_empty() => Ok(v),
            _ => Err(LegacyError::missing("keyId")),
        }
    }

    fn finish(self) -> Result<(), LegacyError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(k) => Err(LegacyError::unknown_parameter(k)),
        }
    }
}

/// An action's failure in this dialect (see [`crate::api::Fail`]).
type Fail = crate::api::Fail<LegacyError>;

impl From<LegacyError> for Fail {
    fn from(e: LegacyError) -> Self {
        Fail::Dialect(e)
    }
}

type Handled = Result<Map<String, Value>, Fail>;

async fn dispatch(call: &Call<'_>, p: Args) -> Result<Map<String, Value>, LegacyError> {
    let r = match call.action {
        "CreateKey" => create_key(call, p).await,
        "GetKeyAttributes" => get_key_attributes(call, p).await,
        "SetKeyAttributes" => set_key_attributes(call, p).await,
        "ListKey" => list_key(call, p).await,
        "GenerateDataKey" => generate_data_key(call, p).await,
        "Encrypt" => encrypt(call, p).await,
        "Decrypt" => decrypt(call, p).await,
        "EnableKey" => change(call, p, Change::Enable).await,
        "DisableKey" => change(call, p, Change::Disable).await,
        "ScheduleKeyDeletion" => schedule_key_deletion(call, p).await,
        "CancelKeyDeletion" => change(call, p, Change::CancelDeletion).await,
        other => Err(LegacyError::no_such_action(other).into()),
    };
    r.map_err(|f| match f {
        Fail::Dialect(e) => e,
        Fail::Core(e) => from_core(call.action, e, call.request_id),
    })
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("answers are objects"),
    }
}

fn b64e(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Strict standard base64 (padding required, no whitespace, no URL-safe alphabet).
fn b64d(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn usage(k: &Cmk) -> &'static str {
    match k.usage {
        KeyUsage::EncryptDecrypt => KEY_USAGE,
        other => other.as_str(),
    }
}

/// keyMetadata as CreateKey answers it.
fn key_metadata(k: &Cmk) -> Map<String, Value> {
    obj(json!({
        "keyId": k.key_id,
        "alias": k.alias,
        "createTime": k.created_at,
        "description": k.description,
        "keyState": k.state.as_str(),
        "keyUsage": usage(k),
    }))
}

fn check_alias(alias: &str) -> Result<(), LegacyError> {
    let n = alias.chars().count();
    if !ALIAS_CHARS.contains(&n) {
        return Err(LegacyError::out_of_range(format!(
            "alias must be {} to {} characters, got {n}",
            ALIAS_CHARS.start(),
            ALIAS_CHARS.end()
        )));
    }
    Ok(())
}

async fn create_key(call: &Call<'_>, mut p: Args) -> Handled {
    let alias = p.req_str("alias")?;
    let description = p.opt_str("description").unwrap_or_default();
    let key_usage = p.opt_str("keyUsage").filter(|u| !u.is_empty());
    let kind = p.opt_int("type")?;
    let key_spec = p.opt_str("keySpec").filter(|s| !s.is_empty());
    p.finish()?;
    check_alias(&alias)?;
    if key_usage.is_some_and(|u| u != KEY_USAGE) {
        return Err(LegacyError::key_usage().into());
    }
    match kind.unwrap_or(1) {
        // 2 asks for material from a quantum random source; this server draws all
        // material from the OS CSPRNG, so both make the same kind of key.
        1 | 2 => {}
        t => {
            return Err(
                LegacyError::out_of_range(format!("type must be 1 (normal) or 2, got {t}")).into(),
            )
        }
    }
    let cipher = match key_spec {
        None => None,
        Some(s) => Some(CmkCipher::from_name(&s).ok_or_else(LegacyError::key_spec)?),
    };
    let k = call
        .api
        .kms
        .create_key(
            &call.scope,
            NewKey {
                alias,
                description,
                usage: KeyUsage::EncryptDecrypt,
                origin: Origin::Kms,
                cipher,
                tags: Vec::new(),
            },
        )
        .await?;
    Ok(obj(json!({ "keyMetadata": key_metadata(&k) })))
}

async fn get_key_attributes(call: &Call<'_>, mut p: Args) -> Handled {
    let key_id = p.key_id()?;
    p.finish()?;
    let k = call.api.kms.get_key(&call.scope, &key_id).await?;
    let mut meta = key_metadata(&k);
    meta.insert("deleteTime".into(), json!(k.deletion_date));
    Ok(obj(json!({ "keyMetadata": meta })))
}

async fn set_key_attributes(call: &Call<'_>, mut p: Args) -> Handled {
    let key_id = p.key_id()?;
    let alias = p.req_str("alias")?;
    p.finish()?;
    check_alias(&alias)?;
    call.api
        .kms
        .update_alias(&call.scope, &key_id, &alias)
        .await?;
    Ok(Map::new())
}

async fn list_key(call: &Call<'_>, mut p: Args) -> Handled {
    let offset = p.opt_int("offset")?.unwrap_or(0);
    let limit = p.opt_int("limit")?.unwrap_or(DEFAULT_LIMIT);
    p.finish()?;
    if offset < 0 {
        return Err(LegacyError::out_of_range(format!(
            "offset must not be negative, got {offset}"
        ))
        .into());
    }
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(LegacyError::out_of_range(format!(
            "limit must be between 1 and {MAX_LIMIT}, got {limit}"
        ))
        .into());
    }
    let page = call
        .api
        .kms
        .list_keys(&call.scope, offset as u64, limit as u64)
        .await?;
    Ok(obj(json!({
        "totalCount": page.total,
        "keys": page.items.iter().map(|k| json!({"keyId": k.key_id})).collect::<Vec<_>>(),
    })))
}

async fn generate_data_key(call: &Call<'_>, mut p: Args) -> Handled {
    let key_id = p.key_id()?;
    let spec = p.opt_str("keySpec").filter(|s| !s.is_empty());
    let n = p.opt_int("numberOfBytes")?;
    let context = p.opt_str("encryptionContext");
    p.finish()?;
    let spec_len = match spec.as_deref() {
        None => None,
        Some("AES_128") => Some(16),
        Some("AES_256") => Some(32),
        Some(_) => return Err(LegacyError::key_spec().into()),
    };
    // numberOfBytes wins over keySpec. The Java SDK sends numberOfBytes=0 when the
    // caller chose by keySpec, so 0 counts as not given.
    let len = match n {
        Some(n) if n != 0 => usize::try_from(n)
            .ok()
            .filter(|n| crate::kms::rules::DATA_KEY_BYTES.contains(n))
            .ok_or_else(|| {
                LegacyError::out_of_range(format!(
                    "numberOfBytes must be between 1 and {}, got {n}",
                    crate::kms::rules::DATA_KEY_BYTES.end()
                ))
            })?,
        _ => spec_len.ok_or_else(|| {
            LegacyError::missing("keySpec (AES_128 or AES_256) or numberOfBytes (1-1024)")
        })?,
    };
    let (data_key, blob, key) = call
        .api
        .kms
        .generate_data_key(&call.scope, &key_id, len, context.as_deref())
        .await?;
    Ok(obj(json!({
        "keyId": key.key_id,
        "plaintext": b64e(data_key.expose()),
        "ciphertextBlob": b64e(&blob),
    })))
}

async fn encrypt(call: &Call<'_>, mut p: Args) -> Handled {
    let key_id = p.key_id()?;
    let plaintext = p.req_str("plaintext")?;
    let context = p.opt_str("encryptionContext");
    p.finish()?;
    let plaintext = zeroize::Zeroizing::new(b64d(&plaintext).ok_or_else(|| {
        LegacyError::bad_request("plaintext must be base64 (standard alphabet, with padding)")
    })?);
    let (blob, key) = call
        .api
        .kms
        .encrypt(&call.scope, &key_id, &plaintext, context.as_deref())
        .await?;
    Ok(obj(json!({
        "keyId": key.key_id,
        "ciphertextBlob": b64e(&blob),
    })))
}

async fn decrypt(call: &Call<'_>, mut p: Args) -> Handled {
    let blob = p.req_str("ciphertextBlob")?;
    let context = p.opt_str("encryptionContext");
    p.finish()?;
    let blob = b64d(&blob).ok_or(Error::InvalidCiphertext)?;
    let (plaintext, key) = call
        .api
        .kms
        .decrypt(&call.scope, &blob, context.as_deref())
        .await?;
    Ok(obj(json!({
        "keyId": key.key_id,
        "plaintext": b64e(plaintext.expose()),
    })))
}

enum Change {
    Enable,
    Disable,
    CancelDeletion,
}

async fn change(call: &Call<'_>, mut p: Args, change: Change) -> Handled {
    let key_id = match change {
        Change::CancelDeletion => p.key_id_either()?,
        Change::Enable | Change::Disable => p.key_id()?,
    };
    p.finish()?;
    let (kms, s) = (&call.api.kms, &call.scope);
    match change {
        Change::Enable => kms.enable_key(s, &key_id).await?,
        Change::Disable => kms.disable_key(s, &key_id).await?,
        Change::CancelDeletion => kms.cancel_key_deletion(s, &key_id).await?,
    };
    Ok(Map::new())
}

async fn schedule_key_deletion(call: &Call<'_>, mut p: Args) -> Handled {
    let key_id = p.key_id_either()?;
    let days = p
        .opt_int("pendingWindowInDays")?
        .ok_or_else(|| LegacyError::missing("pendingWindowInDays"))?;
    p.finish()?;
    if !(7..=30).contains(&days) {
        return Err(LegacyError::out_of_range(format!(
            "pendingWindowInDays must be between 7 and 30, got {days}"
        ))
        .into());
    }
    call.api
        .kms
        .schedule_key_deletion(&call.scope, &key_id, days as u32)
        .await?;
    Ok(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::states::DataKeyOp;
    use crate::model::DataKeyState;

    #[test]
    fn forms_are_parsed_strictly() {
        let p = parse_form(b"a=1&b=x+y%2Bz&&c=&d&e=%E4%BD%A0").unwrap();
        assert_eq!(p["a"], "1");
        assert_eq!(p["b"], "x y+z");
        assert_eq!(p["c"], "");
        assert_eq!(p["d"], "");
        assert_eq!(p["e"], "你");
        assert!(parse_form(b"").unwrap().is_empty());
        assert_eq!(parse_form(b"a=1&a=2").unwrap_err().module, 10330);
        for bad in [&b"a=%"[..], b"a=%4", b"a=%zz", b"a=%FF", b"=1", b"%ff=1"] {
            let e = parse_form(bad).unwrap_err();
            assert_eq!((e.code, e.module), (4000, 10420), "{bad:?}");
        }
    }

    #[test]
    fn messages_carry_the_module_code() {
        assert_eq!(
            LegacyError::key_usage().message(),
            "(10470)string of KeyUsage must be ENCRYPT/DECRYPT"
        );
        assert_eq!(
            LegacyError::missing("keyId").message(),
            "(10010)lacked of required parameters: keyId is required"
        );
    }

    fn wrong(state: KeyState, op: Op) -> Error {
        Error::WrongState {
            key_id: "k".into(),
            state,
            op,
        }
    }

    /// Every variant of the core's error maps to a legacy code; internal details never
    /// reach the client.
    #[test]
    fn every_core_error_maps() {
        let invalid = |f| Error::invalid(f, "x");
        let cases: Vec<(Error, u32, u32)> = vec![
            (invalid(Field::KeyId), 4530, 10630),
            (invalid(Field::Alias), 4000, 10350),
            (invalid(Field::Description), 4000, 10350),
            (invalid(Field::PendingWindowInDays), 4000, 10350),
            (invalid(Field::NumberOfBytes), 4000, 10350),
            (invalid(Field::EncryptionContext), 4000, 10110),
            (invalid(Field::Plaintext), 4000, 10350),
            (invalid(Field::KeyIds), 4000, 10350),
            (invalid(Field::Tags), 4000, 10350),
            (invalid(Field::RotateDays), 4000, 10350),
            (invalid(Field::DataKeyId), 4000, 10350),
            (invalid(Field::DataKeyIds), 4000, 10350),
            (invalid(Field::DataKeyName), 4000, 10350),
            (invalid(Field::ImportKeyMaterial), 4000, 10350),
            (invalid(Field::Other("x")), 4000, 10350),
            (
                Error::Duplicate {
                    field: Field::Alias,
                    value: "a".into(),
                },
                4500,
                10480,
            ),
            (
                Error::Duplicate {
                    field: Field::KeyIds,
                    value: "a".into(),
                },
                4000,
                10110,
            ),
            (
                Error::NotFound {
                    what: Resource::Cmk,
                    id: "k".into(),
                },
                4530,
                10630,
            ),
            (
                Error::NotFound {
                    what: Resource::DataKey,
                    id: "d".into(),
                },
                4530,
                10630,
            ),
            (wrong(KeyState::Disabled, Op::Encrypt), 4550, 10650),
            (wrong(KeyState::PendingDelete, Op::Decrypt), 4550, 10650),
            (wrong(KeyState::PendingImport, Op::Encrypt), 4550, 10650),
            (wrong(KeyState::Archived, Op::Encrypt), 4550, 10650),
            (wrong(KeyState::Enabled, Op::ScheduleDeletion), 4000, 10110),
            (wrong(KeyState::Disabled, Op::CancelDeletion), 4000, 10110),
            (wrong(KeyState::PendingDelete, Op::Enable), 4000, 10110),
            (
                Error::DataKeyWrongState {
                    data_key_id: "d".into(),
                    state: DataKeyState::Disabled,
                    op: DataKeyOp::Plaintext,
                },
                4000,
                10110,
            ),
            (Error::InvalidCiphertext, 4000, 10110),
            (
                Error::NotForExternal {
                    key_id: "k".into(),
                    op: Op::Rotate,
                },
                4000,
                10110,
            ),
            (
                Error::LimitExceeded {
                    what: Limit::CmksPerScope,
                    limit: 1,
                },
                4510,
                10610,
            ),
            (
                Error::LimitExceeded {
                    what: Limit::DataKeysPerAccount,
                    limit: 1,
                },
                4400,
                4400,
            ),
            (Error::Unsupported("no".into()), 4000, 10110),
            (
                Error::from(crate::store::StoreError::Backend(
                    "disk on fire /var/secret".into(),
                )),
                6000,
                10050,
            ),
        ];
        for (e, code, module) in cases {
            let shown = format!("{e:?}");
            let l = from_core("Encrypt", e, "rid");
            assert_eq!((l.code, l.module), (code, module), "{shown}");
            assert!(l.message().starts_with(&format!("({module})")));
            assert!(!l.message().contains("/var/secret"), "{shown}");
        }
        assert_eq!(
            from_core(
                "CreateKey",
                Error::Duplicate {
                    field: Field::Alias,
                    value: "a".into()
                },
                "r"
            )
            .message(),
            "(10480)alias is already existed in your account, please input another unique one"
        );
    }

    #[test]
    fn auth_errors_map() {
        let m = |e| {
            let l = LegacyError::from(e);
            (l.code, l.module)
        };
        assert_eq!(m(AuthError::BadSignature("x".into())), (4100, 10030));
        assert_eq!(m(AuthError::UnknownSecretId("AKIDx".into())), (4104, 10270));
        assert_eq!(m(AuthError::Expired("x".into())), (4500, 4500));
        assert_eq!(m(AuthError::Replay("x".into())), (4500, 4500));
        assert_eq!(m(AuthError::Malformed("x".into())), (4000, 10110));
    }
}
