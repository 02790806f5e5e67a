//! The legacy KMS API v2 (`/v2/index.php`): authentication. Our signer
//! (tests/legacy_v2_common) reproduces the reference's published vector, and the
//! server enforces the Nonce and clock rules.

mod common;
mod legacy_v2_common;
use common::*;
use legacy_v2_common::*;
use std::collections::BTreeMap;

#[test]
fn our_signer_reproduces_the_published_vector() {
    let mut p: BTreeMap<String, String> = [
        ("Action", "CreateKey"),
        ("Nonce", "12345"),
        ("Region", "sh"),
        ("RequestClient", "SDK_Python_1.0"),
        ("SecretId", "AKIDEXAMPLE"),
        ("SignatureMethod", "HmacSHA256"),
        ("Timestamp", "1500000000"),
        ("alias", "test"),
        ("description", "demo key"),
        ("keyUsage", "ENCRYPT/DECRYPT"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let src = sign_string("POST", "kms-sh.api.qcloud.com", PATH, &p);
    assert_eq!(
        src,
        "POSTkms-sh.api.qcloud.com/v2/index.php?Action=CreateKey&Nonce=12345&Region=sh\
         &RequestClient=SDK_Python_1.0&SecretId=AKIDEXAMPLE&SignatureMethod=HmacSHA256\
         &Timestamp=1500000000&alias=test&description=demo key&keyUsage=ENCRYPT/DECRYPT"
    );
    assert_eq!(
        hmac_b64(Alg::Sha256, "SECRETKEYEXAMPLE", &src),
        "uDC6i5ugLrSItU/REr5Q9XO3aShGGJ1fl2eK+gCmGic="
    );
    p.insert("SignatureMethod".into(), "HmacSHA1".into());
    let src = sign_string("POST", "kms-sh.api.qcloud.com", PATH, &p);
    assert_eq!(
        hmac_b64(Alg::Sha1, "SECRETKEYEXAMPLE", &src),
        "rObc3EDnCMPf17cTefUVZFDE7nY="
    );
    // And the server's signer agrees with ours on a request of our own.
    p.insert("alias_0".into(), "x y&z=+/%".into());
    let src = sign_string("GET", "127.0.0.1:1", PATH, &p);
    let theirs = smkms::auth::tc_v1::string_to_sign(
        "GET",
        "127.0.0.1:1",
        PATH,
        p.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    assert_eq!(src, theirs);
    assert!(src.contains("&alias.0=x y&z=+/%&"), "{src}");
}

#[test]
fn a_nonce_is_used_once_and_the_clock_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let other = create_credential(dir.path(), Some(cred.uin));
    let server = Server::start(dir.path());
    for transport in [Transport::Get, Transport::PostBare] {
        let c = V2::new(&server, &cred, transport, Alg::Sha1);
        // The identical request twice: the second is a replay.
        let p = c.signed("ListKey", &[]);
        assert_eq!(c.send(&p)["code"], 0);
        let (code, msg) = code_of(&c.send(&p));
        assert_eq!(code, 4500, "{msg}");
        assert!(msg.contains("Nonce"), "{msg}");
        // The same Nonce in another request of the same SecretId: refused too.
        let nonce = p["Nonce"].clone();
        let again = c.signed_at("CreateKey", &[("alias", "replayed")], now(), &nonce);
        assert_eq!(code_of(&c.send(&again)).0, 4500);
        // The same Nonce under another SecretId is that SecretId's first use.
        let o = V2::new(&server, &other, transport, Alg::Sha256);
        assert_eq!(
            o.send(&o.signed_at("ListKey", &[], now(), &nonce))["code"],
            0
        );
        // A fresh Nonce is fine.
        c.ok("ListKey", &[]);
    }

    // Timestamp: 301 s either way is refused, 299 s is accepted.
    let c = V2::new(&server, &cred, Transport::PostForm, Alg::Sha256);
    for skew in [-301, 301, -100_000] {
        let p = c.signed_at("ListKey", &[], now() + skew, &next_nonce());
        let (code, msg) = code_of(&c.send(&p));
        assert_eq!(code, 4500, "{skew}: {msg}");
        assert!(msg.contains("Timestamp"), "{msg}");
    }
    for skew in [-299, 299] {
        let p = c.signed_at("ListKey", &[], now() + skew, &next_nonce());
        assert_eq!(c.send(&p)["code"], 0, "{skew}");
    }
    for bad in ["", "soon", "-5", "1.5e9"] {
        let p = c.signed_at("ListKey", &[], 0, &next_nonce());
        let mut p = p.clone();
        p.insert("Timestamp".into(), bad.into());
        c.sign(&mut p);
        let (code, _) = code_of(&c.send(&p));
        assert_eq!(code, 4000, "Timestamp {bad:?}");
    }
    let mut p = c.signed_at("ListKey", &[], now(), "not-a-number");
    c.sign(&mut p);
    assert_eq!(code_of(&c.send(&p)).0, 4000, "a Nonce that is not a number");
}
