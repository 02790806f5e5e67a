//! Data-key delivery, every algorithm, next to the `sm2` crate's own SM2 encryption.
//!
//! One criterion group, `delivery`, so that the baseline and our paths are measured in
//! the same run on the same machine state:
//!
//! - `sm2-0.14-encrypt`: `sm2` 0.14's `pke::EncryptingKey::encrypt` (default features,
//!   so its precomputed basepoint table is on), the baseline the issue names;
//! - `textbook-0.13`: `crypto::sm2::encrypt_reference`, the standard's steps on the
//!   0.13 arithmetic we build on (two generic multiplications including `[h]P`, two
//!   inversions);
//! - `SM2/fresh`: `deliver` to a parsed key without a table (a key seen once);
//! - `SM2/repeated`, `SM2_C1C3C2_ASN1/repeated`: `deliver_to` a recipient holding its
//!   precomputed table (a key that came back);
//! - the three RSA paddings to a repeated RSA-2048 key, and `rsa-0.9-encrypt`: the `rsa`
//!   crate's own OAEP-SHA-256 `encrypt` to the same key, which `crypto::rsaes` replaced.
//!
//! Every delivery encrypts a 32-byte data key (GenerateDataKey's AES_256 size) with a
//! fresh k from the OS CSPRNG, as the server does. After the group, the speed-ups over
//! the baseline are computed from this run's criterion estimates and printed.
//!
//! `cargo bench -j1 --bench delivery -- --warm-up-time 1 --measurement-time 3`

use criterion::{black_box, Criterion};
use rand_core::OsRng;
use smkms::crypto::deliver::{self, Algorithm, Recipient};
use smkms::crypto::keyfile::pem_encode;
use smkms::crypto::sm2 as pke;
use std::path::PathBuf;
use std::time::SystemTime;

const GROUP: &str = "delivery";
const BASELINE: &str = "sm2-0.14-encrypt";
const RSA_BASELINE: &str = "rsa-0.9-encrypt";
const RSA2048_PUB: &str = include_str!("../src/crypto/deliver/testdata/rsa2048.pub");
const DATA_KEY: [u8; 32] = [0x5a; 32];

fn sm2_pem(p: &sm2::PublicKey) -> String {
    use sm2::pkcs8::EncodePublicKey;
    pem_encode("PUBLIC KEY", p.to_public_key_der().unwrap().as_bytes())
}

fn bench(c: &mut Criterion) {
    let d = sm2::SecretKey::random(&mut OsRng);
    let p = d.public_key();
    let parsed = deliver::parse_public_key(&sm2_pem(&p)).unwrap();
    let fresh = Recipient::new(parsed.clone());
    let repeated = Recipient::precomputed(parsed.clone());
    assert!(repeated.has_table() && !fresh.has_table());
    let theirs = sm2_014::pke::EncryptingKey::from_sec1_bytes(p.to_sec1_bytes().as_ref()).unwrap();
    let rsa = Recipient::precomputed(deliver::parse_public_key(RSA2048_PUB).unwrap());

    let mut g = c.benchmark_group(GROUP);
    g.bench_function(BASELINE, |b| {
        let mut rng = sm2_014::elliptic_curve::common::getrandom::SysRng;
        b.iter(|| theirs.encrypt(&mut rng, black_box(&DATA_KEY)).unwrap())
    });
    g.bench_function("textbook-0.13", |b| {
        b.iter(|| pke::encrypt_reference(&p, black_box(&DATA_KEY), &mut OsRng).to_raw())
    });
    g.bench_function("SM2/fresh", |b| {
        b.iter(|| deliver::deliver(&parsed, Algorithm::Sm2, black_box(&DATA_KEY)).unwrap())
    });
    g.bench_function("SM2_C1C3C2_ASN1/fresh", |b| {
        b.iter(|| {
            deliver::deliver(&parsed, Algorithm::Sm2C1C3C2Asn1, black_box(&DATA_KEY)).unwrap()
        })
    });
    let rsa_crate = {
        use rsa::pkcs8::DecodePublicKey;
        rsa::RsaPublicKey::from_public_key_pem(RSA2048_PUB).unwrap()
    };
    g.bench_function(RSA_BASELINE, |b| {
        let oaep = || rsa::Oaep::new::<sha2::Sha256>();
        b.iter(|| {
            rsa_crate
                .encrypt(&mut OsRng, oaep(), black_box(&DATA_KEY))
                .unwrap()
        })
    });
    for alg in Algorithm::ALL {
        let r = if alg.is_sm2() { &repeated } else { &rsa };
        g.bench_function(format!("{}/repeated", alg.name()), |b| {
            b.iter(|| deliver::deliver_to(r, alg, black_box(&DATA_KEY)).unwrap())
        });
    }
    g.finish();
}

