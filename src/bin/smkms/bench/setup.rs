//! The setup phase: find or create the CMKs, build every entry's request bodies, and
//! send each entry once, checking its answer in full.
//!
//! With several endpoints, everything is made through the first and the bodies name
//! only what lives in the database (key ids, a blob), so they are good on any replica
//! of it. Each entry is then checked once through every other endpoint too: a replica
//! that is down, or that serves another database, fails the run here with its name,
//! instead of as a stream of errors under load.

use super::answer::{self, Answer};
use super::args::Config;
use super::conn::{Conn, Signer, Target};
use super::mix::{AsymKey, Cmk, Entry, Op};
use super::recipients::Recipients;
use super::REQUEST_TIMEOUT;
use serde_json::{json, Map, Value};
use smkms::auth::tc3;
use smkms::b64;
use smkms::crypto::asym::{Message, PublicKey, SignAlgorithm};
use smkms::crypto::deliver;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// A request body and the hex SHA-256 the signature covers.
#[derive(Clone)]
pub struct Body {
    pub json: Vec<u8>,
    pub hash: String,
}

impl Body {
    fn new(v: &Value) -> Body {
        let json = serde_json::to_vec(v).expect("JSON values serialise");
        let hash = tc3::sha256_hex(&json);
        Body { json, hash }
    }
}

/// One mix entry, ready to send.
pub struct Prepared {
    pub x_tc_action: &'static str,
    pub bodies: Vec<Body>,
    pub cursor: AtomicUsize,
    /// For CreateKey: every request needs an alias of its own, so its body is made
    /// per request from this prefix and the cursor.
    pub alias_prefix: Option<String>,
}

impl Prepared {
    pub fn next_body(&self) -> std::borrow::Cow<'_, Body> {
        use std::borrow::Cow;
        if let Some(prefix) = &self.alias_prefix {
            let n = self.cursor.fetch_add(1, Relaxed);
            return Cow::Owned(Body::new(&json!({"Alias": format!("{prefix}-{n}")})));
        }
        Cow::Borrowed(if self.bodies.len() == 1 {
            &self.bodies[0]
        } else {
            &self.bodies[self.cursor.fetch_add(1, Relaxed) % self.bodies.len()]
        })
    }

    /// The body an endpoint's setup check sends: the first one, or a new alias.
    fn check_body(&self) -> std::borrow::Cow<'_, Body> {
        match self.alias_prefix {
            Some(_) => self.next_body(),
            None => std::borrow::Cow::Borrowed(&self.bodies[0]),
        }
    }
}

/// A Tencent error answer, or why there was no answer.
struct CallError {
    code: String,
    message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The setup's own connection, which reads answers in full.
struct SetupClient {
    target: Target,
    signer: Signer,
    conn: Option<Conn>,
}

impl SetupClient {
    fn new(cfg: &Config, endpoint: usize) -> SetupClient {
        SetupClient {
            target: cfg.endpoints[endpoint].target.clone(),
            signer: cfg.signer(endpoint),
            conn: None,
        }
    }

    async fn send(&mut self, action: &str, body: &Body) -> Result<Map<String, Value>, CallError> {
        let transport = |m: String| CallError {
            code: "Http".into(),
            message: m,
        };
        if !matches!(&self.conn, Some(c) if !c.closed) {
            let c = tokio::time::timeout(REQUEST_TIMEOUT, Conn::connect(&self.target))
                .await
                .map_err(|_| transport("connecting timed out".into()))?
                .map_err(|e| transport(format!("cannot connect to {}: {e}", self.target.addr)))?;
            self.conn = Some(c);
        }
        let conn = self.conn.as_mut().expect("connected above");
        let sent = tokio::time::timeout(
            REQUEST_TIMEOUT,
            conn.post(&mut self.signer, action, &body.json, &body.hash),
        )
        .await;
        let problem = match sent {
            Err(_) => "no answer within the timeout".to_string(),
            Ok(Err(e)) => e.to_string(),
            Ok(Ok(r)) => match answer::read::<Map<String, Value>>(r.status, r.body) {
                Answer::Success(fields) => return Ok(fields),
                Answer::Error { code, message } => {
                    return Err(CallError {
                        code: code.into_owned(),
                        message: message.into_owned(),
                    })
                }
                Answer::Transport(p @ answer::Problem::Status(_)) => format!(
                    "{p}: {}",
                    String::from_utf8_lossy(&r.body[..r.body.len().min(300)])
                ),
                Answer::Transport(p) => p.to_string(),
            },
        };
        // No API answer: do not trust the connection with the next request.
        self.conn = None;
        Err(transport(problem))
    }

    async fn call(&mut self, action: &str, params: Value) -> Result<Map<String, Value>, CallError> {
        self.send(action, &Body::new(&params)).await
    }

