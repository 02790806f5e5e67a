#!/usr/bin/env python3
"""Issue 14's TLS figures: what HTTPS costs next to plain HTTP, on this machine, in one
run, for keep-alive connections and for a new connection per request.

    cargo build --release -j2 --bin smkms
    python3 benches/tls.py [--duration 5] [--rounds 2] [--mixes GenerateRandom,GenerateDataKey] > tls.json

Makes a throwaway CA and a P-256 server certificate for 127.0.0.1 with the openssl
command line, then in every round starts one plain-HTTP server and one HTTPS server
(each on a new data directory, log level warn), and runs every mix against each in
both modes: 64 keep-alive connections, then 64 connections that each open a new
connection (and, over TLS, do a new handshake) for every request
(`smkms bench --new-connections`). Rounds interleave plain and TLS so that drift in
the machine's speed falls on both alike. Prints a table of requests/s and p50/p99
with each TLS figure's ratio to plain HTTP in the same round (the mean over rounds,
each round's in brackets), the server's CPU time per request (from /proc, its share
of the two cores whatever else runs) with its ratio, and the raw summaries as JSON on
stdout.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import bench, cpu_secs, credential_file, log, require_binary, start_server, stop


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_pki(d):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "2", "-subj", "/CN=bench-ca",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=127.0.0.1", "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr")
    with open(f"{d}/server.ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.pem", "-CAkey",
            f"{d}/ca.key", "-CAcreateserial", "-days", "2", "-extfile", f"{d}/server.ext",
            "-out", f"{d}/server.pem")
    os.chmod(f"{d}/server.key", 0o600)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--mixes", default="GenerateRandom,GenerateDataKey")
    a = ap.parse_args()
    mixes = a.mixes.split(",")
    require_binary()
    tmp = tempfile.mkdtemp(prefix="smkms-tls-bench-")
    results = []  # (round, scheme, mode, mix, summary)
    try:
        make_pki(tmp)
        ca = f"{tmp}/ca.pem"
        tls_args = ["--tls-cert", f"{tmp}/server.pem", "--tls-key", f"{tmp}/server.key"]
        for r in range(a.rounds):
            for scheme, extra in [("http", []), ("https", tls_args)]:
                data = f"{tmp}/{scheme}-{r}"
                cred = credential_file(data, f"{data}.json")
                server, endpoint = start_server(data, extra)
                try:
                    for mode in ["keep-alive", "new-connections"]:
                        for mix in mixes:
                            before = cpu_secs(server.pid)
                            s = bench(endpoint, cred, mix, a.duration, warmup=0,
                                      extra=["--ca", ca] + (["--new-connections"]
                                                            if mode == "new-connections"
                                                            else []))
                            # Server CPU per request (its setup's few requests included).
                            s["server_us_per_req"] = (
                                (cpu_secs(server.pid) - before) * 1e6 / max(s["requests"], 1))
                            log(f"round {r + 1} {scheme:5} {mode:15} {mix:16} "
                                f"{s['requests_per_sec']:>9.0f} req/s  "
                                f"p50 {s['latency_ms']['p50']:.2f} ms  "
                                f"p99 {s['latency_ms']['p99']:.2f} ms  "
                                f"server {s['server_us_per_req']:.0f} µs/req  errors {s['errors']}")
                            results.append((r, scheme, mode, mix, s))
                finally:
                    stop(server)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def pick(scheme, mode, mix):
        return [s for (_, sc, mo, mi, s) in results if (sc, mo, mi) == (scheme, mode, mix)]

    def mean(xs):
        return sum(xs) / len(xs)

    log("\n| mode | mix | HTTP req/s | HTTPS req/s | ratio | server µs/req HTTP → HTTPS | ratio | p50 / p99 ms (HTTP → HTTPS) |")
    log("|---|---|---|---|---|---|---|---|")
    for mode in ["keep-alive", "new-connections"]:
        for mix in mixes:
            h, t = pick("http", mode, mix), pick("https", mode, mix)
            ratios = [b["requests_per_sec"] / a_["requests_per_sec"] for a_, b in zip(h, t)]
            lat = lambda xs, p: mean([x["latency_ms"][p] for x in xs])
            cpu = lambda xs: mean([x["server_us_per_req"] for x in xs])
            cpu_ratios = [b["server_us_per_req"] / a_["server_us_per_req"] for a_, b in zip(h, t)]
            log(f"| {mode} | {mix} | {mean([x['requests_per_sec'] for x in h]):,.0f} | "
                f"{mean([x['requests_per_sec'] for x in t]):,.0f} | {mean(ratios):.2f} "
                f"({', '.join(f'{x:.2f}' for x in ratios)}) | "
                f"{cpu(h):.0f} → {cpu(t):.0f} | {mean(cpu_ratios):.2f} "
                f"({', '.join(f'{x:.2f}' for x in cpu_ratios)}) | "
                f"{lat(h, 'p50'):.2f}/{lat(h, 'p99'):.2f} → {lat(t, 'p50'):.2f}/{lat(t, 'p99'):.2f} |")
    print(json.dumps([{"round": r, "scheme": sc, "mode": mo, "mix": mi, "summary": s}
                      for (r, sc, mo, mi, s) in results], indent=1))


if __name__ == "__main__":
    main()
