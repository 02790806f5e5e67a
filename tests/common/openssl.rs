//! The `openssl` command line as an independent peer: run it, and ask it whether a
//! signature verifies. Each dialect's tests map their algorithm names onto [`Scheme`].

use std::path::Path;
use std::process::Command;

/// Runs `openssl args` in `dir`: (success, stdout, stderr).
pub fn run(dir: &Path, args: &[&str]) -> (bool, Vec<u8>, String) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A signature scheme, as OpenSSL verifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// SM2DSA over SM3(Z_A || M), ID 1234567812345678.
    Sm2,
    /// ECDSA or RSA PKCS#1 v1.5 over SHA-256 (the key says which).
    Sha256,
    /// RSA-PSS over SHA-256, any salt length.
    RsaPssSha256,
}

/// Whether OpenSSL accepts `sig` over the message `msg` under the PEM public key `pem`.
pub fn verifies(pem: &str, scheme: Scheme, msg: &[u8], sig: &[u8]) -> bool {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("pub.pem"), pem).unwrap();
    std::fs::write(d.path().join("msg"), msg).unwrap();
    std::fs::write(d.path().join("sig"), sig).unwrap();
    let mut args = match scheme {
        Scheme::Sm2 => vec![
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-in",
            "msg",
            "-rawin",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
            "-sigfile",
            "sig",
        ],
        Scheme::Sha256 | Scheme::RsaPssSha256 => vec!["dgst", "-sha256"],
    };
    if scheme == Scheme::RsaPssSha256 {
        args.extend([
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:auto",
        ]);
    }
    if scheme != Scheme::Sm2 {
        args.extend(["-verify", "pub.pem", "-signature", "sig", "msg"]);
    }
    run(d.path(), &args).0
}
