"""Huawei KMS v1.0 through the official huaweicloudsdkkms SDK: key lifecycle endpoints
(create-key, describe-key, list-keys, enable/disable-key, schedule/cancel-key-deletion,
update-key-alias/-description) and gen-random."""

import json
import time
import uuid

import pytest

import huaweitest as hw
from huaweitest import call, client_error, create_key, describe, state_of


@pytest.fixture
def c(smkms, cred_a, region):
    """Account A's Huawei client in the test's own project."""
    return hw.make_client(smkms.port, cred_a, region)


def test_create_key_answers_key_id_and_domain_id(c, cred_a):
    r = call(c, "create-key", key_alias=hw.new_alias(), sequence=hw.SEQUENCE)
    assert r.status_code == 200
    assert json.loads(r.raw_content) == {
        "key_info": {"key_id": r.key_info.key_id, "domain_id": r.key_info.domain_id}
    }
    assert r.key_info.domain_id == str(cred_a.uin)
    assert str(uuid.UUID(r.key_info.key_id)) == r.key_info.key_id


@pytest.mark.parametrize("spec, want", [(None, "AES_256"), ("AES_256", "AES_256"), ("SM4", "SM4")])
def test_create_key_specs(c, spec, want):
    fields = {"key_spec": spec} if spec else {}
    key_id = create_key(c, **fields)
    assert describe(c, key_id).key_spec == want


def test_create_key_every_field(c, region, cred_a):
    alias = "app/" + hw.new_alias() + ":v1_x"
    key_id = create_key(
        c,
        key_alias=alias,
        key_spec="SM4",
        key_usage="ENCRYPT_DECRYPT",
        key_description="描述 of a key",
        origin="kms",
        enterprise_project_id="0",
        keystore_id="0",
        sequence=hw.SEQUENCE,
    )
    d = describe(c, key_id)
    assert d.key_id == key_id
    assert d.key_alias == alias
    assert d.key_description == "描述 of a key"
    assert d.key_usage == "ENCRYPT_DECRYPT"
    assert d.key_state == "2"
    assert d.origin == "kms"
    assert d.realm == region
    assert d.domain_id == str(cred_a.uin)
    assert d.default_key_flag == "0"
    assert d.key_rotation_enabled == "false"
    assert d.scheduled_deletion_date == ""
    assert d.sys_enterprise_project_id == "0"
    assert d.keystore_id == "0"
    created_ms = int(d.creation_date)
    assert abs(created_ms / 1000 - time.time()) < 60, "creation_date is in milliseconds"


def test_alias_rules(c):
    for ok in ["a", "A:b/c_d-e", "x" * 255, "x/defaults", "default"]:
        create_key(c, key_alias=ok)
    for bad in ["", "a b", "ü", "x" * 256, "svc/default", "/default"]:
        client_error(400, "KMS.1101", c, "create-key", key_alias=bad)
    create_key(c, key_alias="taken")
    client_error(400, "KMS.1104", c, "create-key", key_alias="taken")


def test_description_limit_is_255_characters(c):
    create_key(c, key_description="字" * 255)
    client_error(400, "KMS.1103", c, "create-key", key_alias=hw.new_alias(), key_description="x" * 256)


def test_external_keys_start_pending_import(c):
    key_id = create_key(c, origin="external")
    d = describe(c, key_id)
    assert (d.key_state, d.origin) == ("5", "external")


@pytest.mark.parametrize("spec", ["RSA_3072", "EC_P384", "ED25519", "HMAC_256"])
def test_other_asymmetric_and_hmac_specs_are_refused_clearly(c, spec):
    e = client_error(400, "KMS.0201", c, "create-key", key_alias=hw.new_alias(), key_spec=spec)
    assert "not implemented" in e.error_msg


def test_create_key_refusals(c):
    a = hw.new_alias()
    client_error(400, "KMS.1115", c, "create-key", key_alias=a, key_usage="SIGN_VERIFY")
    client_error(400, "KMS.0308", c, "create-key", key_alias=a, key_usage="SIGN")
    client_error(400, "KMS.0308", c, "create-key", key_alias=a, origin="cloud")
    client_error(400, "KMS.0308", c, "create-key", key_alias=a, keystore_id="1")
    client_error(400, "KMS.0308", c, "create-key", key_alias=a, key_spec="AES_999")
    client_error(400, "KMS.0206", c, "create-key", key_alias=a, sequence="not-36-bytes")
    client_error(400, "KMS.0204", c, "create-key")