    /// The CMK under `cmk`'s alias if it exists and is enabled, else a new one.
    async fn cmk(&mut self, cmk: Cmk) -> Result<String, String> {
        self.find_or_create(
            cmk.alias(),
            cmk.spec(),
            |m| m["Type"].as_i64() == Some(cmk.metadata_type()),
            json!({"KeySpec": cmk.spec()}),
        )
        .await
    }

    /// The asymmetric key under `k`'s alias if it exists and is enabled, else a new one.
    async fn asym_key(&mut self, k: AsymKey) -> Result<String, String> {
        self.find_or_create(
            k.alias(),
            k.usage(),
            |m| m["KeyUsage"] == k.usage(),
            json!({"KeyUsage": k.usage()}),
        )
        .await
    }

    /// The enabled key under `alias` that `fits`, else one made by CreateKey with
    /// `create` (plus alias and description). `what` names it in the progress lines.
    async fn find_or_create(
        &mut self,
        alias: &str,
        what: &str,
        fits: impl Fn(&Value) -> bool,
        create: Value,
    ) -> Result<String, String> {
        let fail = |what: &str, e: CallError| format!("setup: {what} failed: {e}");
        let mut query = json!({"SearchKeyAlias": alias, "KeyState": 1, "Limit": 200});
        // Without a KeyUsage, ListKeyDetail lists ENCRYPT_DECRYPT keys only (Tencent's
        // rule): an asymmetric key is found only when its usage is asked for.
        if let Some(usage) = create.get("KeyUsage") {
            query["KeyUsage"] = usage.clone();
        }
        let found = self
            .call("ListKeyDetail", query)
            .await
            .map_err(|e| fail("ListKeyDetail", e))?;
        let existing = found
            .get("KeyMetadatas")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|m| m["Alias"] == alias && fits(m) && m["KeyState"] == "Enabled")
            .and_then(|m| m["KeyId"].as_str());
        if let Some(id) = existing {
            eprintln!("bench: setup: using {what} key {id} ({alias})");
            return Ok(id.to_string());
        }
        let mut name = alias.to_string();
        for attempt in 0..2 {
            let mut params = create.clone();
            params["Alias"] = json!(name);
            params["Description"] = json!("smkms bench (reused by later runs)");
            match self.call("CreateKey", params).await {
                Ok(r) => {
                    let id = r["KeyId"].as_str().unwrap_or_default().to_string();
                    eprintln!("bench: setup: created {what} key {id} ({name})");
                    return Ok(id);
                }
                // The alias is taken by a key that is not an enabled key of this
                // kind: make one under a name of its own.
                Err(e) if attempt == 0 && e.code.ends_with("AliasAlreadyExists") => {
                    name = format!("{alias}-{}", hex::encode(smkms::crypto::random::bytes(4)));
                }
                Err(e) => return Err(fail("CreateKey", e)),
            }
        }
        unreachable!("the loop returns")
    }
}

/// An asymmetric key of the mix: its id and public key (from GetPublicKey).
struct Asym {
    kind: AsymKey,
    id: String,
    pem: String,
    public: PublicKey,
}

/// What the setup checks answers against.
pub struct Expect<'a> {
    keys: &'a Recipients,
    /// What Encrypt and the asymmetric encryptions at setup encrypted.
    secret: Vec<u8>,
    /// What the Sign and Verify entries sign.
    message: Vec<u8>,
    asym: Vec<Asym>,
}

impl Expect<'_> {
    fn asym(&self, k: AsymKey) -> &Asym {
        self.asym
            .iter()
            .find(|a| a.kind == k)
            .expect("every key the mix uses is set up first")
    }
}

fn unb64(v: &Value) -> Option<Vec<u8>> {
    b64::decode(v.as_str()?)
}

