"""Requests that carry the same TC3 signature.

The official SDK signs only `content-type;host`, the body (or query string) and the
timestamp in whole seconds: X-TC-Action and X-TC-Region are not signed. So two requests
with the same credential, the same body and the same second carry the same signature
even when they are for different regions or actions. As on Tencent's own endpoint, a
signature is valid within the time window on any connection, and binds only what the
client signed: tccli (a new process and connection per command), deploy scripts with one
client per region, and clients behind proxies that open a connection per request all
work. These tests pin the SDK's clock to one second so the situation is deterministic.

An operator who wants X-TC-Action bound sets `auth.require_signed_headers`; the official
SDKs do not sign it, so they are then refused with a message saying what to sign.
"""

import types

import pytest
from tencentcloud.common import abstract_client

from kmstest import call, describe, expect_error, new_alias, new_key_id, new_region, now


@pytest.fixture
def one_second(monkeypatch):
    """Every SDK signature in the test uses the same timestamp."""
    fixed = now()
    monkeypatch.setattr(abstract_client, "time", types.SimpleNamespace(time=lambda: fixed))
    return fixed


def test_identical_resend_in_the_same_second_is_accepted(smkms, cred_a, method, region, one_second):
    key_id = new_key_id(smkms.client(cred_a, region, method))
    first = smkms.client(cred_a, region, method)
    second = smkms.client(cred_a, region, method)  # its own connection
    a = call(first, "DescribeKey", KeyId=key_id)
    b = call(second, "DescribeKey", KeyId=key_id)
    assert a.KeyMetadata.KeyId == b.KeyMetadata.KeyId == key_id
    assert a.RequestId != b.RequestId


def test_same_create_key_in_four_regions_through_four_clients(smkms, cred_a, method, one_second):
    """A deploy script: one client object per region, the same CreateKey body in the
    same second. Every request carries the first one's signature under another
    X-TC-Region, on its own connection; each region gets its key."""
    alias = new_alias("everywhere")
    regions = [new_region() for _ in range(4)]
    clients = [smkms.client(cred_a, r, method) for r in regions]
    ids = [call(c, "CreateKey", Alias=alias, Description="same").KeyId for c in clients]
    assert len(set(ids)) == 4
    for c, key_id in zip(clients, ids):
        assert describe(c, key_id).Alias == alias


def test_tccli_style_commands_in_the_same_second(smkms, cred_a, method, region, one_second):
    """tccli: every command is a new process and connection. DescribeKey then
    GetKeyRotationStatus of one key carry the same body, so the same signature."""
    key_id = new_key_id(smkms.client(cred_a, region, method))
    assert call(smkms.client(cred_a, region, method), "DescribeKey", KeyId=key_id).KeyMetadata.KeyId == key_id
    status = call(smkms.client(cred_a, region, method), "GetKeyRotationStatus", KeyId=key_id)
    assert status.KeyRotationEnabled is False


def test_one_client_switching_regions_in_the_same_second(smkms, cred_a, method, one_second):
    """GetServiceStatus has no parameters, so every region's request has the same body
    and signature."""
    regions = [new_region(), new_region()]
    c = smkms.client(cred_a, regions[0], method)
    new_key_id(c)
    counts = []
    for r in regions:
        c.region = r
        counts.append(call(c, "GetServiceStatus").CmkUserCount)
    assert counts == [1, 0]


def test_same_body_different_action_same_second_same_client(smkms, cred_a, method, region, one_second):
    c = smkms.client(cred_a, region, method)
    key_id = new_key_id(c)
    assert describe(c, key_id).KeyState == "Enabled"
    call(c, "DisableKey", KeyId=key_id)
    assert describe(c, key_id).KeyState == "Disabled"


def test_require_signed_headers_refuses_the_sdk_signature(spawn_server, method):
    env = spawn_server('[auth]\nrequire_signed_headers = ["x-tc-action"]\n')
    c = env.client(env.a, method=method)
    e = expect_error("AuthFailure.InvalidAuthorization", c, "GetServiceStatus")
    assert "x-tc-action" in e.message
