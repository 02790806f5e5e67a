//! CiphertextBlob v1 vectors (`ciphertext_blob_v1.json`): blobs sealed under CMKs of
//! each cipher, checked with the server's Decrypt steps.

use rand_core::RngCore;
use serde_json::{json, Value};
use smkms::crypto::blob;
use smkms::crypto::cmk::{self, CmkCipher};
use smkms::crypto::context;
use smkms::crypto::secret::SecretBytes;

use crate::{hexs, random_msg, rng, used_notes, GENERATOR};

/// One CMK as a vector group sees it: its cipher, id and every material version.
struct BlobCmk {
    cipher: CmkCipher,
    key_id: uuid::Uuid,
    versions: Vec<(u32, SecretBytes)>,
}

impl BlobCmk {
    fn material(&self, version: u32) -> Option<&SecretBytes> {
        self.versions
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, m)| m)
    }

    /// What Decrypt does with a blob and the EncryptionContext it is given
    /// (kms/crypt.rs): decode strictly, find the CMK the blob names and its version
    /// (another key id answers as if it did not exist), require the CMK's cipher, open
    /// with the canonical context as AAD. `None` for every refusal.
    fn decrypt(&self, blob_bytes: &[u8], context: Option<&str>) -> Option<Vec<u8>> {
        let (header, ct) = blob::decode(blob_bytes).ok()?;
        if header.key_id != self.key_id || header.cipher != self.cipher {
            return None;
        }
        let material = self.material(header.key_version)?;
        let ctx = context::canonical(context).ok()?;
        blob::open(&header, material, &ctx, ct)
            .ok()
            .map(|m| m.expose().to_vec())
    }
}

/// One blob test before it becomes JSON.
struct BlobTest {
    comment: String,
    flags: Vec<&'static str>,
    /// The material version the blob was sealed under.
    key_version: u32,
    nonce: [u8; 12],
    /// The EncryptionContext presented to Decrypt, as the caller writes it.
    context: Option<String>,
    msg: Vec<u8>,
    blob: Vec<u8>,
    valid: bool,
}

fn blob_seal(
    key: &BlobCmk,
    version: u32,
    nonce: [u8; 12],
    context: Option<&str>,
    msg: &[u8],
) -> Vec<u8> {
    let header = blob::Header {
        cipher: key.cipher,
        key_id: key.key_id,
        key_version: version,
        nonce,
    };
    let ctx = context::canonical(context).expect("the generator's contexts are valid");
    blob::seal(&header, key.material(version).unwrap(), &ctx, msg)
}

fn blob_cmk(cipher: CmkCipher) -> BlobCmk {
    let mut r = rng(&format!("blob key {}", cipher.name()));
    let mut id = [0u8; 16];
    r.fill_bytes(&mut id);
    // Versions 1 and 2 as rotation makes them, and 258 (00 00 01 02) so that the
    // big-endian byte order of key_ver shows.
    let versions = [1u32, 2, 258]
        .into_iter()
        .map(|v| (v, SecretBytes::new(random_msg(&mut r, cipher.key_len()))))
        .collect();
    BlobCmk {
        cipher,
        key_id: uuid::Builder::from_random_bytes(id).into_uuid(),
        versions,
    }
}

/// Keys out of order, whitespace everywhere (spaces, a tab, newlines).
const CTX_MESSY: &str = " {\n  \"tenant\" : \"acme\",\t\"app\":\"billing\" ,\"env\": \"prod\" }\n";
/// The same context in canonical form.
const CTX_CANONICAL: &str = r#"{"app":"billing","env":"prod","tenant":"acme"}"#;
/// Keys whose UTF-8 byte order differs from UTF-16 code-unit order (U+FF41 sorts before
/// U+1F600 in UTF-8, after it in UTF-16) and from code-point-agnostic case folding.
const CTX_NON_ASCII: &str =
    r#"{"z":"1","é":"2","Z":"3","中文":"值","a":"4","ａ":"fullwidth a","😀":"emoji"}"#;
/// JSON escapes in the input: \u escapes of non-ASCII (written raw in canonical form)
/// and a quote, a backslash, a newline and a tab in a value (kept as escapes).
const CTX_ESCAPES: &str = r#"{"q":"a \"quoted\" \\ back\nslash\tend","caf\u00e9":"\u4e2d"}"#;

