//! SM4 and SM4-GCM vectors (`sm4_gcm.json`): GB/T 32907 blocks and GCM cases checked
//! with `cmk::open`.

use rand_core::RngCore;
use serde_json::{json, Value};
use smkms::crypto::cmk::{self, CmkCipher};
use smkms::crypto::secret::SecretBytes;

use crate::{hexs, random_msg, rng, GENERATOR};

const SM4_STD_KEY: &str = "0123456789abcdeffedcba9876543210";

fn sm4_encrypt_block(key: &[u8], block: &[u8]) -> Vec<u8> {
    use sm4::cipher::{BlockEncrypt, KeyInit};
    let c = sm4::Sm4::new_from_slice(key).unwrap();
    let mut b = sm4::cipher::generic_array::GenericArray::clone_from_slice(block);
    c.encrypt_block(&mut b);
    b.to_vec()
}

pub(crate) fn sm4_file() -> Value {
    let mut tc = 0;
    let mut next = || {
        tc += 1;
        tc
    };
    let k = hex::decode(SM4_STD_KEY).unwrap();
    let mut block_tests = Vec::new();
    // GB/T 32907-2016 Appendix A: one encryption, and the block encrypted 1,000,000 times.
    for (iterations, want, comment) in [
        (
            1u32,
            "681edf34d206965e86b3e94f536e4246",
            "GB/T 32907-2016 Appendix A, example 1",
        ),
        (
            1_000_000,
            "595298c7c6fd271f0402f804c33d3f66",
            "GB/T 32907-2016 Appendix A, example 2: the block encrypted 1,000,000 times",
        ),
    ] {
        let mut ct = k.clone();
        for _ in 0..iterations {
            ct = sm4_encrypt_block(&k, &ct);
        }
        assert_eq!(hexs(&ct), want, "sm4 crate vs GB/T 32907");
        let mut flags = vec!["GBT32907"];
        if iterations > 1 {
            flags.push("Iterated");
        }
        block_tests.push(json!({
            "tcId": next(),
            "comment": comment,
            "flags": flags,
            "key": SM4_STD_KEY,
            "msg": SM4_STD_KEY,
            "iterations": iterations,
            "ct": want,
            "result": "valid",
        }));
    }
    let mut r = rng("sm4 blocks");
    for i in 0..4 {
        let key = random_msg(&mut r, 16);
        let msg = random_msg(&mut r, 16);
        block_tests.push(json!({
            "tcId": next(),
            "comment": format!("generated key and block {}", i + 1),
            "flags": ["Generated"],
            "key": hexs(&key),
            "msg": hexs(&msg),
            "iterations": 1,
            "ct": hexs(&sm4_encrypt_block(&key, &msg)),
            "result": "valid",
        }));
    }

    let mut gcm_tests = Vec::new();
    let mut gcm = |comment: String,
                   flags: &[&str],
                   key: &[u8],
                   iv: &[u8; 12],
                   aad: &[u8],
                   msg: &[u8],
                   ct_tag: &[u8],
                   valid: bool| {
        let material = SecretBytes::from_slice(key);
        let opened = cmk::open(CmkCipher::Sm4Gcm, &material, iv, aad, ct_tag);
        match (&opened, valid) {
            (Ok(m), true) if m.expose() == msg => {}
            (Err(_), false) => {}
            _ => panic!("SM4-GCM {comment}: valid={valid} but open gave {opened:?}"),
        }
        let (ct, tag) = ct_tag.split_at(ct_tag.len() - 16);
        gcm_tests.push(json!({
            "tcId": next(),
            "comment": comment,
            "flags": flags,
            "key": hexs(key),
            "iv": hexs(iv),
            "aad": hexs(aad),
            "msg": hexs(msg),
            "ct": hexs(ct),
            "tag": hexs(tag),
            "result": if valid { "valid" } else { "invalid" },
        }));
    };
    let h = |s: &str| hex::decode(s).unwrap();
    let rfc_iv: [u8; 12] = h("00001234567800000000abcd").try_into().unwrap();
    let rfc_aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    let rfc_msg = h("aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccddddddddddddddddeeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa");
    let rfc_ct = h("17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d83de3541e4c2b58177e065a9bf7b62ec");
    assert_eq!(
        cmk::seal(
            CmkCipher::Sm4Gcm,
            &SecretBytes::from_slice(&k),
            &rfc_iv,
            &rfc_aad,
            &rfc_msg
        ),
        rfc_ct,
        "RFC 8998 A.1"
    );
    gcm(
        "RFC 8998 Appendix A.1".into(),
        &["RFC8998"],
        &k,
        &rfc_iv,
        &rfc_aad,
        &rfc_msg,
        &rfc_ct,
        true,
    );
    let mut r = rng("sm4-gcm");
    let key = random_msg(&mut r, 16);
    let mut first = None;
    for (msg_len, aad_len) in [
        (0usize, 0usize),
        (0, 20),
        (1, 0),
        (15, 16),
        (16, 16),
        (17, 17),
        (32, 34),
        (64, 0),
        (1024, 55),
        (4096, 100),
    ] {
        let mut iv = [0u8; 12];
        r.fill_bytes(&mut iv);
        let aad = random_msg(&mut r, aad_len);
        let msg = random_msg(&mut r, msg_len);
        let ct = cmk::seal(
            CmkCipher::Sm4Gcm,
            &SecretBytes::from_slice(&key),
            &iv,
            &aad,
            &msg,
        );
        gcm(
            format!("{msg_len}-byte message, {aad_len}-byte AAD"),
            &["Generated"],
            &key,
            &iv,
            &aad,
            &msg,
            &ct,
            true,
        );
        if msg_len == 17 {
            first = Some((iv, aad, msg, ct));
        }
    }
    let (iv, aad, msg, ct) = first.unwrap();
    let n = ct.len();
    let flip = |i: usize, bit: u8| {
        let mut c = ct.clone();
        c[i] ^= bit;
        c
    };
    let mut zero_tag = ct.clone();
    zero_tag[n - 16..].fill(0);
    let mut other_iv = iv;
    other_iv[0] ^= 1;
    let mut other_aad = aad.clone();
    other_aad[0] ^= 1;
    for (comment, flag, iv, aad, c) in [
        (
            "first tag bit flipped",
            "ModifiedTag",
            iv,
            aad.clone(),
            flip(n - 16, 1),
        ),
        (
            "last tag bit flipped",
            "ModifiedTag",
            iv,
            aad.clone(),
            flip(n - 1, 0x80),
        ),
        ("tag all zeros", "ModifiedTag", iv, aad.clone(), zero_tag),
        (
            "first ciphertext bit flipped",
            "ModifiedCiphertext",
            iv,
            aad.clone(),
            flip(0, 1),
        ),
        (
            "last ciphertext byte changed",
            "ModifiedCiphertext",
            iv,
            aad.clone(),
            flip(n - 17, 0xff),
        ),
        (
            "a bit of the IV flipped",
            "ModifiedIv",
            other_iv,
            aad.clone(),
            ct.clone(),
        ),
        (
            "a bit of the AAD flipped",
            "ModifiedAad",
            iv,
            other_aad,
            ct.clone(),
        ),
        ("the AAD empty", "ModifiedAad", iv, Vec::new(), ct.clone()),
    ] {
        gcm(
            format!("17-byte message: {comment}"),
            &[flag],
            &key,
            &iv,
            &aad,
            &msg,
            &c,
            false,
        );
    }

    let notes = json!({
        "GBT32907": "The examples of GB/T 32907-2016 Appendix A.",
        "Iterated": "The block encrypted `iterations` times in a row under the same key (each output is the next input).",
        "RFC8998": "RFC 8998 Appendix A.1 (SM4-GCM).",
        "Generated": "Made by smkms's SM4 (the RustCrypto sm4 crate) and SM4-GCM (aes-gcm's generic GCM over it), confirmed by the implementations in confirmedBy.",
        "ModifiedTag": "The tag changed.",
        "ModifiedCiphertext": "The ciphertext changed.",
        "ModifiedIv": "Opened with another IV.",
        "ModifiedAad": "Opened with other AAD.",
    });
    json!({
        "algorithm": "SM4, SM4-GCM",
        "schema": "smkms SM4 vectors v1 (test-vectors/README.md)",
        "generatorVersion": GENERATOR,
        "numberOfTests": tc,
        "header": [
            "SM4 (GB/T 32907-2016) block encryption, and SM4-GCM (RFC 8998: the GCM of NIST SP 800-38D over SM4) with a 96-bit IV and a 128-bit tag: the SM4 CMK cipher.",
            "Sm4BlockTest: encrypting msg `iterations` times under key gives ct. AeadTest (Wycheproof's layout): with key, iv and aad, a valid ct ‖ tag decrypts to msg and msg encrypts to ct ‖ tag; an invalid one must be refused.",
        ],
        "notes": notes,
        "confirmedBy": [
            {"id": "pyca-cryptography", "implementation": "Python cryptography 50.0.2 (OpenSSL 4.0.3)", "ciphers": ["SM4", "SM4-GCM"], "how": "Cipher(algorithms.SM4(key), modes.ECB()) for the blocks (all 1,000,000 iterations), Cipher(algorithms.SM4(key), modes.GCM(iv, tag)) for SM4-GCM: every valid test reproduced, every invalid one refused"},
            {"id": "gmssl-gcm", "implementation": "Python gmssl 3.2.2 SM4 block cipher with GCM (NIST SP 800-38D) written in tests/vectors/confirm.py", "ciphers": ["SM4", "SM4-GCM"], "how": "CryptSM4.one_round for the blocks and under a GHASH/GCTR written from SP 800-38D; every test except the 1,000,000-iteration one (pure Python: about 40 s)"},
        ],
        "testGroups": [
            {
                "type": "Sm4BlockTest",
                "comment": "SM4 block encryption",
                "cipher": "SM4",
                "keySize": 128,
                "tests": block_tests,
            },
            {
                "type": "AeadTest",
                "comment": "SM4-GCM with a 96-bit IV and a 128-bit tag",
                "cipher": "SM4-GCM",
                "keySize": 128,
                "ivSize": 96,
                "tagSize": 128,
                "tests": gcm_tests,
            },
        ],
    })
}
