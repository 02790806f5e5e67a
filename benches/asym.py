"""Asymmetric CMKs through the real server (issue 15): the `smkms bench` mixes for
GetPublicKey, SignByAsymmetricKey, VerifyByAsymmetricKey, AsymmetricSm2Decrypt and
AsymmetricRsaDecrypt against two server binaries, interleaved mix by mix and round by
round so that drift in the machine's speed falls on both alike. The load generator is
always this checkout's release build (target/release/smkms); the servers are the
binaries named on the command line, e.g. a build of the commit before the opened-key
cache and one after:

    python3 benches/asym.py --server before=/tmp/smkms-before --server after=target/release/smkms

Prints, per mix and server, requests/s, p50 and p99 (means over the rounds), the
server's CPU µs per request, and the ratio of each server's req/s to the first's with
every round's ratio."""
import argparse, os, shutil, signal, subprocess, tempfile

from common import ROOT, BIN, log, require_binary, credential_file, bench, cpu_secs, stop

MIXES = [
    "GetPublicKey-SM2",
    "SignByAsymmetricKey-SM2DSA",
    "VerifyByAsymmetricKey-SM2DSA",
    "AsymmetricSm2Decrypt",
    "SignByAsymmetricKey-ECC",
    "SignByAsymmetricKey-RSA-PSS",
    "AsymmetricRsaDecrypt-OAEP-256",
]


def start(binary, data):
    args = [binary, "serve", "--listen", "127.0.0.1:0", "--data", data]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, SMKMS_LOG="warn"), text=True)
    for line in p.stdout:
        if line.startswith("smkms listening on "):
            return p, line.split()[-1]
    raise SystemExit(f"{binary} on {data} did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", action="append", required=True, metavar="NAME=BINARY")
    ap.add_argument("--mix", default=",".join(MIXES), help="comma-separated mix entries")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--connections", type=int, default=64)
    a = ap.parse_args()
    require_binary()
    servers = [s.split("=", 1) for s in a.server]
    mixes = a.mix.split(",")
    work = tempfile.mkdtemp(prefix="smkms-bench-asym-", dir=os.path.join(ROOT, "target"))
    running = {}
    results = {(m, n): [] for m in mixes for n, _ in servers}
    try:
        for name, binary in servers:
            data = os.path.join(work, name, "data")
            os.makedirs(os.path.dirname(data))
            cred = credential_file(data, os.path.join(work, name, "cred.json"))
            p, url = start(binary, data)
            running[name] = (p, url, cred)
        for r in range(a.rounds):
            for m in mixes:
                for name, _ in servers:
                    p, url, cred = running[name]
                    before = cpu_secs(p.pid)
                    s = bench(url, cred, m, a.duration, connections=a.connections,
                              warmup=a.warmup)
                    s["server_us_per_req"] = (
                        (cpu_secs(p.pid) - before) * 1e6 / max(s["requests"], 1))
                    results[(m, name)].append(s)
                    log(f"round {r + 1} {m:32} {name:8} {s['requests_per_sec']:9.0f} req/s")
    finally:
        for p, _, _ in running.values():
            stop(p)
        shutil.rmtree(work, ignore_errors=True)

    def mean(vals):
        return sum(vals) / len(vals)

    base = servers[0][0]
    print(f"{'mix':32} {'server':8} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'µs/req':>7}  rounds' ratios")
    for m in mixes:
        b = results[(m, base)]
        for name, _ in servers:
            rs = results[(m, name)]
            rps = mean([s["requests_per_sec"] for s in rs])
            ratios = ", ".join(f"{s['requests_per_sec'] / t['requests_per_sec']:.2f}"
                               for s, t in zip(rs, b))
            print(f"{m:32} {name:8} {rps:8.0f} "
                  f"{rps / mean([s['requests_per_sec'] for s in b]):6.2f} "
                  f"{mean([s['latency_ms']['p50'] for s in rs]):7.2f} "
                  f"{mean([s['latency_ms']['p99'] for s in rs]):7.2f} "
                  f"{mean([s['server_us_per_req'] for s in rs]):7.0f}  ({ratios})")


if __name__ == "__main__":
    main()
