//! The recipients' key pairs for the delivery entries: one SM2 key, one RSA-2048 key,
//! and the pool the `*-fresh` entries cycle through, generated before the load.

use super::args::Config;
use super::mix::{Entry, Op};
use smkms::crypto::deliver::Algorithm;
use smkms::crypto::keyfile::pem_encode;
use std::time::Instant;

/// A public key to deliver to (PEM) and, to check the setup answer, its private key.
pub struct Recipient {
    pub public_pem: String,
    pub private_pem: String,
}

pub struct Recipients {
    pub sm2: Option<Recipient>,
    pub rsa: Option<Recipient>,
    /// Public keys the *-fresh entries cycle through; the first one's private key too.
    pub fresh: Vec<String>,
    pub fresh_first: Option<Recipient>,
}

fn sm2_recipient() -> Recipient {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let d = ::sm2::SecretKey::random(&mut rand_core::OsRng);
    let public = d
        .public_key()
        .to_public_key_der()
        .expect("an SM2 public key encodes");
    let private = d.to_pkcs8_der().expect("an SM2 private key encodes");
    Recipient {
        public_pem: pem_encode("PUBLIC KEY", public.as_bytes()),
        private_pem: pem_encode("PRIVATE KEY", private.as_bytes()),
    }
}

fn rsa_recipient() -> Result<Recipient, String> {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let d = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
        .map_err(|e| format!("cannot generate an RSA-2048 key: {e}"))?;
    let public = d
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| e.to_string())?;
    let private = d.to_pkcs8_der().map_err(|e| e.to_string())?;
    Ok(Recipient {
        public_pem: pem_encode("PUBLIC KEY", public.as_bytes()),
        private_pem: pem_encode("PRIVATE KEY", private.as_bytes()),
    })
}

/// `n` SM2 public keys, generated on `threads` threads; the first with its private key.
fn sm2_pool(n: usize, threads: usize) -> (Vec<String>, Recipient) {
    let first = sm2_recipient();
    let rest = n.saturating_sub(1);
    let per = rest.div_ceil(threads.max(1)).max(1);
    let mut keys = vec![first.public_pem.clone()];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..rest)
            .step_by(per)
            .map(|from| {
                let count = per.min(rest - from);
                s.spawn(move || {
                    (0..count)
                        .map(|_| sm2_recipient().public_pem)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            keys.extend(h.join().expect("key generation does not panic"));
        }
    });
    (keys, first)
}

pub fn generate_recipients(cfg: &Config) -> Result<Recipients, String> {
    let started = Instant::now();
    let mut r = Recipients {
        sm2: None,
        rsa: None,
        fresh: Vec::new(),
        fresh_first: None,
    };
    let is = |f: fn(Algorithm) -> bool, fresh: bool| move |e: &Entry| matches!(e.op, Op::Deliver { alg, fresh: fr } if f(alg) && fr == fresh);
    if cfg.needs(is(Algorithm::is_sm2, false)) {
        r.sm2 = Some(sm2_recipient());
    }
    if cfg.needs(is(|a| !a.is_sm2(), false)) {
        r.rsa = Some(rsa_recipient()?);
    }
    if cfg.needs(is(Algorithm::is_sm2, true)) {
        let (keys, first) = sm2_pool(cfg.fresh_keys, cfg.threads);
        r.fresh = keys;
        r.fresh_first = Some(first);
    }
    if r.sm2.is_some() || r.rsa.is_some() || !r.fresh.is_empty() {
        eprintln!(
            "bench: setup: recipient keys generated in {:.2} s{}{}{}",
            started.elapsed().as_secs_f64(),
            if r.sm2.is_some() { ", SM2" } else { "" },
            if r.rsa.is_some() { ", RSA-2048" } else { "" },
            if r.fresh.is_empty() {
                String::new()
            } else {
                format!(", a pool of {} SM2 keys", r.fresh.len())
            },
        );
    }
    Ok(r)
}
