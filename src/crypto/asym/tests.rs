use super::*;

fn keys() -> Vec<PrivateKey> {
    AsymmetricSpec::ALL
        .into_iter()
        .map(PrivateKey::generate)
        .collect()
}

#[test]
fn names_round_trip() {
    for s in AsymmetricSpec::ALL {
        assert_eq!(AsymmetricSpec::from_name(s.name()), Some(s));
    }
    for a in SignAlgorithm::ALL {
        assert_eq!(SignAlgorithm::parse(a.name()), Some(a));
        assert_eq!(
            AsymmetricSpec::ALL.iter().filter(|s| a.fits(**s)).count(),
            1
        );
    }
    for a in DecryptAlgorithm::ALL {
        assert_eq!(DecryptAlgorithm::parse(a.name()), Some(a));
        assert!(!a.fits(AsymmetricSpec::EccP256));
    }
    assert_eq!(SignAlgorithm::parse("sm2dsa"), None);
    assert_eq!(AsymmetricSpec::from_name("RSA_4096"), None);
}

#[test]
fn der_round_trip_and_spec_refusal() {
    for k in keys() {
        let der = k.to_der();
        let back = PrivateKey::from_der(k.spec(), der.expose()).unwrap();
        assert_eq!(back.public_key(), k.public_key());
        for other in AsymmetricSpec::ALL {
            if other != k.spec() {
                assert_eq!(
                    PrivateKey::from_der(other, der.expose()).err(),
                    Some(BadKey),
                    "{} material read as {}",
                    k.spec(),
                    other
                );
            }
        }
        let spki = k.public_key().spki_der();
        let p = PublicKey::from_spki_der(&spki).unwrap();
        assert_eq!(p, k.public_key());
        assert_eq!(p.spec(), k.spec());
        let mut trailing = spki.clone();
        trailing.push(0);
        assert!(PublicKey::from_spki_der(&trailing).is_err());
        assert!(PublicKey::pem_is_openssl_style(&k.public_key()));
        // Debug names the spec and nothing else.
        assert_eq!(format!("{k:?}"), format!("PrivateKey({})", k.spec()));
        assert!(PrivateKey::from_der(k.spec(), &der.expose()[..der.len() - 1]).is_err());
    }
}

impl PublicKey {
    fn pem_is_openssl_style(&self) -> bool {
        let pem = self.pem();
        pem.starts_with("-----BEGIN PUBLIC KEY-----\n")
            && pem.ends_with("-----END PUBLIC KEY-----\n")
            && pem.lines().all(|l| l.len() <= 64)
    }
}

#[test]
fn sm2_spki_names_the_sm2_curve() {
    let der = PrivateKey::generate(AsymmetricSpec::Sm2)
        .public_key()
        .spki_der();
    let ec = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    let sm2 = [0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d];
    assert!(der.windows(ec.len()).any(|w| w == ec));
    assert!(der.windows(sm2.len()).any(|w| w == sm2));
    assert_eq!(der.len(), 91);
}

#[test]
fn sign_and_verify_every_algorithm() {
    for k in keys() {
        let p = k.public_key();
        for alg in SignAlgorithm::ALL {
            if !alg.fits(k.spec()) {
                assert_eq!(
                    k.sign(alg, Message::Raw(b"m")),
                    Err(SignError::AlgorithmMismatch)
                );
                continue;
            }
            let sig = k.sign(alg, Message::Raw(b"message")).unwrap();
            assert!(p.verify(alg, Message::Raw(b"message"), &sig), "{alg:?}");
            assert!(!p.verify(alg, Message::Raw(b"messagf"), &sig), "{alg:?}");
            let mut bad = sig.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(!p.verify(alg, Message::Raw(b"message"), &bad), "{alg:?}");
            let mut trailing = sig.clone();
            trailing.push(0);
            assert!(
                !p.verify(alg, Message::Raw(b"message"), &trailing),
                "{alg:?}"
            );
            assert!(!p.verify(alg, Message::Raw(b"message"), &[]), "{alg:?}");
            // The longest RAW message, and one byte more.
            let long = vec![7u8; MAX_RAW_LEN];
            let sig = k.sign(alg, Message::Raw(&long)).unwrap();
            assert!(p.verify(alg, Message::Raw(&long), &sig));
            let longer = vec![7u8; MAX_RAW_LEN + 1];
            assert_eq!(
                k.sign(alg, Message::Raw(&longer)),
                Err(SignError::MessageTooLong)
            );
            assert!(!p.verify(alg, Message::Raw(&longer), &sig));
            for n in [0, 31, 33, 64] {
                assert_eq!(
                    k.sign(alg, Message::Digest(&vec![1; n])),
                    Err(SignError::DigestLength)
                );
            }
        }
    }
}

