//! Metrics for Prometheus, served on the admin listener ([`crate::admin`]).
//!
//! Recorded through the `prometheus-client` crate (typed counters, gauges and
//! histograms; OpenMetrics and Prometheus 0.0.4 text), never formatted by hand:
//!
//! - requests, from each exchange's `api::Outcome` in the HTTP layer: by dialect,
//!   action and result code, latency by dialect and action, deliveries by algorithm;
//! - connections: open now (a gauge) and accepted in all;
//! - the store, through [`store::Measured`], a decorator around the engine: latency
//!   and errors by operation;
//! - the caches, read when scraped: each cache counts its hits and misses in plain
//!   atomics ([`CacheStats`]) that a source registered with [`Metrics::add_cache`]
//!   returns, so no cache (nor the core, auth or the store) names this module;
//! - the audit writer's write latency, through [`Metrics::audit_write`].
//!
//! Label values are bounded: dialects, algorithms, store operations and caches are
//! fixed names; actions are the dialects' known names (anything else is `other`, see
//! `api::metric_action`); codes are the dialects' own. No label or value ever holds a
//! key id, an account, a SecretId or anything secret.

pub mod store;

use crate::store::cache::CacheStats;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::TypedMetric;
use prometheus_client::registry::{Registry, Unit};
use std::sync::{Arc, RwLock};

/// The `Content-Type` of OpenMetrics text, what Prometheus asks for first.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The `Content-Type` of the Prometheus text format 0.0.4, for everyone else.
pub const PROMETHEUS_CONTENT_TYPE: &str =
    prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    dialect: &'static str,
    action: &'static str,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    dialect: &'static str,
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AlgorithmLabels {
    algorithm: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreErrorLabels {
    operation: &'static str,
    error: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// 100 µs to 6.6 s, doubling: a request, most of them well under a millisecond, up to
/// a store that times out (`postgres.timeout_ms`, 5 s by default).
fn request_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

/// 50 µs to 3.3 s, doubling: one store call.
fn store_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.00005, 2.0, 17))
}

/// 50 µs to 1.6 s, doubling: one audit write, its share of a batched fsync included.
fn audit_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.00005, 2.0, 16))
}

/// Everything the admin listener's `/metrics` shows. One per process, shared by
/// reference; recording is lock-free but for the first use of a label set.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Histograms<ActionLabels>,
    deliveries: Family<AlgorithmLabels, Counter>,
    store_seconds: Histograms<OperationLabels>,
    store_errors: Family<StoreErrorLabels, Counter>,
    open_connections: Gauge,
    connections: Counter,
    audit_write_seconds: Histogram,
    caches: Arc<CacheSources>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// An open connection, counted in `smkms_open_connections` until it is dropped.