fn blob_tests(key: &BlobCmk) -> Vec<BlobTest> {
    let mut r = rng(&format!("blob tests {}", key.cipher.name()));
    let mut nonce = || {
        let mut n = [0u8; 12];
        r.fill_bytes(&mut n);
        n
    };
    let mut out = Vec::new();
    let mut valid = |comment: String,
                     flags: &[&'static str],
                     version: u32,
                     nonce: [u8; 12],
                     context: Option<&str>,
                     msg: Vec<u8>| {
        let blob = blob_seal(key, version, nonce, context, &msg);
        out.push(BlobTest {
            comment,
            flags: flags.to_vec(),
            key_version: version,
            nonce,
            context: context.map(str::to_string),
            msg,
            blob,
            valid: true,
        });
    };
    let mut m = rng(&format!("blob messages {}", key.cipher.name()));
    for len in [1usize, 16, 32, 1024, 4096] {
        valid(
            format!("{len}-byte plaintext, no EncryptionContext"),
            &["MessageSize", "NoContext"],
            1,
            nonce(),
            None,
            random_msg(&mut m, len),
        );
    }
    let msg = random_msg(&mut m, 32);
    for (ctx, what) in [
        ("", "the empty string"),
        ("{}", "{}"),
        (" { } ", "{} with whitespace"),
    ] {
        valid(
            format!("EncryptionContext {what}: the same as none (nothing is bound)"),
            &["EmptyContext"],
            1,
            nonce(),
            Some(ctx),
            msg.clone(),
        );
    }
    // The same blob opened with the context in canonical form and written messily.
    let n = nonce();
    valid(
        "EncryptionContext already in canonical form".into(),
        &["Context"],
        1,
        n,
        Some(CTX_CANONICAL),
        msg.clone(),
    );
    valid(
        "the same blob with the context's keys out of order and whitespace around everything"
            .into(),
        &["ContextOrder"],
        1,
        n,
        Some(CTX_MESSY),
        msg.clone(),
    );
    valid(
        "non-ASCII keys: sorted by UTF-8 bytes (Z a z é 中文 ａ 😀), not UTF-16 code units".into(),
        &["NonAsciiKeys"],
        1,
        nonce(),
        Some(CTX_NON_ASCII),
        msg.clone(),
    );
    valid(
        "JSON escapes: \\u00e9 and \\u4e2d become UTF-8; a quote, backslash, newline and tab stay escaped"
            .into(),
        &["ContextEscapes"],
        1,
        nonce(),
        Some(CTX_ESCAPES),
        msg.clone(),
    );
    for v in [2u32, 258] {
        valid(
            format!(
                "sealed under material version {v} of the same CMK (key_ver {:08x})",
                v
            ),
            &["KeyVersion"],
            v,
            nonce(),
            Some(CTX_CANONICAL),
            msg.clone(),
        );
    }

    // Tampered and malformed blobs. The base: version 2, the canonical context, 32 bytes.
    let base_nonce = nonce();
    let base = blob_seal(key, 2, base_nonce, Some(CTX_CANONICAL), &msg);
    let mut bad = |comment: String, flags: &[&'static str], blob: Vec<u8>, ctx: Option<&str>| {
        out.push(BlobTest {
            comment,
            flags: flags.to_vec(),
            key_version: 2,
            nonce: base_nonce,
            context: ctx.map(str::to_string),
            msg: msg.clone(),
            blob,
            valid: false,
        });
    };
    let with = |i: usize, f: &dyn Fn(u8) -> u8| {
        let mut b = base.clone();
        b[i] = f(b[i]);
        b
    };
    let ctx = Some(CTX_CANONICAL);
    for v in [0u8, 2] {
        bad(
            format!("version byte {v} (only 1 exists)"),
            &["BadVersion"],
            with(0, &|_| v),
            ctx,
        );
    }
    for c in [0u8, 3] {
        bad(
            format!("cipher byte {c} (only 1 and 2 exist)"),
            &["BadCipher"],
            with(1, &|_| c),
            ctx,
        );
    }
    let other = 3 - key.cipher as u8;
    bad(
        format!("cipher byte {other}, the other cipher: not this CMK's"),
        &["OtherCipher"],
        with(1, &|_| other),
        ctx,
    );
    bad(
        "key_id with its last bit flipped: names a CMK that does not exist".into(),
        &["ModifiedKeyId"],
        with(17, &|b| b ^ 1),
        ctx,
    );
    bad(
        "key_id with its first bit flipped".into(),
        &["ModifiedKeyId"],
        with(2, &|b| b ^ 0x80),
        ctx,
    );
    let set_version = |v: u32| {
        let mut b = base.clone();
        b[18..22].copy_from_slice(&v.to_be_bytes());
        b
    };
    bad(
        "key_ver 2 changed to 1, another existing version of the same CMK".into(),
        &["ModifiedKeyVersion"],
        set_version(1),
        ctx,
    );
    bad(
        "key_ver 2 changed to 3, a version that does not exist".into(),
        &["ModifiedKeyVersion"],
        set_version(3),
        ctx,
    );
    bad(
        "key_ver 2 written little-endian (02 00 00 00)".into(),
        &["ModifiedKeyVersion"],
        set_version(0x0200_0000),
        ctx,
    );
    bad(
        "key_ver 0 (versions start at 1)".into(),
        &["ZeroKeyVersion"],
        set_version(0),
        ctx,
    );
    bad(
        "nonce with its first bit flipped".into(),
        &["ModifiedNonce"],
        with(22, &|b| b ^ 1),
        ctx,
    );
    bad(
        "nonce with its last byte changed".into(),
        &["ModifiedNonce"],
        with(blob::HEADER_LEN - 1, &|b| b.wrapping_add(1)),
        ctx,
    );
    bad(
        "first ciphertext byte flipped".into(),
        &["ModifiedCiphertext"],
        with(blob::HEADER_LEN, &|b| b ^ 0xff),
        ctx,
    );
    bad(
        "last ciphertext byte flipped".into(),
        &["ModifiedCiphertext"],
        with(base.len() - 17, &|b| b ^ 0x01),
        ctx,
    );
    bad(
        "first tag byte flipped".into(),
        &["ModifiedTag"],
        with(base.len() - 16, &|b| b ^ 0x01),
        ctx,
    );
    bad(
        "last tag bit flipped".into(),
        &["ModifiedTag"],
        with(base.len() - 1, &|b| b ^ 0x80),
        ctx,
    );
    let mut zero_tag = base.clone();
    let len = zero_tag.len();
    zero_tag[len - 16..].fill(0);
    bad("tag all zeros".into(), &["ModifiedTag"], zero_tag, ctx);
    let h = blob::HEADER_LEN;
    for (n, what) in [
        (0, "empty".to_string()),
        (h, format!("the {h}-byte header only")),
        (h + 15, "header and 15 bytes (shorter than a tag)".into()),
        (
            h + 16,
            "header and 16 bytes (a tag's length, nothing encrypted)".into(),
        ),
        (base.len() - 1, "the last byte removed".into()),
    ] {
        bad(
            format!("truncated: {what}"),
            &["Truncated"],
            base[..n].to_vec(),
            ctx,
        );
    }
    bad(
        "a zero byte appended".into(),
        &["TrailingBytes"],
        [&base[..], &[0u8][..]].concat(),
        ctx,
    );
    bad(
        "the blob twice".into(),
        &["TrailingBytes"],
        [&base[..], &base[..]].concat(),
        ctx,
    );
    // A correctly authenticated blob one byte longer than the format allows: only the
    // length check refuses it.
    let long_msg = random_msg(&mut m, blob::MAX_PLAINTEXT + 1);
    let header = blob::Header {
        cipher: key.cipher,
        key_id: key.key_id,
        key_version: 2,
        nonce: base_nonce,
    };
    let hb = header.to_bytes();
    let canon = context::canonical(ctx).unwrap();
    let too_long = [
        &hb[..],
        &cmk::seal(
            key.cipher,
            key.material(2).unwrap(),
            &base_nonce,
            &[&hb[..], &canon[..]].concat(),
            &long_msg,
        ),
    ]
    .concat();
    bad(
        format!(
            "an authentic blob of a {}-byte plaintext, one more than a blob carries",
            long_msg.len()
        ),
        &["TooLong"],
        too_long,
        ctx,
    );
    for (c, what) in [
        (
            Some(r#"{"app":"billing","env":"dev","tenant":"acme"}"#),
            "a value changed (env prod → dev)",
        ),
        (None, "no EncryptionContext"),
        (Some("{}"), "the empty context {}"),
        (
            Some(r#"{"app":"billing","env":"prod","tenant":"acme","x":""}"#),
            "an extra key (with an empty value)",
        ),
        (
            Some(r#"{"app":"billing","env":"prod"}"#),
            "a key missing (tenant)",
        ),
        (
            Some(r#"{"App":"billing","env":"prod","tenant":"acme"}"#),
            "a key's case changed (app → App)",
        ),
        (
            Some(r#"{"app":"billing ","env":"prod","tenant":"acme"}"#),
            "whitespace inside a value (billing → \"billing \")",
        ),
    ] {
        bad(
            format!("sealed with {CTX_CANONICAL}, opened with {what}"),
            &["WrongContext"],
            base.clone(),
            c,
        );
    }
    // And the other way round: sealed without a context, opened with one.
    let plain_nonce = nonce();
    let plain = blob_seal(key, 2, plain_nonce, None, &msg);
    out.push(BlobTest {
        comment: "sealed without an EncryptionContext, opened with {\"app\":\"billing\"}".into(),
        flags: vec!["WrongContext"],
        key_version: 2,
        nonce: plain_nonce,
        context: Some(r#"{"app":"billing"}"#.into()),
        msg: msg.clone(),
        blob: plain,
        valid: false,
    });
    out
}

fn blob_cipher_name(c: CmkCipher) -> &'static str {
    match c {
        CmkCipher::Sm4Gcm => "SM4-GCM",
        CmkCipher::Aes256Gcm => "AES-256-GCM",
    }
}

pub(crate) fn blob_file() -> Value {
    let mut tc = 0;
    let mut groups = Vec::new();
    for cipher in [CmkCipher::Sm4Gcm, CmkCipher::Aes256Gcm] {
        let key = blob_cmk(cipher);
        let tests: Vec<Value> = blob_tests(&key)
            .into_iter()
            .map(|t| {
                tc += 1;
                let canonical = context::canonical(t.context.as_deref())
                    .expect("the generator's contexts are valid");
                let opened = key.decrypt(&t.blob, t.context.as_deref());
                match (&opened, t.valid) {
                    (Some(m), true) if *m == t.msg => {}
                    (None, false) => {}
                    _ => panic!(
                        "CiphertextBlob tcId {tc}: valid={} but decrypt gave {opened:?}",
                        t.valid
                    ),
                }
                let mut v = json!({
                    "tcId": tc,
                    "comment": t.comment,
                    "flags": t.flags,
                    "keyVersion": t.key_version,
                    "key": hexs(key.material(t.key_version).unwrap().expose()),
                    "nonce": hexs(&t.nonce),
                    "encryptionContext": t.context,
                    "canonicalContext": String::from_utf8(canonical.clone()).unwrap(),
                    "msg": hexs(&t.msg),
                    "blob": hexs(&t.blob),
                    "result": if t.valid { "valid" } else { "invalid" },
                });
                if t.valid {
                    v["aad"] = json!(hexs(
                        &[&t.blob[..blob::HEADER_LEN], &canonical[..]].concat()
                    ));
                }
                v
            })
            .collect();
        groups.push(json!({
            "type": "CiphertextBlobDecrypt",
            "comment": format!("A CMK with {} material, three versions", blob_cipher_name(cipher)),
            "cipher": blob_cipher_name(cipher),
            "cipherByte": cipher as u8,
            "keySize": cipher.key_len() * 8,
            "keyId": key.key_id.to_string(),
            "keys": key.versions.iter().map(|(v, m)| json!({"keyVersion": v, "key": hexs(m.expose())})).collect::<Vec<_>>(),
            "tests": tests,
        }));
    }
    let notes = json!({
        "MessageSize": "Plaintexts of 1, 16, 32, 1024 and 4096 bytes (4096 is the most a blob carries).",
        "NoContext": "No EncryptionContext: the AAD is the 34-byte header alone.",
        "EmptyContext": "An empty string or empty object: the same as no context (canonical form empty, nothing bound).",
        "Context": "An EncryptionContext already in canonical form.",
        "ContextOrder": "Keys out of order and whitespace around tokens: the canonical form sorts and compacts, so the blob is the one sealed with the canonical text.",
        "NonAsciiKeys": "Non-ASCII keys, sorted by their UTF-8 bytes. U+FF41 sorts before U+1F600 here; sorting UTF-16 code units (Java, JavaScript) puts them the other way round.",
        "ContextEscapes": "JSON escapes in the input. \\u escapes of non-ASCII characters are written as raw UTF-8 in canonical form; a quote, a backslash and control characters stay escaped (\\\", \\\\, \\n, \\t).",
        "KeyVersion": "Sealed under a later material version of the same CMK: 2, and 258 (key_ver 00000102, big-endian).",
        "BadVersion": "The version byte is not 1.",
        "BadCipher": "The cipher byte is neither 1 (SM4-GCM) nor 2 (AES-256-GCM).",
        "OtherCipher": "The cipher byte names the other cipher, not the CMK's.",
        "ModifiedKeyId": "key_id changed: the blob names a CMK that does not exist (and the header is bound as AAD).",
        "ModifiedKeyVersion": "key_ver changed: another existing version (its material does not open the blob), one that does not exist, or the right number in the wrong byte order.",
        "ZeroKeyVersion": "key_ver 0: versions start at 1.",
        "ModifiedNonce": "A nonce byte changed.",
        "ModifiedCiphertext": "A ciphertext byte changed.",
        "ModifiedTag": "A tag byte changed.",
        "Truncated": "Shorter than a blob can be (34-byte header, at least 1 byte of ciphertext, 16-byte tag), or a byte short.",
        "TrailingBytes": "Bytes after the tag.",
        "TooLong": "Longer than a blob can be (header + 4096 + 16 bytes), even though authentic.",
        "WrongContext": "Opened with an EncryptionContext whose canonical form differs from the one it was sealed with.",
    });
    let notes = used_notes(&notes, &groups);
    json!({
        "algorithm": "CiphertextBlob v1",
        "schema": "smkms CiphertextBlob vectors v1 (test-vectors/README.md)",
        "generatorVersion": GENERATOR,
        "numberOfTests": tc,
        "header": [
            "CiphertextBlob v1, what Encrypt and GenerateDataKey return (DESIGN §2): version u8 = 1 ‖ cipher u8 (1 = SM4-GCM, 2 = AES-256-GCM) ‖ key_id 16 bytes (the CMK's UUID) ‖ key_ver u32 big-endian ‖ nonce 12 bytes ‖ ciphertext ‖ 16-byte tag. AAD = the 34 header bytes ‖ the canonical EncryptionContext.",
            "Canonical EncryptionContext: the JSON object's keys sorted by their UTF-8 bytes, compact serialisation (no whitespace, non-ASCII as raw UTF-8, only \", \\ and control characters escaped); empty when the context is absent, empty or {}.",
            "Each test is a Decrypt: decode the blob strictly (34 + 1 + 16 to 34 + 4096 + 16 bytes, version 1, cipher 1 or 2, key_ver not 0), look up the group's CMK by key_id and the material by key_ver (none: refuse), require the CMK's cipher, and open with AAD = header ‖ canonical(encryptionContext). A valid blob gives msg; an invalid one must be refused, all with the same error.",
            "key, nonce and msg are also given per test: key is the material of keyVersion, the version the blob was sealed under.",
        ],
        "notes": notes,
        "confirmedBy": [
            {"id": "pyca-cryptography", "implementation": "Python cryptography 50.0.2 (OpenSSL 4.0.3)", "ciphers": ["SM4-GCM", "AES-256-GCM"], "how": "AESGCM(key) and Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)) open every valid blob to msg and re-seal msg to the same blob; the canonical context recomputed with json.loads / json.dumps(sort by UTF-8, ensure_ascii=False, separators=(',', ':')); every invalid case refused"},
            {"id": "pycryptodomex", "implementation": "Python pycryptodomex 3.24.2", "ciphers": ["AES-256-GCM"], "how": "AES.new(key, AES.MODE_GCM, nonce).decrypt_and_verify, and encrypt_and_digest to the same blob"},
            {"id": "gmssl-gcm", "implementation": "Python gmssl 3.2.2 SM4 block cipher with GCM (NIST SP 800-38D) written in tests/vectors/confirm.py", "ciphers": ["SM4-GCM"], "how": "CryptSM4.one_round as the block cipher under a GHASH/GCTR written from SP 800-38D, independent of OpenSSL and of RustCrypto"},
        ],
        "testGroups": groups,
    })
}
