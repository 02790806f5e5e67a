"""DescribeKeys, EnableKeys, DisableKeys (batches), ListKeys and ListKeyDetail.

Every test works in a region of its own, so the account's key counts there are exact.
"""

import pytest

from kmstest import (
    call,
    describe,
    expect_error,
    key_in_state,
    new_alias,
    new_key_id,
    random_uuid,
    state_of,
)

BATCH_ACTIONS = ["DescribeKeys", "EnableKeys", "DisableKeys"]


# ---------------------------------------------------------------- DescribeKeys


def test_describe_keys_in_request_order(smkms, ca):
    ids = [new_key_id(ca, Description=f"k{i}") for i in range(3)]
    order = [ids[2], ids[0], ids[1]]
    r = call(ca, "DescribeKeys", KeyIds=order)
    assert [m.KeyId for m in r.KeyMetadatas] == order
    assert [m.Description for m in r.KeyMetadatas] == ["k2", "k0", "k1"]
    for m in r.KeyMetadatas:
        assert m.KeyState == "Enabled"
        assert m.CreatorUin == smkms.a.uin
        assert m.ResourceId == f"creatorUin/{smkms.a.uin}/{m.KeyId}"


def test_describe_keys_one_missing_fails_whole_request(ca, cb):
    mine = new_key_id(ca)
    theirs = new_key_id(cb)
    for other in (random_uuid(), theirs):
        e = expect_error("ResourceUnavailable.CmkNotFound", ca, "DescribeKeys", KeyIds=[mine, other])
        assert other in e.message


@pytest.mark.parametrize("action", BATCH_ACTIONS)
def test_batch_of_101_ids_is_refused(ca, action):
    ids = [random_uuid() for _ in range(101)]
    e = expect_error("InvalidParameter", ca, action, KeyIds=ids)
    assert "KeyIds" in e.message
    assert "101" in e.message


@pytest.mark.parametrize("action", BATCH_ACTIONS)
def test_batch_of_100_ids_is_accepted_as_a_size(ca, action):
    """100 ids pass the size check: with 99 unknown ids the answer is CmkNotFound, not
    InvalidParameter."""
    real = new_key_id(ca)
    unknown = random_uuid()
    ids = [real] + [unknown] + [random_uuid() for _ in range(98)]
    assert len(ids) == 100
    e = expect_error("ResourceUnavailable.CmkNotFound", ca, action, KeyIds=ids)
    assert unknown in e.message
    assert state_of(ca, real) == "Enabled"


@pytest.mark.parametrize("action", BATCH_ACTIONS)
def test_batch_with_duplicate_ids(ca, action):
    a = new_key_id(ca)
    b = new_key_id(ca)
    e = expect_error("InvalidParameterValue.DuplicatedKeyId", ca, action, KeyIds=[a, b, a])
    assert a in e.message
    assert state_of(ca, a) == state_of(ca, b) == "Enabled"


@pytest.mark.parametrize("action", BATCH_ACTIONS)
def test_batch_with_an_invalid_id(ca, action):
    a = new_key_id(ca)
    e = expect_error("InvalidParameterValue.InvalidKeyId", ca, action, KeyIds=[a, "nope"])
    assert "nope" in e.message


@pytest.mark.parametrize("action", BATCH_ACTIONS)
def test_batch_requires_key_ids(ca, action):
    e = expect_error("MissingParameter", ca, action)
    assert "KeyIds" in e.message


def test_describe_keys_hundred_real_keys(post_a):
    ids = [new_key_id(post_a) for _ in range(100)]
    r = call(post_a, "DescribeKeys", KeyIds=ids)
    assert [m.KeyId for m in r.KeyMetadatas] == ids


# ---------------------------------------------------------------- EnableKeys / DisableKeys


def test_disable_keys_and_enable_keys(ca):
    ids = [new_key_id(ca) for _ in range(3)]
    call(ca, "DisableKeys", KeyIds=ids[:2])
    assert [state_of(ca, k) for k in ids] == ["Disabled", "Disabled", "Enabled"]
    # Already-disabled keys in the batch are fine.
    call(ca, "DisableKeys", KeyIds=ids)
    assert [state_of(ca, k) for k in ids] == ["Disabled"] * 3
    call(ca, "EnableKeys", KeyIds=[ids[0], ids[2]])
    assert [state_of(ca, k) for k in ids] == ["Enabled", "Disabled", "Enabled"]
    call(ca, "EnableKeys", KeyIds=ids)
    assert [state_of(ca, k) for k in ids] == ["Enabled"] * 3


