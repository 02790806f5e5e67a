//! The load: one task per connection sending requests back to back, the progress
//! line, and the run that ties setup, tasks and summary together.

use super::answer::{self, Answer, Skip};
use super::args::Config;
use super::conn::{Conn, Signer, Target};
use super::mix::schedule;
use super::recipients::Recipients;
use super::report::{ActionStats, EndpointSummary, Summary};
use super::setup::{setup, Prepared};
use super::REQUEST_TIMEOUT;
use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Latencies are handed to the shared histograms in batches of this many.
const FLUSH_EVERY: usize = 256;

struct Shared {
    /// By endpoint index.
    targets: Vec<Target>,
    /// A new connection for every request (`--new-connections`).
    new_connections: bool,
    measure_from: Instant,
    deadline: Option<Instant>,
    limit: Option<u64>,
    schedule: Vec<u16>,
    actions: Vec<Prepared>,
    /// The next measured request number; the warm-up has its own.
    next: AtomicU64,
    warm_next: AtomicU64,
    /// For the progress line.
    done: AtomicU64,
    failed: AtomicU64,
    warm_done: AtomicU64,
    stats: Mutex<Tally>,
}

/// The measured requests, counted twice: by mix entry and by endpoint, so the report
/// can show that the load was spread and which replica failed.
struct Tally {
    actions: Vec<ActionStats>,
    endpoints: Vec<ActionStats>,
}

/// `Ok` for a Tencent success answer; otherwise the error code to count.
fn check_answer(status: u16, body: &[u8]) -> Result<(), String> {
    match answer::read::<Skip>(status, body) {
        Answer::Success(Skip) => Ok(()),
        Answer::Error { code, .. } => Err(code.into_owned()),
        Answer::Transport(problem) => Err(problem.code()),
    }
}

/// One connection's task: requests to endpoint `endpoint`, signed by `signer` (with
/// that endpoint's Host), back to back until the run ends.
async fn drive(shared: Arc<Shared>, endpoint: usize, mut signer: Signer) -> Option<Instant> {
    let target = shared.targets[endpoint].clone();
    let mut conn: Option<Conn> = None;
    let mut pending: Vec<(u16, Result<Duration, String>)> = Vec::with_capacity(FLUSH_EVERY);
    let mut last_done = None;
    let flush = |pending: &mut Vec<(u16, Result<Duration, String>)>| {
        let mut guard = shared.stats.lock().unwrap_or_else(|p| p.into_inner());
        let tally = &mut *guard;
        let by_endpoint = &mut tally.endpoints[endpoint];
        for (entry, outcome) in pending.drain(..) {
            let by_entry = &mut tally.actions[entry as usize];
            match outcome {
                Ok(latency) => {
                    by_entry.record_ok(latency);
                    by_endpoint.record_ok(latency);
                }
                Err(code) => {
                    by_entry.record_error(&code);
                    by_endpoint.record_error(&code);
                }
            }
        }
    };
    loop {
        let now = Instant::now();
        let measuring = now >= shared.measure_from;
        let number = if measuring {
            if shared.deadline.is_some_and(|d| now >= d) {
                break;
            }
            let i = shared.next.fetch_add(1, Relaxed);
            if shared.limit.is_some_and(|n| i >= n) {
                break;
            }
            i
        } else {
            shared.warm_next.fetch_add(1, Relaxed)
        };
        let entry = shared.schedule[(number % shared.schedule.len() as u64) as usize];
        let action = &shared.actions[entry as usize];
        let body = action.next_body();

        let started = Instant::now();
        let outcome: Result<(), String> = async {
            if conn.is_none() {
                match tokio::time::timeout(REQUEST_TIMEOUT, Conn::connect(&target)).await {
                    Ok(Ok(c)) => conn = Some(c),
                    _ => {
                        // Do not spin on a server that is not there.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        return Err("Http.ConnectFailed".to_string());
                    }
                }
            }
            let c = conn.as_mut().expect("connected above");
            let sent = tokio::time::timeout(
                REQUEST_TIMEOUT,
                c.post(&mut signer, action.x_tc_action, &body.json, &body.hash),
            )
            .await;
            let result = match sent {
                Err(_) => Err("Http.Timeout".to_string()),
                Ok(Err(e)) => Err(e.code().to_string()),
                Ok(Ok(r)) => return check_answer(r.status, r.body),
            };
            conn = None;
            result
        }
        .await;
        let latency = started.elapsed();
        if shared.new_connections || conn.as_ref().is_some_and(|c| c.closed) {
            conn = None;
        }
        if measuring {
            if outcome.is_err() {
                shared.failed.fetch_add(1, Relaxed);
            }
            shared.done.fetch_add(1, Relaxed);
            pending.push((entry, outcome.map(|()| latency)));
            if pending.len() >= FLUSH_EVERY {
                flush(&mut pending);
            }
            last_done = Some(Instant::now());
        } else {
            shared.warm_done.fetch_add(1, Relaxed);
        }
    }
    flush(&mut pending);
    last_done
}

