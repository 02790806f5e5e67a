//! PEM key files: the recipient's public key a caller sends with a delivery request,
//! and (for `smkms unwrap` and tests) the matching private key.
//!
//! Errors are reasons that read after the name of what was parsed ("EncryptionPublicKey
//! is a private key; …"), because the person reading them has a key file in hand and
//! needs to know which command turns it into what we accept. Nothing here echoes key
//! bytes back, and a private key's body is never even decoded when a public key was
//! asked for.
//!
//! The PEM reader is our own rather than `pem-rfc7468`'s strict grammar: that grammar
//! insists on 64-column lines, and Java's MIME encoder (76 columns) and keys pasted
//! through web forms break it for no security benefit. What we keep strict is what
//! matters: exactly one block, matching BEGIN/END labels, nothing but whitespace around
//! it, canonical base64, and DER inside.

use der::asn1::ObjectIdentifier as Oid;
use der::{Decode, Tag, Tagged};
use rsa::pkcs1;
use rsa::pkcs8::{self, spki};
use rsa::traits::PublicKeyParts;

/// id-ecPublicKey (RFC 5480).
pub const OID_EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
/// sm2p256v1 (GM/T 0006), also used by some tools as the SPKI algorithm itself.
pub const OID_SM2: Oid = Oid::new_unwrap("1.2.156.10197.1.301");
/// rsaEncryption (RFC 8017).
pub const OID_RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");

/// The RSA moduli we deliver to, in bits. Below 2048 is no longer safe; above 4096 is
/// what the `rsa` crate (and most HSMs) stop at.
pub const RSA_MIN_BITS: usize = 2048;
pub const RSA_MAX_BITS: usize = 4096;
/// The largest public exponent accepted: 2^32 + 1. Real keys use 65537 (or 3); anything
/// much larger is either a mistake or an attempt to make encryption slow.
pub const RSA_MAX_EXPONENT: u64 = (1 << 32) + 1;

/// Names for the curve and algorithm OIDs people most often send by mistake, so the
/// message can say "P-256" rather than only a dotted number.
fn oid_name(oid: &Oid) -> Option<&'static str> {
    Some(match oid.to_string().as_str() {
        "1.2.840.10045.3.1.7" => "P-256 (prime256v1/secp256r1)",
        "1.3.132.0.34" => "P-384 (secp384r1)",
        "1.3.132.0.35" => "P-521 (secp521r1)",
        "1.3.132.0.10" => "secp256k1",
        "1.2.840.10045.3.1.1" => "P-192 (prime192v1)",
        "1.3.132.0.33" => "P-224 (secp224r1)",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.3.1" => "Diffie-Hellman",
        "1.2.840.10046.2.1" => "X9.42 Diffie-Hellman",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        _ => return None,
    })
}

fn describe_oid(oid: &Oid) -> String {
    match oid_name(oid) {
        Some(name) => format!("{name}, OID {oid}"),
        None => format!("OID {oid}"),
    }
}

const TO_PUBLIC: &str = "`openssl pkey -in key.pem -pubout` prints it";
const SEND_SM2_OR_RSA: &str = "send an SM2 public key (`openssl genpkey -algorithm SM2` makes a \
     key pair) or an RSA public key of 2048 to 4096 bits";

// ---------------------------------------------------------------------------------------
// PEM

/// One PEM block: its label and the (still base64) body between the boundaries.
struct Block<'a> {
    label: &'a str,
    body: &'a str,
    /// Whatever follows the END line (surrounding whitespace removed).
    rest: &'a str,
}

