"""One key through both official SDKs: huaweicloudsdkkms (project `ap-guangzhou`) and
tencentcloud-sdk-python (region `ap-guangzhou`) reach the same keys of the same
account. Each test uses a fresh account, so its `ap-guangzhou` is its own."""

import base64
import json

import pytest

import huaweitest as hw
import kmstest
from huaweitest import call as hcall, client_error, create_key
from kmstest import call as tcall, expect_error

REGION = "ap-guangzhou"


@pytest.fixture
def both(smkms):
    cred = smkms.server.create_credential()  # a new account
    return (
        hw.make_client(smkms.port, cred, REGION),
        kmstest.make_client(smkms.endpoint, cred.secret_id, cred.secret_key, region=REGION),
    )


def test_huawei_key_used_through_tencent(both):
    h, t = both
    key_id = create_key(h, key_alias="from-huawei", key_spec="SM4", key_description="made by huawei")
    m = tcall(t, "DescribeKey", KeyId=key_id).KeyMetadata
    assert (m.Alias, m.Description, m.KeyState, m.Type) == ("from-huawei", "made by huawei", "Enabled", 4)
    assert tcall(t, "ListKeys").TotalCount == 1
    # Tencent Encrypt -> Huawei decrypt-data (the same base64 blob).
    blob = tcall(t, "Encrypt", KeyId=key_id, Plaintext=base64.b64encode(b"tencent to huawei").decode()).CiphertextBlob
    assert hcall(h, "decrypt-data", cipher_text=blob).plain_text == "tencent to huawei"
    # Huawei encrypt-data with AAD -> Tencent Decrypt with the matching EncryptionContext.
    ct = hcall(h, "encrypt-data", key_id=key_id, plain_text="huawei to tencent",
               additional_authenticated_data="ctx-1").cipher_text
    ctx = json.dumps({"additional_authenticated_data": "ctx-1"})
    out = tcall(t, "Decrypt", CiphertextBlob=ct, EncryptionContext=ctx)
    assert base64.b64decode(out.Plaintext) == b"huawei to tencent"
    expect_error("InvalidParameterValue.InvalidCiphertext", t, "Decrypt", CiphertextBlob=ct)
    # Huawei data key (hex) -> Tencent Decrypt (base64).
    dk = hcall(h, "create-datakey", key_id=key_id, datakey_length="256")
    blob = base64.b64encode(bytes.fromhex(dk.cipher_text)).decode()
    assert base64.b64decode(tcall(t, "Decrypt", CiphertextBlob=blob).Plaintext) == bytes.fromhex(dk.plain_text)
    # State changes are one state.
    tcall(t, "DisableKey", KeyId=key_id)
    assert hw.state_of(h, key_id) == "3"
    hcall(h, "enable-key", key_id=key_id)
    assert tcall(t, "DescribeKey", KeyId=key_id).KeyMetadata.KeyState == "Enabled"
    hcall(h, "update-key-description", key_id=key_id, key_description="changed by huawei")
    assert tcall(t, "DescribeKey", KeyId=key_id).KeyMetadata.Description == "changed by huawei"


def test_tencent_key_used_through_huawei(both):
    h, t = both
    key_id = tcall(t, "CreateKey", Alias="from-tencent", Description="made by tencent").KeyId
    d = hw.describe(h, key_id)
    assert (d.key_alias, d.key_description, d.key_state, d.key_spec, d.realm) == (
        "from-tencent", "made by tencent", "2", "SM4", REGION)
    assert hcall(h, "list-keys").keys == [key_id]
    # Tencent GenerateDataKey -> Huawei decrypt-datakey (base64 -> hex).
    g = tcall(t, "GenerateDataKey", KeyId=key_id, NumberOfBytes=32)
    back = hcall(h, "decrypt-datakey", key_id=key_id, cipher_text=base64.b64decode(g.CiphertextBlob).hex(),
                 datakey_cipher_length="32")
    assert bytes.fromhex(back.data_key) == base64.b64decode(g.Plaintext)
    # Huawei encrypt-datakey -> Tencent Decrypt.
    dek = bytes(range(32))
    e = hcall(h, "encrypt-datakey", key_id=key_id, plain_text=(dek + hw.sm3(dek)).hex(), datakey_plain_length="32")
    blob = base64.b64encode(bytes.fromhex(e.cipher_text)).decode()
    assert base64.b64decode(tcall(t, "Decrypt", CiphertextBlob=blob).Plaintext) == dek
    # The Tencent-only archived state shows as "7" and refuses encryption.
    tcall(t, "ArchiveKey", KeyId=key_id)
    assert hw.state_of(h, key_id) == "7"
    e = client_error(400, "KMS.0209", h, "encrypt-data", key_id=key_id, plain_text="x")
    assert "archived" in e.error_msg
    assert hcall(h, "list-keys", key_state="2").total == 0
    tcall(t, "CancelKeyArchive", KeyId=key_id)


def test_deletion_windows_differ_by_dialect(both):
    """Huawei schedules 7 to 1096 days, from an enabled key too; Tencent 7 to 30, from a
    disabled key. Each dialect applies its own rule to the one key."""
    h, t = both
    key_id = create_key(h)
    expect_error("ResourceUnavailable.CmkShouldBeDisabled", t, "ScheduleKeyDeletion",
                 KeyId=key_id, PendingWindowInDays=7)
    r = hcall(h, "schedule-key-deletion", key_id=key_id, pending_days="1000")
    assert r.key_state == "4"
    m = tcall(t, "DescribeKey", KeyId=key_id).KeyMetadata
    assert m.KeyState == "PendingDelete"
    assert m.DeletionDate == int(hw.describe(h, key_id).scheduled_deletion_date) // 1000
    tcall(t, "CancelKeyDeletion", KeyId=key_id)
    assert hw.state_of(h, key_id) == "3"
    tcall(t, "EnableKey", KeyId=key_id)
    # Tencent's window stops at 30 days; Huawei's does not.
    tcall(t, "DisableKey", KeyId=key_id)
    expect_error("InvalidParameter.InvalidPendingWindowInDays", t, "ScheduleKeyDeletion",
                 KeyId=key_id, PendingWindowInDays=31)
    assert hcall(h, "schedule-key-deletion", key_id=key_id, pending_days="31").key_state == "4"


def test_alias_rules_differ_by_dialect(both):
    """Huawei aliases may hold ':' and '/'; such a key is still the same key through
    Tencent, and one alias is unique across both dialects."""
    h, t = both
    key_id = create_key(h, key_alias="team/app:prod")
    assert tcall(t, "DescribeKey", KeyId=key_id).KeyMetadata.Alias == "team/app:prod"
    tcall(t, "CreateKey", Alias="shared-name")
    client_error(400, "KMS.1104", h, "create-key", key_alias="shared-name")


def test_projects_are_regions(smkms):
    cred = smkms.server.create_credential()
    h = hw.make_client(smkms.port, cred, "ap-beijing")
    t_gz = kmstest.make_client(smkms.endpoint, cred.secret_id, cred.secret_key, region=REGION)
    # Another credential of the same account, for the other region.
    cred2 = smkms.server.create_credential(uin=cred.uin)
    t_bj = kmstest.make_client(smkms.endpoint, cred2.secret_id, cred2.secret_key, region="ap-beijing")
    key_id = create_key(h)
    assert tcall(t_bj, "DescribeKey", KeyId=key_id).KeyMetadata.KeyId == key_id
    expect_error("ResourceUnavailable.CmkNotFound", t_gz, "DescribeKey", KeyId=key_id)
