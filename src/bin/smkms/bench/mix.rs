//! The mix: the actions `--mix` accepts (with their `--help` text), how a mix is
//! parsed, and the weighted schedule requests follow.

use smkms::crypto::deliver::Algorithm;

pub const MIX_HELP: &str = "\
Mix entries (--mix ACTION[@CMK][:WEIGHT],...; weights default to 1):
  GenerateRandom                  16 random bytes: the cheap HTTP baseline (default mix)
  ListAlgorithms                  a fixed answer, no randomness
  GetServiceStatus                counts the account's keys (two store queries)
  GenerateDataKey                 a 32-byte data key (KeySpec AES_256), in the clear
  GenerateDataKey-SM2             ... delivered to one repeated SM2 public key (raw C1C3C2)
  GenerateDataKey-SM2-fresh       ... to a different SM2 key per request, cycling through
                                  --fresh-keys pre-generated keys (more than the server's
                                  parsed-key cache of 1024, so none is cached)
  GenerateDataKey-SM2-ASN1        ... SM2_C1C3C2_ASN1 to one repeated key
  GenerateDataKey-SM2-ASN1-fresh  ... SM2_C1C3C2_ASN1 to a different key per request
  GenerateDataKey-RSA-PKCS1       ... RSAES_PKCS1_V1_5 to one repeated RSA-2048 key
  GenerateDataKey-RSA-OAEP-1      ... RSAES_OAEP_SHA_1 to one repeated RSA-2048 key
  GenerateDataKey-RSA-OAEP-256    ... RSAES_OAEP_SHA_256 to one repeated RSA-2048 key
  Encrypt                         32 bytes under the CMK
  Decrypt                         a blob encrypted under the CMK at setup
  CreateKey                       a new SM4 CMK per request (a write: one commit each),
                                  aliases smkms-bench-new-RUN-N; a long run needs a
                                  higher limits.cmks_per_region on the server
  GetPublicKey-SM2                the public key of an SM2 signing key
  SignByAsymmetricKey-SM2DSA      SM2DSA of a 256-byte message (MessageType RAW)
  SignByAsymmetricKey-ECC         ECC_P256_R1 of a 256-byte message
  SignByAsymmetricKey-RSA-PSS     RSA_PSS_SHA_256 of a 256-byte message (RSA-2048)
  SignByAsymmetricKey-RSA-PKCS1   RSA_PKCS1_SHA_256 of a 256-byte message (RSA-2048)
  VerifyByAsymmetricKey-SM2DSA    a valid SM2DSA signature (made at setup) checked
  AsymmetricSm2Decrypt            32 bytes SM2-encrypted (C1C3C2 ASN.1) at setup to the
                                  key's GetPublicKey key
  AsymmetricRsaDecrypt-OAEP-256   32 bytes RSAES_OAEP_SHA_256-encrypted at setup to an
                                  RSA-2048 decryption key

GenerateDataKey*, Encrypt and Decrypt use an SM4 CMK; add @AES_256 to use an AES-256
CMK instead (Encrypt@AES_256). The CMKs are created on the first run under the aliases
smkms-bench-sm4 and smkms-bench-aes256 and reused afterwards; so are the asymmetric
keys, under smkms-bench-sign-sm2, -sign-ecc, -sign-rsa, -decrypt-sm2 and -decrypt-rsa.

Latency percentiles are over successful requests. The exit status is non-zero if any
request failed (the summary is printed first).

