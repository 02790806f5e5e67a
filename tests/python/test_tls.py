"""The official Python SDK and tccli over HTTPS, against the real binary serving a
certificate this module makes with the openssl command line (a test CA, a server
certificate for 127.0.0.1, and a client certificate for mutual TLS).

The SDK is pointed at the test CA through its own option, HttpProfile(certification=...).
tccli has no such option: it always verifies against certifi's bundle, so it is run
with certifi.where() returning the test CA, and otherwise unchanged.
"""

import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.kms.v20190118 import kms_client, models

from conftest import Server, smkms_bin, remember_plaintext
from kmstest import unb64
from test_tencent_node_sdk import check_node_sdk, run_node

TCCLI = Path(sys.executable).parent / "tccli"


def openssl(*args):
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "2", "-subj", "/CN=smkms-python-test-ca",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", d / "ca.key", "-out", d / "ca.pem")
    for name, ext in [
        ("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ]:
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", f"/CN={name}", "-keyout", d / f"{name}.key", "-out", d / f"{name}.csr")
        (d / f"{name}.ext").write_text(ext)
        openssl("x509", "-req", "-in", d / f"{name}.csr", "-CA", d / "ca.pem",
                "-CAkey", d / "ca.key", "-CAcreateserial", "-days", "2",
                "-extfile", d / f"{name}.ext", "-out", d / f"{name}.pem")
        os.chmod(d / f"{name}.key", 0o600)
    return d


def start(pki, data_dir, mutual=False):
    args = ["--tls-cert", pki / "server.pem", "--tls-key", pki / "server.key"]
    if mutual:
        args += ["--tls-client-ca", pki / "ca.pem"]
    server = Server(smkms_bin(), data_dir, serve_args=args)
    cred = server.create_credential()
    server.start()
    assert server.scheme == "https"
    return server, cred


@pytest.fixture
def https_server(pki, tmp_path):
    server, cred = start(pki, tmp_path / "data")
    yield server, cred
    server.assert_stops_cleanly()


def sdk_client(server, cred, ca, method="POST"):
    http = HttpProfile(protocol="https", endpoint=server.endpoint, reqMethod=method,
                       reqTimeout=20, certification=str(ca))
    return kms_client.KmsClient(credential.Credential(cred.secret_id, cred.secret_key),
                                "ap-guangzhou", ClientProfile(httpProfile=http))


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_the_sdk_over_https(https_server, pki, method):
    server, cred = https_server
    client = sdk_client(server, cred, pki / "ca.pem", method)
    req = models.CreateKeyRequest()
    req.Alias = f"tls-{method.lower()}"
    key_id = client.CreateKey(req).KeyId
    req = models.GenerateDataKeyRequest()
    req.KeyId = key_id
    req.KeySpec = "AES_256"
    dk = client.GenerateDataKey(req)
    remember_plaintext(dk.Plaintext)
    req = models.DecryptRequest()
    req.CiphertextBlob = dk.CiphertextBlob
    out = client.Decrypt(req)
    assert out.Plaintext == dk.Plaintext


def test_the_node_sdk_over_https(https_server, pki, tmp_path):
    """The official Node.js SDK's whole envelope scenario (CreateKey through SM2 and RSA
    delivery, each key checked in Node by sm-crypto and Node's crypto) over https, with
    an agent that trusts the test CA alone; and the same SDK trusting another CA is
    refused in the handshake, before any request."""
    server, cred = https_server
    version = check_node_sdk()
    _, out = run_node(server, cred, "envelope", ca_file=pki / "ca.pem")
    assert out["sdkVersion"] == version
    d = out["dataKey"]
    remember_plaintext(d["plaintext"])
    assert len(unb64(d["plaintext"])) == 32 and unb64(d["decrypted"]) == unb64(d["plaintext"])
    assert unb64(out["sm2"]["unwrapped"]) == unb64(out["sm2"]["clear"])

    other = tmp_path / "other-ca.pem"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "1", "-subj", "/CN=another-ca", "-keyout", tmp_path / "other.key",
            "-out", other)
    _, p = run_node(server, cred, "envelope", ca_file=other, check=False)
    assert p.returncode != 0
    assert "certificate" in p.stderr.lower(), p.stderr[-2000:]


def test_the_sdk_refuses_a_server_it_cannot_verify(https_server, pki, tmp_path):
    server, cred = https_server
    # certifi's public roots do not include the test CA.
    client = sdk_client(server, cred, None)
    with pytest.raises(TencentCloudSDKException) as e:
        client.GenerateRandom(models.GenerateRandomRequest())
    assert "CERTIFICATE_VERIFY_FAILED" in str(e.value) or "certificate" in str(e.value).lower()


def tccli_run(endpoint, cred, ca, tmp_path, action, **params):
    assert TCCLI.exists(), f"{TCCLI} is missing: .ci/test installs tccli into the venv"
    env = {**os.environ, "HOME": str(tmp_path), "TENCENTCLOUD_SECRET_ID": cred.secret_id,
           "TENCENTCLOUD_SECRET_KEY": cred.secret_key, "NO_PROXY": "127.0.0.1,localhost"}
    launcher = (
        "import sys, certifi; ca = sys.argv.pop(1); certifi.where = lambda: ca; "
        "from tccli.main import main; sys.argv[0] = 'tccli'; sys.exit(main())"
    )
    args = [sys.executable, "-c", launcher, str(ca), "kms", action, "--region", "ap-guangzhou",
            "--endpoint", endpoint]
    for k, v in params.items():
        args += [f"--{k}", v if isinstance(v, str) else json.dumps(v)]
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"tccli kms {action}: {out.stdout}{out.stderr}"
    return json.loads(out.stdout)


def test_tccli_with_an_https_endpoint(https_server, pki, tmp_path):
    server, cred = https_server
    endpoint = f"https://{server.endpoint}"
    key = tccli_run(endpoint, cred, pki / "ca.pem", tmp_path, "CreateKey", Alias="tls-tccli")
    key_id = key["KeyId"]
    enc = tccli_run(endpoint, cred, pki / "ca.pem", tmp_path, "Encrypt", KeyId=key_id,
                    Plaintext="aGVsbG8gb3ZlciBUTFMh")
    dec = tccli_run(endpoint, cred, pki / "ca.pem", tmp_path, "Decrypt",
                    CiphertextBlob=enc["CiphertextBlob"])
    assert dec["Plaintext"] == "aGVsbG8gb3ZlciBUTFMh"


def test_mutual_tls_with_python_ssl(pki, tmp_path):
    """Python's own ssl module (OpenSSL) as the client: its certificate from the CA is
    accepted, and without one the handshake is refused."""
    server, cred = start(pki, tmp_path / "data", mutual=True)
    try:
        def request(with_cert):
            ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            if with_cert:
                ctx.load_cert_chain(pki / "client.pem", pki / "client.key")
            import socket
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                    s.sendall(b"GET /healthz-not-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    return s.recv(100)

        assert request(True).startswith(b"HTTP/1.1 ")
        with pytest.raises(ssl.SSLError):
            request(False)
    finally:
        server.assert_stops_cleanly()
