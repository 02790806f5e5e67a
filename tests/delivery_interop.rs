//! Every delivery algorithm, proven against implementations that are not ours.
//!
//! smkms encrypts (the library's `deliver`, to keys made by OpenSSL); someone else
//! decrypts, and the plaintext must be exactly the message. Comparing plaintexts, not
//! just "no error", matters: gmssl does not check C3, and PKCS#1 v1.5 decrypters with
//! implicit rejection return random bytes instead of failing.
//!
//! | algorithm            | decrypted by                                              |
//! |----------------------|-----------------------------------------------------------|
//! | SM2 (raw C1C3C2)     | Python gmssl, npm sm-crypto, BouncyCastle                 |
//! | SM2_C1C3C2_ASN1      | OpenSSL CLI, BouncyCastle, pycryptodome DER + gmssl       |
//! | RSAES_*              | OpenSSL CLI, Python cryptography, SunJCE, BouncyCastle    |
//!
//! The GM/T 0003.5 Annex C vector goes through the same implementations, and so does
//! every valid case of every file in `test-vectors/`, by each implementation the file
//! names in `confirmedBy`: a file's claim is checked here, not just asserted.
//!
//! A missing tool fails the test (it never skips), with how to install it. Tools are
//! found through environment variables with defaults:
//! `SMKMS_OPENSSL` (openssl), `SMKMS_PYTHON` (<repo>/.venv/bin/python, with gmssl and
//! cryptography from tests/python/requirements.txt), `SMKMS_NODE` (node),
//! `SMKMS_NODE_MODULES` (<repo>/target/interop/node_modules, holding sm-crypto),
//! `SMKMS_JAVA`, `SMKMS_JAVAC` (java, javac) and `SMKMS_BCPROV`
//! (/usr/share/java/bcprov.jar). The helpers they run live in `tests/delivery_interop/`.

use serde_json::Value;
use smkms::crypto::deliver::{self, Algorithm};
use smkms::crypto::keyfile::pem_encode;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
/// Fresh SM2 key pairs per encoding, each used for every message size.
const SM2_KEYS: usize = 24;
const SM2_SIZES: [usize; 4] = [1, 16, 32, 1024];

// ---------------------------------------------------------------------------------------
// Tools

struct Tools {
    openssl: String,
    python: String,
    node: String,
    node_modules: PathBuf,
    java: String,
    javac: String,
    bcprov: PathBuf,
}

fn env_or(name: &str, default: impl Into<String>) -> String {
    std::env::var(name).unwrap_or_else(|_| default.into())
}

fn runs(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn find_tools() -> Result<Tools, String> {
    let t = Tools {
        openssl: env_or("SMKMS_OPENSSL", "openssl"),
        python: env_or("SMKMS_PYTHON", format!("{REPO}/.venv/bin/python")),
        node: env_or("SMKMS_NODE", "node"),
        node_modules: PathBuf::from(env_or(
            "SMKMS_NODE_MODULES",
            format!("{REPO}/target/interop/node_modules"),
        )),
        java: env_or("SMKMS_JAVA", "java"),
        javac: env_or("SMKMS_JAVAC", "javac"),
        bcprov: PathBuf::from(env_or("SMKMS_BCPROV", "/usr/share/java/bcprov.jar")),
    };
    let mut missing = Vec::new();
    let openssl_ok = Command::new(&t.openssl)
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"OpenSSL 3"));
    if !openssl_ok {
        missing.push(format!(
            "OpenSSL 3 CLI ({}; set SMKMS_OPENSSL): apt-get install openssl",
            t.openssl
        ));
    }
    if !runs(
        &t.python,
        &["-c", "import gmssl.sm2, cryptography, Cryptodome.Util.asn1"],
    ) {
        missing.push(format!(
            "Python with gmssl and cryptography ({}; set SMKMS_PYTHON): python3 -m venv .venv && \
             .venv/bin/pip install -r tests/python/requirements.txt",
            t.python
        ));
    }
    if !runs(&t.node, &["--version"]) || !t.node_modules.join("sm-crypto").is_dir() {
        missing.push(format!(
            "Node.js with sm-crypto ({} and {}; set SMKMS_NODE / SMKMS_NODE_MODULES): \
             apt-get install nodejs npm && npm install --prefix target/interop sm-crypto@0.3.13",
            t.node,
            t.node_modules.display()
        ));
    }
    if !runs(&t.javac, &["-version"]) || !runs(&t.java, &["-version"]) || !t.bcprov.is_file() {
        missing.push(format!(
            "a JDK and BouncyCastle ({}, {}, {}; set SMKMS_JAVA / SMKMS_JAVAC / SMKMS_BCPROV): \
             apt-get install default-jdk-headless libbcprov-java",
            t.java,
            t.javac,
            t.bcprov.display()
        ));
    }
    if missing.is_empty() {
        Ok(t)
    } else {
        Err(format!(
            "the interop tests need independent implementations that are missing:\n  - {}",
            missing.join("\n  - ")
        ))
    }
}

