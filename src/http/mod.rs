//! The HTTP layer: hyper 1.x on tokio, with the limits that keep one client from
//! taking the server down, over plain TCP or TLS. It knows nothing of any dialect's
//! format; it hands fully read requests to [`crate::api::Api`] and writes what comes
//! back.

pub mod limits;
pub mod server;
pub mod tls;