Examples:
  smkms credentials create --data DIR --json > cred.json
  smkms bench --endpoint http://127.0.0.1:6300 --credentials-json cred.json \\
      --mix GenerateDataKey-SM2 --connections 64 --duration 10 --warmup 2
  smkms bench --endpoint http://127.0.0.1:6300 --credentials-json cred.json \\
      --mix GenerateRandom:1,Encrypt:2,Decrypt:2 --requests 100000 --json
  smkms bench --endpoint http://127.0.0.1:6300,http://127.0.0.1:6301 \\
      --credentials-json cred.json --mix Encrypt --connections 64 --duration 10";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    GenerateRandom,
    ListAlgorithms,
    GetServiceStatus,
    GenerateDataKey,
    Deliver {
        alg: Algorithm,
        fresh: bool,
    },
    Encrypt,
    Decrypt,
    CreateKey,
    GetPublicKey(AsymKey),
    /// Signature algorithm by its Tencent name.
    Sign(AsymKey, &'static str),
    Verify(AsymKey, &'static str),
    /// "SM2" for AsymmetricSm2Decrypt, else the RSA encryption algorithm's name.
    AsymDecrypt(AsymKey, &'static str),
}

/// The asymmetric keys the Sign/Verify/decrypt entries use: one of each, found by alias
/// or created at setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsymKey {
    SignSm2,
    SignEcc,
    SignRsa,
    DecryptSm2,
    DecryptRsa,
}

impl AsymKey {
    pub fn usage(self) -> &'static str {
        match self {
            AsymKey::SignSm2 => "ASYMMETRIC_SIGN_VERIFY_SM2",
            AsymKey::SignEcc => "ASYMMETRIC_SIGN_VERIFY_ECC",
            AsymKey::SignRsa => "ASYMMETRIC_SIGN_VERIFY_RSA_2048",
            AsymKey::DecryptSm2 => "ASYMMETRIC_DECRYPT_SM2",
            AsymKey::DecryptRsa => "ASYMMETRIC_DECRYPT_RSA_2048",
        }
    }
    pub fn alias(self) -> &'static str {
        match self {
            AsymKey::SignSm2 => "smkms-bench-sign-sm2",
            AsymKey::SignEcc => "smkms-bench-sign-ecc",
            AsymKey::SignRsa => "smkms-bench-sign-rsa",
            AsymKey::DecryptSm2 => "smkms-bench-decrypt-sm2",
            AsymKey::DecryptRsa => "smkms-bench-decrypt-rsa",
        }
    }
}

const CATALOGUE: &[(&str, Op)] = &[
    ("GenerateRandom", Op::GenerateRandom),
    ("ListAlgorithms", Op::ListAlgorithms),
    ("GetServiceStatus", Op::GetServiceStatus),
    ("GenerateDataKey", Op::GenerateDataKey),
    (
        "GenerateDataKey-SM2",
        Op::Deliver {
            alg: Algorithm::Sm2,
            fresh: false,
        },
    ),
    (
        "GenerateDataKey-SM2-fresh",
        Op::Deliver {
            alg: Algorithm::Sm2,
            fresh: true,
        },
    ),
    (
        "GenerateDataKey-SM2-ASN1",
        Op::Deliver {
            alg: Algorithm::Sm2C1C3C2Asn1,
            fresh: false,
        },
    ),
    (
        "GenerateDataKey-SM2-ASN1-fresh",
        Op::Deliver {
            alg: Algorithm::Sm2C1C3C2Asn1,
            fresh: true,
        },
    ),
    (
        "GenerateDataKey-RSA-PKCS1",
        Op::Deliver {
            alg: Algorithm::RsaPkcs1V15,
            fresh: false,
        },
    ),
    (
        "GenerateDataKey-RSA-OAEP-1",
        Op::Deliver {
            alg: Algorithm::RsaOaepSha1,
            fresh: false,
        },
    ),
    (
        "GenerateDataKey-RSA-OAEP-256",
        Op::Deliver {
            alg: Algorithm::RsaOaepSha256,
            fresh: false,
        },
    ),
    ("Encrypt", Op::Encrypt),
    ("Decrypt", Op::Decrypt),
    ("CreateKey", Op::CreateKey),
    ("GetPublicKey-SM2", Op::GetPublicKey(AsymKey::SignSm2)),
    (
        "SignByAsymmetricKey-SM2DSA",
        Op::Sign(AsymKey::SignSm2, "SM2DSA"),
    ),
    (
        "SignByAsymmetricKey-ECC",
        Op::Sign(AsymKey::SignEcc, "ECC_P256_R1"),
    ),
    (
        "SignByAsymmetricKey-RSA-PSS",
        Op::Sign(AsymKey::SignRsa, "RSA_PSS_SHA_256"),
    ),
    (
        "SignByAsymmetricKey-RSA-PKCS1",
        Op::Sign(AsymKey::SignRsa, "RSA_PKCS1_SHA_256"),
    ),
    (
        "VerifyByAsymmetricKey-SM2DSA",
        Op::Verify(AsymKey::SignSm2, "SM2DSA"),
    ),
    (
        "AsymmetricSm2Decrypt",
        Op::AsymDecrypt(AsymKey::DecryptSm2, "SM2"),
    ),
    (
        "AsymmetricRsaDecrypt-OAEP-256",
        Op::AsymDecrypt(AsymKey::DecryptRsa, "RSAES_OAEP_SHA_256"),
    ),
];

