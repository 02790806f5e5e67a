"""CreateKey, DescribeKey, KeyMetadata, key ids and scopes, UpdateAlias and
UpdateKeyDescription, through the official Python SDK over POST and GET."""

import pytest
from tencentcloud.kms.v20190118 import models

from kmstest import (
    UUID_RE,
    call,
    create_key,
    describe,
    expect_error,
    expect_json_error,
    key_id_actions,
    new_alias,
    new_key_id,
    new_region,
    now,
    random_uuid,
)

ASYMMETRIC_USAGES = [
    "ASYMMETRIC_DECRYPT_RSA_2048",
    "ASYMMETRIC_DECRYPT_SM2",
    "ASYMMETRIC_SIGN_VERIFY_SM2",
    "ASYMMETRIC_SIGN_VERIFY_RSA_2048",
    "ASYMMETRIC_SIGN_VERIFY_ECC",
    "ASYMMETRIC_SIGN_VERIFY_ECDSA384",
]


# ---------------------------------------------------------------- CreateKey


def test_create_key_answers_the_new_key(ca):
    alias = new_alias("create")
    before = now()
    r = create_key(ca, Alias=alias, Description="first key")
    assert isinstance(r, models.CreateKeyResponse)
    assert UUID_RE.match(r.KeyId)
    assert r.Alias == alias
    assert r.Description == "first key"
    assert r.KeyState == "Enabled"
    assert r.KeyUsage == "ENCRYPT_DECRYPT"
    assert before - 5 <= r.CreateTime <= now() + 5
    assert r.TagCode == 0
    assert UUID_RE.match(r.RequestId)


def test_describe_key_metadata(smkms, ca):
    alias = new_alias("meta")
    r = create_key(ca, Alias=alias, Description="described")
    m = describe(ca, r.KeyId)
    assert isinstance(m, models.KeyMetadata)
    assert m.KeyId == r.KeyId
    assert m.Alias == alias
    assert m.CreateTime == r.CreateTime
    assert m.Description == "described"
    assert m.KeyState == "Enabled"
    assert m.KeyUsage == "ENCRYPT_DECRYPT"
    assert m.Type == 4, "SM4 is the default CMK type"
    assert m.CreatorUin == smkms.a.uin
    assert isinstance(m.CreatorUin, int)
    assert m.Owner == "user"
    assert m.DeletionDate == 0
    assert m.Origin == "TENCENT_KMS"
    assert m.ResourceId == f"creatorUin/{smkms.a.uin}/{r.KeyId}"
    assert m.KeyRotationEnabled is False
    assert m.RotateDays == 0
    assert m.NextRotateTime == 0
    assert m.LastRotateTime == 0


def test_create_key_defaults_without_optional_fields(ca):
    r = call(ca, "CreateKey", Alias=new_alias())
    assert r.Description == ""
    assert r.KeyUsage == "ENCRYPT_DECRYPT"
    assert r.KeyState == "Enabled"
    m = describe(ca, r.KeyId)
    assert (m.Origin, m.Type, m.Description) == ("TENCENT_KMS", 4, "")


def test_create_key_explicit_type_1_and_usage(ca):
    r = create_key(ca, Type=1, KeyUsage="ENCRYPT_DECRYPT")
    m = describe(ca, r.KeyId)
    assert (m.KeyState, m.Origin, m.KeyUsage) == ("Enabled", "TENCENT_KMS", "ENCRYPT_DECRYPT")


def test_create_external_key_waits_for_import(ca):
    r = create_key(ca, Type=2)
    assert r.KeyState == "PendingImport"
    m = describe(ca, r.KeyId)
    assert m.KeyState == "PendingImport"
    assert m.Origin == "EXTERNAL"


@pytest.mark.parametrize("key_type", [0, 3, 4, -1])
def test_create_key_invalid_type(ca, key_type):
    e = expect_error("InvalidParameterValue.InvalidType", ca, "CreateKey",
                     Alias=new_alias(), Type=key_type)
    assert "Type" in e.message
    assert str(key_type) in e.message


def test_create_key_requires_alias(ca):
    e = expect_error("MissingParameter", ca, "CreateKey", Description="no alias")
    assert "Alias" in e.message