/// Creates what the mix needs, builds every entry's bodies, and sends each entry once,
/// checking the answer in full.
pub async fn setup(cfg: &Config, keys: &Recipients) -> Result<Vec<Prepared>, String> {
    let mut client = SetupClient::new(cfg, 0);
    let mut cmks: Vec<(Cmk, String)> = Vec::new();
    for e in cfg.entries.iter().filter(|e| e.op.uses_cmk()) {
        if !cmks.iter().any(|(c, _)| *c == e.cmk) {
            let id = client.cmk(e.cmk).await?;
            cmks.push((e.cmk, id));
        }
    }
    let key_of = |c: Cmk| {
        cmks.iter()
            .find(|(k, _)| *k == c)
            .map(|(_, id)| id.clone())
            .unwrap_or_default()
    };
    let mut expect = Expect {
        keys,
        secret: smkms::crypto::random::bytes(32),
        message: smkms::crypto::random::bytes(256),
        asym: Vec::new(),
    };
    for k in cfg.entries.iter().filter_map(|e| e.op.asym_key()) {
        if expect.asym.iter().all(|a| a.kind != k) {
            let id = client.asym_key(k).await?;
            let r = client
                .call("GetPublicKey", json!({"KeyId": id}))
                .await
                .map_err(|e| format!("setup: GetPublicKey of {id} failed: {e}"))?;
            let public = r
                .get("PublicKey")
                .and_then(unb64)
                .and_then(|der| PublicKey::from_spki_der(&der).ok())
                .ok_or_else(|| format!("setup: GetPublicKey of {id}: no usable PublicKey"))?;
            let pem = r["PublicKeyPem"].as_str().unwrap_or_default().to_string();
            expect.asym.push(Asym {
                kind: k,
                id,
                pem,
                public,
            });
        }
    }
    let secret = expect.secret.clone();
    let mut prepared = Vec::new();
    let run = hex::encode(smkms::crypto::random::bytes(4));
    for e in &cfg.entries {
        let alias_prefix =
            (e.op == Op::CreateKey).then(|| format!("smkms-bench-new-{run}-{}", prepared.len()));
        let key_id = key_of(e.cmk);
        let fail = |m: String| format!("setup: {}: {m}", e.label);
        let bodies: Vec<Value> = match e.op {
            Op::GenerateRandom => vec![json!({"NumberOfBytes": 16})],
            Op::ListAlgorithms | Op::GetServiceStatus => vec![json!({})],
            Op::GenerateDataKey => vec![json!({"KeyId": key_id, "KeySpec": "AES_256"})],
            Op::Deliver { alg, fresh } => {
                let pems: Vec<&String> = if fresh {
                    keys.fresh.iter().collect()
                } else if alg.is_sm2() {
                    keys.sm2.iter().map(|r| &r.public_pem).collect()
                } else {
                    keys.rsa.iter().map(|r| &r.public_pem).collect()
                };
                pems.into_iter()
                    .map(|pem| {
                        json!({
                            "KeyId": key_id,
                            "KeySpec": "AES_256",
                            "EncryptionPublicKey": pem,
                            "EncryptionAlgorithm": alg.name(),
                        })
                    })
                    .collect()
            }
            Op::Encrypt => vec![json!({"KeyId": key_id, "Plaintext": b64::encode(&secret)})],
            Op::CreateKey => vec![json!({"Alias": format!(
                "{}-0",
                alias_prefix.as_deref().unwrap_or_default()
            )})],
            Op::Decrypt => {
                let r = client
                    .call(
                        "Encrypt",
                        json!({"KeyId": key_id, "Plaintext": b64::encode(&secret)}),
                    )
                    .await
                    .map_err(|err| {
                        fail(format!("Encrypt (for the blob to decrypt) failed: {err}"))
                    })?;
                vec![json!({"CiphertextBlob": r["CiphertextBlob"]})]
            }
            Op::GetPublicKey(k) => vec![json!({"KeyId": expect.asym(k).id})],
            Op::Sign(k, alg) => vec![json!({
                "KeyId": expect.asym(k).id,
                "Algorithm": alg,
                "MessageType": "RAW",
                "Message": b64::encode(&expect.message),
            })],
            Op::Verify(k, alg) => {
                let mut body = json!({
                    "KeyId": expect.asym(k).id,
                    "Algorithm": alg,
                    "MessageType": "RAW",
                    "Message": b64::encode(&expect.message),
                });
                let r = client
                    .call("SignByAsymmetricKey", body.clone())
                    .await
                    .map_err(|err| {
                        fail(format!(
                            "SignByAsymmetricKey (for the signature) failed: {err}"
                        ))
                    })?;
                body["SignatureValue"] = r["Signature"].clone();
                vec![body]
            }
            Op::AsymDecrypt(k, alg) => {
                let a = expect.asym(k);
                let recipient = deliver::parse_public_key(&a.pem)
                    .map_err(|err| fail(format!("GetPublicKey's PublicKeyPem: {err}")))?;
                let scheme = if alg == "SM2" {
                    deliver::Algorithm::Sm2C1C3C2Asn1
                } else {
                    deliver::Algorithm::parse(Some(alg)).map_err(|err| fail(err.to_string()))?
                };
                let ciphertext = deliver::deliver(&recipient, scheme, &secret)
                    .map_err(|err| fail(format!("encrypting to the key failed: {err}")))?;
                let mut body = json!({"KeyId": a.id, "Ciphertext": b64::encode(&ciphertext)});
                if alg != "SM2" {
                    body["Algorithm"] = json!(alg);
                }
                vec![body]
            }
        };
        let bodies: Vec<Body> = bodies.iter().map(Body::new).collect();
        let first = client
            .send(e.op.x_tc_action(), &bodies[0])
            .await
            .map_err(|err| fail(err.to_string()))?;
        check_setup_answer(e, &first, &expect).map_err(fail)?;
        prepared.push(Prepared {
            x_tc_action: e.op.x_tc_action(),
            bodies,
            cursor: AtomicUsize::new(1),
            alias_prefix,
        });
    }
    for i in 1..cfg.endpoints.len() {
        check_through(cfg, i, &prepared, &expect).await?;
    }
    if cfg.endpoints.len() > 1 {
        eprintln!(
            "bench: setup: every entry answers through all {} endpoints",
            cfg.endpoints.len()
        );
    }
    Ok(prepared)
}

