"""The official Tencent Cloud Node.js SDK (npm tencentcloud-sdk-nodejs) against smkms.

tests/python/node/kms_sdk.js drives the unmodified SDK (`tencentcloud.kms.v20190118.Client`)
through the whole envelope and delivery scenario and prints what each step sent and got;
these tests assert it, for every sign method the SDK has (TC3-HMAC-SHA256, and signature
v1 with HmacSHA256 and HmacSHA1) over POST and GET. Plaintexts are compared, never just
"it did not fail": delivered data keys are decrypted in Node by implementations that are
not smkms (npm sm-crypto for SM2, Node's crypto for RSA-OAEP) and must equal what Decrypt
of the CiphertextBlob returns, and what the Python SDK's Decrypt returns for the same blob.

What the Node SDK sends that the Python SDK does not: TC3's credential scope names the
service after the endpoint's first label ("127" for 127.0.0.1:PORT) and signs `host`
without the port; v1 signs the endpoint with its port, sends a Nonce of at most 65535,
and flattens arrays as `KeyIds.0`.

The package is installed by .ci/test into target/interop/node_modules (SMKMS_NODE_MODULES);
its absence fails (never skips).
"""

import base64
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

import conftest
from kmstest import UUID_RE, call, new_region, parse_blob, unb64

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "node" / "kms_sdk.js"
REPO = HERE.parents[1]
NODE = os.environ.get("SMKMS_NODE", "node")
NODE_MODULES = Path(os.environ.get("SMKMS_NODE_MODULES", REPO / "target" / "interop" / "node_modules"))
PINNED = os.environ.get("SMKMS_TC_NODE_SDK_VERSION")

SIGN_METHODS = ["TC3-HMAC-SHA256", "HmacSHA256", "HmacSHA1"]
HTTP_METHODS = ["POST", "GET"]


@pytest.fixture(scope="module", autouse=True)
def node_sdk():
    return check_node_sdk()


def check_node_sdk():
    """Fails (never skips) without Node.js, the SDK or sm-crypto; returns the SDK version."""
    try:
        subprocess.run([NODE, "--version"], check=True, capture_output=True, timeout=30)
    except Exception as e:
        pytest.fail(f"Node.js ({NODE}; set SMKMS_NODE) is needed: {e}", pytrace=False)
    pkg = NODE_MODULES / "tencentcloud-sdk-nodejs" / "package.json"
    if not pkg.is_file() or not (NODE_MODULES / "sm-crypto").is_dir():
        pytest.fail(f"npm tencentcloud-sdk-nodejs and sm-crypto are needed in {NODE_MODULES} (set "
                    "SMKMS_NODE_MODULES); .ci/test installs them: npm install --prefix target/interop "
                    "--save-exact tencentcloud-sdk-nodejs@<version> sm-crypto@0.3.13", pytrace=False)
    version = json.loads(pkg.read_text())["version"]
    if PINNED:
        assert version == PINNED, f"installed tencentcloud-sdk-nodejs {version}, .ci/test pins {PINNED}"
    return version


def run_node(smkms, cred, scenario, sign_method="TC3-HMAC-SHA256", req_method="POST",
             region=None, region2=None, ca_file=None, check=True):
    cfg = {
        "scenario": scenario,
        "endpoint": smkms.endpoint,
        "secretId": cred.secret_id,
        "secretKey": cred.secret_key,
        "region": region or new_region(),
        "region2": region2 or new_region(),
        "signMethod": sign_method,
        "reqMethod": req_method,
    }
    if ca_file:
        cfg["caFile"] = str(ca_file)
    # No proxy variables: the SDK would send everything to $http_proxy (the script also
    # gives every client its own agent, which bypasses it).
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NODE_PATH"] = str(NODE_MODULES)
    p = subprocess.run([NODE, str(SCRIPT)], input=json.dumps(cfg), capture_output=True, text=True,
                       timeout=120, env=env)
    if not check:
        return cfg, p
    assert p.returncode == 0, (
        f"the Node.js SDK ({sign_method}, {req_method}) failed: {p.stderr.strip()}\n"
        f"server log tail:\n{getattr(smkms, 'server', smkms).log_path.read_text(errors='replace')[-3000:]}")
    out = json.loads(p.stdout)
    return cfg, out