/// DIGEST is the value RAW hashes to: SM3(Z_A ‖ M) for SM2DSA, SHA-256(M) for the
/// rest, so a signature made one way verifies the other.
#[test]
fn digest_and_raw_agree() {
    for k in keys() {
        let p = k.public_key();
        let alg = *SignAlgorithm::ALL
            .iter()
            .find(|a| a.fits(k.spec()))
            .unwrap();
        let msg = b"the quick brown fox";
        let digest: [u8; 32] = match k.spec() {
            AsymmetricSpec::Sm2 => sm2_e(&p, msg),
            _ => Sha256::digest(msg).into(),
        };
        let from_raw = k.sign(alg, Message::Raw(msg)).unwrap();
        let from_digest = k.sign(alg, Message::Digest(&digest)).unwrap();
        assert!(p.verify(alg, Message::Digest(&digest), &from_raw));
        assert!(p.verify(alg, Message::Raw(msg), &from_digest));
        // Deterministic nonces (RFC 6979): the same e gives the same signature.
        if k.spec() != AsymmetricSpec::Rsa2048 {
            assert_eq!(from_raw, from_digest);
        }
    }
}

/// e = SM3(Z_A ‖ M), Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) (GB/T 32918.2
/// §5.5), written out here independently of the sm2 crate.
pub(super) fn sm2_e(p: &PublicKey, msg: &[u8]) -> [u8; 32] {
    use sm3::Sm3;
    let spki = p.spki_der();
    let point = &spki[spki.len() - 64..];
    let h = |s: &str| hex::decode(s).unwrap();
    let za = Sm3::new()
        .chain_update([0x00, 0x80])
        .chain_update(DEFAULT_DISTID.as_bytes())
        .chain_update(h(
            "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC",
        ))
        .chain_update(h(
            "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93",
        ))
        .chain_update(h(
            "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7",
        ))
        .chain_update(h(
            "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0",
        ))
        .chain_update(point)
        .finalize();
    Sm3::new()
        .chain_update(za)
        .chain_update(msg)
        .finalize()
        .into()
}

