//! EncryptionContext canonicalisation: never panics, and is idempotent (the canonical
//! form of a canonical form is itself).
#![no_main]
use libfuzzer_sys::fuzz_target;
use smkms::crypto::context;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(canon) = context::canonical(Some(text)) {
        if canon.is_empty() {
            return;
        }
        let canon_text = std::str::from_utf8(&canon).expect("canonical form is UTF-8");
        // A canonical form may be longer than the input's 1024-character limit only if
        // escaping grew it; compare only when it is accepted again.
        if let Ok(again) = context::canonical(Some(canon_text)) {
            assert_eq!(again, canon);
        }
    }
});
