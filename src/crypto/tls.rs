//! The TLS algorithms of every TLS endpoint of smkms: the API and admin listener, the
//! `smkms bench` client and the PostgreSQL store's client.

use rustls::crypto::{ring, CryptoProvider};
use std::sync::Arc;

/// rustls' `ring` provider (X25519 and the NIST curves, AES-GCM and ChaCha20-Poly1305)
/// with X25519 as the first key-exchange group.
///
/// Why the order: rustls 0.23.48's ring provider lists P-384 first, and a rustls
/// client sends its key share for its first group, which the server then uses. ring's
/// P-384 is generic Montgomery arithmetic: a P-384 exchange made a TLS handshake cost
/// the server about 0.75 ms of CPU in `smkms bench --new-connections`, against about
/// 0.3 ms for OpenSSL's clients, which offer X25519 first (perf: 54 % of the server's
/// samples in P-384 multiplication). X25519 first is what OpenSSL, Go, browsers and
/// Node.js offer; P-256 and P-384 stay available to clients that ask for them.
///
/// ring rather than aws-lc (which rustls now prefers, for post-quantum key exchange):
/// aws-lc needs cmake and a C toolchain to build; rustls marks ring deprecated for that
/// reason only.
#[allow(deprecated)]
pub fn provider() -> Arc<CryptoProvider> {
    let mut p = ring::default_provider();
    p.kx_groups = vec![
        ring::kx_group::X25519,
        ring::kx_group::SECP256R1,
        ring::kx_group::SECP384R1,
    ];
    Arc::new(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x25519_first_and_every_group_still_offered() {
        let p = provider();
        let names: Vec<_> = p.kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(
            names,
            [
                rustls::NamedGroup::X25519,
                rustls::NamedGroup::secp256r1,
                rustls::NamedGroup::secp384r1
            ]
        );
    }
}