/// Tools, a scratch directory and the compiled Java helper, set up once per run.
struct Setup {
    tools: Tools,
    dir: PathBuf,
    java_classes: PathBuf,
    counter: Mutex<usize>,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Result<Setup, String>> = OnceLock::new();
    let s = SETUP.get_or_init(|| {
        let tools = find_tools()?;
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("delivery_interop");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let java_classes = dir.join("classes");
        let out = Command::new(&tools.javac)
            .arg("-nowarn")
            .arg("-cp")
            .arg(&tools.bcprov)
            .arg("-d")
            .arg(&java_classes)
            .arg(format!("{REPO}/tests/delivery_interop/Interop.java"))
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "javac failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(Setup {
            tools,
            dir,
            java_classes,
            counter: Mutex::new(0),
        })
    });
    match s {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

impl Setup {
    fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let n = {
            let mut c = self.counter.lock().unwrap();
            *c += 1;
            *c
        };
        let path = self.dir.join(format!("{n}-{name}"));
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn openssl(&self, args: &[&str]) -> Vec<u8> {
        let out = Command::new(&self.tools.openssl)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

// ---------------------------------------------------------------------------------------
// Keys and cases

/// A recipient key pair: the private key as a PEM file, and for SM2 the scalar in hex
/// (gmssl and sm-crypto take it that way).
struct Key {
    private_pem: PathBuf,
    d_hex: Option<String>,
}

struct Case {
    alg: Algorithm,
    key: Arc<Key>,
    msg: Vec<u8>,
    ct: Vec<u8>,
    what: String,
}

/// An SM2 key pair from `openssl genpkey -algorithm SM2`; returns it and its public PEM.
fn openssl_sm2_key(s: &Setup) -> (Arc<Key>, String) {
    let path = s.file("sm2.pem", b"");
    s.openssl(&[
        "genpkey",
        "-algorithm",
        "SM2",
        "-out",
        path.to_str().unwrap(),
    ]);
    let public = s.openssl(&["pkey", "-in", path.to_str().unwrap(), "-pubout"]);
    let text =
        String::from_utf8(s.openssl(&["pkey", "-in", path.to_str().unwrap(), "-text", "-noout"]))
            .unwrap();
    let priv_hex: String = text
        .split("priv:")
        .nth(1)
        .and_then(|t| t.split("pub:").next())
        .unwrap()
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect();
    let trimmed = priv_hex.trim_start_matches('0');
    let d_hex = format!("{trimmed:0>64}");
    assert_eq!(d_hex.len(), 64, "{text}");
    (
        Arc::new(Key {
            private_pem: path,
            d_hex: Some(d_hex),
        }),
        String::from_utf8(public).unwrap(),
    )
}

fn sm2_cases(s: &Setup, alg: Algorithm) -> Vec<Case> {
    let mut cases = Vec::new();
    for i in 0..SM2_KEYS {
        let (key, public) = openssl_sm2_key(s);
        let recipient = deliver::parse_public_key(&public).unwrap();
        for len in SM2_SIZES {
            let msg = smkms::crypto::random::bytes(len);
            let ct = deliver::deliver(&recipient, alg, &msg).unwrap();
            cases.push(Case {
                alg,
                key: key.clone(),
                msg,
                ct,
                what: format!("fresh key {i}, {len}-byte message"),
            });
        }
    }
    cases
}

const ANNEX_D: &str = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
const ANNEX_K: &str = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21";

/// Yields fixed bytes: the Annex C k, read by `deliver_with_rng` as its k.
struct Replay(Vec<u8>);

impl rand_core::RngCore for Replay {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.copy_from_slice(&self.0[..dest.len()]);
        self.0.drain(..dest.len());
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl rand_core::CryptoRng for Replay {}

fn annex_c_case(s: &Setup, alg: Algorithm) -> Case {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let d = sm2::SecretKey::from_slice(&hex::decode(ANNEX_D).unwrap()).unwrap();
    let pem = pem_encode("PRIVATE KEY", d.to_pkcs8_der().unwrap().as_bytes());
    let public = pem_encode(
        "PUBLIC KEY",
        d.public_key().to_public_key_der().unwrap().as_bytes(),
    );
    let recipient = deliver::parse_public_key(&public).unwrap();
    let msg = b"encryption standard".to_vec();
    let ct = deliver::deliver_with_rng(
        &recipient,
        alg,
        &msg,
        &mut Replay(hex::decode(ANNEX_K).unwrap()),
    )
    .unwrap();
    Case {
        alg,
        key: Arc::new(Key {
            private_pem: s.file("annex-c.pem", pem.as_bytes()),
            d_hex: Some(ANNEX_D.to_lowercase()),
        }),
        msg,
        ct,
        what: "GM/T 0003.5 Annex C".into(),
    }
}

fn rsa_cases(s: &Setup) -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, (bits, e, pkcs1)) in [
        (2048, "65537", false),
        (2048, "65537", true),
        (2048, "3", false),
        (3072, "65537", false),
        (4096, "65537", false),
    ]
    .into_iter()
    .enumerate()
    {
        let path = s.file("rsa.pem", b"");
        let p = path.to_str().unwrap();
        s.openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &format!("rsa_keygen_bits:{bits}"),
            "-pkeyopt",
            &format!("rsa_keygen_pubexp:{e}"),
            "-out",
            p,
        ]);
        let public = if pkcs1 {
            s.openssl(&["rsa", "-in", p, "-RSAPublicKey_out"])
        } else {
            s.openssl(&["pkey", "-in", p, "-pubout"])
        };
        let recipient = deliver::parse_public_key(std::str::from_utf8(&public).unwrap()).unwrap();
        let key = Arc::new(Key {
            private_pem: path,
            d_hex: None,
        });
        for alg in [
            Algorithm::RsaPkcs1V15,
            Algorithm::RsaOaepSha1,
            Algorithm::RsaOaepSha256,
        ] {
            let max = deliver::max_plaintext(&recipient, alg).unwrap();
            for len in [1, 16, 32, max] {
                let msg = smkms::crypto::random::bytes(len);
                let ct = deliver::deliver(&recipient, alg, &msg).unwrap();
                cases.push(Case {
                    alg,
                    key: key.clone(),
                    msg,
                    ct,
                    what: format!(
                        "key {i} ({bits} bits, e = {e}{}), {len}-byte message",
                        if pkcs1 { ", sent as PKCS#1" } else { "" }
                    ),
                });
            }
        }
    }
    cases
}

