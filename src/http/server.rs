//! Accept loop, per-connection limits, TLS, body cap, graceful shutdown.
//!
//! - Connections: at most `max_connections` are served at once (by default nearly the
//!   process's file-descriptor limit). Further ones wait in the kernel's accept backlog
//!   until a slot frees (queued, not dropped). One source address may hold at most
//!   `max_connections_per_source`; a connection past that is closed at once.
//! - A new connection must send its first byte within `first_byte_timeout` or it is
//!   closed: connections that never speak cost a socket and a small task for that
//!   long, and hold no HTTP or TLS state.
//! - With TLS, the handshake must complete within `tls_handshake_timeout`.
//! - Headers must arrive within `header_read_timeout` (hyper enforces this only when a
//!   timer is set, which is why one is). The same timeout closes idle keep-alive
//!   connections.
//! - Bodies: a declared Content-Length over the cap is refused before reading a byte;
//!   a chunked body is read up to the cap and refused when it passes it. The whole body
//!   must arrive within `request_timeout`.
//! - Audit: with an audit trail, a request is refused up front (the dialect's internal
//!   error) while the trail cannot be written (`Audit::admit`), and every response waits for its
//!   outcome's record to be durable; a record that fails turns the response into the
//!   internal error. Nothing is served unaudited.
//! - Shutdown: on the signal, stop accepting, let in-flight requests finish (up to a
//!   grace period), then return.
//! - Metrics (when the admin listener is on): each connection counts as open from
//!   accept to close, each request by its outcome (see [`crate::metrics`]).

use super::limits::PerSource;
use super::tls::ServerTls;
use crate::api::{Api, Refusal, Request, Response};
use crate::audit::Audit;
use crate::metrics::Metrics;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