/// The parts of one SM2 encryption, on the 0.13 arithmetic: the crate's variable-base
/// `P * k`, fixed-base tables at row spacings 1 (the generator's), 2 (a recipient
/// key's) and 4, and affine conversion of one point versus two with one batched
/// inversion.
fn parts(c: &mut Criterion) {
    use sm2::elliptic_curve::{BatchNormalize, Field, Group};
    use smkms::crypto::sm2::fast;
    let mut g = c.benchmark_group("sm2_parts");
    let k = sm2::Scalar::random(&mut OsRng);
    let p = sm2::ProjectivePoint::GENERATOR * sm2::Scalar::random(&mut OsRng);
    g.bench_function("crate-P*k", |b| b.iter(|| black_box(p) * black_box(k)));
    for spacing in [1, 2, 4] {
        let t = fast::FixedBase::new(&p, spacing);
        g.bench_function(format!("fixed-base/spacing-{spacing}"), |b| {
            b.iter(|| t.mul(black_box(&k)))
        });
    }
    let q = p.double();
    g.bench_function("to_affine-1", |b| b.iter(|| black_box(p).to_affine()));
    g.bench_function("batch_normalize-2", |b| {
        b.iter(|| sm2::ProjectivePoint::batch_normalize(black_box(&[p, q])))
    });
    g.finish();
}

/// Where criterion writes its estimates, found the way criterion finds it.
fn criterion_home() -> PathBuf {
    if let Some(h) = std::env::var_os("CRITERION_HOME") {
        return h.into();
    }
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(t).join("criterion");
    }
    let metadata = std::env::var_os("CARGO").and_then(|cargo| {
        let out = std::process::Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .output()
            .ok()?;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        Some(PathBuf::from(v["target_directory"].as_str()?).join("criterion"))
    });
    metadata.unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// This run's mean time of one benchmark in ns, if it ran in this process.
fn estimate(home: &std::path::Path, id: &str, since: SystemTime) -> Option<f64> {
    let dir = id.replace(['?', '"', '/', '\\', '*', '<', '>', ':', '|', '^'], "_");
    let path = home.join(GROUP).join(dir).join("new/estimates.json");
    let fresh = std::fs::metadata(&path).ok()?.modified().ok()? >= since;
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    fresh
        .then(|| v["mean"]["point_estimate"].as_f64())
        .flatten()
}

fn print_ratios(since: SystemTime) {
    let home = criterion_home();
    let sm2 = [
        "textbook-0.13",
        "SM2/repeated",
        "SM2/fresh",
        "SM2_C1C3C2_ASN1/repeated",
        "SM2_C1C3C2_ASN1/fresh",
    ];
    let rsa = [
        "RSAES_OAEP_SHA_256/repeated",
        "RSAES_OAEP_SHA_1/repeated",
        "RSAES_PKCS1_V1_5/repeated",
    ];
    for (baseline, ids) in [(BASELINE, &sm2[..]), (RSA_BASELINE, &rsa[..])] {
        let Some(base) = estimate(&home, baseline, since) else {
            continue;
        };
        println!(
            "\nspeed-up over {baseline} ({:.1} µs), this run:",
            base / 1e3
        );
        for id in ids {
            if let Some(t) = estimate(&home, id, since) {
                println!("  {id:<28} {:>8.1} µs   {:.2}×", t / 1e3, base / t);
            }
        }
    }
}

fn main() {
    let started = SystemTime::now();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    parts(&mut c);
    c.final_summary();
    print_ratios(started);
}
