"""The API 3.0 envelope as the SDK sees it: actions the server does not implement,
unknown/missing/mistyped parameters, MemberAccount, regions, versions, RequestId."""

import json

import pytest
from tencentcloud.kms.v20190118 import models

from kmstest import (
    UUID_RE,
    call,
    describe,
    error_of,
    expect_error,
    expect_json_error,
    new_alias,
    new_key_id,
    random_uuid,
    state_of,
)


# ---------------------------------------------------------------- actions


@pytest.mark.parametrize(
    "action,fields",
    [
        ("CreateWhiteBoxKey", {"Alias": "wb", "Algorithm": "SM4"}),
        ("DescribeWhiteBoxServiceStatus", {}),
    ],
)
def test_sdk_action_not_implemented(ca, action, fields):
    e = expect_error("UnsupportedOperation", ca, action, **fields)
    assert action in e.message


@pytest.mark.parametrize("via", ["call_json", "call"])
def test_made_up_action(ca, via):
    e = error_of(getattr(ca, via), "Nonexistent", {})
    assert e.code == "InvalidAction"
    assert "Nonexistent" in e.message
    assert UUID_RE.match(e.requestId)


def test_call_json_works_for_implemented_actions(ca):
    key_id = new_key_id(ca, Description="raw")
    r = ca.call_json("DescribeKey", {"KeyId": key_id})
    assert r["Response"]["KeyMetadata"]["KeyId"] == key_id
    assert r["Response"]["KeyMetadata"]["Description"] == "raw"
    assert UUID_RE.match(r["Response"]["RequestId"])


# ---------------------------------------------------------------- parameters


def test_unknown_parameter(ca):
    key_id = new_key_id(ca)
    e = expect_json_error("UnknownParameter", ca, "DescribeKey", {"KeyId": key_id, "Bogus": 1})
    assert "Bogus" in e.message


def test_unknown_parameter_refuses_the_whole_request(ca):
    key_id = new_key_id(ca)
    e = expect_json_error("UnknownParameter", ca, "DisableKey", {"KeyId": key_id, "Force": True})
    assert "Force" in e.message
    assert state_of(ca, key_id) == "Enabled"
    e = expect_json_error("UnknownParameter", ca, "CreateKey", {"Alias": new_alias(), "Colour": "red"})
    assert "Colour" in e.message
    assert call(ca, "ListKeys").TotalCount == 1


def test_unknown_nested_parameter_is_named_by_path(ca):
    params = {"Alias": new_alias(), "Tags": [{"TagKey": "k", "TagValue": "v", "Extra": "x"}]}
    e = expect_json_error("UnknownParameter", ca, "CreateKey", params)
    assert "Tags.0.Extra" in e.message


@pytest.mark.parametrize("action", ["GetServiceStatus", "ListAlgorithms", "GenerateRandom", "ListKeys"])
def test_unknown_parameter_on_other_actions(ca, action):
    params = {"NumberOfBytes": 8} if action == "GenerateRandom" else {}
    params["Region"] = "ap-beijing"
    e = expect_json_error("UnknownParameter", ca, action, params)
    assert "Region" in e.message


@pytest.mark.parametrize(
    "action,params,missing",
    [
        ("DescribeKey", {}, "KeyId"),
        ("CreateKey", {"Description": "x"}, "Alias"),
        ("UpdateAlias", {"Alias": "a"}, "KeyId"),
        ("ScheduleKeyDeletion", {"KeyId": "00000000-0000-4000-8000-000000000000"}, "PendingWindowInDays"),
        ("GenerateRandom", {}, "NumberOfBytes"),
        ("DescribeKeys", {}, "KeyIds"),
    ],
)
def test_missing_parameter(ca, action, params, missing):
    e = expect_json_error("MissingParameter", ca, action, params)
    assert missing in e.message