fn split_block(text: &str) -> Result<Block<'_>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("is empty; send a PEM public key (-----BEGIN PUBLIC KEY----- …)".into());
    }
    if t.contains("\\n") {
        return Err(
            "contains the two characters \\n where line breaks belong (escaped \
             twice?)"
                .into(),
        );
    }
    if !t.starts_with("-----BEGIN ") {
        if t.contains("-----BEGIN ") {
            return Err("has text before its -----BEGIN line; send only the PEM block".into());
        }
        if t.starts_with("ssh-") || t.starts_with("ecdsa-sha2-") {
            return Err("is an OpenSSH public key; convert it to PEM with \
                 `ssh-keygen -e -m PKCS8 -f key.pub`"
                .into());
        }
        return Err(
            "is not PEM: it must start with a line such as -----BEGIN PUBLIC KEY-----".into(),
        );
    }
    let after = &t["-----BEGIN ".len()..];
    let Some(end_of_label) = after.find("-----") else {
        return Err("has a malformed -----BEGIN line".into());
    };
    let label = &after[..end_of_label];
    if label.is_empty() || label.contains(['\r', '\n']) {
        return Err("has a malformed -----BEGIN line".into());
    }
    let rest = &after[end_of_label + 5..];
    let Some(end) = rest.find("-----END ") else {
        return Err(format!("has no -----END {label}----- line"));
    };
    let body = &rest[..end];
    let tail = &rest[end + "-----END ".len()..];
    let Some(end_label_len) = tail.find("-----") else {
        return Err(format!(
            "has a malformed -----END line (expected -----END {label}-----)"
        ));
    };
    let end_label = &tail[..end_label_len];
    if end_label != label {
        return Err(format!(
            "begins with -----BEGIN {label}----- but ends with -----END {end_label}-----"
        ));
    }
    Ok(Block {
        label,
        body,
        rest: tail[end_label_len + 5..].trim(),
    })
}

fn decode_body(block: &Block<'_>) -> Result<Vec<u8>, String> {
    if !block.rest.is_empty() {
        return Err(format!(
            "has data after its -----END {}----- line; send exactly one PEM block",
            block.label
        ));
    }
    if block.body.contains(':') {
        return Err(
            "has PEM headers (such as Proc-Type), which keys in this format never \
             have; export the key again with openssl"
                .into(),
        );
    }
    let b64: String = block
        .body
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    match crate::b64::decode(&b64) {
        Some(der) if !der.is_empty() => Ok(der),
        Some(_) => Err(format!("has an empty {} block", block.label)),
        None => Err(format!(
            "has a body that is not valid base64 between its -----BEGIN {0}----- and \
             -----END {0}----- lines",
            block.label
        )),
    }
}

/// A PEM block with `label` around `der`, lines of 64 columns, `\n` line endings: what
/// OpenSSL writes.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = crate::b64::encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

// ---------------------------------------------------------------------------------------
// Public keys

/// A recipient's public key, parsed and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// A point on sm2p256v1, on the curve and not the identity (checked on parsing).
    Sm2(::sm2::PublicKey),
    /// 2048–4096 bits, odd modulus, odd exponent in [3, 2^32+1] (checked on parsing).
    Rsa(super::rsaes::RsaPublicKey),
}

/// Parses a PEM `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1).
pub fn parse_public_pem(text: &str) -> Result<PublicKey, String> {
    let mut block = split_block(text)?;
    if block.label.ends_with(" PARAMETERS") && !block.rest.is_empty() {
        // `openssl ecparam -genkey` output: say what the key after it is.
        block = split_block(block.rest)?;
    }
    match block.label {
        "PUBLIC KEY" => parse_spki(&decode_body(&block)?),
        "RSA PUBLIC KEY" => {
            let der = decode_body(&block)?;
            let key = pkcs1::RsaPublicKey::from_der(&der).map_err(|e| {
                format!("is not a well-formed PKCS#1 RSA PUBLIC KEY ({e}); export it again")
            })?;
            rsa_public(key.modulus.as_bytes(), key.public_exponent.as_bytes())
        }
        l if l.ends_with("PRIVATE KEY") => Err(format!(
            "is a private key (-----BEGIN {l}-----); send the public key instead \
             ({TO_PUBLIC}), and keep the private key to yourself"
        )),
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
            Err("is a certificate; send its public key instead \
             (`openssl x509 -in cert.pem -pubkey -noout` prints it)"
                .into())
        }
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
            Err("is a certificate request; send its public key instead \
             (`openssl req -in csr.pem -pubkey -noout` prints it)"
                .into())
        }
        "EC PARAMETERS" => Err("holds only curve parameters, not a key; send the \
             -----BEGIN PUBLIC KEY----- block"
            .into()),
        "SSH2 PUBLIC KEY" | "OPENSSH PUBLIC KEY" => Err("is an SSH public key; convert it with \
             `ssh-keygen -e -m PKCS8 -f key.pub`"
            .into()),
        other => Err(format!(
            "is a PEM {other} block; expected -----BEGIN PUBLIC KEY----- (or \
             -----BEGIN RSA PUBLIC KEY-----)"
        )),
    }
}