pub struct OpenConnection(Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "smkms_requests",
            "Requests answered, by dialect, action and result code (ok for success)",
            requests.clone(),
        );
        let request_seconds = Histograms::<ActionLabels>::new_with_constructor(request_buckets);
        registry.register_with_unit(
            "smkms_request_duration",
            "Time from the request's headers to its response, by dialect and action",
            Unit::Seconds,
            request_seconds.clone(),
        );
        let deliveries = Family::<AlgorithmLabels, Counter>::default();
        registry.register(
            "smkms_deliveries",
            "Data keys delivered to a caller's public key (EncryptionPublicKey), by algorithm",
            deliveries.clone(),
        );
        let store_seconds = Histograms::<OperationLabels>::new_with_constructor(store_buckets);
        registry.register_with_unit(
            "smkms_store_operation_duration",
            "Time of one store call, by operation",
            Unit::Seconds,
            store_seconds.clone(),
        );
        let store_errors = Family::<StoreErrorLabels, Counter>::default();
        registry.register(
            "smkms_store_errors",
            "Store calls that failed, by operation and error (backend: the engine failed; \
             the others are answers such as conflict or alias_exists)",
            store_errors.clone(),
        );
        let open_connections = Gauge::default();
        registry.register(
            "smkms_open_connections",
            "Client connections open on the API listener",
            open_connections.clone(),
        );
        let connections = Counter::default();
        registry.register(
            "smkms_connections",
            "Client connections accepted on the API listener",
            connections.clone(),
        );
        let audit_write_seconds = audit_buckets();
        registry.register_with_unit(
            "smkms_audit_write_duration",
            "Time to write one audit record durably, fsync included",
            Unit::Seconds,
            audit_write_seconds.clone(),
        );
        let caches = Arc::new(CacheSources::default());
        registry.register_collector(Box::new(caches.clone()));
        Metrics {
            registry,
            requests,
            request_seconds,
            deliveries,
            store_seconds,
            store_errors,
            open_connections,
            connections,
            audit_write_seconds,
            caches,
        }
    }

    /// One answered request. `action` is a bounded name (see `api::metric_action`);
    /// `code` the dialect's result code, `None` for success; `delivery` the algorithm
    /// a data key was delivered with, counted when the request succeeded.
    pub fn request(
        &self,
        dialect: &'static str,
        action: &'static str,
        code: Option<&str>,
        delivery: Option<&'static str>,
        seconds: f64,
    ) {
        let code = match code {
            None => "ok".to_string(),
            Some(c) if is_code(c) => c.to_string(),
            Some(_) => "other".to_string(),
        };
        let succeeded = code == "ok";
        self.requests
            .get_or_create(&RequestLabels {
                dialect,
                action,
                code,
            })
            .inc();
        self.request_seconds
            .get_or_create(&ActionLabels { dialect, action })
            .observe(seconds);
        if let (Some(algorithm), true) = (delivery, succeeded) {
            self.deliveries
                .get_or_create(&AlgorithmLabels { algorithm })
                .inc();
        }
    }

    /// A connection was accepted; it counts as open until the returned value is dropped.
    pub fn connection_opened(&self) -> OpenConnection {
        self.connections.inc();
        self.open_connections.inc();
        OpenConnection(self.open_connections.clone())
    }

    /// One store call: its operation (the `Store` method's name), how long it took,
    /// and its error kind when it failed.
    pub fn store_call(&self, operation: &'static str, seconds: f64, error: Option<&'static str>) {
        self.store_seconds
            .get_or_create(&OperationLabels { operation })
            .observe(seconds);
        if let Some(error) = error {
            self.store_errors
                .get_or_create(&StoreErrorLabels { operation, error })
                .inc();
        }
    }

    /// One audit record written (durably): `smkms_audit_write_duration_seconds`.
    pub fn audit_write(&self, seconds: f64) {
        self.audit_write_seconds.observe(seconds);
    }

    /// Shows a cache's hits and misses as `smkms_cache_hits_total{cache="NAME"}` and
    /// `smkms_cache_misses_total{cache="NAME"}`, read from `stats` at every scrape.
    pub fn add_cache(
        &self,
        name: &'static str,
        stats: impl Fn() -> CacheStats + Send + Sync + 'static,
    ) {
        self.caches
            .sources
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push((name, Box::new(stats)));
    }

    /// The exposition in OpenMetrics text (ends with `# EOF`).
    pub fn openmetrics(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; a collector's error would leave a
        // truncated text, which the scraper refuses rather than misreads.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// The exposition in the Prometheus text format 0.0.4.
    pub fn prometheus_text(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }

    /// The exposition a scraper asked for with its `Accept` header, and its
    /// `Content-Type`: OpenMetrics when it names `application/openmetrics-text` (as
    /// Prometheus does), otherwise the Prometheus text format.
    pub fn exposition(&self, accept: Option<&str>) -> (String, &'static str) {
        if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
            (self.openmetrics(), OPENMETRICS_CONTENT_TYPE)
        } else {
            (self.prometheus_text(), PROMETHEUS_CONTENT_TYPE)
        }
    }
}

/// A result code as the dialects make them (`AuthFailure.SignatureFailure`, `KMS.0205`,
/// `4530`): short, of letters, digits, `.`, `_` and `-`. Anything else is not ours and
/// is not used as a label.
fn is_code(c: &str) -> bool {
    !c.is_empty()
        && c.len() <= 80
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

type CacheSource = Box<dyn Fn() -> CacheStats + Send + Sync>;

/// The caches' counts, read at scrape time.
#[derive(Default)]
struct CacheSources {
    sources: RwLock<Vec<(&'static str, CacheSource)>>,
}

impl std::fmt::Debug for CacheSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheSources").finish_non_exhaustive()
    }
}

