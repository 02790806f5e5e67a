"""Starts smkms servers for the official-SDK interop tests.

The binary comes from $SMKMS_BIN, else <repo>/target/debug/smkms; a missing binary is a
failure, not a skip. Each server gets its own temporary data directory; credentials
are created with `smkms credentials create` before the server starts. Servers are
stopped with SIGTERM and must exit with status 0 within 10 seconds.
"""

import base64
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kmstest  # noqa: E402
from kmstest import Cred  # noqa: E402

# The SDK must talk to the server directly, never through a proxy from the environment.
# (The SDK's own NO_PROXY check compares "127.0.0.1:PORT" against this list as a
# substring, so the proxy variables are also removed for this test process.)
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ["no_proxy"] = "127.0.0.1,localhost"
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)

REPO = Path(__file__).resolve().parents[2]
LISTEN_RE = re.compile(r"smkms listening on (https?)://127\.0\.0\.1:(\d+)")


def smkms_bin():
    path = Path(os.environ.get("SMKMS_BIN") or REPO / "target" / "debug" / "smkms")
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(
            f"smkms binary not found at {path}: build it (cargo build) or set SMKMS_BIN",
            pytrace=False,
        )
    return path


def child_env():
    """The environment for smkms processes: ours, without SMKMS_* settings that would
    override the data dir, root key, region or log level chosen here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMKMS_")}
    # The most verbose level: every server's log is scanned for secrets when it stops.
    env["SMKMS_LOG"] = "trace"
    return env


def run_cli(binary, *args, timeout=30):
    p = subprocess.run(
        [str(binary), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(),
    )
    if p.returncode != 0:
        raise AssertionError(f"smkms {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p.stdout


# Secrets the tests have seen: every SecretKey created, and every `Plaintext` sent to or
# returned by the server through the Tencent SDK (base64 and hex). Every server's log,
# written at trace level, must contain none of them.
SECRETS = set()


def remember_secret(value):
    if isinstance(value, str) and len(value) >= 12:
        SECRETS.add(value)


def remember_plaintext(b64):
    if not isinstance(b64, str):
        return
    try:
        raw = base64.b64decode(b64, validate=True)
    except ValueError:
        return
    if len(raw) >= 8:
        remember_secret(b64)
        remember_secret(raw.hex())
        remember_secret(raw.hex().upper())


@pytest.fixture(scope="session", autouse=True)
def record_plaintexts():
    """Every Tencent SDK call (typed or call_json) goes through AbstractClient._call."""
    from tencentcloud.common import abstract_client

    original = abstract_client.AbstractClient._call

    def recording(self, action, params, *args, **kwargs):
        if isinstance(params, dict):
            remember_plaintext(params.get("Plaintext"))
            remember_plaintext(params.get("ImportKeyMaterial"))
        resp = original(self, action, params, *args, **kwargs)
        try:
            remember_plaintext(json.loads(resp.content)["Response"].get("Plaintext"))
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
        return resp

    abstract_client.AbstractClient._call = recording
    yield
    abstract_client.AbstractClient._call = original


class Server:
    """One running `smkms serve` on 127.0.0.1 and an ephemeral port."""

    def __init__(self, binary, data_dir, config_text=None, serve_args=()):
        self.binary = binary
        # Extra `serve` flags, such as --tls-cert and --tls-key.
        self.serve_args = [str(a) for a in serve_args]
        self.scheme = None
        self.data_dir = Path(data_dir)
        self.config_path = None
        if config_text is not None:
            self.config_path = self.data_dir.parent / (self.data_dir.name + ".toml")
            self.config_path.write_text(config_text)
        self.log_path = self.data_dir.parent / (self.data_dir.name + ".log")
        self.proc = None
        self.port = None

    def cli_common(self):
        args = ["--data", self.data_dir]
        if self.config_path:
            args += ["--config", self.config_path]
        return args

    def create_credential(self, uin=None):
        args = ["credentials", "create", *self.cli_common(), "--json"]
        if uin is not None:
            args += ["--uin", uin]
        d = json.loads(run_cli(self.binary, *args))
        assert set(d) == {"SecretId", "SecretKey", "Uin"}, d
        remember_secret(d["SecretKey"])
        return Cred(d["SecretId"], d["SecretKey"], int(d["Uin"]))

    def delete_credential(self, secret_id):
        run_cli(self.binary, "credentials", "delete", *self.cli_common(), secret_id)

    def list_credentials(self):
        return json.loads(run_cli(self.binary, "credentials", "list", *self.cli_common(), "--json"))

    def start(self):
        log = open(self.log_path, "ab")
        args = [str(self.binary), "serve", *map(str, self.cli_common()), "--listen", "127.0.0.1:0",
                *self.serve_args]
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=log, env=child_env(), text=True
        )
        log.close()
        lines = queue.Queue()

        def pump():
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + 20
        seen = []
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            seen.append(line)
            m = LISTEN_RE.search(line)
            if m:
                self.scheme = m.group(1)
                self.port = int(m.group(2))
                # The SDK's NO_PROXY check is a substring test on "host:port".
                os.environ["NO_PROXY"] += f",127.0.0.1:{self.port}"
                os.environ["no_proxy"] = os.environ["NO_PROXY"]
                return self
        self.proc.kill()
        self.proc.wait()
        pytest.fail(
            f"smkms serve did not announce its port; stdout: {''.join(seen)!r}; "
            f"log:\n{self.log_path.read_text(errors='replace')[-4000:]}",
            pytrace=False,
        )

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        """SIGTERM; returns the exit status (None if it did not exit within 10 s)."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def assert_stops_cleanly(self):
        rc = self.stop()
        assert rc == 0, (
            f"smkms did not exit with status 0 within 10 s of SIGTERM (status {rc}); log:\n"
            + self.log_path.read_text(errors="replace")[-4000:]
        )
        self.assert_log_has_no_secrets()

    def assert_log_has_no_secrets(self):
        log = self.log_path.read_text(errors="replace")
        assert log.strip(), "the server wrote no log at all"
        assert SECRETS, "no secrets were recorded: the scan would prove nothing"
        leaked = [s for s in SECRETS if s in log]
        assert not leaked, f"{len(leaked)} secret(s) appear in {self.log_path}, e.g. {leaked[0][:6]}…"