@pytest.mark.parametrize("blocker", ["Archived", "PendingDelete", "PendingImport"])
def test_disable_keys_is_all_or_nothing_on_state(ca, blocker):
    ok = new_key_id(ca)
    bad = key_in_state(ca, blocker)
    e = expect_error("ResourceUnavailable.CmkStateNotSupport", ca, "DisableKeys", KeyIds=[ok, bad])
    assert bad in e.message
    assert state_of(ca, ok) == "Enabled"
    assert state_of(ca, bad) == blocker


@pytest.mark.parametrize("blocker", ["Archived", "PendingDelete", "PendingImport"])
def test_enable_keys_is_all_or_nothing_on_state(ca, blocker):
    ok = key_in_state(ca, "Disabled")
    bad = key_in_state(ca, blocker)
    e = expect_error("ResourceUnavailable.CmkStateNotSupport", ca, "EnableKeys", KeyIds=[ok, bad])
    assert bad in e.message
    assert state_of(ca, ok) == "Disabled"
    assert state_of(ca, bad) == blocker


@pytest.mark.parametrize("action", ["EnableKeys", "DisableKeys"])
def test_batch_with_a_foreign_key_changes_nothing(ca, cb, action):
    mine = key_in_state(ca, "Disabled" if action == "EnableKeys" else "Enabled")
    before = state_of(ca, mine)
    theirs = key_in_state(cb, "Disabled" if action == "EnableKeys" else "Enabled")
    e = expect_error("ResourceUnavailable.CmkNotFound", ca, action, KeyIds=[mine, theirs])
    assert theirs in e.message
    assert state_of(ca, mine) == before
    assert state_of(cb, theirs) == before


# ---------------------------------------------------------------- ListKeys


def test_list_keys_oldest_first_with_total(ca, cb):
    ids = [new_key_id(ca) for _ in range(3)]
    new_key_id(cb)  # another account's key in the same region is not listed
    r = call(ca, "ListKeys")
    assert r.TotalCount == 3
    assert [k.KeyId for k in r.Keys] == ids


def test_list_keys_paging(ca):
    ids = [new_key_id(ca) for _ in range(12)]
    r = call(ca, "ListKeys")
    assert r.TotalCount == 12
    assert [k.KeyId for k in r.Keys] == ids[:10], "the default Limit is 10"
    r = call(ca, "ListKeys", Offset=10)
    assert [k.KeyId for k in r.Keys] == ids[10:]
    r = call(ca, "ListKeys", Offset=3, Limit=4)
    assert r.TotalCount == 12
    assert [k.KeyId for k in r.Keys] == ids[3:7]
    r = call(ca, "ListKeys", Offset=0, Limit=200)
    assert [k.KeyId for k in r.Keys] == ids
    r = call(ca, "ListKeys", Offset=50, Limit=5)
    assert r.TotalCount == 12
    assert r.Keys == []


def test_list_keys_lists_every_state(ca):
    ids = [key_in_state(ca, s) for s in
           ("Enabled", "Disabled", "PendingDelete", "PendingImport", "Archived")]
    r = call(ca, "ListKeys", Limit=20)
    assert [k.KeyId for k in r.Keys] == ids
    assert r.TotalCount == 5


def test_list_keys_empty_region(ca):
    r = call(ca, "ListKeys", Limit=5)
    assert r.TotalCount == 0
    assert r.Keys == []


def test_list_keys_role(ca):
    ids = [new_key_id(ca) for _ in range(2)]
    r = call(ca, "ListKeys", Role=0)
    assert [k.KeyId for k in r.Keys] == ids
    r = call(ca, "ListKeys", Role=1)
    assert r.TotalCount == 0
    assert r.Keys == []
    e = expect_error("InvalidParameter", ca, "ListKeys", Role=2)
    assert "Role" in e.message


@pytest.mark.parametrize("action", ["ListKeys", "ListKeyDetail"])
@pytest.mark.parametrize("limit", [0, 201, -1])
def test_list_limit_out_of_range(ca, action, limit):
    e = expect_error("InvalidParameter", ca, action, Limit=limit)
    assert "Limit" in e.message
    assert str(limit) in e.message


