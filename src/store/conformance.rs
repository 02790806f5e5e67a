//! The conformance suite every storage engine must pass. Engines call [`run_all`] from
//! their own tests; each check uses its own account so they cannot interfere.

use super::{Store, StoreError};
use crate::crypto::asym::AsymmetricSpec;
use crate::crypto::cmk::CmkCipher;
use crate::model::{
    Cmk, Credential, DataKey, DataKeyState, ImportToken, KeySpec, KeyState, KeyUsage, Origin,
    Scope, Tag,
};

pub fn sample_cmk(alias: &str, account: u64) -> Cmk {
    Cmk {
        key_id: uuid::Uuid::new_v4().to_string(),
        scope: Scope {
            account,
            region: "ap-guangzhou".into(),
        },
        alias: alias.into(),
        description: "d".into(),
        usage: KeyUsage::EncryptDecrypt,
        spec: KeySpec::Symmetric(CmkCipher::Sm4Gcm),
        origin: Origin::Kms,
        state: KeyState::Enabled,
        created_at: 1_700_000_000,
        deletion_date: 0,
        rotation_enabled: false,
        rotate_days: 0,
        next_rotate_time: 0,
        last_rotate_time: 0,
        current_version: 1,
        tags: vec![Tag {
            key: "team".into(),
            value: "pay".into(),
        }],
        valid_to: 0,
        import_fingerprint: None,
        revision: 0,
    }
}

/// An EXTERNAL key awaiting its material.
pub fn sample_external_cmk(alias: &str, account: u64) -> Cmk {
    Cmk {
        origin: Origin::External,
        state: KeyState::PendingImport,
        current_version: 0,
        ..sample_cmk(alias, account)
    }
}

pub fn sample_token(key: &Cmk, expires_at: i64) -> ImportToken {
    ImportToken {
        token_id: uuid::Uuid::new_v4().simple().to_string(),
        key_id: key.key_id.clone(),
        scope: key.scope.clone(),
        wrapping_algorithm: "RSAES_OAEP_SHA_256".into(),
        wrapping_spec: "RSA_2048".into(),
        sealed_private_key: vec![0xA5; 40],
        created_at: expires_at - 86_400,
        expires_at,
        used_at: 0,
    }
}

pub async fn run_all(store: &dyn Store) {
    generation_moves_on_every_write(store).await;
    create_get_and_list(store).await;
    asymmetric_keys(store).await;
    alias_unique_per_scope(store).await;
    limit_is_enforced(store).await;
    optimistic_updates(store).await;
    material_versions(store).await;
    deletion_sweep(store).await;
    rotation_due(store).await;
    credentials(store).await;
    meta(store).await;
    data_keys(store).await;
    nonces(store).await;
    imported_material(store).await;
    import_tokens(store).await;
}