def test_wrong_type_in_query_or_body(ca):
    e = expect_json_error("InvalidParameter", ca, "ListKeys", {"Limit": "ten"})
    assert "Limit" in e.message
    e = expect_json_error("InvalidParameter", ca, "GenerateRandom", {"NumberOfBytes": "many"})
    assert "NumberOfBytes" in e.message


@pytest.mark.parametrize(
    "action,params,field",
    [
        ("DescribeKey", {"KeyId": 5}, "KeyId"),
        ("DescribeKeys", {"KeyIds": "00000000-0000-4000-8000-000000000000"}, "KeyIds"),
        ("DescribeKeys", {"KeyIds": [1, 2]}, "KeyIds"),
        ("CreateKey", {"Alias": "a", "Type": "1"}, "Type"),
        ("CreateKey", {"Alias": "a", "Tags": {"TagKey": "k"}}, "Tags"),
        ("ListKeys", {"Limit": 1.5}, "Limit"),
        ("ListKeyDetail", {"TagFilters": [{"TagKey": "k", "TagValue": "v"}]}, "TagValue"),
    ],
)
def test_wrong_json_type(post_a, action, params, field):
    """JSON bodies are typed: a string where an integer belongs (and so on) is refused,
    naming the field. (Over GET every value is text, so only POST can send these.)"""
    e = expect_json_error("InvalidParameter", post_a, action, params)
    assert field in e.message


# ---------------------------------------------------------------- MemberAccount

MEMBER = {"MemberAppId": 1250000000, "MemberUin": 100000000001}

MEMBER_ACTIONS = [
    ("DescribeKey", {}),
    ("EnableKey", {}),
    ("DisableKey", {}),
    ("ArchiveKey", {}),
    ("CancelKeyArchive", {}),
    ("CancelKeyDeletion", {}),
    ("ScheduleKeyDeletion", {"PendingWindowInDays": 7}),
    ("UpdateAlias", {"Alias": "member-alias"}),
    ("UpdateKeyDescription", {"Description": "member"}),
]


@pytest.mark.parametrize("action,extra", MEMBER_ACTIONS, ids=[a for a, _ in MEMBER_ACTIONS])
def test_member_account_is_not_supported(ca, action, extra):
    key_id = new_key_id(ca, Description="untouched")
    alias = describe(ca, key_id).Alias
    e = expect_error("UnsupportedOperation.NotRoleOperation", ca, action,
                     KeyId=key_id, MemberAccount=MEMBER, **extra)
    assert "MemberAccount" in e.message
    m = describe(ca, key_id)
    assert (m.KeyState, m.Description, m.Alias) == ("Enabled", "untouched", alias)


@pytest.mark.parametrize("action", ["DescribeKeys", "EnableKeys", "DisableKeys"])
def test_member_account_on_batches(ca, action):
    key_id = new_key_id(ca)
    e = expect_error("UnsupportedOperation.NotRoleOperation", ca, action,
                     KeyIds=[key_id], MemberAccount=MEMBER)
    assert "MemberAccount" in e.message
    assert state_of(ca, key_id) == "Enabled"


def test_member_accounts_on_list_key_detail(ca):
    new_key_id(ca)
    expect_error("UnsupportedOperation.NotRoleOperation", ca, "ListKeyDetail", MemberAccounts=[MEMBER])


# ---------------------------------------------------------------- regions and versions


@pytest.mark.parametrize("region", ["AP_GUANGZHOU", "ap guangzhou", "ap-" + "x" * 40])
def test_unsupported_region(smkms, cred_a, method, region):
    c = smkms.client(cred_a, region, method)
    e = expect_error("UnsupportedRegion", c, "ListKeys", Limit=1)
    assert region in e.message


def test_unknown_api_version(smkms, cred_a, method):
    c = smkms.client(cred_a, "ap-guangzhou", method)
    c._apiVersion = "2017-01-01"
    e = expect_error("NoSuchVersion", c, "ListKeys", Limit=2)
    assert "2017-01-01" in e.message


# ---------------------------------------------------------------- RequestId