def test_key_quota(spawn_server):
    env = spawn_server("[limits]\ncmks_per_region = 2\n")
    c = hw.make_client(env.port, env.a, hw.new_project())
    create_key(c)
    create_key(c)
    e = client_error(400, "KMS.1105", c, "create-key", key_alias=hw.new_alias())
    assert "2" in e.error_msg
    # The quota is per project, like a Tencent region.
    create_key(hw.make_client(env.port, env.a, hw.new_project()))


def test_describe_key_errors(c):
    client_error(404, "KMS.0207", c, "describe-key", key_id=hw.MISSING_KEY)
    for bad in ["nope", hw.MISSING_KEY.upper(), hw.MISSING_KEY[:-1], "zzzzzzzz-e727-4d9c-b35d-f84bb474a37f"]:
        client_error(400, "KMS.0205", c, "describe-key", key_id=bad)
    client_error(400, "KMS.0204", c, "describe-key")


def test_other_accounts_and_projects_see_nothing(smkms, c, cred_a, cred_b, region):
    key_id = create_key(c)
    other_account = hw.make_client(smkms.port, cred_b, region)
    other_project = hw.make_client(smkms.port, cred_a, hw.new_project())
    for other in [other_account, other_project]:
        client_error(404, "KMS.0207", other, "describe-key", key_id=key_id)
        assert call(other, "list-keys").total == 0
    # Another credential of the same account sees the key.
    same = hw.make_client(smkms.port, smkms.a2, region)
    assert describe(same, key_id).key_id == key_id


def test_list_keys_paging_and_filters(c):
    ids = [create_key(c) for _ in range(3)]
    sm4 = create_key(c, key_spec="SM4")
    r = call(c, "list-keys")
    assert r.total == 4 and isinstance(r.total, int)
    assert r.keys == ids + [sm4], "oldest first"
    assert [d.key_id for d in r.key_details] == r.keys
    assert (r.truncated, r.next_marker) == ("false", "")
    page = call(c, "list-keys", limit="2")
    assert page.keys == ids[:2]
    assert (page.truncated, page.next_marker) == ("true", "2")
    page = call(c, "list-keys", limit="2", marker=page.next_marker)
    assert page.keys == [ids[2], sm4]
    assert (page.truncated, page.next_marker) == ("false", "")
    assert call(c, "list-keys", marker="10").keys == []
    assert call(c, "list-keys", key_spec="SM4").keys == [sm4]
    assert call(c, "list-keys", key_spec="AES_256").keys == ids
    assert call(c, "list-keys", key_spec="ALL").total == 4
    assert call(c, "list-keys", key_spec="RSA_2048").total == 0
    call(c, "disable-key", key_id=ids[1])
    assert call(c, "list-keys", key_state="3").keys == [ids[1]]
    assert call(c, "list-keys", key_state="2").total == 3
    assert call(c, "list-keys", key_state="1").total == 0
    assert call(c, "list-keys", enterprise_project_id="all", sequence=hw.SEQUENCE).total == 4


def test_list_keys_refusals(c):
    client_error(400, "KMS.1601", c, "list-keys", limit="0")
    client_error(400, "KMS.1601", c, "list-keys", limit="1001")
    client_error(400, "KMS.1601", c, "list-keys", limit="ten")
    client_error(400, "KMS.1602", c, "list-keys", marker="-1")
    client_error(400, "KMS.0308", c, "list-keys", key_state="6")
    client_error(400, "KMS.0308", c, "list-keys", key_spec="NOPE")


def test_enable_and_disable(c):
    key_id = create_key(c)
    r = call(c, "disable-key", key_id=key_id)
    assert (r.key_info.key_id, r.key_info.key_state) == (key_id, "3")
    client_error(400, "KMS.1301", c, "disable-key", key_id=key_id)
    r = call(c, "enable-key", key_id=key_id)
    assert (r.key_info.key_id, r.key_info.key_state) == (key_id, "2")
    client_error(400, "KMS.1201", c, "enable-key", key_id=key_id)
    client_error(404, "KMS.0207", c, "enable-key", key_id=hw.MISSING_KEY)
    client_error(404, "KMS.0207", c, "disable-key", key_id=hw.MISSING_KEY)