#[test]
fn decrypt_round_trips() {
    use rand_chacha::rand_core::SeedableRng;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let sm2 = PrivateKey::generate(AsymmetricSpec::Sm2);
    let PublicInner::Sm2(point) = sm2.public_key().0 else {
        unreachable!()
    };
    for len in [1, 16, 32, 100] {
        let msg = vec![0x42u8; len];
        let ct = crate::crypto::sm2::encrypt(&point, &msg, &mut rng).to_der();
        let pt = sm2.decrypt(DecryptAlgorithm::Sm2C1C3C2Asn1, &ct).unwrap();
        assert_eq!(pt.expose(), &msg[..]);
        let mut bad = ct.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(
            sm2.decrypt(DecryptAlgorithm::Sm2C1C3C2Asn1, &bad),
            Err(DecryptFailed)
        );
        assert_eq!(
            sm2.decrypt(DecryptAlgorithm::RsaOaepSha256, &ct),
            Err(DecryptFailed)
        );
    }

    let rsa = PrivateKey::generate(AsymmetricSpec::Rsa2048);
    let PublicInner::Rsa(pk) = rsa.public_key().0 else {
        unreachable!()
    };
    // The rsa crate encrypts (code that is not ours), we decrypt.
    for len in [0, 1, 32, 190, 214, 245] {
        let msg: Vec<u8> = (0..len).map(|i| i as u8 ^ 0xa5).collect();
        if len <= 245 {
            let ct = pk.encrypt(&mut rng, ::rsa::Pkcs1v15Encrypt, &msg).unwrap();
            let pt = rsa.decrypt(DecryptAlgorithm::RsaPkcs1V15, &ct).unwrap();
            assert_eq!(pt.expose(), &msg[..]);
            assert_eq!(
                rsa.decrypt(DecryptAlgorithm::RsaOaepSha1, &ct),
                Err(DecryptFailed)
            );
        }
        if len <= 214 {
            let ct = pk
                .encrypt(&mut rng, ::rsa::Oaep::new::<sha1::Sha1>(), &msg)
                .unwrap();
            let pt = rsa.decrypt(DecryptAlgorithm::RsaOaepSha1, &ct).unwrap();
            assert_eq!(pt.expose(), &msg[..]);
            assert_eq!(
                rsa.decrypt(DecryptAlgorithm::RsaOaepSha256, &ct),
                Err(DecryptFailed)
            );
        }
        if len <= 190 {
            let ct = pk
                .encrypt(&mut rng, ::rsa::Oaep::new::<Sha256>(), &msg)
                .unwrap();
            let pt = rsa.decrypt(DecryptAlgorithm::RsaOaepSha256, &ct).unwrap();
            assert_eq!(pt.expose(), &msg[..]);
            assert_eq!(
                rsa.decrypt(DecryptAlgorithm::RsaPkcs1V15, &ct),
                Err(DecryptFailed)
            );
            let mut bad = ct.clone();
            bad[100] ^= 0x10;
            assert_eq!(
                rsa.decrypt(DecryptAlgorithm::RsaOaepSha256, &bad),
                Err(DecryptFailed)
            );
        }
    }
    // Wrong lengths, and a ciphertext ≥ n.
    for bad in [vec![], vec![1u8; 255], vec![1u8; 257], vec![0xffu8; 256]] {
        for alg in [
            DecryptAlgorithm::RsaPkcs1V15,
            DecryptAlgorithm::RsaOaepSha1,
            DecryptAlgorithm::RsaOaepSha256,
        ] {
            assert_eq!(rsa.decrypt(alg, &bad), Err(DecryptFailed));
        }
    }
    assert_eq!(
        PrivateKey::generate(AsymmetricSpec::EccP256)
            .decrypt(DecryptAlgorithm::RsaPkcs1V15, &[0; 256]),
        Err(DecryptFailed)
    );
}

/// Our RSA signatures are the rsa crate's, byte for byte, for PKCS#1 v1.5
/// (deterministic); PSS ones verify with it.
#[test]
fn rsa_signatures_match_the_rsa_crate() {
    let k = PrivateKey::generate(AsymmetricSpec::Rsa2048);
    let Inner::Rsa(pair) = &k.0 else {
        unreachable!()
    };
    let hash: [u8; 32] = Sha256::digest(b"abc").into();
    let ours = k
        .sign(SignAlgorithm::RsaPkcs1Sha256, Message::Raw(b"abc"))
        .unwrap();
    let theirs = pair
        .key
        .sign(::rsa::Pkcs1v15Sign::new::<Sha256>(), &hash)
        .unwrap();
    assert_eq!(ours, theirs);
    let pss = k
        .sign(SignAlgorithm::RsaPssSha256, Message::Digest(&hash))
        .unwrap();
    assert_eq!(pss.len(), 256);
    ::rsa::RsaPublicKey::from(&pair.key)
        .verify(::rsa::Pss::new_with_salt::<Sha256>(32), &hash, &pss)
        .unwrap();
}