/// Imported material replaces whatever versions the key had, goes with
/// `remove_material`, and the fingerprint and expiry travel with the key record.
async fn imported_material(store: &dyn Store) {
    let k = sample_external_cmk("ext", 1020);
    store.create_cmk(&k, None, 10).await.unwrap();
    assert_eq!(store.get_cmk(&k.key_id).await.unwrap().unwrap(), k);
    let mut with = k.clone();
    with.state = KeyState::Enabled;
    with.current_version = 1;
    with.valid_to = 2_000_000_000;
    with.import_fingerprint = Some(vec![9; 32]);
    let stored = store.replace_material(&with, b"sealed-1").await.unwrap();
    assert_eq!(stored.revision, k.revision + 1);
    assert_eq!(store.get_cmk(&k.key_id).await.unwrap().unwrap(), stored);
    assert_eq!(
        store.get_material(&k.key_id, 1).await.unwrap().unwrap(),
        b"sealed-1"
    );
    // A stale revision writes nothing, material included.
    assert!(matches!(
        store.replace_material(&with, b"sealed-x").await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.get_material(&k.key_id, 1).await.unwrap().unwrap(),
        b"sealed-1"
    );
    // Expired material is found by the sweep query, and only from valid_to on.
    let due = |v: Vec<Cmk>| v.into_iter().any(|c| c.key_id == k.key_id);
    assert!(!due(store
        .cmks_with_expired_material(1_999_999_999)
        .await
        .unwrap()));
    assert!(due(store
        .cmks_with_expired_material(2_000_000_000)
        .await
        .unwrap()));
    let mut without = stored.clone();
    without.state = KeyState::PendingImport;
    without.current_version = 0;
    without.valid_to = 0;
    let gone = store.remove_material(&without).await.unwrap();
    assert!(store.get_material(&k.key_id, 1).await.unwrap().is_none());
    assert_eq!(
        gone.import_fingerprint,
        Some(vec![9; 32]),
        "the fingerprint outlives the material"
    );
    assert!(!due(store
        .cmks_with_expired_material(i64::MAX)
        .await
        .unwrap()));
    assert!(matches!(
        store.remove_material(&without).await,
        Err(StoreError::Conflict)
    ));
    // Re-imported: version 1 again; leftovers of any version are replaced.
    let mut again = gone.clone();
    again.state = KeyState::Enabled;
    again.current_version = 1;
    let again = store.replace_material(&again, b"sealed-2").await.unwrap();
    assert_eq!(
        store.get_material(&k.key_id, 1).await.unwrap().unwrap(),
        b"sealed-2"
    );
    let again = store.replace_material(&again, b"sealed-3").await.unwrap();
    assert_eq!(again.current_version, 1);
    assert_eq!(
        store.get_material(&k.key_id, 1).await.unwrap().unwrap(),
        b"sealed-3"
    );
}

/// Tokens are stored whole, used at most once, only for their key and before they
/// expire; housekeeping forgets them a grace period after expiry; destroying the key
/// takes its tokens.
async fn import_tokens(store: &dyn Store) {
    let k = sample_external_cmk("tok", 1021);
    store.create_cmk(&k, None, 10).await.unwrap();
    let t = sample_token(&k, 5_000);
    store.put_import_token(&t).await.unwrap();
    assert!(matches!(
        store.put_import_token(&t).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store.get_import_token(&t.token_id).await.unwrap().unwrap(),
        t
    );
    assert!(store
        .get_import_token("no-such-token")
        .await
        .unwrap()
        .is_none());
    let other = sample_external_cmk("tok-other", 1021);
    assert!(
        !store
            .use_import_token(&t.token_id, &other.key_id, 100)
            .await
            .unwrap(),
        "bound to its key"
    );
    assert!(
        !store
            .use_import_token(&t.token_id, &k.key_id, 5_000)
            .await
            .unwrap(),
        "not at or after expiry"
    );
    assert!(store
        .use_import_token(&t.token_id, &k.key_id, 4_999)
        .await
        .unwrap());
    assert!(
        !store
            .use_import_token(&t.token_id, &k.key_id, 4_999)
            .await
            .unwrap(),
        "once"
    );
    let used = store.get_import_token(&t.token_id).await.unwrap().unwrap();
    assert_eq!(used.used_at, 4_999);
    assert!(!store
        .use_import_token("no-such-token", &k.key_id, 1)
        .await
        .unwrap());
    // Housekeeping keeps an expired token for the grace period, then forgets it.
    store
        .housekeeping(5_000 + super::IMPORT_TOKEN_GRACE - 1)
        .await
        .unwrap();
    assert!(store.get_import_token(&t.token_id).await.unwrap().is_some());
    store
        .housekeeping(5_000 + super::IMPORT_TOKEN_GRACE)
        .await
        .unwrap();
    assert!(store.get_import_token(&t.token_id).await.unwrap().is_none());
    // Destroying the key takes its tokens with it.
    let live = sample_token(&k, i64::MAX / 2);
    store.put_import_token(&live).await.unwrap();
    store.destroy_cmk(&k.key_id).await.unwrap();
    assert!(store
        .get_import_token(&live.token_id)
        .await
        .unwrap()
        .is_none());
}

/// Engines that share Nonces (`Some`) must refuse a live one, and let an expired one
/// be used again; Nonces are per account.
async fn nonces(store: &dyn Store) {
    let key = [7u8; 16];
    let Some(first) = store.remember_nonce(1100, &key, 1_000, 500).await.unwrap() else {
        return;
    };
    assert!(first, "a new Nonce is fresh");
    assert_eq!(
        store.remember_nonce(1100, &key, 1_000, 600).await.unwrap(),
        Some(false),
        "a live Nonce is a replay"
    );
    assert_eq!(
        store.remember_nonce(1101, &key, 1_000, 600).await.unwrap(),
        Some(true),
        "another account's Nonces are its own"
    );
    assert_eq!(
        store
            .remember_nonce(1100, &key, 2_000, 1_000)
            .await
            .unwrap(),
        Some(true),
        "an expired Nonce may be used again"
    );
    store.housekeeping(5_000).await.unwrap();
    assert_eq!(
        store
            .remember_nonce(1100, &key, 6_000, 5_000)
            .await
            .unwrap(),
        Some(true)
    );
}

/// Fills `store` with one record of each kind (and a rotated key), for copy tests.
pub async fn fill(store: &dyn Store) {
    let mut a = sample_cmk("copy-a", 1200);
    store.create_cmk(&a, Some(b"v1"), 10).await.unwrap();
    a = store.add_material(&a, 2, b"v2").await.unwrap();
    let mut b = sample_cmk("copy-b", 1200);
    b.created_at = a.created_at; // a tie: creation order must still hold
    store.create_cmk(&b, Some(b"w1"), 10).await.unwrap();
    let mut dk = sample_data_key("copy-dk", 1200);
    dk.key_id = a.key_id.clone();
    store.create_data_key(&dk, 10).await.unwrap();
    store
        .put_credential(&Credential {
            secret_id: "AKIDcopy".into(),
            account: 1200,
            sealed_secret: vec![1, 2, 3],
            created_at: 5,
        })
        .await
        .unwrap();
    store
        .put_meta_if_absent("copy-check", b"sealed")
        .await
        .unwrap();
    let mut ext = sample_external_cmk("copy-ext", 1200);
    store.create_cmk(&ext, None, 10).await.unwrap();
    ext.state = KeyState::Enabled;
    ext.current_version = 1;
    ext.valid_to = 2_100_000_000;
    ext.import_fingerprint = Some(vec![3; 32]);
    store.replace_material(&ext, b"x1").await.unwrap();
    let mut used = sample_token(&ext, 2_000_000_000);
    store.put_import_token(&used).await.unwrap();
    assert!(store
        .use_import_token(&used.token_id, &ext.key_id, 1_900_000_000)
        .await
        .unwrap());
    used.used_at = 1_900_000_000;
    store
        .put_import_token(&sample_token(&ext, 2_000_000_001))
        .await
        .unwrap();
}

/// `export` then `import` into an empty store of any engine gives the same records;
/// a second import is refused, with nothing written.
pub async fn copy_between(from: &dyn Store, to: &dyn Store) {
    fill(from).await;
    let snapshot = from.export().await.unwrap();
    assert!(snapshot.cmks.len() >= 3 && snapshot.materials.len() >= 4);
    assert_eq!(snapshot.import_tokens.len(), 2);
    assert!(snapshot.import_tokens[0].used_at > 0);
    assert!(snapshot
        .cmks
        .iter()
        .any(|k| k.valid_to == 2_100_000_000
            && k.import_fingerprint.as_deref() == Some(&[3; 32][..])));
    to.import(&snapshot).await.unwrap();
    assert_eq!(to.export().await.unwrap(), snapshot);
    let scope = &snapshot.cmks[0].scope;
    assert_eq!(
        to.list_cmks(scope).await.unwrap(),
        from.list_cmks(scope).await.unwrap(),
        "the same listing order"
    );
    assert!(matches!(
        to.import(&snapshot).await,
        Err(StoreError::NotEmpty(_))
    ));
    assert_eq!(to.export().await.unwrap(), snapshot, "nothing half-written");
}

/// Two store objects on one database (two replicas): what one writes, the other sees
/// at its next question; their races keep the limits and revisions exact.
pub async fn replicas(a: std::sync::Arc<dyn Store>, b: std::sync::Arc<dyn Store>) {
    // The generation moves for a reader when the other replica writes.
    if let Some(g0) = a.generation().await {
        b.create_cmk(&sample_cmk("seen", 1300), Some(b"m"), 10)
            .await
            .unwrap();
        assert_ne!(a.generation().await, Some(g0), "another replica's write");
    }
    // Limits: 12 concurrent creations, half through each replica, limit 5.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.spawn(async move {
            s.create_cmk(&sample_cmk(&format!("race{i}"), 1301), Some(b"m"), 5)
                .await
        });
    }
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::LimitReached(5)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(ok, 5, "exactly the limit, never more");
    let scope = sample_cmk("x", 1301).scope;
    assert_eq!(a.count_cmks(&scope).await.unwrap(), 5);
    // The same for hosted data keys, per account.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.spawn(async move {
            s.create_data_key(&sample_data_key(&format!("dk{i}"), 1302), 4)
                .await
        });
    }
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        ok += r.unwrap().is_ok() as u32;
    }
    assert_eq!(ok, 4);
    assert_eq!(b.count_data_keys(1302).await.unwrap(), 4);
    // No lost update: both replicas update from the same revision; one wins.
    let k = sample_cmk("contended", 1303);
    a.create_cmk(&k, Some(b"m"), 10).await.unwrap();
    let (mut x, mut y) = (k.clone(), k.clone());
    x.description = "from a".into();
    y.description = "from b".into();
    let (rx, ry) = tokio::join!(a.update_cmk(&x), b.update_cmk(&y));
    assert!(
        rx.is_ok() != ry.is_ok(),
        "exactly one of two racing updates wins: {rx:?} {ry:?}"
    );
    let loser = if rx.is_ok() { ry } else { rx };
    assert!(matches!(loser, Err(StoreError::Conflict)));
    // A rotation is applied once: two replicas adding version 2 from revision 0.
    let r = sample_cmk("rotated-once", 1304);
    a.create_cmk(&r, Some(b"v1"), 10).await.unwrap();
    let (ra, rb) = tokio::join!(a.add_material(&r, 2, b"va"), b.add_material(&r, 2, b"vb"));
    assert!(ra.is_ok() != rb.is_ok(), "{ra:?} {rb:?}");
    let stored = a.get_cmk(&r.key_id).await.unwrap().unwrap();
    assert_eq!((stored.current_version, stored.revision), (2, 1));
    // An import token is used once: 16 attempts through both replicas, one wins; the
    // token stays used for both.
    let ext = sample_external_cmk("import-race", 1307);
    a.create_cmk(&ext, None, 10).await.unwrap();
    let token = sample_token(&ext, 10_000);
    a.put_import_token(&token).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (id, key) = (token.token_id.clone(), ext.key_id.clone());
        tasks.spawn(async move { s.use_import_token(&id, &key, 5_000).await });
    }
    let mut won = 0;
    while let Some(r) = tasks.join_next().await {
        won += r.unwrap().unwrap() as u32;
    }
    assert_eq!(won, 1, "exactly one consumer of an import token");
    assert_eq!(
        b.get_import_token(&token.token_id)
            .await
            .unwrap()
            .unwrap()
            .used_at,
        5_000
    );
    // Imported material set through both replicas from one revision: one wins.
    let mut x = ext.clone();
    x.state = KeyState::Enabled;
    x.current_version = 1;
    let (ra, rb) = tokio::join!(a.replace_material(&x, b"ma"), b.replace_material(&x, b"mb"));
    assert!(ra.is_ok() != rb.is_ok(), "{ra:?} {rb:?}");
    let won = if ra.is_ok() { b"ma" } else { b"mb" };
    assert_eq!(
        a.get_material(&ext.key_id, 1).await.unwrap().unwrap(),
        won.to_vec()
    );
    // Shared Nonces: one replica's Nonce is a replay on the other.
    if a.remember_nonce(1305, &[9; 16], 100, 1).await.unwrap() == Some(true) {
        assert_eq!(
            b.remember_nonce(1305, &[9; 16], 100, 2).await.unwrap(),
            Some(false)
        );
    }
    // Only one replica leads the background sweep.
    let (la, lb) = (
        a.lead_background().await.unwrap(),
        b.lead_background().await.unwrap(),
    );
    assert!(la, "the first to ask leads");
    let shared = a
        .remember_nonce(1306, &[1; 16], 100, 1)
        .await
        .unwrap()
        .is_some();
    if shared {
        assert!(
            !lb,
            "a second replica does not lead while the first holds the lock"
        );
        assert!(
            a.lead_background().await.unwrap(),
            "the leader stays the leader"
        );
    }
}

