#!/usr/bin/env python3
"""Issue 13's figures: the same mixes on (a) SQLite, (b) one replica on PostgreSQL and
(c) two replicas on one PostgreSQL database, all on this machine, in one run.

    cargo build --release -j2 --bin smkms
    python3 benches/stores.py [--duration 10] [--rounds 2] > stores.json

Starts its own PostgreSQL (.ci/postgres, stopped at the end whatever happens) and its
own servers on loopback; every configuration gets a new data directory or database in
every round, and the rounds interleave the configurations (a, b, c, a, b, c, ...) so
that drift in the machine's speed falls on all of them alike. Prints a table of
requests/s and p50/p99 latency with each figure's ratio to SQLite, and the raw
summaries as JSON on stdout.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, bench, credential_file, log, require_binary, start_server, stop

MIXES = ["GenerateDataKey", "GenerateDataKey-SM2", "Decrypt", "CreateKey"]
CONFIG = "[limits]\ncmks_per_region = 10000000\n"


def run_config(kind, work, pg_url, n, duration):
    """One configuration, fresh: returns {mix: summary}."""
    d = tempfile.mkdtemp(dir=work)
    store = None
    if kind != "sqlite":
        db = f"bench_{kind}_{n}"
        subprocess.run(["psql", pg_url, "-qc", f"CREATE DATABASE {db}"], check=True,
                       capture_output=True)
        store = pg_url.rsplit("/", 1)[0] + "/" + db
    store_args = ["--store", store] if store else []
    first = os.path.join(d, "r1")
    os.makedirs(first)
    cred_file = credential_file(first, os.path.join(d, "cred.json"), store_args)
    servers = [start_server(first, store_args, CONFIG)]
    if kind == "pg2":
        second = os.path.join(d, "r2")
        os.makedirs(second)
        shutil.copy(os.path.join(first, "root.key"), os.path.join(second, "root.key"))
        servers.append(start_server(second, store_args, CONFIG))
    try:
        return {m: bench([u for _, u in servers], cred_file, m, duration) for m in MIXES}
    finally:
        for p, _ in servers:
            stop(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--mixes", default=",".join(MIXES))
    a = ap.parse_args()
    MIXES[:] = a.mixes.split(",")
    require_binary()
    work = tempfile.mkdtemp(prefix="smkms-stores-")
    os.chmod(work, 0o711)  # PostgreSQL runs as another user when this runs as root
    pg_dir = os.path.join(work, "pg")
    started = subprocess.run(["bash", os.path.join(ROOT, ".ci/postgres"), "start", pg_dir,
                              "--stop-with-pid", str(os.getpid())],
                             capture_output=True, text=True)
    if started.returncode != 0:
        raise SystemExit(f"PostgreSQL did not start: {started.stderr}")
    pg_url = started.stdout.strip()
    results = {k: [] for k in ("sqlite", "pg1", "pg2")}
    try:
        for r in range(a.rounds):
            for kind in results:
                log(f"round {r + 1}: {kind}")
                results[kind].append(run_config(kind, work, pg_url, r, a.duration))
    finally:
        subprocess.run(["bash", os.path.join(ROOT, ".ci/postgres"), "stop", pg_dir],
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)

    def mean(kind, mix, f):
        vals = [f(run[mix]) for run in results[kind]]
        return sum(vals) / len(vals)

    rps = lambda s: s["requests_per_sec"]
    p50 = lambda s: s["latency_ms"]["p50"]
    p99 = lambda s: s["latency_ms"]["p99"]
    log(f"{'mix':22} {'store':7} {'req/s':>9} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for mix in MIXES:
        base = mean("sqlite", mix, rps)
        for kind in results:
            v = mean(kind, mix, rps)
            log(f"{mix:22} {kind:7} {v:9.0f} {v / base:6.2f} "
                f"{mean(kind, mix, p50):8.2f} {mean(kind, mix, p99):8.2f}")
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
