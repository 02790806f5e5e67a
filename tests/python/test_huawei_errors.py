"""Huawei KMS v1.0 through the official huaweicloudsdkkms SDK: authentication, the
protocol-level errors, and which exception class the SDK raises for each (4xx:
ClientRequestException, 5xx: ServerResponseException, no answer: ConnectionException).

The per-endpoint KMS.xxxx codes are in test_huawei_keys.py and test_huawei_crypto.py;
every one of them is asserted there through `client_error`, which checks the class too.
"""

import socket
import uuid
import sqlite3
import time

import pytest
from huaweicloudsdkcore.exceptions import exceptions
import huaweicloudsdkkms.v2 as kms

import huaweitest as hw
from huaweitest import (
    ClientRequestException,
    ServerResponseException,
    call,
    client_error,
    create_key,
    expect_error,
)


@pytest.fixture
def c(smkms, cred_a, region):
    return hw.make_client(smkms.port, cred_a, region)


def test_sm3_signing_is_accepted(smkms, cred_a, region):
    c = hw.make_client(smkms.port, cred_a, region, sm3=True)
    key_id = create_key(c)
    assert call(c, "describe-key", key_id=key_id).key_info.key_state == "2"


def test_wrong_secret_key(smkms, cred_a, region):
    bad = hw.make_client(smkms.port, hw_cred(cred_a, secret_key="wrong"), region)
    e = client_error(401, "APIGW.0301", bad, "list-keys")
    assert "signature" in e.error_msg


def test_unknown_access_key(smkms, cred_a, region):
    bad = hw.make_client(smkms.port, hw_cred(cred_a, secret_id="AKIDdoesnotexist"), region)
    e = client_error(401, "APIGW.0301", bad, "list-keys")
    assert "AKIDdoesnotexist" in e.error_msg


def test_deleted_credential_stops_working(smkms, region):
    cred = smkms.server.create_credential(uin=smkms.a.uin)
    c = hw.make_client(smkms.port, cred, region)
    call(c, "list-keys")
    smkms.server.delete_credential(cred.secret_id)
    client_error(401, "APIGW.0301", c, "list-keys")


@pytest.mark.parametrize("offset, ok", [(-16 * 60, False), (16 * 60, False), (-14 * 60, True), (14 * 60, True)])
def test_sdk_date_window_is_15_minutes(smkms, cred_a, region, offset, ok):
    # The SDK signs with an X-Sdk-Date it is given instead of the current time.
    date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() + offset))
    c = hw.make_client(smkms.port, cred_a, region, preset_headers={"X-Sdk-Date": date})
    if ok:
        assert call(c, "list-keys").total == 0
    else:
        e = client_error(401, "APIGW.0303", c, "list-keys")
        assert "X-Sdk-Date" in e.error_msg


def test_a_date_long_past(smkms, cred_a, region):
    # The SDK signs a preset X-Sdk-Date as given: well formed, but years old.
    c = hw.make_client(smkms.port, cred_a, region, preset_headers={"X-Sdk-Date": "20000101T000000Z"})
    client_error(401, "APIGW.0303", c, "describe-key", key_id=hw.MISSING_KEY)


def test_every_extra_header_is_signed(smkms, cred_a, region):
    # The SDK signs every header it sends, so one of our own is signed too and accepted.
    c = hw.make_client(smkms.port, cred_a, region, preset_headers={"X-Custom-Trace": "abc 123"})
    assert call(c, "list-keys").total == 0


def test_sequence_is_checked_everywhere(c):
    key_id = create_key(c)
    for action, fields in [
        ("describe-key", {"key_id": key_id}),
        ("list-keys", {}),
        ("gen-random", {"random_data_length": "8"}),
        ("encrypt-data", {"key_id": key_id, "plain_text": "x"}),
        ("create-datakey", {"key_id": key_id}),
    ]:
        call(c, action, sequence=hw.SEQUENCE, **fields)
        client_error(400, "KMS.0206", c, action, sequence="x" * 35, **fields)
        client_error(400, "KMS.0206", c, action, sequence="x" * 37, **fields)


@pytest.mark.parametrize("method, req", [
    ("create_grant", lambda: kms.CreateGrantRequest(body=kms.CreateGrantRequestBody(
        key_id=hw.MISSING_KEY, grantee_principal="x", operations=["describe-key"]))),
    ("show_user_quotas", lambda: kms.ShowUserQuotasRequest()),
    ("list_key_stores", lambda: kms.ListKeyStoresRequest()),
])
def test_apis_this_server_does_not_implement(c, method, req):
    with pytest.raises(ClientRequestException) as ei:
        getattr(c, method)(req())
    assert (ei.value.status_code, ei.value.error_code) == (400, "KMS.0201")
    assert "not implemented" in ei.value.error_msg


def test_project_id_that_cannot_be_a_scope(smkms, cred_a):
    c = hw.make_client(smkms.port, cred_a, "Not.A.Project")
    client_error(400, "KMS.0201", c, "list-keys")


def test_body_over_the_configured_limit(spawn_server):
    env = spawn_server("[limits]\nmax_body_bytes = 2048\n")
    c = hw.make_client(env.port, env.a, hw.new_project())
    key_id = create_key(c, key_description="small")
    e = client_error(400, "KMS.0203", c, "encrypt-data", key_id=key_id, plain_text="x" * 4000)
    assert "2048" in e.error_msg
    client_error(400, "KMS.0203", c, "update-key-description", key_id=key_id, key_description="x" * 4000)
    assert hw.describe(c, key_id).key_description == "small"


def test_server_faults_are_server_response_exceptions(spawn_server):
    """Only a fault on the server's side answers 5xx: here a key whose sealed material
    was removed from the database behind the server's back."""
    env = spawn_server("")
    c = hw.make_client(env.port, env.a, hw.new_project())
    key_id = create_key(c)
    db = sqlite3.connect(env.server.data_dir / "smkms.db", timeout=10)
    with db:
        assert db.execute("DELETE FROM cmk_material WHERE key_id = ?", (key_id,)).rowcount == 1
    db.close()
    e = expect_error(ServerResponseException, 500, "KMS.0101", c, "encrypt-data", key_id=key_id, plain_text="x")
    assert "request id" in e.error_msg
    # Metadata is still served; the key's material is what is gone.
    assert hw.describe(c, key_id).key_state == "2"


def test_no_server_is_a_connection_exception(cred_a):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = hw.make_client(port, cred_a, hw.new_project())
    with pytest.raises(exceptions.ConnectionException):
        call(c, "list-keys")


def test_exception_hierarchy(c):
    """Both response exceptions are ServiceResponseExceptions with the fields A.6 lists."""
    with pytest.raises(exceptions.ServiceResponseException) as ei:
        call(c, "describe-key", key_id=hw.MISSING_KEY)
    e = ei.value
    assert isinstance(e, ClientRequestException)
    assert (e.status_code, e.error_code) == (404, "KMS.0207")
    assert hw.MISSING_KEY in e.error_msg
    assert hasattr(e, "request_id") and hasattr(e, "encoded_auth_msg")
    # The SDK reads the id from the X-Request-Id header; ours are UUIDs.
    assert str(uuid.UUID(e.request_id)) == e.request_id


def hw_cred(cred, **changes):
    from kmstest import Cred

    fields = {"secret_id": cred.secret_id, "secret_key": cred.secret_key, "uin": cred.uin}
    fields.update(changes)
    return Cred(**fields)