pub fn sample_data_key(name: &str, account: u64) -> DataKey {
    DataKey {
        data_key_id: uuid::Uuid::new_v4().to_string(),
        scope: Scope {
            account,
            region: "ap-guangzhou".into(),
        },
        key_id: uuid::Uuid::new_v4().to_string(),
        name: name.into(),
        description: "dk".into(),
        length: 32,
        state: DataKeyState::Enabled,
        origin: Origin::Kms,
        created_at: 1_700_000_000,
        deletion_date: 0,
        tags: vec![Tag {
            key: "k".into(),
            value: "v".into(),
        }],
        blob: vec![1, 2, 3],
        context: b"{}".to_vec(),
        revision: 0,
    }
}

async fn data_keys(store: &dyn Store) {
    let a = sample_data_key("one", 1010);
    let mut b = sample_data_key("two", 1010);
    b.created_at += 1;
    b.scope.region = "ap-beijing".into();
    store.create_data_key(&a, 3).await.unwrap();
    store.create_data_key(&b, 3).await.unwrap();
    assert_eq!(
        store.get_data_key(&a.data_key_id).await.unwrap().unwrap(),
        a
    );
    assert_eq!(
        store.list_data_keys(&a.scope).await.unwrap(),
        vec![a.clone()]
    );
    assert_eq!(
        store.count_data_keys(1010).await.unwrap(),
        2,
        "the limit counts every scope"
    );
    assert!(matches!(
        store
            .create_data_key(&sample_data_key("one", 1010), 3)
            .await,
        Err(StoreError::DataKeyNameExists)
    ));
    let mut other_region = sample_data_key("one", 1010);
    other_region.scope.region = "ap-shanghai".into();
    store.create_data_key(&other_region, 3).await.unwrap();
    assert!(matches!(
        store
            .create_data_key(&sample_data_key("four", 1010), 3)
            .await,
        Err(StoreError::LimitReached(3))
    ));
    let mut changed = a.clone();
    changed.state = DataKeyState::PendingDelete;
    changed.deletion_date = 2_000_000_000;
    changed.name = "renamed".into();
    let stored = store.update_data_key(&changed).await.unwrap();
    assert_eq!(stored.revision, 1);
    assert!(matches!(
        store.update_data_key(&changed).await,
        Err(StoreError::Conflict)
    ));
    let due = store
        .data_keys_due_for_deletion(2_000_000_000)
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|k| &k.data_key_id).collect::<Vec<_>>(),
        vec![&a.data_key_id]
    );
    store.destroy_data_key(&a.data_key_id).await.unwrap();
    assert!(store.get_data_key(&a.data_key_id).await.unwrap().is_none());
    let mut gone = a.clone();
    gone.revision = stored.revision;
    assert!(matches!(
        store.update_data_key(&gone).await,
        Err(StoreError::NotFound)
    ));
}

