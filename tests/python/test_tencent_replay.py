"""Requests that carry the same TC3 signature.

The official SDK signs only `content-type;host`, the body (or query string) and the
timestamp in whole seconds: X-TC-Action and X-TC-Region are not signed. So two requests
with the same credential, the same body and the same second carry the same signature
even when they are for different regions or actions. The server remembers accepted
signatures to stop a captured request from being re-sent as another action (DESIGN.md
section 5). These tests pin the SDK's clock to one second so the situation is
deterministic, and check that ordinary SDK usage is not caught by that rule:

* an identical resend is accepted (DESIGN.md says so explicitly);
* one client object may send the same body as different actions or to different
  regions within a second: the server accepts a relabelled signature on the connection
  it was first accepted on (the SDK's keep-alive session);
* two *separate* client objects doing that are indistinguishable from someone
  replaying a captured request with another label, and the second is refused. This is
  the documented price of the rule (README, "Replay rule"); the tests pin it so it
  stays a decision, and show the workaround (reuse one client, switch its region).
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


def test_same_create_key_through_two_clients_in_the_same_second_is_refused(smkms, cred_a, method, one_second):
    """One client per region, the same CreateKey body in the same second: the second
    request carries the first one's signature under another X-TC-Region, on another
    connection, which is what a relabelled replay looks like."""
    alias = new_alias("everywhere")
    regions = [new_region(), new_region()]
    clients = [smkms.client(cred_a, r, method) for r in regions]
    first = call(clients[0], "CreateKey", Alias=alias, Description="same").KeyId
    assert describe(clients[0], first).Alias == alias
    err = expect_error("AuthFailure.InvalidAuthorization", clients[1], "CreateKey", Alias=alias, Description="same")
    assert "another connection" in err.message


def test_one_client_switching_regions_in_the_same_second_is_served(smkms, cred_a, method, one_second):
    """The workaround: one client object (one keep-alive session) whose region is
    switched between calls. GetServiceStatus has no parameters, so every region's
    request has the same body and signature."""
    regions = [new_region(), new_region()]
    c = smkms.client(cred_a, regions[0], method)
    new_key_id(c)
    counts = []
    for r in regions:
        c.region = r
        counts.append(call(c, "GetServiceStatus").CmkUserCount)
    assert counts == [1, 0]


def test_same_body_different_action_same_second_same_client(smkms, cred_a, method, region, one_second):
    """DescribeKey then DisableKey of one key through one client: same signature,
    different action. The server accepts this on the client's keep-alive connection."""
    c = smkms.client(cred_a, region, method)
    key_id = new_key_id(c)
    assert describe(c, key_id).KeyState == "Enabled"
    call(c, "DisableKey", KeyId=key_id)
    assert describe(c, key_id).KeyState == "Disabled"