def remember(*b64_values):
    """Plaintexts seen through the Node SDK join the secrets the server log is scanned for."""
    for v in b64_values:
        conftest.remember_plaintext(v)


@pytest.mark.parametrize("req_method", HTTP_METHODS)
@pytest.mark.parametrize("sign_method", SIGN_METHODS)
def test_envelope_and_delivery(smkms, cred_a, node_sdk, sign_method, req_method):
    cfg, out = run_node(smkms, cred_a, "envelope", sign_method, req_method)
    assert out["sdkVersion"] == node_sdk
    assert out["requestIds"] and all(UUID_RE.match(r) for r in out["requestIds"])
    assert len(set(out["requestIds"])) == len(out["requestIds"])

    # CreateKey, DescribeKey
    c = out["create"]
    key_id = c["keyId"]
    assert UUID_RE.match(key_id)
    assert (c["alias_"], c["keyState"], c["description"]) == (c["alias"], "Enabled", "made by the Node.js SDK")
    md = out["describe"]
    assert (md["KeyId"], md["Alias"], md["KeyState"], md["KeyUsage"]) == (key_id, c["alias"], "Enabled",
                                                                          "ENCRYPT_DECRYPT")
    assert md["Description"] == "made by the Node.js SDK"
    assert md["Owner"] == "user" and md["Origin"] == "TENCENT_KMS"

    # Encrypt / Decrypt with the EncryptionContext
    e = out["encrypt"]
    remember(e["plaintext"], e["decrypted"])
    assert e["keyId"] == e["decryptKeyId"] == key_id
    assert parse_blob(e["ciphertextBlob"]).key_id == key_id
    assert unb64(e["decrypted"]) == unb64(e["plaintext"]) and len(unb64(e["plaintext"])) == 48
    for refused in (e["wrongContext"], e["noContext"]):
        assert refused["sdkException"] == "TencentCloudSDKHttpException"
        assert refused["code"] == "InvalidParameterValue.InvalidCiphertext", refused
        assert "EncryptionContext" in refused["message"]
        assert UUID_RE.match(refused["requestId"])

    # GenerateDataKey; the Python SDK decrypts the Node SDK's blob to the same key.
    d = out["dataKey"]
    remember(d["plaintext"], d["decrypted"])
    assert d["keyId"] == key_id and parse_blob(d["ciphertextBlob"]).key_id == key_id
    assert len(unb64(d["plaintext"])) == 32 and unb64(d["decrypted"]) == unb64(d["plaintext"])
    py = smkms.client(cred_a, cfg["region"], "POST")
    context = json.dumps({"purpose": "node", "tenant": "t-1"})  # another order: the same context
    assert call(py, "Decrypt", CiphertextBlob=d["ciphertextBlob"], EncryptionContext=context).Plaintext \
        == d["plaintext"]

    # SM2 delivery, decrypted by sm-crypto in Node.
    s = out["sm2"]
    remember(s["unwrapped"], s["clear"])
    assert s["keyId"] == key_id
    key = unb64(s["clear"])
    assert len(key) == 24
    assert s["ciphertextLength"] == 65 + 32 + 24  # 04 || x1 || y1 || C3 || C2
    ct = bytes.fromhex(s["ciphertextHex"])
    assert ct[0] == 4 and ct[:65] != bytes.fromhex(s["recipientPoint"])
    assert key not in ct
    assert unb64(s["unwrapped"]) == key
    assert unb64(s["redeliveredUnwrapped"]) == key
    assert s["redeliveredHex"] != s["ciphertextHex"], "a fresh ephemeral key per delivery"

    # RSAES_OAEP_SHA_256 delivery, decrypted by Node's crypto.privateDecrypt.
    r = out["rsa"]
    remember(r["unwrapped"], r["clear"])
    assert r["keyId"] == key_id and r["ciphertextLength"] == 256
    assert len(unb64(r["clear"])) == 32 and unb64(r["unwrapped"]) == unb64(r["clear"])

    # DescribeKeys (in the order asked), ListKeyDetail by tag.
    dk = out["describeKeys"]
    assert [m["KeyId"] for m in dk["got"]] == dk["asked"]
    assert len(set(dk["asked"])) == 3 and key_id in dk["asked"]
    assert {m["KeyId"]: m["Alias"] for m in dk["got"]}[key_id] == c["alias"]
    lk = out["listKeyDetail"]
    assert lk["got"] == lk["expected"] and lk["totalCount"] == 2
    assert (lk["noMatchTotal"], lk["noMatch"]) == (0, [])

    # The unknown id: the SDK's exception with the server's code.
    nf = out["notFound"]
    assert nf["sdkException"] == "TencentCloudSDKHttpException"
    assert nf["code"] == "ResourceUnavailable.CmkNotFound", nf
    assert UUID_RE.match(nf["requestId"])