impl Collector for CacheSources {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let sources = self.sources.read().unwrap_or_else(|p| p.into_inner());
        if sources.is_empty() {
            return Ok(());
        }
        let stats: Vec<(&'static str, CacheStats)> =
            sources.iter().map(|(name, f)| (*name, f())).collect();
        for (metric, help, pick) in [
            (
                "smkms_cache_hits",
                "Lookups a cache answered from memory, by cache.",
                (|s: &CacheStats| s.hits) as fn(&CacheStats) -> u64,
            ),
            (
                "smkms_cache_misses",
                "Lookups a cache could not answer (read from the store instead), by cache.",
                |s: &CacheStats| s.misses,
            ),
        ] {
            let mut family =
                encoder.encode_descriptor(metric, help, None, ConstCounter::<u64>::TYPE)?;
            for (name, s) in &stats {
                let labels = [("cache", *name)];
                ConstCounter::new(pick(s)).encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_exposes_every_family() {
        let m = Metrics::new();
        m.request("tencent", "GenerateDataKey", None, Some("SM2"), 0.002);
        m.request(
            "tencent",
            "Encrypt",
            Some("AuthFailure.SignatureFailure"),
            None,
            0.001,
        );
        m.request(
            "tencent",
            "GenerateDataKey",
            Some("InvalidParameter"),
            Some("SM2"),
            0.001,
        );
        m.request("huawei", "other", Some("bad code\n{}"), None, 0.001);
        let c = m.connection_opened();
        m.store_call("get_cmk", 0.0003, None);
        m.store_call("update_cmk", 0.0003, Some("conflict"));
        m.audit_write(0.001);
        m.add_cache("credentials", || CacheStats { hits: 7, misses: 2 });
        let text = m.openmetrics();
        for line in [
            r#"smkms_requests_total{dialect="tencent",action="GenerateDataKey",code="ok"} 1"#,
            r#"smkms_requests_total{dialect="tencent",action="Encrypt",code="AuthFailure.SignatureFailure"} 1"#,
            r#"smkms_requests_total{dialect="huawei",action="other",code="other"} 1"#,
            r#"smkms_deliveries_total{algorithm="SM2"} 1"#,
            r#"smkms_request_duration_seconds_count{dialect="tencent",action="GenerateDataKey"} 2"#,
            r#"smkms_store_operation_duration_seconds_count{operation="get_cmk"} 1"#,
            r#"smkms_store_errors_total{operation="update_cmk",error="conflict"} 1"#,
            "smkms_open_connections 1",
            "smkms_connections_total 1",
            "smkms_audit_write_duration_seconds_count 1",
            r#"smkms_cache_hits_total{cache="credentials"} 7"#,
            r#"smkms_cache_misses_total{cache="credentials"} 2"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
        drop(c);
        assert!(m
            .prometheus_text()
            .lines()
            .any(|l| l == "smkms_open_connections 0"));
    }

    #[test]
    fn negotiates_the_format() {
        let m = Metrics::new();
        m.request("tencent", "Encrypt", None, None, 0.001);
        let (text, ct) = m.exposition(Some(
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        ));
        assert_eq!(ct, OPENMETRICS_CONTENT_TYPE);
        assert!(text.ends_with("# EOF\n"));
        let (text, ct) = m.exposition(None);
        assert_eq!(ct, PROMETHEUS_CONTENT_TYPE);
        assert!(!text.contains("# EOF"));
        assert!(
            text.contains("# TYPE smkms_requests_total counter"),
            "{text}"
        );
    }

    #[test]
    fn codes_are_bounded() {
        assert!(is_code("AuthFailure.SignatureFailure"));
        assert!(is_code("KMS.0205"));
        assert!(is_code("4530"));
        assert!(!is_code(""));
        assert!(!is_code("a\"b"));
        assert!(!is_code(&"x".repeat(81)));
    }
}
