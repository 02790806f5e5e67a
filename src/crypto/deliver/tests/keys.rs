//! Keys we refuse, and the ones we accept in unusual spellings.

use super::*;

fn refused_key(pem: &str) -> DeliveryError {
    let e = parse_public_key(pem).expect_err("refused");
    assert_eq!(e.kind, ErrorKind::BadKey, "{e}");
    assert_eq!(e.subject, "EncryptionPublicKey");
    e
}

#[test]
fn wrong_kinds_of_pem_are_refused_helpfully() {
    for private in [SM2_PKCS8, SM2_SEC1, RSA2048_PKCS8, RSA2048_PKCS1] {
        let e = refused_key(private);
        assert_says(&e, &["is a private key", "send the public key", "-pubout"]);
        assert!(
            !e.message.contains(&private[40..60]),
            "never echoes the key"
        );
    }
    assert_says(&refused_key(CERT), &["certificate", "openssl x509"]);
    assert_says(
        &refused_key(&RSA2048_PUB.replace("PUBLIC KEY", "PUBLIC  KEY")),
        &["PUBLIC  KEY", "expected -----BEGIN PUBLIC KEY-----"],
    );
    assert_says(
        &refused_key(&RSA2048_PUB.replacen(
            "-----END PUBLIC KEY-----",
            "-----END RSA PUBLIC KEY-----",
            1,
        )),
        &["ends with -----END RSA PUBLIC KEY-----"],
    );
    assert_says(
        &refused_key(&format!("{RSA2048_PUB}garbage")),
        &["data after", "exactly one PEM block"],
    );
    assert_says(
        &refused_key(&format!("{RSA2048_PUB}{SM2_PUB}")),
        &["exactly one PEM block"],
    );
    assert_says(
        &refused_key(&format!("my key:\n{RSA2048_PUB}")),
        &["text before"],
    );
    assert_says(&refused_key(""), &["is empty"]);
    assert_says(&refused_key("   \n"), &["is empty"]);
    assert_says(&refused_key("hello"), &["not PEM"]);
    assert_says(
        &refused_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE user@host"),
        &["OpenSSH", "ssh-keygen"],
    );
    assert_says(&refused_key(&RSA2048_PUB.replace('\n', "\\n")), &["\\n"]);
    assert_says(
        &refused_key(&RSA2048_PUB.replacen("MII", "MI*", 1)),
        &["not valid base64"],
    );
    assert_says(
        &refused_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
        &["SubjectPublicKeyInfo"],
    );
    assert_says(
        &refused_key(&pem_encode("PUBLIC KEY", &[0x30, 0x00])),
        &["SubjectPublicKeyInfo"],
    );
    // Trailing bytes inside the DER.
    let der = {
        let b = keyfile_body(RSA2048_PUB);
        [b, vec![0]].concat()
    };
    assert_says(
        &refused_key(&pem_encode("PUBLIC KEY", &der)),
        &["SubjectPublicKeyInfo"],
    );
    assert_says(
        &refused_key("-----BEGIN PUBLIC KEY-----\nAAAA\n"),
        &["no -----END PUBLIC KEY----- line"],
    );
}