def test_every_response_has_its_own_request_id(ca):
    key_id = new_key_id(ca)
    ids = [
        call(ca, "DescribeKey", KeyId=key_id).RequestId,
        call(ca, "ListKeys", Limit=3).RequestId,
        call(ca, "GenerateRandom", NumberOfBytes=4).RequestId,
        call(ca, "GetServiceStatus").RequestId,
        ca.call_json("ListAlgorithms", {})["Response"]["RequestId"],
        expect_error("ResourceUnavailable.CmkNotFound", ca, "DescribeKey", KeyId=random_uuid()).requestId,
        expect_json_error("InvalidAction", ca, "Nonexistent", {}).requestId,
    ]
    for rid in ids:
        assert UUID_RE.match(rid), rid
    assert len(set(ids)) == len(ids)


def test_identical_requests_get_different_request_ids(ca):
    key_id = new_key_id(ca)
    a = call(ca, "DescribeKey", KeyId=key_id).RequestId
    b = call(ca, "DescribeKey", KeyId=key_id).RequestId
    assert a != b


def test_response_models_deserialise_every_field(ca):
    """The server's answers fit the SDK's response models: nothing the model lacks
    (the SDK would only warn), and every documented KeyMetadata field present."""
    key_id = new_key_id(ca)
    raw = ca.call_json("DescribeKey", {"KeyId": key_id})["Response"]["KeyMetadata"]
    model_fields = set(models.KeyMetadata()._serialize(allow_none=True))
    assert set(raw) <= model_fields, set(raw) - model_fields
    for field in ("KeyId", "Alias", "CreateTime", "Description", "KeyState", "KeyUsage", "Type",
                  "CreatorUin", "KeyRotationEnabled", "Owner", "NextRotateTime", "DeletionDate",
                  "Origin", "ValidTo", "ResourceId", "RotateDays", "LastRotateTime"):
        assert field in raw, field
    assert json.loads(json.dumps(raw))["CreatorUin"] == describe(ca, key_id).CreatorUin


def _every_action_once(c):
    """(action, params) for every implemented action, in an order that works."""
    k1 = new_key_id(c, Description="roundtrip", Tags=[{"TagKey": "t", "TagValue": "v"}])
    k2 = new_key_id(c)
    return [
        ("CreateKey", {"Alias": new_alias()}),
        ("DescribeKey", {"KeyId": k1}),
        ("DescribeKeys", {"KeyIds": [k1, k2]}),
        ("ListKeys", {}),
        ("ListKeyDetail", {"Limit": 20}),
        ("DisableKey", {"KeyId": k2}),
        ("EnableKey", {"KeyId": k2}),
        ("DisableKeys", {"KeyIds": [k2]}),
        ("EnableKeys", {"KeyIds": [k2]}),
        ("ArchiveKey", {"KeyId": k2}),
        ("CancelKeyArchive", {"KeyId": k2}),
        ("UpdateAlias", {"KeyId": k2, "Alias": new_alias()}),
        ("UpdateKeyDescription", {"KeyId": k2, "Description": "x"}),
        ("DisableKey", {"KeyId": k1}),
        ("ScheduleKeyDeletion", {"KeyId": k1, "PendingWindowInDays": 7}),
        ("CancelKeyDeletion", {"KeyId": k1}),
        ("GenerateRandom", {"NumberOfBytes": 8}),
        ("GetServiceStatus", {}),
        ("ListAlgorithms", {}),
    ]


def test_every_answer_fits_the_sdk_response_model(ca):
    """Each implemented action's raw answer survives the SDK's model unchanged: every
    field (nested ones included) is a field of the SDK's response model, with a value
    of the model's shape."""
    seen = set()
    for action, params in _every_action_once(ca):
        raw = ca.call_json(action, params)["Response"]
        assert "Error" not in raw, (action, raw)
        model = getattr(models, action + "Response")()
        model._deserialize(raw)
        assert model._serialize() == raw, action
        seen.add(action)
    assert len(seen) == 18
