#!/usr/bin/env python3
"""Issue 14's audit-trail cost: the same GenerateDataKey load on a server with the audit
trail on (the default) and one with `[audit] enabled = false`, in one run.

    cargo build --release -j2 --bin smkms
    python3 benches/audit.py [--duration 10] [--rounds 3] [--connections 1,8,64,256] > audit.json

Each configuration gets a new data directory in every round (on the machine's disk,
where fdatasync costs what it costs), and the rounds interleave the configurations (on,
off, on, off, ...). Prints requests/s, p50/p99 latency and the server's CPU time per
request per connection count with the ratio of "on" to "off" (each round's ratio in
brackets), and the raw summaries as JSON.
"""
import argparse, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import compare

CONFIGS = {"off": ("[audit]\nenabled = false\n", []), "on": ("", [])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", default="1,8,64,256")
    a = ap.parse_args()
    conns = [int(c) for c in a.connections.split(",")]
    results = compare(CONFIGS, "GenerateDataKey", conns, a.rounds, a.duration, baseline="off")
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