async fn meta(store: &dyn Store) {
    assert!(store.get_meta("conformance").await.unwrap().is_none());
    assert_eq!(
        store
            .put_meta_if_absent("conformance", b"one")
            .await
            .unwrap(),
        b"one"
    );
    assert_eq!(
        store
            .put_meta_if_absent("conformance", b"two")
            .await
            .unwrap(),
        b"one"
    );
    assert_eq!(
        store.get_meta("conformance").await.unwrap().unwrap(),
        b"one"
    );
}

/// Engines that report a generation must change it on every committed write: the read
/// caches rely on it to never serve a deleted credential or a changed key.
async fn generation_moves_on_every_write(store: &dyn Store) {
    let Some(g0) = store.generation().await else {
        return;
    };
    assert_eq!(
        store.generation().await,
        Some(g0),
        "stable while nothing is written"
    );
    let c = sample_cmk("gen", 1000);
    store.create_cmk(&c, Some(b"m"), 10).await.unwrap();
    let g1 = store.generation().await.unwrap();
    assert_ne!(g1, g0);
    let mut d = c.clone();
    d.state = KeyState::Disabled;
    store.update_cmk(&d).await.unwrap();
    assert_ne!(store.generation().await.unwrap(), g1);
}

async fn create_get_and_list(store: &dyn Store) {
    let a = sample_cmk("a", 1001);
    let mut b = sample_cmk("b", 1001);
    b.created_at += 1;
    b.spec = KeySpec::Symmetric(CmkCipher::Aes256Gcm);
    b.origin = Origin::External;
    b.state = KeyState::PendingImport;
    b.current_version = 0;
    b.tags.clear();
    store.create_cmk(&a, Some(b"m1"), 10).await.unwrap();
    store.create_cmk(&b, None, 10).await.unwrap();
    assert_eq!(store.get_cmk(&a.key_id).await.unwrap().unwrap(), a);
    assert_eq!(store.get_cmk(&b.key_id).await.unwrap().unwrap(), b);
    assert!(store.get_cmk("no-such-key").await.unwrap().is_none());
    let listed = store.list_cmks(&a.scope).await.unwrap();
    assert_eq!(listed, vec![a.clone(), b.clone()], "creation order");
    assert_eq!(store.count_cmks(&a.scope).await.unwrap(), 2);
    let elsewhere = Scope {
        account: 1001,
        region: "ap-beijing".into(),
    };
    assert!(store.list_cmks(&elsewhere).await.unwrap().is_empty());
    assert!(matches!(
        store.create_cmk(&a, Some(b"m1"), 10).await,
        Err(StoreError::AlreadyExists | StoreError::AliasExists)
    ));
}

