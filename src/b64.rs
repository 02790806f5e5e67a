//! Base64 as every format smkms reads or writes uses it: the standard alphabet with
//! padding (RFC 4648 §4), decoded strictly. No whitespace, no URL-safe alphabet and no
//! missing padding are accepted, so that one value has one spelling: a blob, a
//! signature or a key is never read two ways by two components.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    STANDARD.encode(bytes)
}

/// The bytes of `text`, or `None` if it is not strict standard base64.
pub fn decode(text: impl AsRef<[u8]>) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_standard_base64() {
        assert_eq!(decode("aGk=").unwrap(), b"hi");
        assert_eq!(encode(b"hi"), "aGk=");
        // Missing padding, whitespace, the URL-safe alphabet, extra padding, and
        // non-zero trailing bits (a second spelling of "hi").
        for bad in [
            "aGk", "aG k=", "aGk=\n", " aGk=", "a-_=", "a", "aGk==", "aGl=",
        ] {
            assert!(decode(bad).is_none(), "{bad:?}");
        }
    }
}
