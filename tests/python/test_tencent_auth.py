"""Authentication errors an SDK user can run into, and the signature time window."""

import types

import pytest
from tencentcloud.common import abstract_client

from kmstest import (
    Cred,
    call,
    describe,
    expect_error,
    new_key_id,
    random_uuid,
)


def shift_sdk_clock(monkeypatch, offset):
    """Makes the SDK sign with a timestamp `offset` seconds away from the real time."""
    real = abstract_client.time.time
    monkeypatch.setattr(abstract_client, "time", types.SimpleNamespace(time=lambda: real() + offset))


def test_unknown_secret_id(smkms, method, region):
    secret_id = "AKIDdoesnotexist" + random_uuid().replace("-", "")[:16]
    c = smkms.client(Cred(secret_id, "whatever", 0), region, method)
    e = expect_error("AuthFailure.SecretIdNotFound", c, "ListKeys", Limit=1)
    assert secret_id in e.message


def test_wrong_secret_key(smkms, cred_a, method, region):
    last = "x" if cred_a.secret_key[-1] != "x" else "y"
    bad = Cred(cred_a.secret_id, cred_a.secret_key[:-1] + last, cred_a.uin)
    c = smkms.client(bad, region, method)
    expect_error("AuthFailure.SignatureFailure", c, "ListKeys", Limit=2)
    # Nothing was done in the caller's name.
    good = smkms.client(cred_a, region, method)
    expect_error("AuthFailure.SignatureFailure", c, "CreateKey", Alias="never-created")
    assert call(good, "ListKeys", Limit=3).TotalCount == 0


def test_deleted_credential_is_refused_on_the_next_call(smkms, method, region):
    cred = smkms.server.create_credential(uin=smkms.a.uin)
    c = smkms.client(cred, region, method)
    key_id = new_key_id(c)
    assert describe(c, key_id).KeyState == "Enabled"
    listed = [x["SecretId"] for x in smkms.server.list_credentials()]
    assert cred.secret_id in listed
    smkms.server.delete_credential(cred.secret_id)
    assert cred.secret_id not in [x["SecretId"] for x in smkms.server.list_credentials()]
    e = expect_error("AuthFailure.SecretIdNotFound", c, "DisableKey", KeyId=key_id)
    assert cred.secret_id in e.message
    # The account and its keys remain; another credential of it still works.
    other = smkms.client(smkms.a2, region, method)
    assert describe(other, key_id).KeyState == "Enabled"


def test_new_credential_works_while_the_server_runs(smkms, method, region):
    cred = smkms.server.create_credential()
    assert cred.uin not in (smkms.a.uin, smkms.b.uin)
    c = smkms.client(cred, region, method)
    key_id = new_key_id(c)
    assert describe(c, key_id).CreatorUin == cred.uin


def test_unsigned_payload_is_refused(smkms, cred_a, method, region):
    c = smkms.client(cred_a, region, method, unsigned=True)
    e = expect_error("AuthFailure.InvalidAuthorization", c, "CreateKey", Alias="unsigned")
    assert "UNSIGNED-PAYLOAD" in e.message
    assert call(smkms.client(cred_a, region, method), "ListKeys", Limit=4).TotalCount == 0


@pytest.mark.parametrize("offset", [400, -400, 3600])
def test_signature_too_old_or_too_new(smkms, cred_a, method, region, monkeypatch, offset):
    c = smkms.client(cred_a, region, method)
    shift_sdk_clock(monkeypatch, offset)
    expect_error("AuthFailure.SignatureExpire", c, "CreateKey", Alias="expired")
    monkeypatch.undo()
    assert call(c, "ListKeys", Limit=5).TotalCount == 0


@pytest.mark.parametrize("offset", [200, -200])
def test_signature_within_the_window(smkms, cred_a, method, region, monkeypatch, offset):
    c = smkms.client(cred_a, region, method)
    shift_sdk_clock(monkeypatch, offset)
    key_id = new_key_id(c)
    assert describe(c, key_id).KeyId == key_id
