//! smkms: a key management service on SM2/SM3/SM4 that speaks the Tencent Cloud KMS
//! API.
//!
//! A request flows one way through the modules:
//!
//! - [`http`]: hyper server, limits and timeouts; hands a fully read request on.
//! - [`api`]: one module per dialect (Tencent API 3.0 today); authenticates through
//!   [`auth`], parses into typed calls on the core, maps the core's errors to codes.
//! - [`kms`]: the core (accounts' keys, states, limits); knows no HTTP and no dialect.
//! - [`crypto`]: pure functions (CMK ciphers, secrets, randomness); no I/O.
//! - [`store`]: the `Store` trait and its SQLite engine; material arrives sealed.
//!
//! [`app`] wires them together for the binary and for tests; [`config`] holds settings.

pub mod api;
pub mod app;
pub mod auth;
pub mod b64;
pub mod config;
pub mod crypto;
pub mod http;
pub mod json;
pub mod kms;
pub mod model;
pub mod store;

#[cfg(test)]
pub(crate) mod testutil;