/// Every asymmetric usage and spec reads back as written, with its material (the
/// sealed PKCS#8 private key) stored like a symmetric key's version 1, and lists
/// beside symmetric keys.
async fn asymmetric_keys(store: &dyn Store) {
    let cases = [
        (KeyUsage::AsymmetricSignVerifySm2, AsymmetricSpec::Sm2),
        (KeyUsage::AsymmetricDecryptSm2, AsymmetricSpec::Sm2),
        (KeyUsage::AsymmetricDecryptRsa2048, AsymmetricSpec::Rsa2048),
        (
            KeyUsage::AsymmetricSignVerifyRsa2048,
            AsymmetricSpec::Rsa2048,
        ),
        (KeyUsage::AsymmetricSignVerifyEcc, AsymmetricSpec::EccP256),
    ];
    let mut written = vec![sample_cmk("sym", 1013)];
    store.create_cmk(&written[0], Some(b"m"), 10).await.unwrap();
    for (i, (usage, spec)) in cases.into_iter().enumerate() {
        let mut k = sample_cmk(&format!("asym{i}"), 1013);
        k.created_at += 1 + i as i64;
        k.usage = usage;
        k.spec = KeySpec::Asymmetric(spec);
        let material = format!("pkcs8-{i}");
        store
            .create_cmk(&k, Some(material.as_bytes()), 10)
            .await
            .unwrap();
        let read = store.get_cmk(&k.key_id).await.unwrap().unwrap();
        assert_eq!(read, k);
        assert_eq!(read.spec.asymmetric(), Some(spec));
        assert_eq!(
            store.get_material(&k.key_id, 1).await.unwrap().as_deref(),
            Some(material.as_bytes())
        );
        let mut d = read.clone();
        d.state = KeyState::Disabled;
        let stored = store.update_cmk(&d).await.unwrap();
        assert_eq!(stored.spec, k.spec, "an update keeps the spec");
        assert_eq!(stored.usage, k.usage);
        written.push(stored);
    }
    let listed = store.list_cmks(&written[0].scope).await.unwrap();
    assert_eq!(listed, written);
}