class Env:
    """What a test sees: the server, credentials of two accounts (A, and B), a second
    credential of account A, and client builders."""

    def __init__(self, server, a, a2, b):
        self.server = server
        self.a = a
        self.a2 = a2
        self.b = b

    @property
    def port(self):
        return self.server.port

    @property
    def endpoint(self):
        return self.server.endpoint

    def client(self, cred, region=kmstest.DEFAULT_REGION, method="POST", unsigned=False,
               sign_method="TC3-HMAC-SHA256"):
        return kmstest.make_client(self.endpoint, cred.secret_id, cred.secret_key,
                                   region=region, method=method, unsigned=unsigned,
                                   sign_method=sign_method)

    def post(self, cred, region=kmstest.DEFAULT_REGION):
        return self.client(cred, region, "POST")

    def get(self, cred, region=kmstest.DEFAULT_REGION):
        return self.client(cred, region, "GET")


def start_env(binary, data_dir, config_text=None):
    server = Server(binary, data_dir, config_text)
    a = server.create_credential()
    a2 = server.create_credential(uin=a.uin)
    b = server.create_credential()
    assert len({a.uin, b.uin}) == 2, "each credentials create without --uin is a new account"
    assert a2.uin == a.uin
    server.start()
    return Env(server, a, a2, b)


@pytest.fixture(scope="session")
def smkms(tmp_path_factory):
    binary = smkms_bin()
    env = start_env(binary, tmp_path_factory.mktemp("smkms") / "data")
    yield env
    env.server.assert_stops_cleanly()


@pytest.fixture
def spawn_server(tmp_path):
    """Starts an extra server with a TOML config: spawn_server("[limits]\\ncmks_per_region = 5")."""
    started = []

    def spawn(config_text):
        env = start_env(smkms_bin(), tmp_path / f"data{len(started)}", config_text)
        started.append(env)
        return env

    yield spawn
    for env in started:
        env.server.assert_stops_cleanly()


@pytest.fixture(params=["POST", "GET"])
def method(request):
    return request.param


@pytest.fixture
def region():
    """A fresh region: the test's own (account, region) scope, so counts are exact."""
    return kmstest.new_region()


@pytest.fixture
def cred_a(smkms):
    """A credential of account A made for this test alone.

    Signatures depend only on the secret, the second and the signed request (the SDK
    signs content-type, host and the body, not X-TC-Action or X-TC-Region), so two
    tests sending the same body in the same second with one shared credential would
    produce the same signature. A per-test credential keeps tests independent of the
    server's replay rule; test_tencent_replay.py exercises that rule on purpose.
    """
    return smkms.server.create_credential(uin=smkms.a.uin)


@pytest.fixture
def cred_b(smkms):
    """A credential of account B made for this test alone."""
    return smkms.server.create_credential(uin=smkms.b.uin)


@pytest.fixture
def ca(smkms, cred_a, method, region):
    """Account A's client, in the test's own region, over POST and over GET."""
    return smkms.client(cred_a, region, method)


@pytest.fixture
def cb(smkms, cred_b, method, region):
    """Account B's client in the same region as `ca`."""
    return smkms.client(cred_b, region, method)


@pytest.fixture
def post_a(smkms, cred_a, region):
    """Account A's POST client in the test's own region (for tests run once)."""
    return smkms.client(cred_a, region, "POST")
