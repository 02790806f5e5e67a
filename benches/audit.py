#!/usr/bin/env python3
"""Issue 14's audit-trail cost: the same GenerateDataKey load on a server with the audit
trail on (the default) and one with `[audit] enabled = false`, in one run.

    cargo build --release -j2 --bin smkms
    python3 benches/audit.py [--duration 10] [--rounds 3] [--connections 1,8,64] > audit.json

Each configuration gets a new data directory in every round (on the machine's disk, where fdatasync costs what it costs),
and the rounds interleave the configurations (on, off, on, off, ...) so that drift in
the machine's speed falls on both alike. Prints requests/s and p50/p99 latency per
connection count with the ratio of "on" to "off", and the raw summaries as JSON.
"""
import argparse, json, os, shutil, signal, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "smkms")
MIX = "GenerateDataKey"
CONFIGS = {"on": "", "off": "[audit]\nenabled = false\n"}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def start_server(data, config):
    cfg = data + ".toml"
    with open(cfg, "w") as f:
        f.write(config)
    p = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--data", data,
                          "--config", cfg],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, SMKMS_LOG="warn"), text=True)
    for line in p.stdout:
        if line.startswith("smkms listening on "):
            return p, line.split()[-1]
    raise SystemExit(f"server on {data} did not start")


def bench(endpoint, cred_file, connections, duration):
    out = subprocess.run(
        [BIN, "bench", "--endpoint", endpoint, "--credentials-json", cred_file,
         "--mix", MIX, "--connections", str(connections), "--duration", str(duration),
         "--warmup", "2", "--json"],
        capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def run_config(kind, work, connections, duration):
    d = tempfile.mkdtemp(dir=work)
    data = os.path.join(d, "data")
    cred_file = os.path.join(d, "cred.json")
    with open(cred_file, "w") as f:
        f.write(subprocess.run([BIN, "credentials", "create", "--json", "--data", data],
                               check=True, capture_output=True, text=True).stdout)
    p, url = start_server(data, CONFIGS[kind])
    try:
        return {c: bench(url, cred_file, c, duration) for c in connections}
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", default="1,8,64")
    a = ap.parse_args()
    conns = [int(c) for c in a.connections.split(",")]
    if not os.path.exists(BIN):
        raise SystemExit("build first: cargo build --release --bin smkms")
    work = tempfile.mkdtemp(prefix="smkms-audit-bench-", dir=os.path.join(ROOT, "target"))
    results = {k: [] for k in CONFIGS}
    try:
        for r in range(a.rounds):
            for kind in results:
                log(f"round {r + 1}: audit {kind}")
                results[kind].append(run_config(kind, work, conns, a.duration))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def mean(kind, c, f):
        vals = [f(run[c]) for run in results[kind]]
        return sum(vals) / len(vals)

    rps = lambda s: s["requests_per_sec"]
    p50 = lambda s: s["latency_ms"]["p50"]
    p99 = lambda s: s["latency_ms"]["p99"]
    log(f"{'conns':>5} {'audit':5} {'req/s':>9} {'on/off':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for c in conns:
        base = mean("off", c, rps)
        for kind in results:
            v = mean(kind, c, rps)
            log(f"{c:5} {kind:5} {v:9.0f} {v / base:6.3f} "
                f"{mean(kind, c, p50):8.2f} {mean(kind, c, p99):8.2f}")
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