fn parse_spki(der: &[u8]) -> Result<PublicKey, String> {
    let info = spki::SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|e| format!("is not a well-formed SubjectPublicKeyInfo ({e}); {TO_PUBLIC}"))?;
    let oid = info.algorithm.oid;
    let params = info.algorithm.parameters;
    let Some(key_bytes) = info.subject_public_key.as_bytes() else {
        return Err("has a public-key BIT STRING with unused bits; the key is corrupt".into());
    };
    if oid == OID_RSA_ENCRYPTION {
        if params.is_some_and(|p| !p.is_null()) {
            return Err(
                "is an rsaEncryption key with parameters other than NULL; export it again".into(),
            );
        }
        let key = pkcs1::RsaPublicKey::from_der(key_bytes)
            .map_err(|e| format!("holds an RSA key that does not parse ({e}); export it again"))?;
        return rsa_public(key.modulus.as_bytes(), key.public_exponent.as_bytes());
    }
    if oid == OID_EC_PUBLIC_KEY {
        let Some(params) = params.filter(|p| !p.is_null()) else {
            return Err(
                "is an elliptic-curve key that does not name its curve; SM2 delivery \
                 needs the named curve sm2p256v1 (OID 1.2.156.10197.1.301)"
                    .into(),
            );
        };
        if params.tag() != Tag::ObjectIdentifier {
            return Err(
                "is an elliptic-curve key that spells out its curve parameters instead of \
                 naming the curve; export it with `openssl pkey -pubin -in key.pem -pubout \
                 -ec_param_enc named_curve`"
                    .into(),
            );
        }
        let curve: Oid = params
            .decode_as()
            .map_err(|_| "names its curve with a malformed OID; export it again".to_string())?;
        if curve != OID_SM2 {
            return Err(format!(
                "is an elliptic-curve key on {}; SM2 delivery needs a key on sm2p256v1 \
                 (OID 1.2.156.10197.1.301): `openssl genpkey -algorithm SM2` makes one",
                describe_oid(&curve)
            ));
        }
        return sm2_point(key_bytes);
    }
    if oid == OID_SM2 {
        // Some tools put the SM2 OID where id-ecPublicKey belongs. That is unambiguous
        // as long as the parameters, if any, do not name some other curve.
        let ok = match params {
            None => true,
            Some(p) if p.is_null() => true,
            Some(p) => p.decode_as::<Oid>().is_ok_and(|c| c == OID_SM2),
        };
        if !ok {
            return Err(
                "uses the SM2 algorithm OID with parameters that name something other \
                 than sm2p256v1; export it again with `openssl pkey -pubout`"
                    .into(),
            );
        }
        return sm2_point(key_bytes);
    }
    if oid == OID_RSASSA_PSS {
        return Err(
            "is an RSASSA-PSS key, which may only be used to sign; generate an \
             rsaEncryption key (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`)"
                .into(),
        );
    }
    Err(format!(
        "is a key of type {}; {SEND_SM2_OR_RSA}",
        describe_oid(&oid)
    ))
}

fn sm2_point(bytes: &[u8]) -> Result<PublicKey, String> {
    if bytes == [0] {
        return Err("is the point at infinity, which is not a public key".into());
    }
    match ::sm2::PublicKey::from_sec1_bytes(bytes) {
        Ok(p) => Ok(PublicKey::Sm2(p)),
        Err(_) if matches!(bytes.first(), Some(0x02..=0x04)) && matches!(bytes.len(), 33 | 65) => {
            Err(
                "holds a point that is not on the SM2 curve; the key is corrupt or belongs to \
                 another curve"
                    .into(),
            )
        }
        Err(_) => Err(format!(
            "holds {} bytes that are not an SEC1 point encoding (65 bytes 04‖x‖y, or 33 \
             bytes compressed)",
            bytes.len()
        )),
    }
}