BAD_ALIASES = [
    pytest.param("", id="empty"),
    pytest.param("-leading-dash", id="leading-dash"),
    pytest.param("_leading_underscore", id="leading-underscore"),
    pytest.param("has space", id="space"),
    pytest.param("has.dot", id="dot"),
    pytest.param("has/slash", id="slash"),
    pytest.param("colon:x", id="colon"),
    pytest.param("x" * 61, id="61-chars"),
    pytest.param("kms-reserved", id="kms-prefix"),
    pytest.param("caf\u00e9", id="non-ascii"),
]


@pytest.mark.parametrize("alias", BAD_ALIASES)
def test_create_key_invalid_alias(ca, alias):
    e = expect_error("InvalidParameterValue.InvalidAlias", ca, "CreateKey", Alias=alias)
    assert "Alias" in e.message
    assert alias in e.message


@pytest.mark.parametrize(
    "make_alias",
    [
        pytest.param(lambda: "a", id="one-char"),
        pytest.param(lambda: "9" + new_alias(), id="leading-digit"),
        pytest.param(lambda: "A-b_" + new_alias(), id="mixed"),
        pytest.param(lambda: (new_alias("x") * 3)[:60], id="60-chars"),
        pytest.param(lambda: "kms_" + new_alias(), id="kms-underscore"),
        pytest.param(lambda: "kmsx" + new_alias(), id="kms-no-dash"),
    ],
)
def test_create_key_valid_aliases(ca, make_alias):
    alias = make_alias()
    r = create_key(ca, Alias=alias)
    assert r.Alias == alias
    assert describe(ca, r.KeyId).Alias == alias


def test_create_key_duplicate_alias(ca):
    alias = new_alias("dup")
    first = create_key(ca, Alias=alias)
    e = expect_error("InvalidParameterValue.AliasAlreadyExists", ca, "CreateKey", Alias=alias)
    assert alias in e.message
    # The first key is untouched.
    assert describe(ca, first.KeyId).Alias == alias


def test_same_alias_in_another_region_or_account_is_fine(smkms, method, ca, cb):
    alias = new_alias("shared")
    # Each request has its own Description, so no two share a signature (see
    # test_tencent_replay.py for identical requests to two regions).
    k1 = create_key(ca, Alias=alias, Description="1").KeyId
    other_region = smkms.client(smkms.a, new_region(), method)
    k2 = create_key(other_region, Alias=alias, Description="2").KeyId
    k3 = create_key(cb, Alias=alias, Description="3").KeyId
    assert len({k1, k2, k3}) == 3
    assert describe(ca, k1).Alias == alias
    assert describe(other_region, k2).Alias == alias
    assert describe(cb, k3).Alias == alias


def test_create_key_description_limit_is_1024_bytes(ca):
    ok = "\u00e9" * 512  # 512 characters, 1024 bytes of UTF-8
    r = create_key(ca, Description=ok)
    assert describe(ca, r.KeyId).Description == ok
    r = create_key(ca, Description="d" * 1024)
    assert describe(ca, r.KeyId).Description == "d" * 1024


@pytest.mark.parametrize("description", ["d" * 1025, "\u00e9" * 513], ids=["1025-ascii", "513-chars-1026-bytes"])
def test_create_key_description_too_long(ca, description):
    e = expect_error("InvalidParameterValue", ca, "CreateKey",
                     Alias=new_alias(), Description=description)
    assert "Description" in e.message


@pytest.mark.parametrize("usage", ASYMMETRIC_USAGES[:-1])
def test_create_key_asymmetric_usage(ca, usage):
    r = create_key(ca, KeyUsage=usage)
    assert (r.KeyUsage, r.KeyState) == (usage, "Enabled")
    assert describe(ca, r.KeyId).KeyUsage == usage


def test_create_key_ecdsa384_is_unsupported(ca):
    usage = ASYMMETRIC_USAGES[-1]
    assert usage == "ASYMMETRIC_SIGN_VERIFY_ECDSA384"
    e = expect_error("UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion", ca, "CreateKey",
                     Alias=new_alias(), KeyUsage=usage)
    assert usage in e.message


@pytest.mark.parametrize("usage", ["GARBAGE", "encrypt_decrypt", "SM4"])
def test_create_key_invalid_usage(ca, usage):
    e = expect_error("InvalidParameterValue.InvalidKeyUsage", ca, "CreateKey",
                     Alias=new_alias(), KeyUsage=usage)
    assert usage in e.message


def test_create_key_hsm_cluster(ca):
    e = expect_error("InvalidParameterValue.InvalidHsmClusterId", ca, "CreateKey",
                     Alias=new_alias(), HsmClusterId="cls-123")
    assert "HsmClusterId" in e.message
    assert "cls-123" in e.message
    # An empty HsmClusterId means "none" and is accepted.
    r = create_key(ca, HsmClusterId="")
    assert r.KeyState == "Enabled"