async fn alias_unique_per_scope(store: &dyn Store) {
    let a = sample_cmk("same", 1002);
    store.create_cmk(&a, Some(b"m"), 10).await.unwrap();
    let dup = sample_cmk("same", 1002);
    assert!(matches!(
        store.create_cmk(&dup, Some(b"m"), 10).await,
        Err(StoreError::AliasExists)
    ));
    assert!(
        store.get_cmk(&dup.key_id).await.unwrap().is_none(),
        "nothing half-written"
    );
    let mut other_region = sample_cmk("same", 1002);
    other_region.scope.region = "ap-shanghai".into();
    store
        .create_cmk(&other_region, Some(b"m"), 10)
        .await
        .unwrap();
    let other_account = sample_cmk("same", 1003);
    store
        .create_cmk(&other_account, Some(b"m"), 10)
        .await
        .unwrap();
    // Renaming onto a taken alias is refused too.
    let mut c = sample_cmk("c", 1002);
    store.create_cmk(&c, Some(b"m"), 10).await.unwrap();
    c.alias = "same".into();
    assert!(matches!(
        store.update_cmk(&c).await,
        Err(StoreError::AliasExists)
    ));
}

async fn limit_is_enforced(store: &dyn Store) {
    let mut made = Vec::new();
    for i in 0..3 {
        let k = sample_cmk(&format!("l{i}"), 1004);
        store.create_cmk(&k, Some(b"m"), 3).await.unwrap();
        made.push(k);
    }
    let over = sample_cmk("l3", 1004);
    assert!(matches!(
        store.create_cmk(&over, Some(b"m"), 3).await,
        Err(StoreError::LimitReached(3))
    ));
    assert!(store.get_cmk(&over.key_id).await.unwrap().is_none());
    assert!(store.get_material(&over.key_id, 1).await.unwrap().is_none());
    // A refused duplicate does not count; a destroyed key frees its place, once.
    assert!(matches!(
        store.create_cmk(&made[0], Some(b"m"), 4).await,
        Err(StoreError::AlreadyExists | StoreError::AliasExists)
    ));
    store
        .create_cmk(&sample_cmk("l4", 1004), Some(b"m"), 4)
        .await
        .unwrap();
    store.destroy_cmk(&made[0].key_id).await.unwrap();
    store.destroy_cmk(&made[0].key_id).await.unwrap();
    store.create_cmk(&over, Some(b"m"), 4).await.unwrap();
    assert!(matches!(
        store
            .create_cmk(&sample_cmk("l5", 1004), Some(b"m"), 4)
            .await,
        Err(StoreError::LimitReached(4))
    ));
    assert_eq!(store.count_cmks(&over.scope).await.unwrap(), 4);
    // The same for hosted data keys, counted per account over all regions.
    let mut dks = Vec::new();
    for (i, region) in ["ap-a", "ap-b"].iter().enumerate() {
        let mut d = sample_data_key(&format!("ld{i}"), 1014);
        d.scope.region = region.to_string();
        store.create_data_key(&d, 2).await.unwrap();
        dks.push(d);
    }
    assert!(matches!(
        store
            .create_data_key(&sample_data_key("ld2", 1014), 2)
            .await,
        Err(StoreError::LimitReached(2))
    ));
    store.destroy_data_key(&dks[0].data_key_id).await.unwrap();
    store.destroy_data_key(&dks[0].data_key_id).await.unwrap();
    store
        .create_data_key(&sample_data_key("ld2", 1014), 2)
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_data_key(&sample_data_key("ld3", 1014), 2)
            .await,
        Err(StoreError::LimitReached(2))
    ));
}

