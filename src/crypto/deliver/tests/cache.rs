//! The parsed-key cache and the SM2 precomputed tables.

use super::*;

#[test]
fn cache_parses_once_and_stays_bounded() {
    let cache = KeyCache::new(2);
    let a = cache.get_or_parse(SM2_PUB).unwrap();
    let a2 = cache.get_or_parse(SM2_PUB).unwrap();
    assert!(
        Arc::ptr_eq(&a.key, &a2.key),
        "second lookup is the cached key"
    );
    assert_eq!(cache.len(), 1);
    let b = cache.get_or_parse(RSA2048_PUB).unwrap();
    assert_eq!(cache.len(), 2);
    // Use `a` again so `b` is the least recently used, then add a third key.
    let _ = cache.get_or_parse(SM2_PUB).unwrap();
    let c = cache.get_or_parse(RSA2048_PKCS1_PUB).unwrap();
    assert_eq!(cache.len(), 2);
    assert_eq!(c.key(), b.key(), "the same RSA key in PKCS#1 spelling");
    assert!(
        Arc::ptr_eq(&a.key, &cache.get_or_parse(SM2_PUB).unwrap().key),
        "a survived"
    );
    assert!(
        !Arc::ptr_eq(&b.key, &cache.get_or_parse(RSA2048_PUB).unwrap().key),
        "b was evicted"
    );
    // Refusals are answered but not cached.
    assert!(cache.get_or_parse(P256_PUB).is_err());
    assert_eq!(cache.len(), 2);
    assert_eq!(KeyCache::default().capacity, KeyCache::DEFAULT_CAPACITY);
    assert_eq!(KeyCache::default().tables, KeyCache::DEFAULT_TABLES);
}

#[test]
fn cache_is_shared_across_threads() {
    let cache = Arc::new(KeyCache::default());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let cache = cache.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let r = cache.get_or_parse(SM2_PUB).unwrap();
                    deliver_to(&r, Algorithm::Sm2, b"k").unwrap();
                    cache.get_or_parse(RSA2048_PUB).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.tables(), 1, "one table for the one SM2 key");
    assert!(cache.get_or_parse(SM2_PUB).unwrap().has_table());
}

/// A key seen once gets no table; at its second use it does, and keeps it; RSA keys
/// never get one.
#[test]
fn sm2_tables_come_with_the_second_use() {
    let cache = KeyCache::new(8);
    let first = cache.get_or_parse(SM2_PUB).unwrap();
    assert!(!first.has_table());
    assert_eq!(cache.tables(), 0);
    let second = cache.get_or_parse(SM2_PUB).unwrap();
    assert!(second.has_table());
    let third = cache.get_or_parse(SM2_PUB).unwrap();
    assert!(Arc::ptr_eq(
        second.table.as_ref().unwrap(),
        third.table.as_ref().unwrap()
    ));
    for _ in 0..3 {
        assert!(!cache.get_or_parse(RSA2048_PUB).unwrap().has_table());
    }
    assert_eq!(cache.tables(), 1);
    let off = KeyCache::with_tables(8, 0);
    for _ in 0..3 {
        assert!(!off.get_or_parse(SM2_PUB).unwrap().has_table());
    }
    assert_eq!(off.tables(), 0);
}

/// Under a fixed k, a recipient with a table and one without give the same bytes: the
/// Annex C vector through both, in both encodings, and random keys round trip.
#[test]
fn tables_change_no_byte() {
    let (key, private) = annex_keys();
    let with = Recipient::precomputed(key.clone());
    let without = Recipient::new(key);
    assert!(with.has_table() && !without.has_table());
    for alg in [Algorithm::Sm2, Algorithm::Sm2C1C3C2Asn1] {
        let a = deliver_to_with_rng(&with, alg, ANNEX_M, &mut Replay(h(ANNEX_K), 0)).unwrap();
        let b = deliver_to_with_rng(&without, alg, ANNEX_M, &mut Replay(h(ANNEX_K), 0)).unwrap();
        assert_eq!(a, b);
        assert_eq!(unwrap(&private, alg, &a).unwrap().expose(), ANNEX_M);
    }
    let expected = [h(ANNEX_C1), h(ANNEX_C3), h(ANNEX_C2)].concat();
    let ct = deliver_to_with_rng(&with, Algorithm::Sm2, ANNEX_M, &mut Replay(h(ANNEX_K), 0));
    assert_eq!(ct.unwrap(), expected);
    let mut rng = seeded(21);
    for _ in 0..8 {
        let (key, private) = fresh_sm2(&mut rng);
        let r = Recipient::precomputed(key);
        let ct = deliver_to(&r, Algorithm::Sm2C1C3C2Asn1, b"0123456789abcdef").unwrap();
        assert_eq!(
            unwrap(&private, Algorithm::Sm2C1C3C2Asn1, &ct)
                .unwrap()
                .expose(),
            b"0123456789abcdef"
        );
    }
    // RSA recipients are unaffected by `precomputed`.
    let rsa = Recipient::precomputed(parse_public_key(RSA2048_PUB).unwrap());
    assert!(!rsa.has_table());
    let ct = deliver_to(&rsa, Algorithm::RsaOaepSha256, b"k").unwrap();
    assert_eq!(
        unwrap(RSA2048_PKCS8, Algorithm::RsaOaepSha256, &ct)
            .unwrap()
            .expose(),
        b"k"
    );
}

/// At most `tables` keys hold a table; building one more takes the least recently
/// used holder's, and evicting a key gives its table back.
#[test]
fn table_budget_is_bounded() {
    let mut rng = seeded(22);
    let pems: Vec<String> = (0..5)
        .map(|_| {
            let d = ::sm2::SecretKey::random(&mut rng);
            sm2_spki_pem(d.public_key().to_sec1_bytes().as_ref())
        })
        .collect();
    let cache = KeyCache::with_tables(4, 2);
    for pem in &pems[..3] {
        cache.get_or_parse(pem).unwrap();
        assert!(cache.get_or_parse(pem).unwrap().has_table());
        assert!(cache.tables() <= 2);
    }
    assert_eq!(cache.tables(), 2);
    let holds = |pem: &str| {
        let id: [u8; 32] = sha2::Sha256::digest(pem.as_bytes()).into();
        cache.lock().map[&id].table.is_some()
    };
    assert!(!holds(&pems[0]) && holds(&pems[1]) && holds(&pems[2]));
    // pems[0] lost its table to pems[2]; using it again rebuilds it, taking pems[1]'s.
    assert!(cache.get_or_parse(&pems[0]).unwrap().has_table());
    assert!(holds(&pems[0]) && !holds(&pems[1]) && holds(&pems[2]));
    assert_eq!(cache.tables(), 2);
    // Filling the cache past its capacity evicts keys, tables and all.
    for pem in &pems {
        cache.get_or_parse(pem).unwrap();
    }
    assert_eq!(cache.len(), 4);
    let holders = cache
        .lock()
        .map
        .values()
        .filter(|e| e.table.is_some())
        .count();
    assert_eq!(holders, cache.tables());
    assert!(cache.tables() <= 2);
}