/// The names `--mix` accepts (and `--list-actions` prints).
pub fn action_names() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|(n, _)| *n)
}

impl Op {
    pub fn x_tc_action(self) -> &'static str {
        match self {
            Op::GenerateRandom => "GenerateRandom",
            Op::ListAlgorithms => "ListAlgorithms",
            Op::GetServiceStatus => "GetServiceStatus",
            Op::GenerateDataKey | Op::Deliver { .. } => "GenerateDataKey",
            Op::Encrypt => "Encrypt",
            Op::Decrypt => "Decrypt",
            Op::CreateKey => "CreateKey",
            Op::GetPublicKey(_) => "GetPublicKey",
            Op::Sign(..) => "SignByAsymmetricKey",
            Op::Verify(..) => "VerifyByAsymmetricKey",
            Op::AsymDecrypt(_, "SM2") => "AsymmetricSm2Decrypt",
            Op::AsymDecrypt(..) => "AsymmetricRsaDecrypt",
        }
    }

    /// The asymmetric key an entry uses, if any.
    pub fn asym_key(self) -> Option<AsymKey> {
        match self {
            Op::GetPublicKey(k) | Op::Sign(k, _) | Op::Verify(k, _) | Op::AsymDecrypt(k, _) => {
                Some(k)
            }
            _ => None,
        }
    }

    pub fn uses_cmk(self) -> bool {
        matches!(
            self,
            Op::GenerateDataKey | Op::Deliver { .. } | Op::Encrypt | Op::Decrypt
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmk {
    Sm4,
    Aes256,
}

impl Cmk {
    pub fn spec(self) -> &'static str {
        match self {
            Cmk::Sm4 => "SM4",
            Cmk::Aes256 => "AES_256",
        }
    }
    pub fn alias(self) -> &'static str {
        match self {
            Cmk::Sm4 => "smkms-bench-sm4",
            Cmk::Aes256 => "smkms-bench-aes256",
        }
    }
    /// KeyMetadata.Type of a CMK with this cipher.
    pub fn metadata_type(self) -> i64 {
        match self {
            Cmk::Sm4 => 4,
            Cmk::Aes256 => 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// As written in --mix, without the weight.
    pub label: String,
    pub op: Op,
    pub cmk: Cmk,
    pub weight: u32,
}

pub fn parse_mix(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries: Vec<Entry> = Vec::new();
    for item in text.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(format!("--mix {text:?} has an empty entry"));
        }
        let (label, weight) = match item.rsplit_once(':') {
            Some((l, w)) => {
                let w: u32 = w
                    .parse()
                    .ok()
                    .filter(|w| (1..=1000).contains(w))
                    .ok_or_else(|| {
                        format!(
                            "--mix: the weight in {item:?} must be a whole number from 1 to 1000"
                        )
                    })?;
                (l, w)
            }
            None => (item, 1),
        };
        let (name, cmk) = match label.split_once('@') {
            None => (label, Cmk::Sm4),
            Some((n, "SM4")) => (n, Cmk::Sm4),
            Some((n, "AES_256")) => (n, Cmk::Aes256),
            Some((_, other)) => {
                return Err(format!(
                    "--mix: {other:?} in {item:?} is not a CMK cipher; use @SM4 or @AES_256"
                ))
            }
        };
        let op = CATALOGUE
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, op)| *op)
            .ok_or_else(|| {
                format!(
                    "--mix: {name:?} is not an action the bench knows; use one of {}",
                    action_names().collect::<Vec<_>>().join(", ")
                )
            })?;
        if label.contains('@') && !op.uses_cmk() {
            return Err(format!(
                "--mix: {name} uses no CMK, so {label:?} means nothing"
            ));
        }
        if entries.iter().any(|e| e.label == label) {
            return Err(format!("--mix: {label} appears twice"));
        }
        entries.push(Entry {
            label: label.to_string(),
            op,
            cmk,
            weight,
        });
    }
    Ok(entries)
}