async fn optimistic_updates(store: &dyn Store) {
    let a = sample_cmk("u", 1005);
    store.create_cmk(&a, Some(b"m"), 10).await.unwrap();
    let mut first = a.clone();
    first.state = KeyState::Disabled;
    first.description = "changed".into();
    let stored = store.update_cmk(&first).await.unwrap();
    assert_eq!(stored.revision, a.revision + 1);
    assert_eq!(store.get_cmk(&a.key_id).await.unwrap().unwrap(), stored);
    // A writer that read before the first update must not overwrite it.
    let mut stale = a.clone();
    stale.alias = "u2".into();
    assert!(matches!(
        store.update_cmk(&stale).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.get_cmk(&a.key_id).await.unwrap().unwrap(), stored);
    let mut gone = sample_cmk("never-created", 1005);
    gone.description = "x".into();
    assert!(matches!(
        store.update_cmk(&gone).await,
        Err(StoreError::NotFound)
    ));
}

async fn material_versions(store: &dyn Store) {
    let a = sample_cmk("m", 1006);
    store.create_cmk(&a, Some(b"v1"), 10).await.unwrap();
    assert_eq!(
        store.get_material(&a.key_id, 1).await.unwrap().unwrap(),
        b"v1"
    );
    let rotated = store.add_material(&a, 2, b"v2").await.unwrap();
    assert_eq!(rotated.current_version, 2);
    assert_eq!(rotated.revision, a.revision + 1);
    assert_eq!(
        store.get_material(&a.key_id, 1).await.unwrap().unwrap(),
        b"v1"
    );
    assert_eq!(
        store.get_material(&a.key_id, 2).await.unwrap().unwrap(),
        b"v2"
    );
    assert!(store.get_material(&a.key_id, 3).await.unwrap().is_none());
    let all = store.all_materials().await.unwrap();
    assert!(all.contains(&(a.key_id.clone(), 1, b"v1".to_vec())));
    assert!(all.contains(&(a.key_id.clone(), 2, b"v2".to_vec())));
    // The same version twice (two rotations racing) is a conflict, not a second row.
    assert!(matches!(
        store.add_material(&rotated, 2, b"other").await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.get_material(&a.key_id, 2).await.unwrap().unwrap(),
        b"v2"
    );
}

async fn deletion_sweep(store: &dyn Store) {
    let mut a = sample_cmk("d", 1007);
    store.create_cmk(&a, Some(b"m"), 10).await.unwrap();
    a.state = KeyState::PendingDelete;
    a.deletion_date = 2_000_000_000;
    let a = store.update_cmk(&a).await.unwrap();
    let due = store.cmks_due_for_deletion(1_999_999_999).await.unwrap();
    assert!(!due.iter().any(|k| k.key_id == a.key_id));
    let due = store.cmks_due_for_deletion(2_000_000_000).await.unwrap();
    assert!(due.iter().any(|k| k.key_id == a.key_id));
    store.destroy_cmk(&a.key_id).await.unwrap();
    assert!(store.get_cmk(&a.key_id).await.unwrap().is_none());
    assert!(store.get_material(&a.key_id, 1).await.unwrap().is_none());
    // The alias is free again.
    store
        .create_cmk(&sample_cmk("d", 1007), Some(b"m"), 10)
        .await
        .unwrap();
}

async fn rotation_due(store: &dyn Store) {
    let mut a = sample_cmk("rot", 1009);
    a.rotation_enabled = true;
    a.rotate_days = 7;
    a.next_rotate_time = 3_000_000_000;
    store.create_cmk(&a, Some(b"m"), 10).await.unwrap();
    let mut off = sample_cmk("rot-off", 1009);
    off.next_rotate_time = 1;
    store.create_cmk(&off, Some(b"m"), 10).await.unwrap();
    let due = |v: Vec<Cmk>| v.into_iter().map(|k| k.key_id).collect::<Vec<_>>();
    assert!(!due(store.cmks_due_for_rotation(2_999_999_999).await.unwrap()).contains(&a.key_id));
    let now_due = due(store.cmks_due_for_rotation(3_000_000_000).await.unwrap());
    assert!(now_due.contains(&a.key_id));
    assert!(!now_due.contains(&off.key_id), "rotation off: never due");
}

async fn credentials(store: &dyn Store) {
    let c = Credential {
        secret_id: "AKIDconformance".into(),
        account: 1008,
        sealed_secret: vec![1, 2, 3],
        created_at: 5,
    };
    store.put_credential(&c).await.unwrap();
    assert!(matches!(
        store.put_credential(&c).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store.get_credential(&c.secret_id).await.unwrap().unwrap(),
        c
    );
    assert!(store
        .list_credentials()
        .await
        .unwrap()
        .iter()
        .any(|x| x == &c));
    assert!(store.delete_credential(&c.secret_id).await.unwrap());
    assert!(!store.delete_credential(&c.secret_id).await.unwrap());
    assert!(store.get_credential(&c.secret_id).await.unwrap().is_none());
}
