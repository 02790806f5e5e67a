"""GenerateRandom, GetServiceStatus, ListAlgorithms and the per-region CMK limit."""

import base64

import pytest

from kmstest import (
    UUID_RE,
    call,
    expect_error,
    key_in_state,
    new_alias,
    new_key_id,
    new_region,
)


# ---------------------------------------------------------------- GenerateRandom


@pytest.mark.parametrize("n", [1, 16, 32, 1024])
def test_generate_random_length(ca, n):
    r = call(ca, "GenerateRandom", NumberOfBytes=n)
    raw = base64.b64decode(r.Plaintext, validate=True)
    assert len(raw) == n
    assert UUID_RE.match(r.RequestId)


def test_generate_random_differs_between_calls(ca):
    a = base64.b64decode(call(ca, "GenerateRandom", NumberOfBytes=32).Plaintext)
    b = base64.b64decode(call(ca, "GenerateRandom", NumberOfBytes=32).Plaintext)
    assert len(a) == len(b) == 32
    assert a != b
    big = base64.b64decode(call(ca, "GenerateRandom", NumberOfBytes=1024).Plaintext)
    assert len(set(big)) > 128, "1024 random bytes use most byte values"


@pytest.mark.parametrize("n", [0, 1025, -1, 4096])
def test_generate_random_out_of_range(ca, n):
    e = expect_error("InvalidParameter", ca, "GenerateRandom", NumberOfBytes=n)
    assert "NumberOfBytes" in e.message
    assert str(n) in e.message


def test_generate_random_requires_number_of_bytes(ca):
    e = expect_error("MissingParameter", ca, "GenerateRandom")
    assert "NumberOfBytes" in e.message


# ---------------------------------------------------------------- GetServiceStatus


def test_get_service_status_counts_keys_of_this_account_and_region(smkms, method, ca, cb):
    r = call(ca, "GetServiceStatus")
    assert r.ServiceEnabled is True
    assert r.CmkUserCount == 0
    assert r.CmkLimit == 1000, "the default limit"
    assert UUID_RE.match(r.RequestId)
    for state in ("Enabled", "Disabled", "PendingDelete", "PendingImport", "Archived"):
        key_in_state(ca, state)
    new_key_id(cb)
    new_key_id(smkms.client(smkms.a, new_region(), method))  # another region: not counted
    r = call(ca, "GetServiceStatus")
    assert r.CmkUserCount == 5
    assert call(cb, "GetServiceStatus").CmkUserCount == 1


# ---------------------------------------------------------------- ListAlgorithms


def test_list_algorithms(ca):
    r = call(ca, "ListAlgorithms")
    symmetric = {(a.Algorithm, a.KeyUsage) for a in r.SymmetricAlgorithms}
    assert ("SM4", "ENCRYPT_DECRYPT") in symmetric
    assert ("AES_256", "ENCRYPT_DECRYPT") in symmetric
    assert UUID_RE.match(r.RequestId)


# ---------------------------------------------------------------- limit


LIMIT_CONFIG = """
[limits]
cmks_per_region = 5
max_body_bytes = 2048
"""


def test_cmk_limit_per_account_and_region(spawn_server):
    env = spawn_server(LIMIT_CONFIG)
    region = new_region()
    for method in ("POST", "GET"):
        # Each method gets its own region so both reach the limit themselves.
        ca = env.client(env.a, f"{region}-{method.lower()}", method)
        for _ in range(5):
            new_key_id(ca)
        e = expect_error("LimitExceeded.CmkLimitExceeded", ca, "CreateKey", Alias=new_alias())
        assert "5" in e.message
        expect_error("LimitExceeded.CmkLimitExceeded", ca, "CreateKey", Alias=new_alias(), Type=2)
        s = call(ca, "GetServiceStatus")
        assert (s.CmkUserCount, s.CmkLimit) == (5, 5)
        assert call(ca, "ListKeys").TotalCount == 5
    # The limit is per account and per region.
    assert new_key_id(env.client(env.b, f"{region}-post")) != ""
    assert new_key_id(env.client(env.a, new_region())) != ""
    assert call(env.client(env.b, f"{region}-post"), "GetServiceStatus").CmkUserCount == 1


def test_request_body_over_the_configured_limit(spawn_server):
    env = spawn_server(LIMIT_CONFIG)
    c = env.client(env.a, new_region())
    key_id = new_key_id(c, Description="small")
    e = expect_error("RequestSizeLimitExceeded", c, "UpdateKeyDescription",
                     KeyId=key_id, Description="x" * 4000)
    assert "2048" in e.message
    assert call(c, "DescribeKey", KeyId=key_id).KeyMetadata.Description == "small"
