//! What `smkms bench` measured: latencies in an HdrHistogram per mix entry and per
//! endpoint, errors by code, and the summary in text or JSON.
//!
//! The JSON only ever gains fields (BENCHMARKS tooling and the tests read it): the
//! totals and `actions` are as they were with one endpoint, `endpoint` is the URLs as
//! `--endpoint` takes them (comma-separated when several), and `endpoints` adds each
//! endpoint's share in the order given, with the same counts, rate and latency fields
//! as an action.

use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Latencies are recorded in microseconds, 3 significant digits, up to a minute (the
/// per-request timeout is far below; anything longer saturates).
const HIGHEST_MICROS: u64 = 60_000_000;

/// One mix entry's results.
pub struct ActionStats {
    /// Latency of the successful requests.
    pub latency: Histogram<u64>,
    pub ok: u64,
    pub errors: BTreeMap<String, u64>,
}

impl Default for ActionStats {
    fn default() -> Self {
        ActionStats {
            latency: Histogram::new_with_bounds(1, HIGHEST_MICROS, 3)
                .expect("static histogram bounds are valid"),
            ok: 0,
            errors: BTreeMap::new(),
        }
    }
}

impl ActionStats {
    pub fn record_ok(&mut self, latency: Duration) {
        self.ok += 1;
        let micros = (latency.as_micros() as u64).max(1);
        self.latency.saturating_record(micros);
    }

    pub fn record_error(&mut self, code: &str) {
        *self.errors.entry(code.to_string()).or_default() += 1;
    }

    pub fn failed(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn total(&self) -> u64 {
        self.ok + self.failed()
    }

    fn merge(&mut self, other: &ActionStats) {
        self.ok += other.ok;
        self.latency
            .add(&other.latency)
            .expect("histograms share bounds");
        for (code, n) in &other.errors {
            *self.errors.entry(code.clone()).or_default() += n;
        }
    }
}

/// Milliseconds, rounded to the microsecond the histogram holds.
fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

/// An endpoint as the report names it.
pub struct EndpointSummary {
    pub url: String,
    pub connections: usize,
}

pub struct Summary {
    /// In the order given; `endpoint_stats` follows it.
    pub endpoints: Vec<EndpointSummary>,
    pub connections: usize,
    pub threads: usize,
    pub warmup: Duration,
    /// From the end of the warm-up to the last recorded completion.
    pub elapsed: Duration,
    /// Mix entries in the order given, with their weights.
    pub entries: Vec<(String, u32)>,
    pub stats: Vec<ActionStats>,
    pub endpoint_stats: Vec<ActionStats>,
}

impl Summary {
    fn totals(&self) -> ActionStats {
        let mut all = ActionStats::default();
        for s in &self.stats {
            all.merge(s);
        }
        all
    }

    fn rate(&self, n: u64) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            n as f64 / secs
        } else {
            0.0
        }
    }

    pub fn failed(&self) -> u64 {
        self.stats.iter().map(ActionStats::failed).sum()
    }

    fn stats_json(&self, s: &ActionStats) -> Map<String, Value> {
        let h = &s.latency;
        let latency = if s.ok == 0 {
            Value::Null
        } else {
            json!({
                "mean": round(h.mean() / 1000.0, 3),
                "p50": ms(h.value_at_quantile(0.5)),
                "p90": ms(h.value_at_quantile(0.9)),
                "p99": ms(h.value_at_quantile(0.99)),
                "p99_9": ms(h.value_at_quantile(0.999)),
                "max": ms(h.max()),
            })
        };
        let mut m = Map::new();
        m.insert("requests".into(), json!(s.total()));
        m.insert("ok".into(), json!(s.ok));
        m.insert("errors".into(), json!(s.failed()));
        m.insert(
            "requests_per_sec".into(),
            json!(round(self.rate(s.total()), 1)),
        );
        m.insert("latency_ms".into(), latency);
        m.insert("errors_by_code".into(), json!(s.errors));
        m
    }

    /// The endpoints as `--endpoint` takes them, so a run can be repeated from its report.
    fn endpoint_list(&self, separator: &str) -> String {
        self.endpoints
            .iter()
            .map(|e| e.url.as_str())
            .collect::<Vec<_>>()
            .join(separator)
    }

    pub fn to_json(&self) -> Value {
        let mut top = Map::new();
        top.insert("endpoint".into(), json!(self.endpoint_list(",")));
        top.insert("connections".into(), json!(self.connections));
        top.insert("threads".into(), json!(self.threads));
        top.insert(
            "warmup_secs".into(),
            json!(round(self.warmup.as_secs_f64(), 3)),
        );
        top.insert(
            "elapsed_secs".into(),
            json!(round(self.elapsed.as_secs_f64(), 3)),
        );
        top.extend(self.stats_json(&self.totals()));
        let mut actions = Map::new();
        for ((name, weight), s) in self.entries.iter().zip(&self.stats) {
            let mut m = Map::new();
            m.insert("weight".into(), json!(weight));
            m.extend(self.stats_json(s));
            actions.insert(name.clone(), Value::Object(m));
        }
        top.insert("actions".into(), Value::Object(actions));
        let endpoints: Vec<Value> = self
            .endpoints
            .iter()
            .zip(&self.endpoint_stats)
            .map(|(e, s)| {
                let mut m = Map::new();
                m.insert("endpoint".into(), json!(e.url));
                m.insert("connections".into(), json!(e.connections));
                m.extend(self.stats_json(s));
                Value::Object(m)
            })
            .collect();
        top.insert("endpoints".into(), Value::Array(endpoints));
        Value::Object(top)
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let total = self.totals();
        out.push_str(&format!(
            "smkms bench: {} — {} connections, {} client threads, {:.2} s measured{}\n\n",
            self.endpoint_list(", "),
            self.connections,
            self.threads,
            self.elapsed.as_secs_f64(),
            if self.warmup.is_zero() {
                String::new()
            } else {
                format!(" after {:.1} s of warm-up", self.warmup.as_secs_f64())
            }
        ));
        let name_width = self
            .entries
            .iter()
            .map(|(n, _)| n.len())
            .chain([5])
            .max()
            .unwrap_or(5);
        out.push_str(&format!(
            "{:<name_width$}  {:>10}  {:>10}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}\n",
            "action", "requests", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "errors"
        ));
        let mut row = |name: &str, s: &ActionStats| {
            let h = &s.latency;
            let (p50, p99, p999, max) = if s.ok == 0 {
                (f64::NAN, f64::NAN, f64::NAN, f64::NAN)
            } else {
                (
                    ms(h.value_at_quantile(0.5)),
                    ms(h.value_at_quantile(0.99)),
                    ms(h.value_at_quantile(0.999)),
                    ms(h.max()),
                )
            };
            out.push_str(&format!(
                "{:<name_width$}  {:>10}  {:>10.1}  {:>8.3}  {:>8.3}  {:>8.3}  {:>8.3}  {:>8}\n",
                name,
                s.total(),
                self.rate(s.total()),
                p50,
                p99,
                p999,
                max,
                s.failed()
            ));
        };
        for ((name, _), s) in self.entries.iter().zip(&self.stats) {
            row(name, s);
        }
        if self.entries.len() > 1 {
            row("total", &total);
        }
        // With one endpoint its row would repeat the totals.
        let several = self.endpoints.len() > 1;
        if several {
            self.endpoint_table(&mut out);
        }
        if !total.errors.is_empty() {
            out.push_str("\nerrors by code:\n");
            for ((name, _), s) in self.entries.iter().zip(&self.stats) {
                for (code, n) in &s.errors {
                    out.push_str(&format!("  {name}: {code} × {n}\n"));
                }
            }
            if several {
                out.push_str("\nerrors by endpoint:\n");
                for (e, s) in self.endpoints.iter().zip(&self.endpoint_stats) {
                    for (code, n) in &s.errors {
                        out.push_str(&format!("  {}: {code} × {n}\n", e.url));
                    }
                }
            }
        }
        out
    }

    /// Each endpoint's share: whether the load was spread, and whether one replica is
    /// slower or failing.
    fn endpoint_table(&self, out: &mut String) {
        let width = self
            .endpoints
            .iter()
            .map(|e| e.url.len())
            .chain([8])
            .max()
            .unwrap_or(8);
        out.push_str(&format!(
            "\n{:<width$}  {:>5}  {:>10}  {:>10}  {:>8}  {:>8}  {:>8}\n",
            "endpoint", "conns", "requests", "req/s", "p50 ms", "p99 ms", "errors"
        ));
        for (e, s) in self.endpoints.iter().zip(&self.endpoint_stats) {
            let h = &s.latency;
            let (p50, p99) = if s.ok == 0 {
                (f64::NAN, f64::NAN)
            } else {
                (ms(h.value_at_quantile(0.5)), ms(h.value_at_quantile(0.99)))
            };
            out.push_str(&format!(
                "{:<width$}  {:>5}  {:>10}  {:>10.1}  {:>8.3}  {:>8.3}  {:>8}\n",
                e.url,
                e.connections,
                s.total(),
                self.rate(s.total()),
                p50,
                p99,
                s.failed()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 100 successes from 1 to 100 ms and three errors.
    fn sample() -> ActionStats {
        let mut a = ActionStats::default();
        for ms in 1..=100u64 {
            a.record_ok(Duration::from_millis(ms));
        }
        a.record_error("InternalError");
        let mut b = ActionStats::default();
        b.record_error("InternalError");
        b.record_error("Http.ConnectionError");
        a.merge(&b);
        a
    }

    fn summary(endpoints: &[(&str, usize)], endpoint_stats: Vec<ActionStats>) -> Summary {
        Summary {
            endpoints: endpoints
                .iter()
                .map(|&(url, connections)| EndpointSummary {
                    url: url.into(),
                    connections,
                })
                .collect(),
            connections: 2,
            threads: 1,
            warmup: Duration::ZERO,
            elapsed: Duration::from_secs(2),
            entries: vec![("GenerateRandom".into(), 1)],
            stats: vec![sample()],
            endpoint_stats,
        }
    }

    #[test]
    fn merges_counts_errors_and_percentiles() {
        let s = summary(&[("http://127.0.0.1:1", 2)], vec![sample()]);
        let j = s.to_json();
        assert_eq!(j["endpoint"], "http://127.0.0.1:1");
        assert_eq!(j["requests"], 103);
        assert_eq!(j["ok"], 100);
        assert_eq!(j["errors"], 3);
        assert_eq!(j["requests_per_sec"], 51.5);
        assert_eq!(j["errors_by_code"]["InternalError"], 2);
        assert_eq!(
            j["actions"]["GenerateRandom"]["errors_by_code"]["Http.ConnectionError"],
            1
        );
        let p50 = j["latency_ms"]["p50"].as_f64().unwrap();
        assert!((49.9..=50.1).contains(&p50), "{p50}");
        assert_eq!(j["latency_ms"]["max"].as_f64().unwrap().round(), 100.0);
        assert_eq!(j["endpoints"][0]["requests"], 103);
        assert_eq!(j["endpoints"][0]["connections"], 2);
        let text = s.to_text();
        assert!(text.contains("InternalError × 2"), "{text}");
        assert!(
            !text.contains("conns"),
            "one endpoint needs no table: {text}"
        );
    }

    #[test]
    fn each_endpoint_reports_its_share() {
        let mut failing = ActionStats::default();
        failing.record_error("Http.ConnectFailed");
        let s = summary(
            &[("http://127.0.0.1:1", 1), ("http://127.0.0.1:2", 1)],
            vec![sample(), failing],
        );
        let j = s.to_json();
        assert_eq!(j["endpoint"], "http://127.0.0.1:1,http://127.0.0.1:2");
        let e = j["endpoints"].as_array().unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1]["endpoint"], "http://127.0.0.1:2");
        assert_eq!(e[1]["connections"], 1);
        assert_eq!(
            (&e[0]["requests"], &e[0]["errors"]),
            (&json!(103), &json!(3))
        );
        assert_eq!((&e[1]["requests"], &e[1]["ok"]), (&json!(1), &json!(0)));
        assert_eq!(e[1]["latency_ms"], Value::Null);
        assert_eq!(e[1]["errors_by_code"]["Http.ConnectFailed"], 1);
        let text = s.to_text();
        assert!(text.contains("conns"), "{text}");
        assert!(
            text.contains("http://127.0.0.1:2: Http.ConnectFailed × 1"),
            "{text}"
        );
    }
}