def test_create_key_with_tags(ca):
    tags = [{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "kms"}]
    r = create_key(ca, Tags=tags)
    assert r.TagCode == 0
    found = call(ca, "ListKeyDetail", TagFilters=[{"TagKey": "team", "TagValue": ["kms"]}])
    assert [m.KeyId for m in found.KeyMetadatas] == [r.KeyId]


def test_create_key_duplicated_tag_key(ca):
    tags = [{"TagKey": "env", "TagValue": "a"}, {"TagKey": "env", "TagValue": "b"}]
    e = expect_error("InvalidParameterValue.TagKeysDuplicated", ca, "CreateKey",
                     Alias=new_alias(), Tags=tags)
    assert "env" in e.message


def test_failed_create_key_creates_nothing(post_a):
    expect_error("InvalidParameterValue.InvalidAlias", post_a, "CreateKey", Alias="-x")
    expect_error("InvalidParameterValue.InvalidType", post_a, "CreateKey", Alias=new_alias(), Type=9)
    expect_error("UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion", post_a, "CreateKey",
                 Alias=new_alias(), KeyUsage="ASYMMETRIC_SIGN_VERIFY_ECDSA384")
    expect_error("InvalidParameterValue.TagKeysDuplicated", post_a, "CreateKey", Alias=new_alias(),
                 Tags=[{"TagKey": "k", "TagValue": "1"}, {"TagKey": "k", "TagValue": "2"}])
    assert call(post_a, "ListKeys").TotalCount == 0
    assert call(post_a, "GetServiceStatus").CmkUserCount == 0


def test_create_key_aes_256_key_spec_extension(post_a):
    # KeySpec is an smkms extension the SDK has no model field for.
    r = post_a.call_json("CreateKey", {"Alias": new_alias(), "KeySpec": "AES_256"})
    key_id = r["Response"]["KeyId"]
    assert describe(post_a, key_id).Type == 2
    e = expect_json_error("InvalidParameterValue", post_a, "CreateKey",
                          {"Alias": new_alias(), "KeySpec": "DES"})
    assert "KeySpec" in e.message and "DES" in e.message


# ---------------------------------------------------------------- key ids and scopes


BAD_KEY_IDS = [
    pytest.param("not-a-key", id="words"),
    pytest.param("", id="empty"),
    pytest.param("1b7c6a3e2f0d4c5b9a8e0d1f2e3c4b5a", id="uuid-without-hyphens"),
    pytest.param("1b7c6a3e-2f0d-4c5b-9a8e-0d1f2e3c4b5", id="short-uuid"),
    pytest.param("alias/my-key", id="alias-form"),
]


@pytest.mark.parametrize("action,extra", key_id_actions(), ids=[a for a, _ in key_id_actions()])
@pytest.mark.parametrize("key_id", BAD_KEY_IDS)
def test_key_id_must_be_a_uuid(ca, action, extra, key_id):
    e = expect_error("InvalidParameterValue.InvalidKeyId", ca, action, KeyId=key_id, **extra)
    assert "KeyId" in e.message
    assert key_id in e.message


def _not_found_message(e, key_id):
    assert key_id in e.message, e.message
    return e.message.replace(key_id, "<id>")


@pytest.mark.parametrize("action,extra", key_id_actions(), ids=[a for a, _ in key_id_actions()])
def test_unknown_foreign_and_other_region_keys_answer_alike(smkms, method, ca, cb, action, extra):
    """An unknown UUID, another account's key and this account's key seen from another
    region all answer ResourceUnavailable.CmkNotFound with the same message."""
    if action == "UpdateAlias":
        extra = {"Alias": new_alias()}
    mine_alias, their_alias = new_alias(), new_alias()
    mine = new_key_id(ca, Alias=mine_alias)
    theirs = new_key_id(cb, Alias=their_alias)
    elsewhere = smkms.client(smkms.a, new_region(), method)
    unknown = random_uuid()
    messages = set()
    for client, key_id in ((ca, unknown), (ca, theirs), (elsewhere, mine)):
        e = expect_error("ResourceUnavailable.CmkNotFound", client, action, KeyId=key_id, **extra)
        messages.add(_not_found_message(e, key_id))
    assert len(messages) == 1, messages
    # Nothing happened to either key.
    for client, key_id, alias in ((ca, mine, mine_alias), (cb, theirs, their_alias)):
        m = describe(client, key_id)
        assert (m.KeyState, m.Description, m.Alias) == ("Enabled", "", alias)