fn keyfile_body(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

#[test]
fn wrong_curves_and_algorithms_are_named() {
    assert_says(
        &refused_key(P256_PUB),
        &[
            "P-256",
            "1.2.840.10045.3.1.7",
            "sm2p256v1",
            "openssl genpkey -algorithm SM2",
        ],
    );
    assert_says(&refused_key(ED25519_PUB), &["Ed25519", "1.3.101.112"]);
    assert_says(
        &refused_key(RSA_PSS_PUB),
        &["RSASSA-PSS", "only be used to sign"],
    );
    // An unknown algorithm OID.
    assert_says(
        &refused_key(&spki_pem(Oid::new_unwrap("1.2.3.4"), None, &[1, 2, 3])),
        &["OID 1.2.3.4"],
    );
    // Explicit curve parameters instead of a named curve.
    let explicit = [0x30, 0x03, 0x02, 0x01, 0x01];
    let sm2 = ::sm2::SecretKey::random(&mut seeded(5)).public_key();
    let point = sm2.to_sec1_bytes();
    assert_says(
        &refused_key(&spki_pem(
            keyfile::OID_EC_PUBLIC_KEY,
            Some(der::AnyRef::from_der(&explicit).unwrap()),
            &point,
        )),
        &["spells out its curve parameters"],
    );
    assert_says(
        &refused_key(&spki_pem(keyfile::OID_EC_PUBLIC_KEY, None, &point)),
        &["does not name its curve"],
    );
}

#[test]
fn sm2_points_are_validated() {
    let sm2 = ::sm2::SecretKey::random(&mut seeded(6)).public_key();
    let point = sm2.to_sec1_bytes().to_vec();
    let good = parse_public_key(&sm2_spki_pem(&point)).unwrap();
    assert_eq!(good, RecipientKey::Sm2(sm2));
    // The SM2 OID as the SPKI algorithm, with no, NULL or the same parameters.
    let null = [0x05, 0x00];
    let oid = sm2_oid_any();
    for params in [None, Some(&null[..]), Some(&oid[..])] {
        let pem = spki_pem(
            keyfile::OID_SM2,
            params.map(|p| der::AnyRef::from_der(p).unwrap()),
            &point,
        );
        assert_eq!(parse_public_key(&pem).unwrap(), good);
    }
    let p256 = Oid::new_unwrap("1.2.840.10045.3.1.7").to_der().unwrap();
    assert_says(
        &refused_key(&spki_pem(
            keyfile::OID_SM2,
            Some(der::AnyRef::from_der(&p256).unwrap()),
            &point,
        )),
        &["other than sm2p256v1"],
    );
    // Compressed points are unambiguous and accepted.
    use ::sm2::elliptic_curve::sec1::ToEncodedPoint;
    let compressed = sm2.to_encoded_point(true);
    assert_eq!(
        parse_public_key(&sm2_spki_pem(compressed.as_bytes())).unwrap(),
        good
    );
    let mut off = point.clone();
    off[64] ^= 1;
    assert_says(&refused_key(&sm2_spki_pem(&off)), &["not on the SM2 curve"]);
    assert_says(&refused_key(&sm2_spki_pem(&[0])), &["point at infinity"]);
    assert_says(
        &refused_key(&sm2_spki_pem(&point[1..])),
        &["not an SEC1 point encoding"],
    );
    // The point (0, 0) is not on the curve either.
    let mut zero = vec![0u8; 65];
    zero[0] = 4;
    assert_says(
        &refused_key(&sm2_spki_pem(&zero)),
        &["not on the SM2 curve"],
    );
}

fn rsa_spki(n: &[u8], e: &[u8]) -> String {
    let key = rsa::pkcs1::RsaPublicKey {
        modulus: der::asn1::UintRef::new(n).unwrap(),
        public_exponent: der::asn1::UintRef::new(e).unwrap(),
    };
    let inner = key.to_der().unwrap();
    let null = [0x05, 0x00];
    spki_pem(
        keyfile::OID_RSA_ENCRYPTION,
        Some(der::AnyRef::from_der(&null).unwrap()),
        &inner,
    )
}

#[test]
fn rsa_sizes_and_exponents() {
    assert_says(
        &refused_key(RSA1024_PUB),
        &["RSA key of 1024 bits", "2048 to 4096"],
    );
    let rsa = match parse_public_key(RSA2048_PUB).unwrap() {
        RecipientKey::Rsa(k) => k,
        k => panic!("{k:?}"),
    };
    let n = rsa.modulus().to_vec();
    assert!(parse_public_key(&rsa_spki(&n, &[1, 0, 1])).is_ok());
    assert!(parse_public_key(&rsa_spki(&n, &[3])).is_ok());
    assert_says(
        &refused_key(&rsa_spki(&n, &[1])),
        &["exponent 1", "odd", "65537"],
    );
    assert_says(&refused_key(&rsa_spki(&n, &[4])), &["exponent 4"]);
    assert_says(&refused_key(&rsa_spki(&n, &[2])), &["exponent 2"]);
    assert_says(
        &refused_key(&rsa_spki(&n, &[1, 0, 0, 0, 3])),
        &["exponent 4294967299"],
    );
    assert!(parse_public_key(&rsa_spki(&n, &[1, 0, 0, 0, 1])).is_ok());
    assert_says(&refused_key(&rsa_spki(&n, &[0xff; 16])), &["of 128 bits"]);
    let mut even = n.clone();
    *even.last_mut().unwrap() &= 0xfe;
    assert_says(
        &refused_key(&rsa_spki(&even, &[1, 0, 1])),
        &["even RSA modulus"],
    );
    let mut big = vec![0xffu8; 4096 / 8 + 1];
    big[0] = 1;
    assert_says(
        &refused_key(&rsa_spki(&big, &[1, 0, 1])),
        &["RSA key of 4097 bits"],
    );
    let mut b2047 = n.clone();
    b2047[0] = 0x7f;
    assert_says(
        &refused_key(&rsa_spki(&b2047, &[1, 0, 1])),
        &["RSA key of 2047 bits"],
    );
}