@pytest.mark.parametrize("action", ["ListKeys", "ListKeyDetail"])
def test_list_negative_offset(ca, action):
    e = expect_error("InvalidParameter", ca, action, Offset=-1)
    assert "Offset" in e.message


@pytest.mark.parametrize("action", ["ListKeys", "ListKeyDetail"])
def test_list_hsm_cluster(ca, action):
    e = expect_error("InvalidParameterValue.InvalidHsmClusterId", ca, action, HsmClusterId="cls-1")
    assert "cls-1" in e.message


# ---------------------------------------------------------------- ListKeyDetail


def test_list_key_detail_order_and_total(ca, cb):
    ids = [new_key_id(ca, Description=f"d{i}") for i in range(5)]
    new_key_id(cb)
    r = call(ca, "ListKeyDetail")
    assert r.TotalCount == 5
    assert [m.KeyId for m in r.KeyMetadatas] == ids[::-1], "OrderType 0 (default) is newest first"
    assert [m.Description for m in r.KeyMetadatas] == [f"d{i}" for i in range(5)][::-1]
    r = call(ca, "ListKeyDetail", OrderType=0)
    assert [m.KeyId for m in r.KeyMetadatas] == ids[::-1]
    r = call(ca, "ListKeyDetail", OrderType=1)
    assert [m.KeyId for m in r.KeyMetadatas] == ids
    r = call(ca, "ListKeyDetail", OrderType=1, Offset=1, Limit=2)
    assert r.TotalCount == 5, "TotalCount counts before paging"
    assert [m.KeyId for m in r.KeyMetadatas] == ids[1:3]
    r = call(ca, "ListKeyDetail", Offset=4, Limit=2)
    assert r.TotalCount == 5
    assert [m.KeyId for m in r.KeyMetadatas] == [ids[0]]


def test_list_key_detail_default_limit(ca):
    ids = [new_key_id(ca) for _ in range(11)]
    r = call(ca, "ListKeyDetail", OrderType=1)
    assert r.TotalCount == 11
    assert [m.KeyId for m in r.KeyMetadatas] == ids[:10]


def test_list_key_detail_metadata(smkms, ca):
    alias = new_alias("detail")
    key_id = new_key_id(ca, Alias=alias, Description="full")
    [m] = call(ca, "ListKeyDetail").KeyMetadatas
    d = describe(ca, key_id)
    assert m.KeyId == key_id
    assert (m.Alias, m.Description, m.KeyState, m.KeyUsage) == (alias, "full", "Enabled", "ENCRYPT_DECRYPT")
    assert (m.Type, m.Owner, m.Origin, m.CreatorUin) == (4, "user", "TENCENT_KMS", smkms.a.uin)
    assert m.ResourceId == f"creatorUin/{smkms.a.uin}/{key_id}"
    assert m.CreateTime == d.CreateTime
    assert m._serialize() == d._serialize()


STATE_FILTERS = {1: "Enabled", 2: "Disabled", 3: "PendingDelete", 4: "PendingImport", 5: "Archived"}


def test_list_key_detail_key_state_filter(ca):
    by_state = {s: key_in_state(ca, s) for s in STATE_FILTERS.values()}
    for code, state in STATE_FILTERS.items():
        r = call(ca, "ListKeyDetail", KeyState=code)
        assert r.TotalCount == 1, state
        assert [(m.KeyId, m.KeyState) for m in r.KeyMetadatas] == [(by_state[state], state)]
    r = call(ca, "ListKeyDetail", KeyState=0, OrderType=1)
    assert r.TotalCount == 5
    assert [m.KeyId for m in r.KeyMetadatas] == list(by_state.values())


@pytest.mark.parametrize("field,value", [("KeyState", 6), ("KeyState", -1), ("OrderType", 2)])
def test_list_key_detail_bad_enums(ca, field, value):
    e = expect_error("InvalidParameter", ca, "ListKeyDetail", **{field: value})
    assert field in e.message


def test_list_key_detail_search(ca):
    tag = new_alias("needle")
    a = new_key_id(ca, Alias=f"x{tag}y")
    b = new_key_id(ca, Alias=f"{tag}")
    c = new_key_id(ca, Alias=new_alias("other"))
    r = call(ca, "ListKeyDetail", SearchKeyAlias=tag, OrderType=1)
    assert r.TotalCount == 2
    assert [m.KeyId for m in r.KeyMetadatas] == [a, b]
    # A piece of a KeyId finds that key.
    piece = c.split("-")[4]
    r = call(ca, "ListKeyDetail", SearchKeyAlias=piece)
    assert [m.KeyId for m in r.KeyMetadatas] == [c]
    r = call(ca, "ListKeyDetail", SearchKeyAlias="zz-no-such-alias-zz")
    assert (r.TotalCount, r.KeyMetadatas) == (0, [])


