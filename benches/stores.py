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
import argparse, json, os, shutil, signal, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "smkms")
MIXES = ["GenerateDataKey", "GenerateDataKey-SM2", "Decrypt", "CreateKey"]
CONFIG = "[limits]\ncmks_per_region = 10000000\n"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def start_server(data, store=None):
    os.makedirs(data, exist_ok=True)
    cfg = os.path.join(data, "..", os.path.basename(data) + ".toml")
    with open(cfg, "w") as f:
        f.write(CONFIG)
    args = [BIN, "serve", "--listen", "127.0.0.1:0", "--data", data, "--config", cfg]
    if store:
        args += ["--store", store]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, SMKMS_LOG="warn"), text=True)
    for line in p.stdout:
        if line.startswith("smkms listening on "):
            return p, line.split()[-1]
    raise SystemExit(f"server on {data} did not start")


def credential(data, store=None):
    args = [BIN, "credentials", "create", "--json", "--data", data]
    if store:
        args += ["--store", store]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def bench(endpoints, cred_file, mix, duration):
    out = subprocess.run(
        [BIN, "bench", "--endpoint", ",".join(endpoints), "--credentials-json", cred_file,
         "--mix", mix, "--connections", "64", "--duration", str(duration), "--warmup", "2",
         "--json"],
        capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench {mix} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def run_config(kind, work, pg_url, n, duration):
    """One configuration, fresh: returns {mix: summary}."""
    d = tempfile.mkdtemp(dir=work)
    store = None
    if kind != "sqlite":
        db = f"bench_{kind}_{n}"
        subprocess.run(["psql", pg_url, "-qc", f"CREATE DATABASE {db}"], check=True,
                       capture_output=True)
        store = pg_url.rsplit("/", 1)[0] + "/" + db
    first = os.path.join(d, "r1")
    os.makedirs(first)
    cred_file = os.path.join(d, "cred.json")
    with open(cred_file, "w") as f:
        f.write(credential(first, store))
    servers = [start_server(first, store)]
    if kind == "pg2":
        second = os.path.join(d, "r2")
        os.makedirs(second)
        shutil.copy(os.path.join(first, "root.key"), os.path.join(second, "root.key"))
        servers.append(start_server(second, store))
    try:
        return {m: bench([u for _, u in servers], cred_file, m, duration) for m in MIXES}
    finally:
        for p, _ in servers:
            p.send_signal(signal.SIGTERM)
            p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--mixes", default=",".join(MIXES))
    a = ap.parse_args()
    MIXES[:] = a.mixes.split(",")
    if not os.path.exists(BIN):
        raise SystemExit("build first: cargo build --release --bin smkms")
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
