"""Helpers shared by the smkms interop tests: building official-SDK clients, calling
actions through the SDK's typed request models, and asserting error codes.

Everything here goes through the unmodified `tencentcloud-sdk-python-kms` package: the
typed client methods (``client.CreateKey(models.CreateKeyRequest())``) wherever the SDK
has a model for what is being sent, and ``client.call_json`` only for requests the SDK's
models cannot express (unknown actions, unknown fields, wrong types).
"""

import json
from dataclasses import dataclass
import re
import time
import uuid

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.kms.v20190118 import kms_client, models

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

DEFAULT_REGION = "ap-guangzhou"


@dataclass
class Cred:
    secret_id: str
    secret_key: str
    uin: int

# Every action that takes a single KeyId and nothing else required.
SINGLE_KEY_ACTIONS = [
    "DescribeKey",
    "EnableKey",
    "DisableKey",
    "ArchiveKey",
    "CancelKeyArchive",
    "CancelKeyDeletion",
]

# Actions that take a KeyId plus other fields; the extra fields are valid values.
KEY_ACTIONS_WITH_EXTRAS = {
    "ScheduleKeyDeletion": {"PendingWindowInDays": 7},
    "UpdateAlias": {"Alias": "renamed"},
    "UpdateKeyDescription": {"Description": "d"},
}


def key_id_actions():
    """(action, extra fields) for every implemented action that addresses one key."""
    out = [(a, {}) for a in SINGLE_KEY_ACTIONS]
    out += list(KEY_ACTIONS_WITH_EXTRAS.items())
    return out


def make_client(endpoint, secret_id, secret_key, region=DEFAULT_REGION, method="POST",
                unsigned=False, sign_method="TC3-HMAC-SHA256"):
    hp = HttpProfile(protocol="http", endpoint=endpoint, reqMethod=method, reqTimeout=20)
    cp = ClientProfile(httpProfile=hp, signMethod=sign_method)
    if unsigned:
        # The SDK then sends X-TC-Content-SHA256: UNSIGNED-PAYLOAD.
        cp.unsignedPayload = True
    cred = credential.Credential(secret_id, secret_key)
    return kms_client.KmsClient(cred, region, cp)


def build_request(action, **fields):
    """The SDK's typed request model for `action`, filled from `fields` (nested models
    such as Tags, TagFilters or MemberAccount are built by the SDK's own _deserialize)."""
    req = getattr(models, action + "Request")()
    req.from_json_string(json.dumps(fields))
    sent = req._serialize()
    missing = set(fields) - set(sent)
    # A typo in a test would otherwise be dropped silently by the SDK model.
    assert not missing, f"{action}Request has no field(s) {missing}"
    return req


def call(client, action, **fields):
    """Calls `action` through the SDK's typed client method; returns the response model."""
    return getattr(client, action)(build_request(action, **fields))


def error_of(fn, *args, **kwargs):
    with pytest.raises(TencentCloudSDKException) as ei:
        fn(*args, **kwargs)
    return ei.value


def expect_error(code, client, action, **fields):
    """Calls `action` and asserts it fails with exactly `code`; returns the exception."""
    e = error_of(call, client, action, **fields)
    assert e.code == code, f"{action}: expected {code}, got {e.code}: {e.message}"
    assert e.requestId and UUID_RE.match(e.requestId), f"error without a UUID RequestId: {e!r}"
    return e


def expect_json_error(code, client, action, params):
    """Like expect_error, through call_json (for requests the SDK models cannot express)."""
    e = error_of(client.call_json, action, params)
    assert e.code == code, f"{action}: expected {code}, got {e.code}: {e.message}"
    assert e.requestId and UUID_RE.match(e.requestId)
    return e


def new_alias(prefix="t"):
    return f"{prefix}{uuid.uuid4().hex[:20]}"


def new_region():
    """A region nobody else uses: a private (account, region) scope for one test."""
    return "ap-t" + uuid.uuid4().hex[:12]


def create_key(client, **fields):
    fields.setdefault("Alias", new_alias())
    return call(client, "CreateKey", **fields)


def new_key_id(client, **fields):
    return create_key(client, **fields).KeyId


def describe(client, key_id):
    return call(client, "DescribeKey", KeyId=key_id).KeyMetadata


def state_of(client, key_id):
    return describe(client, key_id).KeyState


def key_in_state(client, state, **fields):
    """Creates a key and drives it into `state`; returns its KeyId."""
    if state == "PendingImport":
        key_id = new_key_id(client, Type=2, **fields)
    else:
        key_id = new_key_id(client, **fields)
    if state == "Disabled":
        call(client, "DisableKey", KeyId=key_id)
    elif state == "PendingDelete":
        call(client, "DisableKey", KeyId=key_id)
        call(client, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    elif state == "Archived":
        call(client, "ArchiveKey", KeyId=key_id)
    assert state_of(client, key_id) == state
    return key_id


def random_uuid():
    return str(uuid.uuid4())


def now():
    return int(time.time())


# ---------------------------------------------------------------- envelope encryption helpers
# (used by test_tencent_envelope.py, test_tencent_data_keys.py, test_tencent_rotation.py)

import base64 as _base64  # noqa: E402

# CiphertextBlob v1 (DESIGN.md section 2): version u8, cipher u8, CMK UUID 16 bytes,
# material version u32 BE, nonce 12 bytes, then ciphertext and a 16-byte tag.
BLOB_HEADER_LEN = 34
BLOB_TAG_LEN = 16
CIPHER_SM4 = 1
CIPHER_AES = 2


def b64(raw):
    return _base64.b64encode(raw).decode("ascii")


def unb64(text):
    return _base64.b64decode(text, validate=True)


@dataclass
class Blob:
    version: int
    cipher: int
    key_id: str
    key_version: int
    nonce: bytes
    body: bytes


def parse_blob(text):
    """The fields of a base64 CiphertextBlob v1."""
    raw = unb64(text)
    assert len(raw) >= BLOB_HEADER_LEN + BLOB_TAG_LEN + 1, len(raw)
    return Blob(
        version=raw[0],
        cipher=raw[1],
        key_id=str(uuid.UUID(bytes=raw[2:18])),
        key_version=int.from_bytes(raw[18:22], "big"),
        nonce=raw[22:34],
        body=raw[34:],
    )


def new_cmk(client, spec=None, **fields):
    """A new Enabled CMK; `spec` ("SM4" or "AES_256") is the smkms CreateKey extension
    field KeySpec, which the SDK's model lacks, so it goes through call_json."""
    if spec is None:
        return new_key_id(client, **fields)
    params = {"Alias": new_alias(), "KeySpec": spec, **fields}
    return client.call_json("CreateKey", params)["Response"]["KeyId"]


def new_data_key_name(prefix="dk"):
    return f"{prefix}{uuid.uuid4().hex[:20]}"
