//! The TC3 Authorization header parser and canonical request builder.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smkms::auth::tc3;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // First line: the Authorization header; the rest: header values looked up by name.
    let (auth_line, rest) = text.split_once('\n').unwrap_or((text, ""));
    if let Ok(auth) = tc3::parse_authorization(auth_line) {
        let header = |name: &str| -> Option<String> {
            rest.lines()
                .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)))
                .map(|(_, v)| v.to_string())
        };
        let parts = tc3::SignedParts {
            method: "POST",
            query: "",
            header: &header,
            payload_hash: &tc3::sha256_hex(rest.as_bytes()),
        };
        if let Ok(canon) = tc3::canonical_request(&parts, &auth.signed_headers) {
            let _ = tc3::verify(&auth, "secret", 1_700_000_000, &canon);
        }
        let _ = tc3::check_scope(&auth, 1_700_000_000, 1_700_000_000, 300);
    }
});
