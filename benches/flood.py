#!/usr/bin/env python3
"""Issue 14's flood figure: a real client's latency while N idle TCP connections (that
never send a byte) are open.

    cargo build --release -j2 --bin smkms
    python3 benches/flood.py target/release/smkms N     # N = 0, 3000, 10000

Starts a server on a new data directory with first_byte_timeout_ms = 60000 (so the idle
connections stay open throughout), opens N connections from 127.0.0.2, 127.0.0.3, …
(1,000 per address, under the default per-address cap of 1,024), then runs
`smkms bench --connections 1 --new-connections --requests 200` from 127.0.0.1 and prints
one JSON line with its latency. Raises its own open-file limit to the hard one.
"""
BIN = sys.argv[1]
N = int(sys.argv[2])
tmp = tempfile.mkdtemp()
cred = subprocess.run([BIN, "credentials", "create", "--json", "--data", f"{tmp}/d"], check=True, capture_output=True, text=True).stdout
open(f"{tmp}/c.json", "w").write(cred)
open(f"{tmp}/c.toml", "w").write("[limits]\nfirst_byte_timeout_ms = 60000\n")
p = subprocess.Popen([BIN, "serve", "--data", f"{tmp}/d", "--config", f"{tmp}/c.toml", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ, SMKMS_LOG="warn"), text=True)
for line in p.stdout:
    if line.startswith("smkms listening on "):
        ep = line.split()[-1]; break
port = int(ep.rsplit(":", 1)[1])
import resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE); resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = []
t = time.time()
for i in range(N):
    s = socket.socket(); s.bind((f"127.0.0.{2 + i // 1000}", 0)); s.connect(("127.0.0.1", port)); socks.append(s)
opened = time.time() - t
out = subprocess.run([BIN, "bench", "--endpoint", ep, "--credentials-json", f"{tmp}/c.json", "--mix", "GenerateRandom", "--connections", "1", "--requests", "200", "--new-connections", "--json"], capture_output=True, text=True)
s = json.loads(out.stdout)
print(json.dumps({"idle": N, "opened_secs": round(opened, 2), "since_first_idle_secs": round(time.time() - t, 2), "ok": s["ok"], "errors": s["errors"], "p50_ms": s["latency_ms"]["p50"], "p99_ms": s["latency_ms"]["p99"], "max_ms": s["latency_ms"]["max"]}))
for s_ in socks: s_.close()
p.terminate(); p.wait()
import shutil
shutil.rmtree(tmp, ignore_errors=True)