@pytest.mark.parametrize("req_method", HTTP_METHODS)
def test_same_body_to_other_actions_and_regions_in_one_second(smkms, cred_a, node_sdk, req_method):
    """Two Node clients, each on its own connection, send the same body in the same
    (pinned) second to DescribeKey and GetKeyRotationStatus, then the same CreateKey
    body to two regions: all succeed. The SDK signs neither X-TC-Action nor X-TC-Region,
    so each pair carries one signature (checked on the wire)."""
    region, region2 = new_region(), new_region()
    _, out = run_node(smkms, cred_a, "same_body", "TC3-HMAC-SHA256", req_method, region, region2)

    a = out["actions"]
    assert a["describeKeyId"] == out["keyId"]
    assert a["rotationStatus"] is False
    assert len(a["wire"]) == 2
    assert a["wire"][0]["authorization"] == a["wire"][1]["authorization"]
    assert a["wire"][0]["authorization"].startswith("TC3-HMAC-SHA256 Credential=")
    assert a["wire"][0]["localPort"] != a["wire"][1]["localPort"], "two connections"
    assert len(set(a["requestIds"])) == 2

    g = out["regions"]
    assert len(g["wire"]) == 2
    assert g["wire"][0]["authorization"] == g["wire"][1]["authorization"]
    assert g["wire"][0]["localPort"] != g["wire"][1]["localPort"]
    assert len(set(g["keyIds"])) == 2 and all(UUID_RE.match(k) for k in g["keyIds"])
    assert g["aliases"] == [g["alias"], g["alias"]]
    assert g["crossRegion"]["code"] == "ResourceUnavailable.CmkNotFound"
    # And the Python SDK finds each key in its region.
    assert call(smkms.client(cred_a, region2, "POST"), "DescribeKey", KeyId=g["keyIds"][1]).KeyMetadata.Alias \
        == g["alias"]


@pytest.mark.parametrize("req_method", HTTP_METHODS)
@pytest.mark.parametrize("sign_method", ["HmacSHA256", "HmacSHA1"])
def test_v1_nonce_repeated_in_later_seconds(smkms, cred_a, node_sdk, sign_method, req_method):
    """The Node SDK's v1 Nonce is at most 65535, so it repeats within the 300 s window
    (keyed on the Nonce alone, about 18 of 1,500 requests of one SecretId were refused).
    The server remembers (Timestamp, Nonce), as Tencent documents: the same Nonce in three
    consecutive seconds is three requests."""
    _, out = run_node(smkms, cred_a, "repeated_nonce", sign_method, req_method)
    seconds = [r["second"] for r in out["results"]]
    assert len(set(seconds)) == 3
    assert [r["bytes"] for r in out["results"]] == [16, 16, 16]
