//! The admin listener (`--admin-listen ADDR`, off by default): what monitoring reads,
//! on its own address, apart from the API.
//!
//! - `GET /metrics`: the [`Metrics`] exposition (OpenMetrics when the scraper asks for
//!   it, as Prometheus does; the Prometheus text format otherwise);
//! - `GET /healthz`: 200 while the process serves at all;
//! - `GET /readyz`: 200 when the store answers a cheap query within [`READY_BOUND`] and
//!   every check registered with [`Readiness::add`] passes; 503 with the reason as
//!   plain text otherwise, and from the moment a shutdown begins.
//!
//! Nothing else is served (404), `HEAD` is answered like `GET`, other methods get 405.
//! No credential is asked for, so it belongs on a private address; nothing it shows
//! is secret (counts, durations, fixed names and result codes).

use crate::metrics::Metrics;
use crate::store::Store;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How long `/readyz` waits for the store before it answers 503.
pub const READY_BOUND: Duration = Duration::from_secs(2);
/// Admin connections served at once; more wait in the accept backlog.
const MAX_CONNECTIONS: usize = 64;
/// Headers must arrive within this; an idle keep-alive connection is closed after it.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// A meta name no record has: reading it is the cheapest query an engine answers.
const PROBE: &str = "readiness-probe";

type Check = Box<dyn Fn() -> Result<(), String> + Send + Sync>;

/// What `/readyz` asks: the store, then each registered check, in order.
pub struct Readiness {
    store: Arc<dyn Store>,
    bound: Duration,
    checks: RwLock<Vec<(String, Check)>>,
    stopping: AtomicBool,
}

impl Readiness {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Readiness {
            store,
            bound: READY_BOUND,
            checks: RwLock::new(Vec::new()),
            stopping: AtomicBool::new(false),
        }
    }

    /// Another condition for being ready, such as the audit writer's health: `Err`
    /// holds the reason `/readyz` shows (plain text; never a secret). Checks run on
    /// every `/readyz` request, so each should only read a state, not do I/O.
    pub fn add(&self, name: &str, check: impl Fn() -> Result<(), String> + Send + Sync + 'static) {
        self.checks
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push((name.to_string(), Box::new(check)));
    }

    /// From now on `/readyz` answers 503: the server is shutting down and a balancer
    /// should send nothing new.
    pub fn stopping(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// `Ok` when ready, otherwise the first reason not to be.
    pub async fn check(&self) -> Result<(), String> {
        if self.stopping.load(Ordering::SeqCst) {
            return Err("shutting down".into());
        }
        match tokio::time::timeout(self.bound, self.store.get_meta(PROBE)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("store: {e}")),
            Err(_) => {
                return Err(format!(
                    "store: no answer within {} ms",
                    self.bound.as_millis()
                ))
            }
        }
        let checks = self.checks.read().unwrap_or_else(|p| p.into_inner());
        for (name, check) in checks.iter() {
            check().map_err(|why| format!("{name}: {why}"))?;
        }
        Ok(())
    }
}

/// Serves the admin endpoints until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    readiness: Arc<Readiness>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    while let Some((permit, stream, peer)) =
        crate::http::server::next_connection(&listener, &slots, &mut shutdown, "admin").await
    {
        let metrics = metrics.clone();
        let readiness = readiness.clone();
        let service = service_fn(move |req| {
            let metrics = metrics.clone();
            let readiness = readiness.clone();
            async move { Ok::<_, std::convert::Infallible>(answer(&metrics, &readiness, req).await) }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "admin connection ended with an error");
            }
            drop(permit);
        });
    }
}

async fn answer(
    metrics: &Metrics,
    readiness: &Readiness,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let path = req.uri().path();
    if !matches!(path, "/metrics" | "/healthz" | "/readyz") {
        return plain(
            404,
            "not found: the admin listener serves /metrics, /healthz and /readyz\n",
        );
    }
    let head = req.method() == http::Method::HEAD;
    if !head && req.method() != http::Method::GET {
        let mut r = plain(405, "method not allowed: use GET\n");
        r.headers_mut().insert(
            http::header::ALLOW,
            http::HeaderValue::from_static("GET, HEAD"),
        );
        return r;
    }
    let mut r = match path {
        "/metrics" => {
            let accept = req
                .headers()
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok());
            let (text, content_type) = metrics.exposition(accept);
            respond(200, content_type, text)
        }
        "/healthz" => plain(200, "ok\n"),
        _ => match readiness.check().await {
            Ok(()) => plain(200, "ready\n"),
            Err(why) => {
                tracing::debug!(reason = %why, "not ready");
                plain(503, &format!("not ready: {why}\n"))
            }
        },
    };
    if head {
        *r.body_mut() = Full::new(Bytes::new());
    }
    r
}

fn plain(status: u16, text: &str) -> hyper::Response<Full<Bytes>> {
    respond(status, "text/plain; charset=utf-8", text.to_string())
}

fn respond(status: u16, content_type: &'static str, body: String) -> hyper::Response<Full<Bytes>> {
    let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    r.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    fn readiness() -> Readiness {
        Readiness::new(Arc::new(SqliteStore::open_in_memory().unwrap()))
    }

    #[tokio::test]
    async fn ready_until_a_check_fails_or_shutdown_begins() {
        let r = readiness();
        assert_eq!(r.check().await, Ok(()));
        let healthy = Arc::new(AtomicBool::new(true));
        let h = healthy.clone();
        r.add("audit", move || {
            if h.load(Ordering::SeqCst) {
                Ok(())
            } else {
                Err("the audit directory is not writable".into())
            }
        });
        assert_eq!(r.check().await, Ok(()));
        healthy.store(false, Ordering::SeqCst);
        assert_eq!(
            r.check().await,
            Err("audit: the audit directory is not writable".into())
        );
        healthy.store(true, Ordering::SeqCst);
        r.stopping();
        assert_eq!(r.check().await, Err("shutting down".into()));
    }

    #[tokio::test]
    async fn serves_the_three_paths_and_nothing_else() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let metrics = Arc::new(Metrics::new());
        metrics.request("tencent", "Encrypt", None, None, 0.001);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, metrics, Arc::new(readiness()), async {
            let _ = stopped.await;
        }));
        let get = |request: String| async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(request.as_bytes()).await.unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        };
        let req = |method: &str, path: &str| {
            format!("{method} {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        };
        let r = get(req("GET", "/healthz")).await;
        assert!(r.starts_with("HTTP/1.1 200") && r.ends_with("ok\n"), "{r}");
        let r = get(req("GET", "/readyz")).await;
        assert!(
            r.starts_with("HTTP/1.1 200") && r.ends_with("ready\n"),
            "{r}"
        );
        let r = get(req("GET", "/metrics")).await;
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        assert!(r.contains("smkms_requests_total{"), "{r}");
        for path in [
            "/",
            "/metrics/",
            "/healthz?x",
            "/v2/index.php",
            "/%2e%2e/etc",
        ] {
            let r = get(req("GET", path)).await;
            let want = if path == "/healthz?x" {
                "HTTP/1.1 200"
            } else {
                "HTTP/1.1 404"
            };
            assert!(r.starts_with(want), "{path}: {r}");
        }
        let r = get(req("POST", "/metrics")).await;
        assert!(r.starts_with("HTTP/1.1 405"), "{r}");
        let r = get(req("HEAD", "/healthz")).await;
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        let r = get("garbage\r\n\r\n".into()).await;
        assert!(r.is_empty() || r.starts_with("HTTP/1.1 400"), "{r}");
        let _ = stop.send(());
        server.await.unwrap();
    }
}
