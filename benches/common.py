"""What the benchmark scripts share: the release binary, starting a server on loopback
and reading its address, making a credential, running `smkms bench`, and comparing
configurations of one server in interleaved rounds."""
import json, os, shutil, signal, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# SMKMS_BENCH_BIN names another build (to compare two builds on one machine in turn).
BIN = os.environ.get("SMKMS_BENCH_BIN") or os.path.join(ROOT, "target", "release", "smkms")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def require_binary():
    if not os.path.exists(BIN):
        raise SystemExit("build first: cargo build --release -j2 --bin smkms")


def start_server(data, extra=(), config=None):
    """`smkms serve` on 127.0.0.1:0 with `data` (log level warn), `extra` arguments and,
    when given, `config` written to `<data>.toml`; returns (process, base URL)."""
    args = [BIN, "serve", "--listen", "127.0.0.1:0", "--data", data, *extra]
    if config is not None:
        cfg = data.rstrip("/") + ".toml"
        with open(cfg, "w") as f:
            f.write(config)
        args += ["--config", cfg]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, SMKMS_LOG="warn"), text=True)
    for line in p.stdout:
        if line.startswith("smkms listening on "):
            return p, line.split()[-1]
    raise SystemExit(f"server on {data} did not start")


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)


def credential_file(data, path, extra=()):
    """Makes a credential in `data` (or the store `extra` names) and writes its JSON to `path`."""
    out = subprocess.run([BIN, "credentials", "create", "--json", "--data", data, *extra],
                         check=True, capture_output=True, text=True).stdout
    with open(path, "w") as f:
        f.write(out)
    return path


def bench(endpoints, cred_file, mix, duration, connections=64, warmup=2, extra=()):
    """One `smkms bench --json` run; `endpoints` is one URL or a list. Returns the summary."""
    if isinstance(endpoints, str):
        endpoints = [endpoints]
    out = subprocess.run(
        [BIN, "bench", "--endpoint", ",".join(endpoints), "--credentials-json", cred_file,
         "--mix", mix, "--connections", str(connections), "--duration", str(duration),
         "--warmup", str(warmup), "--json", *extra],
        capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench {mix} on {','.join(endpoints)} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def cpu_secs(pid):
    """A process's user + system CPU time so far, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def compare(configs, mix, connections, rounds, duration, baseline):
    """Runs `mix` at each connection count against a server in each configuration
    (name -> (config text, extra serve arguments)), a new data directory for every
    server, the configurations interleaved within every round so that drift in the
    machine's speed falls on all alike. Logs requests/s, the ratio to `baseline`, p50,
    p99 and the server's CPU µs per request; returns the raw summaries by name."""
    require_binary()
    work = tempfile.mkdtemp(prefix="smkms-bench-", dir=os.path.join(ROOT, "target"))
    results = {name: [] for name in configs}
    try:
        for r in range(rounds):
            for name, (config, extra) in configs.items():
                log(f"round {r + 1}: {name}")
                d = tempfile.mkdtemp(dir=work)
                data = os.path.join(d, "data")
                cred = credential_file(data, os.path.join(d, "cred.json"))
                p, url = start_server(data, extra, config)
                try:
                    run = {}
                    for c in connections:
                        before = cpu_secs(p.pid)
                        s = bench(url, cred, mix, duration, connections=c)
                        s["server_us_per_req"] = (
                            (cpu_secs(p.pid) - before) * 1e6 / max(s["requests"], 1))
                        run[c] = s
                    results[name].append(run)
                finally:
                    stop(p)
                    shutil.rmtree(d, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def mean(name, c, f):
        vals = [f(run[c]) for run in results[name]]
        return sum(vals) / len(vals)

    rps = lambda s: s["requests_per_sec"]
    log(f"{'conns':>5} {'config':10} {'req/s':>9} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'µs/req':>7}")
    for c in connections:
        base = mean(baseline, c, rps)
        for name in results:
            v = mean(name, c, rps)
            rounds_ = ", ".join(f"{rps(run[c]) / rps(b[c]):.2f}"
                                for run, b in zip(results[name], results[baseline]))
            log(f"{c:5} {name:10} {v:9.0f} {v / base:6.2f} "
                f"{mean(name, c, lambda s: s['latency_ms']['p50']):8.2f} "
                f"{mean(name, c, lambda s: s['latency_ms']['p99']):8.2f} "
                f"{mean(name, c, lambda s: s['server_us_per_req']):7.1f}   ({rounds_})")
    return results
