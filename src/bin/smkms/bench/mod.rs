//! `smkms bench`: a load generator for a running smkms server.
//!
//! N keep-alive HTTP/1.1 connections, each driven by a task that sends TC3-signed
//! requests back to back (every request signed anew) until a duration passes or a
//! request count is reached. Which action each request is comes from the mix: request
//! number i runs entry `schedule[i % len]`, where the schedule interleaves the entries
//! by weight, so a counted run's per-entry counts are exact.
//!
//! Before the load starts, a setup phase creates (or reuses, by alias) the CMKs the mix
//! needs, generates the recipients' key pairs, encrypts the blob Decrypt will send, and
//! runs every entry once, checking its answer in full (a delivered key is unwrapped
//! with the private key). During the load, each answer is checked for HTTP 200, a JSON
//! `Response` with a `RequestId`, and no `Error`; failures are counted by code. Both
//! read answers the same way, in [`answer`].
//!
//! Several endpoints (replicas on one database, with no load balancer in front) share
//! the connections round robin, each connection signing for its own endpoint's Host;
//! the setup goes through the first and then checks each entry through the others, and
//! the summary counts requests and errors per endpoint as well as per entry.
//!
//! Endpoints are http:// or https:// (TLS through rustls, trusting only the `--ca`
//! file). `--new-connections` opens a new connection, and for https does a new
//! handshake, for every request instead of keeping each one alive, so a run measures
//! connection setup too; rustls' client resumes sessions, as most TLS clients do.
//!
//! Load tests target loopback only: a non-loopback endpoint is refused unless
//! `--allow-remote` is given.
//!
//! Layout: [`args`] (the command line and its checks), [`mix`] (the actions and their
//! schedule), [`recipients`] (key pairs to deliver to), [`setup`] (CMKs, bodies and the
//! first full check), [`load`] (the connections' tasks and progress), and the helpers
//! [`conn`], [`answer`] and [`report`].

mod answer;
mod args;
mod conn;
mod load;
mod mix;
mod recipients;
mod report;
mod setup;

pub use args::BenchArgs;

use args::Config;
use load::run_async;
use mix::action_names;
use recipients::generate_recipients;
use std::io::Write as _;
use std::time::Duration;

/// A request that takes longer than this counts as `Http.Timeout` and its connection is
/// replaced; it also bounds how long a run can outlast its duration.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// `smkms bench`. Runs on a runtime of its own (with `--threads` workers), on a thread
/// of its own so it can be called from within another runtime.
pub fn run(args: BenchArgs) -> Result<(), String> {
    if args.list_actions {
        let mut out = std::io::stdout().lock();
        for name in action_names() {
            writeln!(out, "{name}").map_err(|e| format!("cannot print the actions: {e}"))?;
        }
        return Ok(());
    }
    let cfg = Config::from_args(args)?;
    let summary = std::thread::scope(|s| {
        s.spawn(|| {
            let keys = generate_recipients(&cfg)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(cfg.threads)
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the bench runtime: {e}"))?;
            runtime.block_on(run_async(&cfg, keys))
        })
        .join()
        .map_err(|_| "the bench thread panicked".to_string())?
    })?;
    // A closed standard output is an error to report, not a panic (println! panics).
    let report = if cfg.json {
        format!("{}\n", summary.to_json())
    } else {
        summary.to_text()
    };
    crate::print(&report)?;
    match summary.failed() {
        0 => Ok(()),
        n => Err(format!("{n} requests failed (see the errors by code)")),
    }
}