/// Sends each entry's first body through endpoint `i` and checks the answer in full.
async fn check_through(
    cfg: &Config,
    i: usize,
    prepared: &[Prepared],
    expect: &Expect<'_>,
) -> Result<(), String> {
    let mut client = SetupClient::new(cfg, i);
    let url = &cfg.endpoints[i].url;
    for (e, p) in cfg.entries.iter().zip(prepared) {
        let fail = |m: String| format!("setup: endpoint {} ({url}): {}: {m}", i + 1, e.label);
        let answer = client.send(p.x_tc_action, &p.check_body()).await;
        let fields = match answer {
            Ok(fields) => fields,
            Err(err) if err.code == "Http" => return Err(fail(err.to_string())),
            Err(err) => {
                return Err(fail(format!(
                    "{err} (the setup went through the first endpoint, {}; every \
                     endpoint must serve the same database)",
                    cfg.endpoints[0].url
                )))
            }
        };
        check_setup_answer(e, &fields, expect).map_err(fail)?;
    }
    Ok(())
}

/// The full check of one answer per entry, before the load starts. `r` is the answer's
/// success fields, as [`answer::read`] keeps them (through [`SetupClient::send`]).
fn check_setup_answer(
    e: &Entry,
    r: &Map<String, Value>,
    expect: &Expect<'_>,
) -> Result<(), String> {
    let (keys, secret) = (expect.keys, expect.secret.as_slice());
    let plaintext = || {
        r.get("Plaintext")
            .and_then(unb64)
            .ok_or_else(|| "the answer has no base64 Plaintext".to_string())
    };
    let want_len = |got: usize, want: usize| {
        if got == want {
            Ok(())
        } else {
            Err(format!("expected {want} bytes, got {got}"))
        }
    };
    match e.op {
        Op::GenerateRandom => want_len(plaintext()?.len(), 16),
        Op::ListAlgorithms | Op::GetServiceStatus => Ok(()),
        Op::GenerateDataKey => want_len(plaintext()?.len(), 32),
        Op::Deliver { alg, fresh } => {
            let recipient = if fresh {
                keys.fresh_first.as_ref()
            } else if alg.is_sm2() {
                keys.sm2.as_ref()
            } else {
                keys.rsa.as_ref()
            }
            .expect("generated for the mix");
            let key = deliver::unwrap(&recipient.private_pem, alg, &plaintext()?)
                .map_err(|err| format!("the delivered key does not unwrap: {err}"))?;
            want_len(key.expose().len(), 32)
        }
        Op::CreateKey => match r.get("KeyId").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => Ok(()),
            _ => Err("the answer has no KeyId".into()),
        },
        Op::Encrypt => match r.get("CiphertextBlob").and_then(unb64) {
            Some(b) if !b.is_empty() => Ok(()),
            _ => Err("the answer has no CiphertextBlob".into()),
        },
        Op::Decrypt | Op::AsymDecrypt(..) => {
            if plaintext()? == secret {
                Ok(())
            } else {
                Err("the decryption did not return what was encrypted".into())
            }
        }
        Op::GetPublicKey(k) => {
            let der = r.get("PublicKey").and_then(unb64);
            if der == Some(expect.asym(k).public.spki_der()) {
                Ok(())
            } else {
                Err("the answer's PublicKey is not the key's".into())
            }
        }
        Op::Sign(k, alg) => {
            let alg = SignAlgorithm::parse(alg).expect("the catalogue's names are Tencent's");
            let signature = r
                .get("Signature")
                .and_then(unb64)
                .ok_or_else(|| "the answer has no base64 Signature".to_string())?;
            if expect
                .asym(k)
                .public
                .verify(alg, Message::Raw(&expect.message), &signature)
            {
                Ok(())
            } else {
                Err("the signature does not verify under the key's public key".into())
            }
        }
        Op::Verify(..) => match r.get("SignatureValid") {
            Some(Value::Bool(true)) => Ok(()),
            other => Err(format!("expected SignatureValid true, got {other:?}")),
        },
    }
}
