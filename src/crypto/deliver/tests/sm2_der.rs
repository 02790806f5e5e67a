//! SM2 ciphertext encodings: DER edge cases over hundreds of samples, malformed
//! ciphertexts, and fixed-width INTEGERs.

use super::*;

/// Reads one DER TLV with a definite, minimal length; returns (tag, value, rest).
fn tlv(b: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = b[0];
    let (len, hdr) = match b[1] {
        n if n < 0x80 => (n as usize, 2),
        0x81 => {
            assert!(b[2] >= 0x80, "non-minimal length");
            (b[2] as usize, 3)
        }
        0x82 => {
            let n = u16::from_be_bytes([b[2], b[3]]) as usize;
            assert!(n > 0xff, "non-minimal length");
            (n, 4)
        }
        other => panic!("unexpected length byte {other:#x}"),
    };
    (tag, &b[hdr..hdr + len], &b[hdr + len..])
}

#[test]
fn hundreds_of_asn1_samples_are_strict_der() {
    let mut rng = seeded(7);
    let mut seen_leading_zero = false;
    let mut seen_top_bit = false;
    let mut seen_plain = false;
    let keys: Vec<_> = (0..8).map(|_| fresh_sm2(&mut rng)).collect();
    for i in 0..1000 {
        let (key, private) = &keys[i % keys.len()];
        let len = [1, 16, 32, 33, 7][i % 5];
        let mut msg = vec![0u8; len];
        rng.fill_bytes(&mut msg);
        let der = deliver_with_rng(key, Algorithm::Sm2C1C3C2Asn1, &msg, &mut rng).unwrap();
        // The `der` crate's strict decoder...
        let parsed = Ciphertext::from_der(&der).unwrap();
        assert_eq!(parsed.to_der(), der, "DER has one encoding");
        // ...and an independent reading of the bytes.
        let (tag, body, rest) = tlv(&der);
        assert_eq!((tag, rest.len()), (0x30, 0));
        let mut body = body;
        for coord in [&parsed.x1, &parsed.y1] {
            let (tag, value, next) = tlv(body);
            assert_eq!(tag, 0x02);
            let stripped: Vec<u8> = coord.iter().copied().skip_while(|&b| b == 0).collect();
            if coord[0] == 0 && coord[1] < 0x80 {
                seen_leading_zero = true;
                assert!(value.len() < 32, "leading zero stripped");
            }
            if coord[0] & 0x80 != 0 {
                seen_top_bit = true;
                assert_eq!(value.len(), 33);
                assert_eq!(value[0], 0);
            } else if coord[0] != 0 {
                seen_plain = true;
            }
            // Minimal: no 00 unless the next byte has its top bit set.
            assert!(value.len() == 1 || value[0] != 0 || value[1] & 0x80 != 0);
            assert!(value[0] & 0x80 == 0, "never negative");
            let v = if value[0] == 0 && value.len() > 1 {
                &value[1..]
            } else {
                value
            };
            assert_eq!(v, &stripped[..]);
            body = next;
        }
        let (tag, c3, next) = tlv(body);
        assert_eq!((tag, c3.len()), (0x04, 32));
        let (tag, c2, next) = tlv(next);
        assert_eq!((tag, c2.len(), next.len()), (0x04, len, 0));
        assert_eq!(
            unwrap(private, Algorithm::Sm2C1C3C2Asn1, &der)
                .unwrap()
                .expose(),
            &msg[..]
        );
    }
    assert!(
        seen_leading_zero,
        "a coordinate whose INTEGER is shorter than 32 bytes"
    );
    assert!(seen_top_bit, "a coordinate with its top bit set");
    assert!(seen_plain);
}

