use super::*;
use crate::crypto::cmk::CmkCipher;
use crate::crypto::deliver::{self, Algorithm};
use crate::crypto::seal::Sealer;
use crate::crypto::secret::SecretBytes;
use crate::kms::keys::NewKey;
use crate::kms::{Limits, ManualClock};
use crate::model::{KeyUsage, Scope};
use crate::store::{sqlite::SqliteStore, Store};

const START: i64 = 1_800_000_000;

fn kms(clock: ManualClock) -> (Kms, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let sealer = Arc::new(Sealer::new(&SecretBytes::new(vec![5; 32])).unwrap());
    let k = Kms::new(
        store.clone(),
        sealer,
        Arc::new(clock),
        Limits::default(),
        CmkCipher::Sm4Gcm,
    );
    (k, store)
}

fn ctx(account: u64) -> RequestContext {
    RequestContext::for_scope(Scope {
        account,
        region: "ap-guangzhou".into(),
    })
}

async fn key(k: &Kms, alias: &str, origin: Origin, cipher: CmkCipher) -> Cmk {
    k.create_key(
        &ctx(1),
        NewKey {
            alias: alias.into(),
            description: String::new(),
            usage: KeyUsage::EncryptDecrypt,
            origin,
            cipher: Some(cipher),
            tags: vec![],
        },
    )
    .await
    .unwrap()
}

/// `material` wrapped to the public key of `params` (our own encryption: the
/// independent implementations are in tests/python/test_tencent_import.py).
fn wrap_for(params: &ImportParameters, alg: &str, material: &[u8]) -> Vec<u8> {
    let pem = crate::crypto::asym::PublicKey::from_spki_der(&params.public_key)
        .unwrap()
        .pem();
    let recipient = deliver::parse_public_key(&pem).unwrap();
    let alg = match alg {
        "RSAES_PKCS1_V1_5" => Algorithm::RsaPkcs1V15,
        "RSAES_OAEP_SHA_1" => Algorithm::RsaOaepSha1,
        "RSAES_OAEP_SHA_256" => Algorithm::RsaOaepSha256,
        "SM2_ENCRYPT" => Algorithm::Sm2C1C3C2Asn1,
        other => panic!("{other}"),
    };
    deliver::deliver(&recipient, alg, material).unwrap()
}

fn problem(e: Error) -> ImportError {
    match e {
        Error::Import { problem, .. } => problem,
        other => panic!("not an import error: {other:?}"),
    }
}

async fn import(k: &Kms, key_id: &str, alg: &str, material: &[u8], valid_to: i64) -> Result<Cmk> {
    let spec = if alg == "SM2_ENCRYPT" {
        "SM2"
    } else {
        "RSA_2048"
    };
    let p = k
        .get_parameters_for_import(&ctx(1), key_id, alg, spec)
        .await?;
    let blob = wrap_for(&p, alg, material);
    k.import_key_material(&ctx(1), key_id, &p.import_token, &blob, valid_to)
        .await
}

