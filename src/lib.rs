//! smkms: a key management service on SM2/SM3/SM4 that speaks the Tencent Cloud KMS
//! API (3.0 and the legacy v2) and Huawei Cloud KMS v1.0, over one core.
//!
//! # A request, top to bottom
//!
//! ```text
//!  http ──► api::{tencent, legacy, huawei} ──► kms ──► store
//!               │ authenticate with auth        │  └──► crypto
//!               │ build a RequestContext        │       (pure)
//!               └◄── Response + Outcome ◄───────┘
//! ```
//!
//! Each layer names only the layers below it; `tests/layers.rs` checks the rules
//! marked "may not" on the source.
//!
//! - [`http`] owns the socket: TLS and mutual TLS (rustls, the certificate reloadable),
//!   hyper 1.x, body cap, first-byte, handshake, header and request timeouts,
//!   connection limits (overall and per source address), graceful shutdown,
//!   `X-Request-Id`. Hands a fully read
//!   [`api::Request`] on and writes the [`api::Response`]; reads each response's
//!   [`api::Outcome`] (its per-request log line). May not parse any dialect's format.
//! - [`api`] owns the three dialects, each in its own folder: routing by path (and, for
//!   `GET /`, shared by Tencent and Huawei, by signature scheme),
//!   authentication through [`auth`], parameters into typed core calls, the core's
//!   errors into the dialect's codes (one exhaustive `match` per dialect), and the
//!   [`api::Outcome`] of every exchange. A dialect only translates: it holds no state
//!   but what authentication needs and makes no decision the core should make.
//! - [`auth`] owns the signature schemes (TC3-HMAC-SHA256, v1 HmacSHA1/256, Huawei
//!   SDK-HMAC-SHA256/SM3), the legacy API's nonce guard, and the credentials (sealed
//!   SecretKeys in the store). May not name the core.
//! - [`kms`] is the core: CMKs, hosted data keys, states and their tables, limits,
//!   rotation, data-key delivery. Every operation takes a [`kms::RequestContext`] (who,
//!   for which scope, through which dialect) and records in it what it touched; it
//!   answers [`kms::Error`], which is dialect-neutral. May not name HTTP, a dialect,
//!   [`auth`], [`app`] or [`config`]. Its shared rules are `kms::rules`, its optimistic
//!   update loop `kms::update`, its state tables `kms::states`: files import one way.
//! - [`model`] holds the records (scopes, CMKs, data keys, credentials, states,
//!   usages) that the core and the store both use. A leaf: names only crypto's cipher
//!   ids.
//! - [`store`] owns persistence: the [`store::Store`] trait, the SQLite engine (one
//!   process) and the PostgreSQL engine (replicas on one database), versioned schemas,
//!   the exact read caches. Receives key material already sealed. May not name the core,
//!   a dialect or HTTP.
//! - [`crypto`] is pure functions on bytes: CMK ciphers, CiphertextBlob, data-key
//!   delivery (SM2, RSAES), EncryptionContext, sealing under the root key, key files,
//!   secrets, randomness. May not do I/O or name any other layer.
//! - [`metrics`] counts what happens for Prometheus (`prometheus-client`): requests
//!   from their [`api::Outcome`] (recorded by [`http`]), connections, store calls
//!   through a decorator around the engine, cache hits read from the caches' own
//!   counters at scrape time, audit writes. May not name the core, a dialect, auth or
//!   HTTP; the core, auth and the store may not name it.
//! - [`admin`] is the admin listener: `/metrics`, `/healthz`, `/readyz` (the store and
//!   registered readiness checks). May not name the core, a dialect or auth.
//! - [`audit`] owns the audit trail: one SM3-chained JSON line per [`api::Outcome`],
//!   durable (group-committed `fdatasync`) before the response leaves, SM2-signed chain
//!   heads, and `audit verify`. The HTTP layer feeds it; it fails closed. May name
//!   [`api::Outcome`] and [`crypto`], not the store or the core.
//! - [`app`] wires a configuration into a running service (data directory, root key
//!   file, store, core, API, background sweeper) for the binary and the tests;
//!   [`config`] reads settings; [`json`] and [`b64`] are the strict wire codecs every
//!   dialect shares.
//!
//! The `smkms` binary (`src/bin/smkms/`) is the command line; its `bench` module is a
//! load-generating client and is not part of this library.

pub mod admin;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod b64;
pub mod config;
pub mod crypto;
pub mod http;
pub mod json;
pub mod kms;
pub mod metrics;
pub mod model;
pub mod store;

#[cfg(test)]
pub(crate) mod testutil;