def test_list_key_detail_origin(ca):
    kms = new_key_id(ca)
    ext = new_key_id(ca, Type=2)
    r = call(ca, "ListKeyDetail", Origin="TENCENT_KMS")
    assert [m.KeyId for m in r.KeyMetadatas] == [kms]
    r = call(ca, "ListKeyDetail", Origin="EXTERNAL")
    assert [(m.KeyId, m.Origin) for m in r.KeyMetadatas] == [(ext, "EXTERNAL")]
    r = call(ca, "ListKeyDetail", Origin="ALL", OrderType=1)
    assert [m.KeyId for m in r.KeyMetadatas] == [kms, ext]
    e = expect_error("InvalidParameter", ca, "ListKeyDetail", Origin="external")
    assert "Origin" in e.message


def test_list_key_detail_key_usage(ca):
    k = new_key_id(ca)
    assert [m.KeyId for m in call(ca, "ListKeyDetail").KeyMetadatas] == [k]
    assert [m.KeyId for m in call(ca, "ListKeyDetail", KeyUsage="ENCRYPT_DECRYPT").KeyMetadatas] == [k]
    assert [m.KeyId for m in call(ca, "ListKeyDetail", KeyUsage="ALL").KeyMetadatas] == [k]
    r = call(ca, "ListKeyDetail", KeyUsage="ASYMMETRIC_DECRYPT_SM2")
    assert (r.TotalCount, r.KeyMetadatas) == (0, [])
    e = expect_error("InvalidParameter", ca, "ListKeyDetail", KeyUsage="BOGUS")
    assert "BOGUS" in e.message


def test_list_key_detail_tag_filters(ca):
    prod = new_key_id(ca, Tags=[{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "a"}])
    dev = new_key_id(ca, Tags=[{"TagKey": "env", "TagValue": "dev"}, {"TagKey": "team", "TagValue": "b"}])
    untagged = new_key_id(ca)

    def ids(**fields):
        r = call(ca, "ListKeyDetail", OrderType=1, **fields)
        assert r.TotalCount == len(r.KeyMetadatas)
        return [m.KeyId for m in r.KeyMetadatas]

    assert ids() == [prod, dev, untagged]
    assert ids(TagFilters=[{"TagKey": "env", "TagValue": ["prod"]}]) == [prod]
    assert ids(TagFilters=[{"TagKey": "env", "TagValue": ["prod", "dev"]}]) == [prod, dev]
    assert ids(TagFilters=[{"TagKey": "env", "TagValue": ["test"]}]) == []
    assert ids(TagFilters=[{"TagKey": "env"}]) == [prod, dev], "no values: any value"
    assert ids(TagFilters=[{"TagKey": "env", "TagValue": ["prod", "dev"]},
                           {"TagKey": "team", "TagValue": ["b"]}]) == [dev], "filters combine with AND"
    assert ids(TagFilters=[{"TagKey": "owner", "TagValue": ["prod"]}]) == []


def test_list_key_detail_combined_filters_and_paging(ca):
    disabled = [key_in_state(ca, "Disabled", Alias=new_alias("combo")) for _ in range(3)]
    key_in_state(ca, "Enabled", Alias=new_alias("combo"))
    key_in_state(ca, "Disabled", Alias=new_alias("nomatch"))
    r = call(ca, "ListKeyDetail", KeyState=2, SearchKeyAlias="combo", Limit=2, OrderType=1)
    assert r.TotalCount == 3
    assert [m.KeyId for m in r.KeyMetadatas] == disabled[:2]


def test_list_key_detail_role(ca):
    new_key_id(ca)
    r = call(ca, "ListKeyDetail", Role=1)
    assert (r.TotalCount, r.KeyMetadatas) == (0, [])
    assert call(ca, "ListKeyDetail", Role=0).TotalCount == 1
    e = expect_error("InvalidParameter", ca, "ListKeyDetail", Role=7)
    assert "Role" in e.message