/// Entry indices, each appearing `weight / gcd` times, spread out (smooth weighted
/// round robin) so a mix of 1:1 alternates instead of running in blocks.
pub fn schedule(entries: &[Entry]) -> Vec<u16> {
    fn gcd(a: u32, b: u32) -> u32 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let g = entries.iter().fold(0, |g, e| gcd(g, e.weight)).max(1);
    let weights: Vec<i64> = entries.iter().map(|e| (e.weight / g) as i64).collect();
    let total: i64 = weights.iter().sum();
    let mut current = vec![0i64; weights.len()];
    let mut out = Vec::with_capacity(total as usize);
    for _ in 0..total {
        for (c, w) in current.iter_mut().zip(&weights) {
            *c += w;
        }
        let best = (0..current.len())
            .max_by_key(|&i| (current[i], std::cmp::Reverse(i)))
            .expect("at least one entry");
        current[best] -= total;
        out.push(best as u16);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixes_parse_with_weights_and_cmks() {
        let m = parse_mix("GenerateRandom:3, Encrypt@AES_256 ,Decrypt:2").unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].label.as_str(), m[0].weight), ("GenerateRandom", 3));
        assert_eq!(
            (m[1].label.as_str(), m[1].cmk),
            ("Encrypt@AES_256", Cmk::Aes256)
        );
        assert_eq!((m[2].op, m[2].cmk, m[2].weight), (Op::Decrypt, Cmk::Sm4, 2));
        for bad in [
            "",
            "Nope",
            "GenerateRandom:0",
            "GenerateRandom:x",
            "GenerateRandom:1001",
            "GenerateRandom@AES_256",
            "Encrypt@SM9",
            "Encrypt,Encrypt",
            "Encrypt,,Decrypt",
        ] {
            assert!(parse_mix(bad).is_err(), "{bad:?}");
        }
        // Same action under two CMKs is two entries.
        assert_eq!(parse_mix("Encrypt,Encrypt@AES_256").unwrap().len(), 2);
    }

    #[test]
    fn every_action_is_documented_and_parses() {
        for name in action_names() {
            assert!(
                MIX_HELP.contains(&format!("  {name} ")),
                "{name} is not in --help"
            );
            assert_eq!(parse_mix(name).unwrap()[0].label, name);
        }
    }

    #[test]
    fn the_schedule_honours_weights_and_interleaves() {
        let m = parse_mix("GenerateRandom:2,Encrypt:2,Decrypt:4").unwrap();
        let s = schedule(&m);
        assert_eq!(s.len(), 4, "weights are reduced by their gcd");
        assert_eq!(s.iter().filter(|&&i| i == 2).count(), 2);
        assert_eq!(s.iter().filter(|&&i| i == 0).count(), 1);
        let m = parse_mix("Encrypt,Decrypt").unwrap();
        assert_eq!(schedule(&m), vec![0, 1]);
        let m = parse_mix("Encrypt:3,Decrypt:1").unwrap();
        let s = schedule(&m);
        assert_eq!(s.iter().filter(|&&i| i == 0).count(), 3);
        assert!(!s.windows(2).any(|w| w == [1, 1]));
    }
}
