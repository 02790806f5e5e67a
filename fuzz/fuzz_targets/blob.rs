//! CiphertextBlob decoding: never panics, and decode → encode reproduces the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smkms::crypto::blob;

fuzz_target!(|data: &[u8]| {
    if let Ok((header, ct)) = blob::decode(data) {
        let mut again = header.to_bytes().to_vec();
        again.extend_from_slice(ct);
        assert_eq!(again, data, "decode/encode round trip");
    }
});
