//! The GM/T 0003.5 Annex C vector bit for bit, and round trips through every
//! algorithm, private-key format and padding.

use super::*;

#[test]
fn annex_c_raw_bit_for_bit() {
    let (key, private) = annex_keys();
    let ct = deliver_with_rng(&key, Algorithm::Sm2, ANNEX_M, &mut Replay(h(ANNEX_K), 0)).unwrap();
    let expected = [h(ANNEX_C1), h(ANNEX_C3), h(ANNEX_C2)].concat();
    assert_eq!(hex::encode_upper(&ct), hex::encode_upper(&expected));
    assert_eq!(
        unwrap(&private, Algorithm::Sm2, &ct).unwrap().expose(),
        ANNEX_M
    );
}

#[test]
fn annex_c_asn1_bit_for_bit() {
    let (key, private) = annex_keys();
    let ct = deliver_with_rng(
        &key,
        Algorithm::Sm2C1C3C2Asn1,
        ANNEX_M,
        &mut Replay(h(ANNEX_K), 0),
    )
    .unwrap();
    assert_eq!(hex::encode_upper(&ct), ANNEX_DER);
    assert_eq!(
        unwrap(&private, Algorithm::Sm2C1C3C2Asn1, &ct)
            .unwrap()
            .expose(),
        ANNEX_M
    );
}

#[test]
fn every_algorithm_round_trips() {
    let mut rng = seeded(1);
    let (sm2_key, sm2_private) = fresh_sm2(&mut rng);
    let sm2_from_pem = parse_public_key(SM2_PUB).unwrap();
    let rsa_key = parse_public_key(RSA2048_PUB).unwrap();
    for alg in Algorithm::ALL {
        for len in [1usize, 16, 32, 64] {
            let msg: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            let cases: Vec<(&RecipientKey, &str)> = if alg.is_sm2() {
                vec![(&sm2_key, &sm2_private), (&sm2_from_pem, SM2_PKCS8)]
            } else {
                vec![(&rsa_key, RSA2048_PKCS8)]
            };
            for (key, private) in cases {
                let ct = deliver(key, alg, &msg).unwrap();
                let back = unwrap(private, alg, &ct).unwrap();
                assert_eq!(back.expose(), &msg[..], "{} len {len}", alg.name());
                if alg == Algorithm::Sm2 {
                    assert_eq!(ct.len(), 65 + 32 + len);
                    assert_eq!(ct[0], 0x04);
                }
            }
        }
    }
    // SM2 has no length limit worth the name; 4 KiB is Encrypt's largest plaintext.
    let big = vec![0xa5u8; 4096];
    let ct = deliver(&sm2_key, Algorithm::Sm2C1C3C2Asn1, &big).unwrap();
    assert_eq!(
        unwrap(&sm2_private, Algorithm::Sm2C1C3C2Asn1, &ct)
            .unwrap()
            .expose(),
        &big[..]
    );
}

#[test]
fn private_key_formats_from_openssl_all_unwrap() {
    let key = parse_public_key(SM2_PUB).unwrap();
    for private in [SM2_PKCS8, SM2_SEC1] {
        let ct = deliver(&key, Algorithm::Sm2, b"sixteen byte key").unwrap();
        assert_eq!(
            unwrap(private, Algorithm::Sm2, &ct).unwrap().expose(),
            b"sixteen byte key"
        );
    }
    let other = parse_public_key(SM2_WITH_PARAMS).err().unwrap();
    assert!(other.message.contains("private key"), "{other}");
    // unwrap's reader skips the PARAMETERS block in front of the key.
    let d = match keyfile::parse_private_pem(SM2_WITH_PARAMS).unwrap() {
        keyfile::PrivateKey::Sm2(d) => d,
        k => panic!("{k:?}"),
    };
    let own = RecipientKey::Sm2(d.public_key());
    let ct = deliver(&own, Algorithm::Sm2C1C3C2Asn1, b"k").unwrap();
    assert_eq!(
        unwrap(SM2_WITH_PARAMS, Algorithm::Sm2C1C3C2Asn1, &ct)
            .unwrap()
            .expose(),
        b"k"
    );

    let rsa = parse_public_key(RSA2048_PKCS1_PUB).unwrap();
    assert_eq!(rsa, parse_public_key(RSA2048_PUB).unwrap());
    for private in [RSA2048_PKCS8, RSA2048_PKCS1] {
        let ct = deliver(&rsa, Algorithm::RsaOaepSha256, b"k").unwrap();
        assert_eq!(
            unwrap(private, Algorithm::RsaOaepSha256, &ct)
                .unwrap()
                .expose(),
            b"k"
        );
    }
}

#[test]
fn rsa_paddings_are_not_interchangeable() {
    let rsa = parse_public_key(RSA2048_PUB).unwrap();
    let ct = deliver(&rsa, Algorithm::RsaOaepSha256, b"0123456789abcdef").unwrap();
    assert_eq!(ct.len(), 256);
    for other in [Algorithm::RsaOaepSha1, Algorithm::RsaPkcs1V15] {
        let r = unwrap(RSA2048_PKCS8, other, &ct);
        // PKCS#1 v1.5 may by chance "decrypt" an OAEP block; it must not give the key.
        if let Ok(p) = r {
            assert_ne!(p.expose(), b"0123456789abcdef");
        }
    }
}