// ---------------------------------------------------------------------------------------
// The implementations

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Impl {
    OpenSsl,
    Gmssl,
    SmCrypto,
    BouncyCastle,
    PycaCryptography,
    SunJce,
}

impl Impl {
    /// As named in the vector files' `confirmedBy`.
    fn id(self) -> &'static str {
        match self {
            Impl::OpenSsl => "openssl",
            Impl::Gmssl => "gmssl",
            Impl::SmCrypto => "sm-crypto",
            Impl::BouncyCastle => "bouncycastle",
            Impl::PycaCryptography => "pyca-cryptography",
            Impl::SunJce => "sunjce",
        }
    }

    fn from_id(id: &str) -> Option<Impl> {
        [
            Impl::OpenSsl,
            Impl::Gmssl,
            Impl::SmCrypto,
            Impl::BouncyCastle,
            Impl::PycaCryptography,
            Impl::SunJce,
        ]
        .into_iter()
        .find(|i| i.id() == id)
    }

    /// Which implementations decrypt which algorithm here.
    fn for_alg(alg: Algorithm) -> &'static [Impl] {
        match alg {
            Algorithm::Sm2 => &[Impl::Gmssl, Impl::SmCrypto, Impl::BouncyCastle],
            Algorithm::Sm2C1C3C2Asn1 => &[Impl::OpenSsl, Impl::BouncyCastle, Impl::Gmssl],
            _ => &[
                Impl::OpenSsl,
                Impl::PycaCryptography,
                Impl::SunJce,
                Impl::BouncyCastle,
            ],
        }
    }
}