/// The refusals a strict recipient must make, built from one valid ciphertext.
#[test]
fn malformed_sm2_ciphertexts_are_refused() {
    let mut rng = seeded(11);
    let (key, private) = fresh_sm2(&mut rng);
    let msg = b"0123456789abcdef0123456789abcdef";
    let raw = deliver_with_rng(&key, Algorithm::Sm2, msg, &mut rng).unwrap();
    let ct = Ciphertext::from_raw(&raw).unwrap();
    let der = ct.to_der();
    assert!(unwrap(&private, Algorithm::Sm2, &raw).is_ok());
    assert!(unwrap(&private, Algorithm::Sm2C1C3C2Asn1, &der).is_ok());

    let refused = |alg: Algorithm, bytes: &[u8], what: &str| {
        let e = unwrap(&private, alg, bytes).expect_err(what);
        assert_eq!(e.kind, ErrorKind::DecryptFailed, "{what}");
        assert_eq!(
            e.message,
            format!(
                "does not decrypt under this private key with {}",
                alg.name()
            ),
            "opaque: {what}"
        );
    };
    // raw
    let c1c2c3 = [&raw[..65], &ct.c2[..], &ct.c3[..]].concat();
    refused(Algorithm::Sm2, &c1c2c3, "C1C2C3 order");
    refused(Algorithm::Sm2, &raw[1..], "C1 without 04");
    let mut compressed = raw.clone();
    compressed[0] = 0x02;
    refused(Algorithm::Sm2, &compressed, "another prefix");
    refused(Algorithm::Sm2, &[&raw[..], &[0]].concat(), "trailing byte");
    refused(Algorithm::Sm2, &raw[..raw.len() - 1], "truncated");
    refused(Algorithm::Sm2, &raw[..97], "no C2");
    let mut wrong_c3 = raw.clone();
    wrong_c3[70] ^= 1;
    refused(Algorithm::Sm2, &wrong_c3, "wrong C3");
    let mut wrong_c2 = raw.clone();
    *wrong_c2.last_mut().unwrap() ^= 1;
    refused(Algorithm::Sm2, &wrong_c2, "wrong C2");
    let mut off_curve = raw.clone();
    off_curve[64] ^= 1;
    refused(Algorithm::Sm2, &off_curve, "C1 not on the curve");
    refused(Algorithm::Sm2, &der, "DER given as raw");
    // DER
    refused(Algorithm::Sm2C1C3C2Asn1, &raw, "raw given as DER");
    let swapped = Ciphertext {
        c3: ct.c2[..32].try_into().unwrap(),
        c2: ct.c3.to_vec(),
        ..ct.clone()
    };
    refused(Algorithm::Sm2C1C3C2Asn1, &swapped.to_der(), "C1C2C3 order");
    refused(
        Algorithm::Sm2C1C3C2Asn1,
        &[&der[..], &[0]].concat(),
        "trailing byte",
    );
    refused(
        Algorithm::Sm2C1C3C2Asn1,
        &[&der[..], &der[..]].concat(),
        "two SEQUENCEs",
    );
    let mut bad_c3 = ct.clone();
    bad_c3.c3[0] ^= 1;
    refused(Algorithm::Sm2C1C3C2Asn1, &bad_c3.to_der(), "wrong C3");
    let short_c3 = {
        let mut d = der.clone();
        // OCTET STRING C3 of 31 bytes: rebuild by hand.
        let body = fixed_der(&ct.x1, &ct.y1, &ct.c3[..31], &ct.c2, false);
        d.clear();
        d.extend_from_slice(&body);
        d
    };
    refused(Algorithm::Sm2C1C3C2Asn1, &short_c3, "31-byte C3");
    // Fixed 32-byte INTEGERs: for a coordinate with its top bit set that is a negative
    // INTEGER, for one below 2^247 a non-minimal one. Either way not DER.
    let fixed = fixed_der(&ct.x1, &ct.y1, &ct.c3, &ct.c2, true);
    let differs = |c: &[u8; 32]| (c[0] == 0 && c[1] < 0x80) || c[0] >= 0x80;
    if differs(&ct.x1) || differs(&ct.y1) {
        refused(Algorithm::Sm2C1C3C2Asn1, &fixed, "fixed 32-byte INTEGERs");
    }
    // A long-form length where the short form fits (BER, not DER).
    let mut ber = der.clone();
    assert_eq!(
        ber[1], 0x81,
        "a 32-byte message makes a SEQUENCE of 128 to 255 bytes"
    );
    ber.splice(1..2, [0x82, 0x00]);
    refused(Algorithm::Sm2C1C3C2Asn1, &ber, "long-form length");
}

/// `SEQUENCE { INTEGER x, INTEGER y, OCTET STRING c3, OCTET STRING c2 }` written by
/// hand; with `fixed`, the INTEGERs are the 32 bytes as they are (what some encoders
/// wrongly emit), otherwise DER-minimal.
fn fixed_der(x: &[u8; 32], y: &[u8; 32], c3: &[u8], c2: &[u8], fixed: bool) -> Vec<u8> {
    fn put(out: &mut Vec<u8>, tag: u8, v: &[u8]) {
        out.push(tag);
        match v.len() {
            n if n < 0x80 => out.push(n as u8),
            n if n < 0x100 => out.extend_from_slice(&[0x81, n as u8]),
            n => out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(v);
    }
    fn int(c: &[u8; 32], fixed: bool) -> Vec<u8> {
        if fixed {
            return c.to_vec();
        }
        let mut v: Vec<u8> = c.iter().copied().skip_while(|&b| b == 0).collect();
        if v.is_empty() || v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        v
    }
    let mut body = Vec::new();
    put(&mut body, 0x02, &int(x, fixed));
    put(&mut body, 0x02, &int(y, fixed));
    put(&mut body, 0x04, c3);
    put(&mut body, 0x04, c2);
    let mut out = Vec::new();
    put(&mut out, 0x30, &body);
    out
}

#[test]
fn fixed_width_integers_are_refused_when_they_differ_from_der() {
    // Search for a ciphertext whose x1 has a leading zero byte: its fixed-width
    // INTEGER is non-minimal. And one whose y1 has its top bit set: without the sign
    // byte it is negative.
    let mut rng = seeded(3);
    let (key, private) = fresh_sm2(&mut rng);
    let (mut zero, mut top) = (false, false);
    for _ in 0..4000 {
        let raw = deliver_with_rng(&key, Algorithm::Sm2, b"k", &mut rng).unwrap();
        let ct = Ciphertext::from_raw(&raw).unwrap();
        let minimal = fixed_der(&ct.x1, &ct.y1, &ct.c3, &ct.c2, false);
        assert_eq!(minimal, ct.to_der(), "our hand DER matches the der crate's");
        let fixed = fixed_der(&ct.x1, &ct.y1, &ct.c3, &ct.c2, true);
        if ct.x1[0] == 0 && ct.x1[1] < 0x80 && !zero {
            zero = true;
            assert!(unwrap(&private, Algorithm::Sm2C1C3C2Asn1, &fixed).is_err());
            assert!(unwrap(&private, Algorithm::Sm2C1C3C2Asn1, &minimal).is_ok());
        }
        if ct.y1[0] & 0x80 != 0 && ct.x1[0] & 0x80 == 0 && ct.x1[0] != 0 && !top {
            top = true;
            assert!(unwrap(&private, Algorithm::Sm2C1C3C2Asn1, &fixed).is_err());
        }
        if zero && top {
            return;
        }
    }
    panic!("no sample with a short x1 in 4000 tries (zero={zero}, top={top})");
}