@pytest.mark.parametrize("days", ["7", "30", "1096"])
def test_schedule_and_cancel_deletion(c, days):
    key_id = create_key(c)
    # Huawei schedules an enabled key directly (Tencent needs it disabled first).
    r = call(c, "schedule-key-deletion", key_id=key_id, pending_days=days)
    assert (r.key_id, r.key_state) == (key_id, "4")
    d = describe(c, key_id)
    assert d.key_state == "4"
    when = int(d.scheduled_deletion_date) / 1000
    assert abs(when - (time.time() + int(days) * 86400)) < 60
    client_error(400, "KMS.1402", c, "schedule-key-deletion", key_id=key_id, pending_days="7")
    for action in ["enable-key", "disable-key"]:
        client_error(400, "KMS.0210", c, action, key_id=key_id)
    client_error(400, "KMS.0210", c, "update-key-alias", key_id=key_id, key_alias=hw.new_alias())
    client_error(400, "KMS.0210", c, "update-key-description", key_id=key_id, key_description="d")
    r = call(c, "cancel-key-deletion", key_id=key_id)
    assert (r.key_id, r.key_state) == (key_id, "3"), "a cancelled deletion leaves the key disabled"
    assert describe(c, key_id).scheduled_deletion_date == ""
    client_error(400, "KMS.1501", c, "cancel-key-deletion", key_id=key_id)


def test_schedule_deletion_of_a_disabled_key(c):
    key_id = create_key(c)
    call(c, "disable-key", key_id=key_id)
    assert call(c, "schedule-key-deletion", key_id=key_id, pending_days="8").key_state == "4"


@pytest.mark.parametrize("days", ["6", "1097", "0", "x", ""])
def test_pending_days_window(c, days):
    key_id = create_key(c)
    client_error(400, "KMS.1401", c, "schedule-key-deletion", key_id=key_id, pending_days=days)
    assert state_of(c, key_id) == "2", "a refused schedule changes nothing"


def test_pending_days_is_required(c):
    client_error(400, "KMS.0204", c, "schedule-key-deletion", key_id=create_key(c))


def test_update_alias_and_description(c):
    key_id = create_key(c)
    r = call(c, "update-key-alias", key_id=key_id, key_alias="renamed/one:two")
    assert (r.key_info.key_id, r.key_info.key_alias) == (key_id, "renamed/one:two")
    r = call(c, "update-key-description", key_id=key_id, key_description="新的")
    assert (r.key_info.key_id, r.key_info.key_description) == (key_id, "新的")
    d = describe(c, key_id)
    assert (d.key_alias, d.key_description) == ("renamed/one:two", "新的")
    client_error(400, "KMS.1101", c, "update-key-alias", key_id=key_id, key_alias="a/default")
    client_error(400, "KMS.1101", c, "update-key-alias", key_id=key_id, key_alias="bad alias")
    taken = hw.new_alias()
    create_key(c, key_alias=taken)
    client_error(400, "KMS.1104", c, "update-key-alias", key_id=key_id, key_alias=taken)
    client_error(400, "KMS.1103", c, "update-key-description", key_id=key_id, key_description="x" * 256)
    client_error(400, "KMS.0204", c, "update-key-alias", key_id=key_id)
    client_error(400, "KMS.0204", c, "update-key-description", key_id=key_id)


@pytest.mark.parametrize("bits", ["8", "512", "8192"])
def test_gen_random(c, bits):
    r = call(c, "gen-random", random_data_length=bits)
    raw = bytes.fromhex(r.random_data)
    assert len(raw) == int(bits) // 8
    assert r.random_data == r.random_data.upper()


def test_gen_random_differs_and_refuses(c):
    a = call(c, "gen-random", random_data_length="256").random_data
    b = call(c, "gen-random", random_data_length="256").random_data
    assert a != b
    for bits in ["0", "8200", "16384"]:
        client_error(400, "KMS.1801", c, "gen-random", random_data_length=bits)
    for bits in ["12", "100"]:
        client_error(400, "KMS.1802", c, "gen-random", random_data_length=bits)
    client_error(400, "KMS.0204", c, "gen-random")