type Outcome = Result<Vec<u8>, String>;

/// Runs one implementation over `cases`, one outcome per case.
fn decrypt_all(s: &Setup, imp: Impl, cases: &[&Case]) -> Vec<Outcome> {
    if cases.is_empty() {
        return Vec::new();
    }
    if imp == Impl::OpenSsl {
        return cases.iter().map(|c| openssl_decrypt(s, c)).collect();
    }
    let input: String = cases
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {}\n",
                c.alg.name(),
                c.key.private_pem.display(),
                c.key.d_hex.as_deref().unwrap_or("-"),
                hex::encode(&c.ct)
            )
        })
        .collect();
    let helpers = format!("{REPO}/tests/delivery_interop");
    let mut cmd = match imp {
        Impl::Gmssl | Impl::PycaCryptography => {
            let mut c = Command::new(&s.tools.python);
            c.arg(format!("{helpers}/decrypt.py"))
                .arg(if imp == Impl::Gmssl {
                    "gmssl"
                } else {
                    "cryptography"
                });
            c
        }
        Impl::SmCrypto => {
            let mut c = Command::new(&s.tools.node);
            c.arg(format!("{helpers}/decrypt.js"))
                .env("NODE_PATH", &s.tools.node_modules);
            c
        }
        Impl::BouncyCastle | Impl::SunJce => {
            let mut c = Command::new(&s.tools.java);
            let cp = format!("{}:{}", s.java_classes.display(), s.tools.bcprov.display());
            c.arg("-cp").arg(cp).arg("Interop").arg(imp.id());
            c
        }
        Impl::OpenSsl => unreachable!(),
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", imp.id()));
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "{} helper failed: {}",
        imp.id(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let outcomes: Vec<Outcome> = text
        .lines()
        .map(|l| {
            if let Some(h) = l.strip_prefix("OK") {
                hex::decode(h.trim()).map_err(|_| format!("unreadable helper output {l:?}"))
            } else if let Some(why) = l.strip_prefix("ERR ") {
                Err(why.to_string())
            } else {
                Err(format!("unreadable helper output {l:?}"))
            }
        })
        .collect();
    assert_eq!(
        outcomes.len(),
        cases.len(),
        "{} answered {} of {} cases: {}",
        imp.id(),
        outcomes.len(),
        cases.len(),
        String::from_utf8_lossy(&out.stderr)
    );
    outcomes
}

fn openssl_decrypt(s: &Setup, c: &Case) -> Outcome {
    let ct = s.file("ct.bin", &c.ct);
    let mut args = vec![
        "pkeyutl".to_string(),
        "-decrypt".into(),
        "-inkey".into(),
        c.key.private_pem.display().to_string(),
        "-in".into(),
        ct.display().to_string(),
    ];
    let opts: &[&str] = match c.alg {
        Algorithm::Sm2C1C3C2Asn1 => &[],
        Algorithm::RsaPkcs1V15 => &["rsa_padding_mode:pkcs1"],
        Algorithm::RsaOaepSha1 => &[
            "rsa_padding_mode:oaep",
            "rsa_oaep_md:sha1",
            "rsa_mgf1_md:sha1",
        ],
        Algorithm::RsaOaepSha256 => &[
            "rsa_padding_mode:oaep",
            "rsa_oaep_md:sha256",
            "rsa_mgf1_md:sha256",
        ],
        Algorithm::Sm2 => return Err("OpenSSL decrypts the ASN.1 form only".into()),
    };
    for o in opts {
        args.push("-pkeyopt".into());
        args.push(o.to_string());
    }
    let out = Command::new(&s.tools.openssl).args(&args).output().unwrap();
    let _ = std::fs::remove_file(&ct);
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or("")
            .to_string())
    }
}