/// Number of significant bits in a minimal big-endian integer.
fn bit_len(bytes: &[u8]) -> usize {
    match bytes.iter().position(|&b| b != 0) {
        None => 0,
        Some(i) => (bytes.len() - i - 1) * 8 + (8 - bytes[i].leading_zeros() as usize),
    }
}

fn rsa_public(n: &[u8], e: &[u8]) -> Result<PublicKey, String> {
    let bits = bit_len(n);
    if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
        return Err(format!(
            "is an RSA key of {bits} bits; smkms delivers to RSA keys of {RSA_MIN_BITS} to \
             {RSA_MAX_BITS} bits (`openssl genpkey -algorithm RSA -pkeyopt \
             rsa_keygen_bits:2048` makes one)"
        ));
    }
    if n.last().is_some_and(|b| b & 1 == 0) {
        return Err(
            "has an even RSA modulus, which no real RSA key has; the key is corrupt".into(),
        );
    }
    let e_bits = bit_len(e);
    let e_val = if e_bits <= 64 {
        e.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64)
    } else {
        u64::MAX
    };
    if e_val < 3 || e_val & 1 == 0 || e_val > RSA_MAX_EXPONENT {
        let shown = if e_bits <= 64 {
            e_val.to_string()
        } else {
            format!("of {e_bits} bits")
        };
        return Err(format!(
            "has the public exponent {shown}; RSA encryption needs an odd exponent from 3 \
             to 2^32+1 (65537 is the usual one)"
        ));
    }
    let key = super::rsaes::RsaPublicKey::new(n, e_val)
        .map_err(|e| format!("is not a usable RSA public key ({e})"))?;
    Ok(PublicKey::Rsa(key))
}

impl PublicKey {
    /// "an SM2 public key", "a 3072-bit RSA public key": for messages.
    pub fn describe(&self) -> String {
        match self {
            PublicKey::Sm2(_) => "an SM2 public key".into(),
            PublicKey::Rsa(k) => format!("an RSA public key of {} bits", k.bits()),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Private keys (recipient side)

/// A recipient's private key, for `smkms unwrap` and tests. Its `Debug` says which kind
/// of key it is and nothing more.
pub enum PrivateKey {
    Sm2(::sm2::SecretKey),
    Rsa(Box<rsa::RsaPrivateKey>),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PrivateKey::Sm2(_) => "PrivateKey::Sm2([REDACTED])",
            PrivateKey::Rsa(_) => "PrivateKey::Rsa([REDACTED])",
        })
    }
}

impl PrivateKey {
    pub fn describe(&self) -> String {
        match self {
            PrivateKey::Sm2(_) => "an SM2 private key".into(),
            PrivateKey::Rsa(k) => format!("an RSA private key of {} bits", k.n().bits()),
        }
    }
}

/// Parses a PEM private key: PKCS#8 `PRIVATE KEY` (SM2, as `openssl genpkey -algorithm
/// SM2` writes it, or RSA), SEC1 `EC PRIVATE KEY` / `SM2 PRIVATE KEY` (what `openssl ec`
/// writes for an SM2 key) on sm2p256v1, and PKCS#1 `RSA PRIVATE KEY`. A leading
/// `… PARAMETERS` block, as `openssl ecparam -genkey` writes first, is skipped.
pub fn parse_private_pem(text: &str) -> Result<PrivateKey, String> {
    let mut block = split_block(text)?;
    if block.label.ends_with(" PARAMETERS") && !block.rest.is_empty() {
        block = split_block(block.rest)?;
    }
    let der = zeroize::Zeroizing::new(match block.label {
        "PRIVATE KEY" | "EC PRIVATE KEY" | "SM2 PRIVATE KEY" | "RSA PRIVATE KEY" => {
            decode_body(&block)?
        }
        "ENCRYPTED PRIVATE KEY" => {
            return Err("is encrypted; decrypt it first with \
                 `openssl pkey -in key.pem -out plain.pem`"
                .into())
        }
        l if l.ends_with("PUBLIC KEY") => {
            return Err("is a public key; unwrapping needs the matching private key".into())
        }
        other => {
            return Err(format!(
                "is a PEM {other} block; expected -----BEGIN PRIVATE KEY-----, \
                 -----BEGIN EC PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----"
            ))
        }
    });
    match block.label {
        "PRIVATE KEY" => parse_private_pkcs8_der(&der),
        "EC PRIVATE KEY" | "SM2 PRIVATE KEY" => sec1_sm2(&der),
        _ => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            rsa::RsaPrivateKey::from_pkcs1_der(&der)
                .map(|k| PrivateKey::Rsa(Box::new(k)))
                .map_err(|e| format!("is not a well-formed PKCS#1 RSA private key ({e})"))
        }
    }
}