/// Prints a progress line on stderr once a second until aborted.
async fn progress(shared: Arc<Shared>, started: Instant, limit: Option<u64>) {
    let tty = std::io::stderr().is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut previous = 0u64;
    loop {
        tick.tick().await;
        let now = Instant::now();
        let done = shared.done.load(Relaxed);
        let total = done + shared.warm_done.load(Relaxed);
        let per_second = total - previous;
        previous = total;
        let line = if now < shared.measure_from {
            format!(
                "bench: {:>4.0} s  warm-up  {per_second} req/s",
                (now - started).as_secs_f64()
            )
        } else {
            let secs = (now - shared.measure_from).as_secs_f64().max(1e-9);
            format!(
                "bench: {:>4.0} s  {per_second} req/s  (average {:.0} req/s)  {done}{} requests  {} errors",
                (now - started).as_secs_f64(),
                done as f64 / secs,
                limit.map(|n| format!("/{n}")).unwrap_or_default(),
                shared.failed.load(Relaxed)
            )
        };
        if tty {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
    }
}

pub async fn run_async(cfg: &Config, keys: Recipients) -> Result<Summary, String> {
    let actions = setup(cfg, &keys).await?;
    drop(keys);
    let started = Instant::now();
    let measure_from = started + cfg.warmup;
    let shared = Arc::new(Shared {
        targets: cfg.endpoints.iter().map(|e| e.target.clone()).collect(),
        new_connections: cfg.new_connections,
        measure_from,
        deadline: cfg.duration.map(|d| measure_from + d),
        limit: cfg.requests,
        schedule: schedule(&cfg.entries),
        actions,
        next: AtomicU64::new(0),
        warm_next: AtomicU64::new(0),
        done: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        warm_done: AtomicU64::new(0),
        stats: Mutex::new(Tally {
            actions: cfg.entries.iter().map(|_| ActionStats::default()).collect(),
            endpoints: cfg
                .endpoints
                .iter()
                .map(|_| ActionStats::default())
                .collect(),
        }),
    });
    let endpoints: Vec<EndpointSummary> = cfg
        .endpoints
        .iter()
        .enumerate()
        .map(|(i, e)| EndpointSummary {
            url: e.url.clone(),
            connections: cfg.connections_to(i),
        })
        .collect();
    eprintln!(
        "bench: {} connections{} to {} for {}{}",
        cfg.connections,
        if cfg.new_connections {
            " (a new one for each request)"
        } else {
            ""
        },
        match &endpoints[..] {
            [one] => one.url.clone(),
            several => several
                .iter()
                .map(|e| format!("{} ({})", e.url, e.connections))
                .collect::<Vec<_>>()
                .join(", "),
        },
        match (cfg.duration, cfg.requests) {
            (Some(d), _) => format!("{:.1} s", d.as_secs_f64()),
            (None, Some(n)) => format!("{n} requests"),
            (None, None) => unreachable!("one of them is set"),
        },
        if cfg.warmup.is_zero() {
            String::new()
        } else {
            format!(" after {:.1} s of warm-up", cfg.warmup.as_secs_f64())
        }
    );
    let ticker = tokio::spawn(progress(shared.clone(), started, cfg.requests));
    let tasks: Vec<_> = (0..cfg.connections)
        .map(|c| {
            let endpoint = cfg.endpoint_of(c);
            tokio::spawn(drive(shared.clone(), endpoint, cfg.signer(endpoint)))
        })
        .collect();
    let mut last = None;
    for t in tasks {
        let done = t
            .await
            .map_err(|e| format!("a connection task failed: {e}"))?;
        last = last.max(done);
    }
    ticker.abort();
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    let elapsed = last
        .unwrap_or_else(Instant::now)
        .saturating_duration_since(measure_from);
    let mut tally = shared.stats.lock().unwrap_or_else(|p| p.into_inner());
    Ok(Summary {
        endpoints,
        connections: cfg.connections,
        threads: cfg.threads,
        warmup: cfg.warmup,
        elapsed,
        entries: cfg
            .entries
            .iter()
            .map(|e| (e.label.clone(), e.weight))
            .collect(),
        stats: std::mem::take(&mut tally.actions),
        endpoint_stats: std::mem::take(&mut tally.endpoints),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_for_errors() {
        let ok = br#"{"Response":{"Plaintext":"AA==","RequestId":"r"}}"#;
        assert_eq!(check_answer(200, ok), Ok(()));
        let err = br#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"m"},"RequestId":"r"}}"#;
        assert_eq!(
            check_answer(200, err).unwrap_err(),
            "AuthFailure.SignatureFailure"
        );
        assert_eq!(check_answer(502, ok).unwrap_err(), "Http.Status502");
        assert_eq!(
            check_answer(200, b"{}").unwrap_err(),
            "Http.NotATencentAnswer"
        );
        assert_eq!(
            check_answer(200, b"<html>").unwrap_err(),
            "Http.NotATencentAnswer"
        );
    }
}