def test_second_credential_of_the_same_account_sees_the_same_keys(smkms, method, region):
    c1 = smkms.client(smkms.a, region, method)
    c2 = smkms.client(smkms.a2, region, method)
    key_id = new_key_id(c1)
    m = describe(c2, key_id)
    assert m.CreatorUin == smkms.a.uin
    call(c2, "DisableKey", KeyId=key_id)
    assert describe(c1, key_id).KeyState == "Disabled"


def test_empty_region_uses_the_default_region(smkms, method):
    default_client = smkms.client(smkms.a, "", method)
    key_id = new_key_id(default_client)
    assert describe(smkms.client(smkms.a, "ap-guangzhou", method), key_id).KeyId == key_id


# ---------------------------------------------------------------- UpdateAlias


def test_update_alias(ca):
    old = new_alias("old")
    new = new_alias("new")
    key_id = new_key_id(ca, Alias=old)
    r = call(ca, "UpdateAlias", KeyId=key_id, Alias=new)
    assert UUID_RE.match(r.RequestId)
    assert describe(ca, key_id).Alias == new
    # The old alias is free again; the new one is taken.
    assert create_key(ca, Alias=old).Alias == old
    e = expect_error("InvalidParameterValue.AliasAlreadyExists", ca, "CreateKey", Alias=new)
    assert new in e.message


def test_update_alias_to_its_own_alias(ca):
    alias = new_alias()
    key_id = new_key_id(ca, Alias=alias)
    call(ca, "UpdateAlias", KeyId=key_id, Alias=alias)
    assert describe(ca, key_id).Alias == alias


def test_update_alias_duplicate(ca):
    taken = new_alias("taken")
    create_key(ca, Alias=taken)
    mine = new_alias("mine")
    key_id = new_key_id(ca, Alias=mine)
    e = expect_error("InvalidParameterValue.AliasAlreadyExists", ca, "UpdateAlias",
                     KeyId=key_id, Alias=taken)
    assert taken in e.message
    assert describe(ca, key_id).Alias == mine


def test_update_alias_to_another_accounts_alias_is_fine(ca, cb):
    theirs = new_alias("theirs")
    create_key(cb, Alias=theirs)
    key_id = new_key_id(ca)
    call(ca, "UpdateAlias", KeyId=key_id, Alias=theirs)
    assert describe(ca, key_id).Alias == theirs


@pytest.mark.parametrize("alias", BAD_ALIASES)
def test_update_alias_invalid(ca, alias):
    original = new_alias()
    key_id = new_key_id(ca, Alias=original)
    e = expect_error("InvalidParameterValue.InvalidAlias", ca, "UpdateAlias",
                     KeyId=key_id, Alias=alias)
    assert "Alias" in e.message
    assert alias in e.message
    assert describe(ca, key_id).Alias == original


def test_update_alias_requires_alias(ca):
    key_id = new_key_id(ca)
    e = expect_error("MissingParameter", ca, "UpdateAlias", KeyId=key_id)
    assert "Alias" in e.message


# ---------------------------------------------------------------- UpdateKeyDescription


def test_update_key_description(ca):
    key_id = new_key_id(ca, Description="before")
    call(ca, "UpdateKeyDescription", KeyId=key_id, Description="after")
    assert describe(ca, key_id).Description == "after"
    full = "\u00e9" * 512
    call(ca, "UpdateKeyDescription", KeyId=key_id, Description=full)
    assert describe(ca, key_id).Description == full
    call(ca, "UpdateKeyDescription", KeyId=key_id, Description="")
    assert describe(ca, key_id).Description == ""


@pytest.mark.parametrize("description", ["d" * 1025, "\u00e9" * 513], ids=["1025-ascii", "513-chars-1026-bytes"])
def test_update_key_description_too_long(ca, description):
    key_id = new_key_id(ca, Description="kept")
    e = expect_error("InvalidParameterValue", ca, "UpdateKeyDescription",
                     KeyId=key_id, Description=description)
    assert "Description" in e.message
    assert describe(ca, key_id).Description == "kept"


def test_update_key_description_requires_description(ca):
    key_id = new_key_id(ca)
    e = expect_error("MissingParameter", ca, "UpdateKeyDescription", KeyId=key_id)
    assert "Description" in e.message
