"""tccli, Tencent's official command line, against smkms: every command is a new
process and a new connection, and two commands with the same body in the same second
carry the same TC3 signature (tccli signs only content-type;host). All are served.

Credentials come from TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY and HOME is a
private directory, so no configuration of the machine's user is read or written.
"""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kmstest import new_alias, new_region

TCCLI = Path(sys.executable).parent / "tccli"


@pytest.fixture
def tccli(smkms, cred_a, tmp_path):
    assert TCCLI.exists(), f"{TCCLI} is missing: .ci/test installs tccli into the venv"
    region = new_region()
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "TENCENTCLOUD_SECRET_ID": cred_a.secret_id,
        "TENCENTCLOUD_SECRET_KEY": cred_a.secret_key,
        "NO_PROXY": "127.0.0.1,localhost",
    }

    def run(action, **params):
        args = [str(TCCLI), "kms", action, "--region", region,
                "--endpoint", f"http://{smkms.endpoint}"]
        for k, v in params.items():
            args += [f"--{k}", v if isinstance(v, str) else json.dumps(v)]
        out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, f"tccli kms {action}: {out.stdout}{out.stderr}"
        return json.loads(out.stdout)

    return run


def test_describe_then_rotation_status_in_quick_succession(tccli):
    """The issue's report: DescribeKey then GetKeyRotationStatus, each a new process,
    was refused about 5 times in 6. Six rounds, all served."""
    key_id = tccli("CreateKey", Alias=new_alias("cli"))["KeyId"]
    for _ in range(6):
        assert tccli("DescribeKey", KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
        assert tccli("GetKeyRotationStatus", KeyId=key_id)["KeyRotationEnabled"] is False


def test_envelope_through_tccli(tccli):
    key_id = tccli("CreateKey", Alias=new_alias("cli"), Description="from tccli")["KeyId"]
    secret = base64.b64encode(b"tccli secret").decode()
    blob = tccli("Encrypt", KeyId=key_id, Plaintext=secret,
                 EncryptionContext='{"app":"cli"}')["CiphertextBlob"]
    out = tccli("Decrypt", CiphertextBlob=blob, EncryptionContext='{"app":"cli"}')
    assert out["Plaintext"] == secret and out["KeyId"] == key_id
    listed = tccli("DescribeKeys", KeyIds=[key_id])["KeyMetadatas"]
    assert [k["Description"] for k in listed] == ["from tccli"]