#[derive(Debug, Clone)]
pub struct HttpLimits {
    pub max_body_bytes: usize,
    pub max_connections: usize,
    /// 0: no cap per source address.
    pub max_connections_per_source: usize,
    pub first_byte_timeout: Duration,
    pub tls_handshake_timeout: Duration,
    pub header_read_timeout: Duration,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_body_bytes: 1 << 20,
            max_connections: 1024,
            max_connections_per_source: 0,
            first_byte_timeout: Duration::from_secs(3),
            tls_handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

pub async fn serve(
    listener: TcpListener,
    api: Arc<Api>,
    limits: HttpLimits,
    tls: Option<Arc<ServerTls>>,
    metrics: Option<Arc<Metrics>>,
    audit: Option<Arc<Audit>>,
    shutdown: impl Future<Output = ()>,
) {
    let shared = Arc::new(Shared {
        api,
        limits: limits.clone(),
        metrics: metrics.clone(),
        audit,
    });
    let limits = Arc::new(limits);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let sources = PerSource::new(limits.max_connections_per_source);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    while let Some((permit, stream, peer)) =
        next_connection(&listener, &slots, &mut shutdown, "api").await
    {
        let Some(source_slot) = sources.admit(peer.ip()) else {
            tracing::debug!(%peer, "closed: too many connections from this address");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let open = metrics.as_ref().map(|m| m.connection_opened());
        let shared = shared.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            connection(stream, peer, shared, tls, watcher).await;
            drop(source_slot);
            drop(open);
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("shutting down: waiting for in-flight requests");
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("all connections closed"),
        _ = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!("grace period over; closing remaining connections")
        }
    }
}

/// The next connection, with a slot held for it, or `None` once `shutdown` resolves.
/// Waits for a free slot before accepting, so connections past the cap queue in the
/// kernel's backlog; an accept error (out of file descriptors and the like) backs off
/// instead of spinning. Shared by the API and admin listeners.
pub(crate) async fn next_connection<F: Future<Output = ()>>(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
    shutdown: &mut std::pin::Pin<&mut F>,
    which: &str,
) -> Option<(tokio::sync::OwnedSemaphorePermit, TcpStream, SocketAddr)> {
    loop {
        let permit = tokio::select! {
            _ = shutdown.as_mut() => return None,
            p = slots.clone().acquire_owned() => p.expect("semaphore is never closed"),
        };
        tokio::select! {
            _ = shutdown.as_mut() => return None,
            r = listener.accept() => match r {
                Ok((stream, peer)) => return Some((permit, stream, peer)),
                Err(e) => {
                    tracing::warn!(error = %e, listener = which, "accept failed");
                    drop(permit);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

/// What every connection of one listener shares.
struct Shared {
    api: Arc<Api>,
    limits: HttpLimits,
    metrics: Option<Arc<Metrics>>,
    audit: Option<Arc<Audit>>,
}

/// Awaits an audit write, recording how long it took.
async fn timed<T>(metrics: Option<&Metrics>, write: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let r = write.await;
    if let Some(m) = metrics {
        m.audit_write(started.elapsed().as_secs_f64());
    }
    r
}

/// One connection: its first byte, its TLS handshake, then HTTP/1.1 until it closes.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    tls: Option<Arc<ServerTls>>,
    watcher: Watcher,
) {
    let limits = &shared.limits;
    // A peek, not a read: the byte stays for TLS or HTTP. (`readable()` can report
    // ready before any byte has come.) 0 bytes: the client closed.
    let mut first = [0u8; 1];
    match tokio::time::timeout(limits.first_byte_timeout, stream.peek(&mut first)).await {
        Ok(Ok(n)) if n > 0 => {}
        Ok(_) => return,
        Err(_) => {
            tracing::debug!(%peer, "closed: nothing sent within the first-byte timeout");
            return;
        }
    }
    match tls {
        None => http(TokioIo::new(stream), peer, shared, watcher).await,
        Some(tls) => {
            let handshake = tls.acceptor().accept(stream);
            match tokio::time::timeout(limits.tls_handshake_timeout, handshake).await {
                Ok(Ok(s)) => http(TokioIo::new(s), peer, shared.clone(), watcher).await,
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "closed: the TLS handshake took too long"),
            }
        }
    }
}

async fn http<I>(io: TokioIo<I>, peer: SocketAddr, shared: Arc<Shared>, w: Watcher)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let header_read_timeout = shared.limits.header_read_timeout;
    let service = service_fn(move |req| {
        let shared = shared.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(&shared, peer, req).await) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .keep_alive(true)
        .serve_connection(io, service);
    if let Err(e) = w.watch(conn).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

async fn handle(
    shared: &Shared,
    peer: SocketAddr,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (api, limits, metrics) = (&*shared.api, &shared.limits, shared.metrics.as_deref());
    let audit = shared.audit.as_deref();
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    if let Some(Err(reason)) = audit.map(Audit::admit) {
        // Known broken: refuse before the action runs (and writes anything).
        let response = api.refuse(&path, Refusal::Unavailable, Some(peer));
        tracing::warn!(
            request_id = %response.outcome.request_id,
            reason,
            "refused: the audit trail cannot be written"
        );
        return to_hyper(response);
    }
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let response = if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        api.refuse(
            &path,
            Refusal::BodyTooLarge {
                limit: limits.max_body_bytes,
            },
            Some(peer),
        )
    } else {
        let read = tokio::time::timeout(
            limits.request_timeout,
            Limited::new(body, limits.max_body_bytes).collect(),
        )
        .await;
        match read {
            Ok(Ok(collected)) => {
                let request = Request {
                    method: parts.method.clone(),
                    path: path.clone(),
                    query: parts.uri.query().unwrap_or("").to_string(),
                    headers: parts.headers,
                    body: collected.to_bytes(),
                    peer: Some(peer),
                };
                api.handle(request).await
            }
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => api.refuse(
                &path,
                Refusal::BodyTooLarge {
                    limit: limits.max_body_bytes,
                },
                Some(peer),
            ),
            _ => api.refuse(&path, Refusal::BodyUnreadable, Some(peer)),
        }
    };
    // The record is durable before the response leaves; if it cannot be, the caller
    // gets the internal error instead (the action may have taken effect: the log says).
    let response = match audit {
        Some(audit) => match timed(metrics, audit.record(&response.outcome)).await {
            Ok(()) => response,
            Err(e) => {
                tracing::error!(
                    request_id = %response.outcome.request_id,
                    action = %response.outcome.action,
                    code = response.outcome.code.as_deref().unwrap_or("ok"),
                    "{e}: answering the internal error instead"
                );
                api.unavailable(response.outcome)
            }
        },
        None => response,
    };
    // One line per request from the dialect's outcome (never a secret: see
    // `api::Outcome`). The audit trail and metrics read the same outcome.
    let o = &response.outcome;
    let elapsed = started.elapsed();
    if let Some(m) = metrics {
        m.request(
            o.dialect.as_str(),
            crate::api::metric_action(o.dialect, &o.action),
            o.code.as_deref(),
            o.touched.delivery.map(|a| a.name()),
            elapsed.as_secs_f64(),
        );
    }
    tracing::debug!(
        method = %parts.method,
        path = %path,
        status = response.status,
        micros = elapsed.as_micros() as u64,
        request_id = %o.request_id,
        dialect = o.dialect.as_str(),
        action = %o.action,
        account = o.account,
        secret_id = o.secret_id.as_deref(),
        code = o.code.as_deref().unwrap_or("ok"),
        key_ids = ?o.touched.key_ids,
        data_key_ids = ?o.touched.data_key_ids,
        delivery = o.touched.delivery.map(|a| a.name()),
        "request"
    );
    to_hyper(response)
}

fn to_hyper(r: Response) -> hyper::Response<Full<Bytes>> {
    let mut b = hyper::Response::builder()
        .status(r.status)
        .header(http::header::CONTENT_TYPE, r.content_type);
    // Ours are UUIDs, always a valid header value.
    b = b.header("x-request-id", r.outcome.request_id);
    b.body(Full::new(Bytes::from(r.body)))
        .expect("status and headers are valid")
}
