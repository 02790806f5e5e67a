//! Algorithm names, algorithm/key mismatch, plaintext length limits and private-key
//! refusals.

use super::*;

#[test]
fn algorithm_names() {
    assert_eq!(Algorithm::parse(None).unwrap(), Algorithm::Sm2);
    assert_eq!(Algorithm::parse(Some("")).unwrap(), Algorithm::Sm2);
    for a in Algorithm::ALL {
        assert_eq!(Algorithm::parse(Some(a.name())).unwrap(), a);
    }
    let e = Algorithm::parse(Some("sm2_c1c3c2_asn1")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownAlgorithm);
    assert_eq!(e.subject, "EncryptionAlgorithm");
    assert_says(&e, &["case-sensitive", "did you mean SM2_C1C3C2_ASN1?"]);
    let e = Algorithm::parse(Some("RSAES_OAEP_SHA_512")).unwrap_err();
    assert_says(
        &e,
        &[
            "\"RSAES_OAEP_SHA_512\"",
            "SM2, SM2_C1C3C2_ASN1, RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256",
        ],
    );
    assert!(!e.message.contains("did you mean"));
    let long = "x".repeat(10_000);
    assert!(Algorithm::parse(Some(&long)).unwrap_err().message.len() < 400);
}

#[test]
fn algorithm_must_fit_the_key() {
    let sm2 = parse_public_key(SM2_PUB).unwrap();
    let rsa = parse_public_key(RSA2048_PUB).unwrap();
    for alg in Algorithm::ALL {
        let (wrong, right) = if alg.is_sm2() {
            (&rsa, &sm2)
        } else {
            (&sm2, &rsa)
        };
        let e = check(wrong, alg, 16).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Mismatch);
        assert_says(&e, &[alg.name(), "needs"]);
        assert!(deliver(wrong, alg, b"0123456789abcdef").is_err());
        check(right, alg, 16).unwrap();
    }
    let e = check(&rsa, Algorithm::Sm2, 16).unwrap_err();
    assert_eq!(
        e.to_string(),
        "EncryptionAlgorithm SM2 needs an SM2 public key, but EncryptionPublicKey is an \
         RSA public key of 2048 bits; use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1 or \
         RSAES_PKCS1_V1_5 with this key, or send an SM2 public key"
    );
    let e = unwrap(SM2_PKCS8, Algorithm::RsaOaepSha1, &[0; 256]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Mismatch);
    let e = unwrap(RSA2048_PKCS8, Algorithm::Sm2, &[0; 256]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Mismatch);
}

#[test]
fn rsa_length_limits() {
    let rsa = parse_public_key(RSA2048_PUB).unwrap();
    for (alg, max) in [
        (Algorithm::RsaPkcs1V15, 245),
        (Algorithm::RsaOaepSha1, 214),
        (Algorithm::RsaOaepSha256, 190),
    ] {
        assert_eq!(max_plaintext(&rsa, alg), Some(max));
        check(&rsa, alg, max).unwrap();
        let e = check(&rsa, alg, max + 1).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLong);
        assert_says(
            &e,
            &[
                &format!("at most {max} bytes"),
                &format!("is {} bytes", max + 1),
            ],
        );
        // Exactly at the limit the bytes really fit, and come back.
        let msg = vec![0x5a; max];
        let ct = deliver(&rsa, alg, &msg).unwrap();
        assert_eq!(unwrap(RSA2048_PKCS8, alg, &ct).unwrap().expose(), &msg[..]);
        assert_eq!(
            deliver(&rsa, alg, &[0; 1024]).unwrap_err().kind,
            ErrorKind::TooLong
        );
    }
    let sm2 = parse_public_key(SM2_PUB).unwrap();
    assert_eq!(max_plaintext(&sm2, Algorithm::Sm2), None);
    check(&sm2, Algorithm::Sm2, 1 << 20).unwrap();
    for key in [&sm2, &rsa] {
        let alg = if key == &sm2 {
            Algorithm::Sm2
        } else {
            Algorithm::RsaPkcs1V15
        };
        assert_eq!(
            check(key, alg, 0).unwrap_err().kind,
            ErrorKind::EmptyPlaintext
        );
    }
}

#[test]
fn private_key_refusals() {
    let e = unwrap(SM2_PUB, Algorithm::Sm2, &[0; 100]).unwrap_err();
    assert_eq!((e.kind, e.subject), (ErrorKind::BadKey, "the private key"));
    assert_says(&e, &["is a public key"]);
    let e = unwrap(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
        Algorithm::Sm2,
        &[0; 100],
    )
    .unwrap_err();
    assert_says(&e, &["encrypted", "openssl pkey"]);
    let e = unwrap(CERT, Algorithm::Sm2, &[0; 100]).unwrap_err();
    assert_says(&e, &["CERTIFICATE"]);
    let e = unwrap("nonsense", Algorithm::Sm2, &[0; 100]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadKey);
}