/// Runs every implementation for each case's algorithm over the cases, in parallel,
/// and returns the failures (an implementation that did not give back exactly `msg`)
/// and how many cases each implementation confirmed per algorithm.
fn confirm(
    s: &Setup,
    cases: &[Case],
    only: Option<&[Impl]>,
) -> (Vec<String>, BTreeMap<(Impl, &'static str), usize>) {
    let mut jobs: BTreeMap<Impl, Vec<&Case>> = BTreeMap::new();
    for c in cases {
        for &imp in Impl::for_alg(c.alg) {
            if only.map_or(true, |o| o.contains(&imp)) {
                jobs.entry(imp).or_default().push(c);
            }
        }
    }
    let results: Vec<(Impl, Vec<&Case>, Vec<Outcome>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|(imp, cs)| {
                scope.spawn(move || {
                    let out = decrypt_all(s, imp, &cs);
                    (imp, cs, out)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut failures = Vec::new();
    let mut counts = BTreeMap::new();
    for (imp, cs, outs) in results {
        for (c, o) in cs.iter().zip(outs) {
            match o {
                Ok(m) if m == c.msg => *counts.entry((imp, c.alg.name())).or_insert(0) += 1,
                Ok(m) => failures.push(format!(
                    "{} {} {}: decrypted to {} bytes that are not the message",
                    imp.id(),
                    c.alg.name(),
                    c.what,
                    m.len()
                )),
                Err(e) => failures.push(format!("{} {} {}: {e}", imp.id(), c.alg.name(), c.what)),
            }
        }
    }
    (failures, counts)
}

fn report(title: &str, failures: &[String], counts: &BTreeMap<(Impl, &'static str), usize>) {
    eprintln!("{title}:");
    for ((imp, alg), n) in counts {
        eprintln!("  {:<18} {alg:<20} {n} confirmed", imp.id());
    }
    assert!(
        failures.is_empty(),
        "{title}: {} disagreements:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// Every case of `alg` confirmed by every implementation for it, at least two of them.
fn assert_all_confirmed(
    cases: &[Case],
    alg: Algorithm,
    counts: &BTreeMap<(Impl, &'static str), usize>,
) {
    let n = cases.iter().filter(|c| c.alg == alg).count();
    let imps = Impl::for_alg(alg);
    assert!(imps.len() >= 2);
    for &imp in imps {
        assert_eq!(
            counts.get(&(imp, alg.name())).copied().unwrap_or(0),
            n,
            "{} confirmed fewer than all {n} {} cases",
            imp.id(),
            alg.name()
        );
    }
}

// ---------------------------------------------------------------------------------------
// The tests

#[test]
fn sm2_raw_decrypts_in_gmssl_sm_crypto_and_bouncycastle() {
    let s = setup();
    let mut cases = sm2_cases(s, Algorithm::Sm2);
    cases.push(annex_c_case(s, Algorithm::Sm2));
    let (failures, counts) = confirm(s, &cases, None);
    report("SM2 raw", &failures, &counts);
    assert_all_confirmed(&cases, Algorithm::Sm2, &counts);
}

#[test]
fn sm2_asn1_decrypts_in_openssl_bouncycastle_and_gmssl() {
    let s = setup();
    let mut cases = sm2_cases(s, Algorithm::Sm2C1C3C2Asn1);
    cases.push(annex_c_case(s, Algorithm::Sm2C1C3C2Asn1));
    let (failures, counts) = confirm(s, &cases, None);
    report("SM2 ASN.1", &failures, &counts);
    assert_all_confirmed(&cases, Algorithm::Sm2C1C3C2Asn1, &counts);
}

#[test]
fn rsa_decrypts_in_openssl_cryptography_sunjce_and_bouncycastle() {
    let s = setup();
    let cases = rsa_cases(s);
    let (failures, counts) = confirm(s, &cases, None);
    report("RSA", &failures, &counts);
    for alg in [
        Algorithm::RsaPkcs1V15,
        Algorithm::RsaOaepSha1,
        Algorithm::RsaOaepSha256,
    ] {
        assert_all_confirmed(&cases, alg, &counts);
    }
}

/// The delivery vector files. The CiphertextBlob and SM4 files are confirmed by
/// `tests/vectors.rs`, with the implementations they name.
fn vector_files() -> Vec<(String, Value)> {
    let dir = Path::new(REPO).join("test-vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), v)
        })
        .filter(|(_, v)| {
            v["schema"]
                .as_str()
                .is_some_and(|s| s.starts_with("smkms delivery vectors"))
        })
        .collect()
}

/// Each vector file names the implementations that confirmed it; here each of them
/// decrypts every valid case. Invalid cases are only reported: some implementations
/// accept what the files call invalid (that is the point of publishing them), and
/// `tests/vectors.rs` is where smkms's own refusals are checked.
#[test]
fn vector_files_are_confirmed_by_the_implementations_they_name() {
    let s = setup();
    let files = vector_files();
    assert!(files.len() >= 5, "expected the five delivery vector files");
    for (name, file) in files {
        let alg = Algorithm::parse(file["algorithm"].as_str()).unwrap();
        let named: Vec<Impl> = file["confirmedBy"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no confirmedBy"))
            .iter()
            .map(|c| {
                let id = c["id"].as_str().unwrap();
                Impl::from_id(id).unwrap_or_else(|| panic!("{name}: unknown implementation {id}"))
            })
            .collect();
        assert!(named.len() >= 2, "{name}: fewer than two confirmations");
        let mut valid = Vec::new();
        let mut invalid = Vec::new();
        let mut invalid_flags = Vec::new();
        for g in file["testGroups"].as_array().unwrap() {
            let key = Arc::new(Key {
                private_pem: s.file(
                    "vector.pem",
                    g["privateKeyPem"].as_str().unwrap().as_bytes(),
                ),
                d_hex: g["privateKeyHex"].as_str().map(str::to_string),
            });
            for t in g["tests"].as_array().unwrap() {
                let case = Case {
                    alg,
                    key: key.clone(),
                    msg: hex::decode(t["msg"].as_str().unwrap()).unwrap(),
                    ct: hex::decode(t["ct"].as_str().unwrap()).unwrap(),
                    what: format!("{name} tcId {}", t["tcId"]),
                };
                match t["result"].as_str() {
                    Some("valid") => valid.push(case),
                    Some("invalid") => {
                        invalid_flags.push(t["flags"].to_string());
                        invalid.push(case);
                    }
                    other => panic!("{name}: result {other:?}"),
                }
            }
        }
        for imp in &named {
            assert!(
                Impl::for_alg(alg).contains(imp),
                "{name}: {} cannot decrypt {}",
                imp.id(),
                alg.name()
            );
        }
        let (failures, counts) = confirm(s, &valid, Some(&named));
        report(&format!("{name} (valid cases)"), &failures, &counts);
        for imp in &named {
            assert_eq!(
                counts.get(&(*imp, alg.name())).copied(),
                Some(valid.len()),
                "{name}"
            );
        }
        // Which invalid cases some independent implementation still turns into msg.
        let refs: Vec<&Case> = invalid.iter().collect();
        for &imp in &named {
            for ((c, flags), o) in invalid
                .iter()
                .zip(&invalid_flags)
                .zip(decrypt_all(s, imp, &refs))
            {
                if o.as_deref() == Ok(&c.msg[..]) {
                    eprintln!("  note: {} accepts {} {flags}", imp.id(), c.what);
                }
            }
        }
    }
}