/// A PKCS#8 `PrivateKeyInfo` (DER) holding an SM2 key (id-ecPublicKey on sm2p256v1, or
/// the SM2 OID as the algorithm itself) or an RSA key.
pub fn parse_private_pkcs8_der(der: &[u8]) -> Result<PrivateKey, String> {
    let info = pkcs8::PrivateKeyInfo::from_der(der)
        .map_err(|e| format!("is not a well-formed PKCS#8 private key ({e})"))?;
    let oid = info.algorithm.oid;
    if oid == OID_RSA_ENCRYPTION {
        return rsa::RsaPrivateKey::try_from(info)
            .map(|k| PrivateKey::Rsa(Box::new(k)))
            .map_err(|e| format!("holds an RSA key that does not parse ({e})"));
    }
    let curve = match info.algorithm.parameters {
        Some(p) if !p.is_null() => Some(
            p.decode_as::<Oid>()
                .map_err(|_| "does not name its curve with an OID".to_string())?,
        ),
        _ => None,
    };
    let is_sm2 = (oid == OID_EC_PUBLIC_KEY && curve == Some(OID_SM2))
        || (oid == OID_SM2 && curve.map_or(true, |c| c == OID_SM2));
    if !is_sm2 {
        return Err(match (oid == OID_EC_PUBLIC_KEY, curve) {
            (true, Some(c)) => format!(
                "is an elliptic-curve key on {}, not sm2p256v1",
                describe_oid(&c)
            ),
            _ => format!("is a key of type {}, not SM2 or RSA", describe_oid(&oid)),
        });
    }
    sec1_sm2(info.private_key)
}

fn sec1_sm2(der: &[u8]) -> Result<PrivateKey, String> {
    let ec = sec1::EcPrivateKey::from_der(der)
        .map_err(|e| format!("is not a well-formed SEC1 EC private key ({e})"))?;
    if let Some(curve) = ec.parameters.and_then(|p| p.named_curve()) {
        if curve != OID_SM2 {
            return Err(format!(
                "is an elliptic-curve key on {}, not sm2p256v1",
                describe_oid(&curve)
            ));
        }
    }
    ::sm2::SecretKey::try_from(ec)
        .map(PrivateKey::Sm2)
        .map_err(|_| "holds an SM2 scalar or public point that does not check out".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(bit_len(&[0, 0]), 0);
        assert_eq!(bit_len(&[1]), 1);
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert_eq!(bit_len(&[0, 0x7f, 0]), 15);
    }

    #[test]
    fn pem_round_trip_and_whitespace() {
        let pem = pem_encode("PUBLIC KEY", &[1, 2, 3, 4, 5]);
        let b = split_block(&pem).unwrap();
        assert_eq!(b.label, "PUBLIC KEY");
        assert_eq!(decode_body(&b).unwrap(), vec![1, 2, 3, 4, 5]);
        let crlf = format!("\r\n  {}  \r\n", pem.replace('\n', "\r\n"));
        let b = split_block(&crlf).unwrap();
        assert_eq!(decode_body(&b).unwrap(), vec![1, 2, 3, 4, 5]);
    }
}