#[tokio::test]
async fn every_wrapping_algorithm_imports_and_the_key_works() {
    let (k, _) = kms(ManualClock::new(START));
    for (i, alg) in [
        "RSAES_PKCS1_V1_5",
        "RSAES_OAEP_SHA_1",
        "RSAES_OAEP_SHA_256",
        "SM2_ENCRYPT",
    ]
    .into_iter()
    .enumerate()
    {
        let ext = key(&k, &format!("e{i}"), Origin::External, CmkCipher::Sm4Gcm).await;
        assert_eq!(ext.state, KeyState::PendingImport);
        let got = import(&k, &ext.key_id, alg, &[i as u8 + 1; 16], 0)
            .await
            .unwrap();
        assert_eq!((got.state, got.current_version), (KeyState::Enabled, 1));
        let (blob, _) = k.encrypt(&ctx(1), &ext.key_id, b"hi", None).await.unwrap();
        assert_eq!(
            k.decrypt(&ctx(1), &blob, None).await.unwrap().0.expose(),
            b"hi"
        );
    }
    // AES-256 keys take 256 bits.
    let aes = key(&k, "aes", Origin::External, CmkCipher::Aes256Gcm).await;
    assert_eq!(
        problem(
            import(&k, &aes.key_id, "RSAES_OAEP_SHA_256", &[1; 16], 0)
                .await
                .unwrap_err()
        ),
        ImportError::WrongLength {
            got: 128,
            want: 256
        }
    );
    import(&k, &aes.key_id, "RSAES_OAEP_SHA_256", &[1; 32], 0)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_imported_material_is_the_key() {
    // A blob made with the imported material under our blob format opens: the
    // material really is what the caller sent, not a key of ours.
    let (k, store) = kms(ManualClock::new(START));
    let ext = key(&k, "e", Origin::External, CmkCipher::Sm4Gcm).await;
    import(&k, &ext.key_id, "RSAES_OAEP_SHA_256", &[0x5A; 16], 0)
        .await
        .unwrap();
    let sealed = store.get_material(&ext.key_id, 1).await.unwrap().unwrap();
    let m = k
        .sealer
        .open(&seal::cmk_identity(&ext.key_id, 1), &sealed)
        .unwrap();
    assert_eq!(m.expose(), &[0x5A; 16]);
    let stored = store.get_cmk(&ext.key_id).await.unwrap().unwrap();
    let fp = stored.import_fingerprint.unwrap();
    assert_eq!(fp.len(), 32);
    assert!(!fp.windows(16).any(|w| w == [0x5A; 16]));
}

#[tokio::test]
async fn tokens_are_single_use_bound_and_expire() {
    let clock = ManualClock::new(START);
    let (k, _) = kms(clock.clone());
    let a = key(&k, "a", Origin::External, CmkCipher::Sm4Gcm).await;
    let b = key(&k, "b", Origin::External, CmkCipher::Sm4Gcm).await;
    let alg = "RSAES_OAEP_SHA_256";
    let p = k
        .get_parameters_for_import(&ctx(1), &a.key_id, alg, "RSA_2048")
        .await
        .unwrap();
    assert_eq!(p.valid_to, START + 86_400);
    let blob = wrap_for(&p, alg, &[1; 16]);
    // Foreign: the token of a, presented for b.
    assert_eq!(
        problem(
            k.import_key_material(&ctx(1), &b.key_id, &p.import_token, &blob, 0)
                .await
                .unwrap_err()
        ),
        ImportError::TokenForeign
    );
    assert_eq!(
        problem(
            k.import_key_material(&ctx(1), &a.key_id, "bm90LWEtdG9rZW4=", &blob, 0)
                .await
                .unwrap_err()
        ),
        ImportError::TokenUnknown
    );
    // Another account does not even see the key.
    assert!(matches!(
        k.import_key_material(&ctx(2), &a.key_id, &p.import_token, &blob, 0)
            .await,
        Err(Error::NotFound { .. })
    ));
    // The foreign attempts did not spend it.
    k.import_key_material(&ctx(1), &a.key_id, &p.import_token, &blob, 0)
        .await
        .unwrap();
    assert_eq!(
        problem(
            k.import_key_material(&ctx(1), &a.key_id, &p.import_token, &blob, 0)
                .await
                .unwrap_err()
        ),
        ImportError::TokenUsed
    );
    // Expiry: good until the last second, refused from ParametersValidTo on.
    let p = k
        .get_parameters_for_import(&ctx(1), &b.key_id, alg, "RSA_2048")
        .await
        .unwrap();
    let blob = wrap_for(&p, alg, &[2; 16]);
    clock.advance(86_400);
    assert_eq!(
        problem(
            k.import_key_material(&ctx(1), &b.key_id, &p.import_token, &blob, 0)
                .await
                .unwrap_err()
        ),
        ImportError::TokenExpired
    );
}

#[tokio::test]
async fn an_undecryptable_blob_spends_the_token_and_says_nothing_more() {
    let (k, _) = kms(ManualClock::new(START));
    let a = key(&k, "a", Origin::External, CmkCipher::Sm4Gcm).await;
    for alg in ["RSAES_PKCS1_V1_5", "SM2_ENCRYPT"] {
        let spec = if alg == "SM2_ENCRYPT" {
            "SM2"
        } else {
            "RSA_2048"
        };
        let p = k
            .get_parameters_for_import(&ctx(1), &a.key_id, alg, spec)
            .await
            .unwrap();
        let mut blob = wrap_for(&p, alg, &[1; 16]);
        let n = blob.len();
        blob[n - 1] ^= 1;
        let e = k
            .import_key_material(&ctx(1), &a.key_id, &p.import_token, &blob, 0)
            .await
            .unwrap_err();
        assert_eq!(problem(e), ImportError::UnwrapFailed);
        let good = wrap_for(&p, alg, &[1; 16]);
        assert_eq!(
            problem(
                k.import_key_material(&ctx(1), &a.key_id, &p.import_token, &good, 0)
                    .await
                    .unwrap_err()
            ),
            ImportError::TokenUsed,
            "one decryption per wrapping key"
        );
    }
}

#[tokio::test]
async fn parameters_are_checked() {
    let (k, _) = kms(ManualClock::new(START));
    let ext = key(&k, "e", Origin::External, CmkCipher::Sm4Gcm).await;
    let own = key(&k, "k", Origin::Kms, CmkCipher::Sm4Gcm).await;
    let field = |e: Error| match e {
        Error::Invalid { field, .. } => field,
        other => panic!("{other:?}"),
    };
    let g = |id: String, a: &'static str, s: &'static str| {
        let k = &k;
        async move { k.get_parameters_for_import(&ctx(1), &id, a, s).await }
    };
    assert_eq!(
        field(
            g(ext.key_id.clone(), "RSAES_OAEP_SHA_512", "RSA_2048")
                .await
                .unwrap_err()
        ),
        Field::WrappingAlgorithm
    );
    assert_eq!(
        field(
            g(ext.key_id.clone(), "RSAES_OAEP_SHA_1", "RSA_4096")
                .await
                .unwrap_err()
        ),
        Field::WrappingKeySpec
    );
    assert_eq!(
        field(
            g(ext.key_id.clone(), "SM2_ENCRYPT", "RSA_2048")
                .await
                .unwrap_err()
        ),
        Field::WrappingKeySpec
    );
    assert_eq!(
        problem(
            g(own.key_id.clone(), "RSAES_OAEP_SHA_1", "RSA_2048")
                .await
                .unwrap_err()
        ),
        ImportError::NotExternal
    );
    assert!(matches!(
        k.delete_imported_key_material(&ctx(1), &own.key_id).await,
        Err(Error::Import {
            problem: ImportError::NotExternal,
            ..
        })
    ));
    let p = g(ext.key_id.clone(), "SM2_ENCRYPT", "SM2").await.unwrap();
    let blob = wrap_for(&p, "SM2_ENCRYPT", &[1; 16]);
    for bad in [START, START - 1, MAX_VALID_TO + 1, -5] {
        assert_eq!(
            field(
                k.import_key_material(&ctx(1), &ext.key_id, &p.import_token, &blob, bad)
                    .await
                    .unwrap_err()
            ),
            Field::ValidTo,
            "{bad}"
        );
    }
    k.import_key_material(&ctx(1), &ext.key_id, &p.import_token, &blob, MAX_VALID_TO)
        .await
        .unwrap();
    // A key on its way out takes no material.
    k.disable_key(&ctx(1), &ext.key_id).await.unwrap();
    k.schedule_key_deletion(&ctx(1), &ext.key_id, 7)
        .await
        .unwrap();
    assert!(matches!(
        g(ext.key_id.clone(), "SM2_ENCRYPT", "SM2").await,
        Err(Error::WrongState {
            op: Op::Import,
            state: KeyState::PendingDelete,
            ..
        })
    ));
}

#[tokio::test]
async fn re_import_takes_only_the_same_material_and_old_blobs_decrypt_again() {
    let (k, store) = kms(ManualClock::new(START));
    let ext = key(&k, "e", Origin::External, CmkCipher::Sm4Gcm).await;
    import(&k, &ext.key_id, "RSAES_OAEP_SHA_1", &[7; 16], 0)
        .await
        .unwrap();
    let (blob, _) = k
        .encrypt(&ctx(1), &ext.key_id, b"kept", None)
        .await
        .unwrap();
    // Re-import into a key that has material: same material only (its expiry may
    // change).
    assert_eq!(
        problem(
            import(&k, &ext.key_id, "RSAES_OAEP_SHA_1", &[8; 16], 0)
                .await
                .unwrap_err()
        ),
        ImportError::MaterialMismatch
    );
    let again = import(&k, &ext.key_id, "RSAES_OAEP_SHA_1", &[7; 16], START + 100)
        .await
        .unwrap();
    assert_eq!(again.valid_to, START + 100);
    // Deleted: PendingImport, no material, old blobs refused.
    let gone = k
        .delete_imported_key_material(&ctx(1), &ext.key_id)
        .await
        .unwrap();
    assert_eq!(
        (gone.state, gone.current_version, gone.valid_to),
        (KeyState::PendingImport, 0, 0)
    );
    assert!(store.get_material(&ext.key_id, 1).await.unwrap().is_none());
    assert!(
        k.materials.get(&ext.key_id, 1).is_none(),
        "the cache forgot it"
    );
    assert!(matches!(
        k.decrypt(&ctx(1), &blob, None).await,
        Err(Error::WrongState {
            state: KeyState::PendingImport,
            ..
        })
    ));
    assert_eq!(
        problem(
            import(&k, &ext.key_id, "SM2_ENCRYPT", &[9; 16], 0)
                .await
                .unwrap_err()
        ),
        ImportError::MaterialMismatch,
        "after deletion, too"
    );
    import(&k, &ext.key_id, "SM2_ENCRYPT", &[7; 16], 0)
        .await
        .unwrap();
    assert_eq!(
        k.decrypt(&ctx(1), &blob, None).await.unwrap().0.expose(),
        b"kept"
    );
}

#[tokio::test]
async fn expired_material_is_refused_at_once_and_swept() {
    let clock = ManualClock::new(START);
    let (k, store) = kms(clock.clone());
    let ext = key(&k, "e", Origin::External, CmkCipher::Sm4Gcm).await;
    import(&k, &ext.key_id, "RSAES_OAEP_SHA_256", &[3; 16], START + 60)
        .await
        .unwrap();
    let (blob, _) = k.encrypt(&ctx(1), &ext.key_id, b"x", None).await.unwrap();
    clock.advance(59);
    assert_eq!(k.expire_imported_material().await.unwrap(), 0);
    k.decrypt(&ctx(1), &blob, None).await.unwrap();
    clock.advance(1);
    // Before any sweep: refused, and described as PendingImport.
    let seen = k.get_key(&ctx(1), &ext.key_id).await.unwrap();
    assert_eq!(
        (seen.state, seen.current_version),
        (KeyState::PendingImport, 0)
    );
    for e in [
        k.encrypt(&ctx(1), &ext.key_id, b"x", None)
            .await
            .map(|_| ())
            .unwrap_err(),
        k.decrypt(&ctx(1), &blob, None)
            .await
            .map(|_| ())
            .unwrap_err(),
    ] {
        assert!(
            matches!(
                e,
                Error::WrongState {
                    state: KeyState::PendingImport,
                    ..
                }
            ),
            "{e:?}"
        );
    }
    let listed = k
        .list_keys_filtered(&ctx(1), &Default::default(), 0, 10)
        .await;
    assert_eq!(listed.unwrap().items[0].state, KeyState::PendingImport);
    // An edit in between writes the view back; the sweep still finds the key.
    k.update_description(&ctx(1), &ext.key_id, "edited")
        .await
        .unwrap();
    assert!(store.get_material(&ext.key_id, 1).await.unwrap().is_some());
    assert_eq!(k.expire_imported_material().await.unwrap(), 1);
    assert!(store.get_material(&ext.key_id, 1).await.unwrap().is_none());
    let swept = store.get_cmk(&ext.key_id).await.unwrap().unwrap();
    assert_eq!(
        (swept.state, swept.current_version, swept.valid_to),
        (KeyState::PendingImport, 0, 0)
    );
    assert_eq!(k.expire_imported_material().await.unwrap(), 0);
    // The same material brings it back, old blobs included.
    import(&k, &ext.key_id, "RSAES_OAEP_SHA_256", &[3; 16], 0)
        .await
        .unwrap();
    assert_eq!(
        k.decrypt(&ctx(1), &blob, None).await.unwrap().0.expose(),
        b"x"
    );
}

#[tokio::test]
async fn expiry_during_pending_deletion_keeps_the_deletion() {
    let clock = ManualClock::new(START);
    let (k, store) = kms(clock.clone());
    let ext = key(&k, "e", Origin::External, CmkCipher::Sm4Gcm).await;
    import(&k, &ext.key_id, "RSAES_OAEP_SHA_256", &[3; 16], START + 60)
        .await
        .unwrap();
    k.disable_key(&ctx(1), &ext.key_id).await.unwrap();
    k.schedule_key_deletion(&ctx(1), &ext.key_id, 7)
        .await
        .unwrap();
    clock.advance(60);
    assert_eq!(k.expire_imported_material().await.unwrap(), 1);
    let swept = store.get_cmk(&ext.key_id).await.unwrap().unwrap();
    assert_eq!(swept.state, KeyState::PendingDelete);
    let back = k.cancel_key_deletion(&ctx(1), &ext.key_id).await.unwrap();
    assert_eq!(back.state, KeyState::PendingImport);
}

#[tokio::test]
async fn external_keys_refuse_rotation() {
    let (k, _) = kms(ManualClock::new(START));
    let ext = key(&k, "e", Origin::External, CmkCipher::Sm4Gcm).await;
    import(&k, &ext.key_id, "RSAES_OAEP_SHA_256", &[3; 16], 0)
        .await
        .unwrap();
    assert!(matches!(
        k.rotate_key(&ctx(1), &ext.key_id).await,
        Err(Error::NotForExternal { op: Op::Rotate, .. })
    ));
    assert!(matches!(
        k.enable_key_rotation(&ctx(1), &ext.key_id, 30).await,
        Err(Error::NotForExternal { .. })
    ));
}

#[tokio::test]
async fn tokens_survive_a_new_core_on_the_same_store() {
    let (k, store) = kms(ManualClock::new(START));
    let ext = key(&k, "e", Origin::External, CmkCipher::Sm4Gcm).await;
    let p = k
        .get_parameters_for_import(&ctx(1), &ext.key_id, "RSAES_PKCS1_V1_5", "RSA_2048")
        .await
        .unwrap();
    let stored = store
        .get_import_token(&wrap::token_id(&p.import_token))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(stored.token_id, p.import_token, "only a hash is stored");
    drop(k);
    let sealer = Arc::new(Sealer::new(&SecretBytes::new(vec![5; 32])).unwrap());
    let k2 = Kms::new(
        store,
        sealer,
        Arc::new(ManualClock::new(START + 10)),
        Limits::default(),
        CmkCipher::Sm4Gcm,
    );
    let blob = wrap_for(&p, "RSAES_PKCS1_V1_5", &[4; 16]);
    k2.import_key_material(&ctx(1), &ext.key_id, &p.import_token, &blob, 0)
        .await
        .unwrap();
}
