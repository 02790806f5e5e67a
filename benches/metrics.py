#!/usr/bin/env python3
"""Issue 14's metrics cost: the same load on a server without the admin listener (no
metrics are kept then) and one with `--admin-listen` (every request counted by dialect,
action and code, its latency observed, cache and store figures kept), in one run.

    cargo build --release -j2 --bin smkms
    python3 benches/metrics.py [--duration 10] [--rounds 3] [--connections 8,64] [--mix GenerateRandom] > metrics.json

The audit trail is off in both, so that its syncs do not hide a cost of microseconds.
GenerateRandom is the cheapest signed request, where a per-request cost shows most.
Prints requests/s, p50/p99 and the server's CPU time per request with the ratio of
"metrics" to "none" (each round's ratio in brackets), and the raw summaries as JSON.
"""
import argparse, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import compare

NO_AUDIT = "[audit]\nenabled = false\n"
CONFIGS = {"none": (NO_AUDIT, []), "metrics": (NO_AUDIT, ["--admin-listen", "127.0.0.1:0"])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", default="8,64")
    ap.add_argument("--mix", default="GenerateRandom")
    a = ap.parse_args()
    conns = [int(c) for c in a.connections.split(",")]
    results = compare(CONFIGS, a.mix, conns, a.rounds, a.duration, baseline="none")
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
