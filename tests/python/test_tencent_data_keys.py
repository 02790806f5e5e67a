"""Hosted data keys through the official SDK: GenerateDataKey with IsHostedByKms,
ImportDataKey, the listings, DescribeDataKey(s), GetDataKeyPlaintext and
GetDataKeyCiphertextBlob, the data-key states, renames and descriptions, scopes, and the
per-account limit."""

import pytest

from kmstest import (
    UUID_RE,
    b64,
    call,
    describe,
    expect_error,
    key_in_state,
    new_alias,
    new_data_key_name,
    new_key_id,
    new_region,
    now,
    parse_blob,
    random_uuid,
    unb64,
)

DAY = 86400
NOT_FOUND = "ResourceUnavailable.DataKeyNotFound"
INVALID_NAME = "InvalidParameterValue.InvalidDataKeyName"
STATE_NOT_SUPPORT = "ResourceUnavailable.DataKeyStateNotSupport"


def hosted(client, key_id, name=None, n=32, **fields):
    """GenerateDataKey with IsHostedByKms=1; returns the response."""
    return call(client, "GenerateDataKey", KeyId=key_id, NumberOfBytes=n, IsHostedByKms=1,
                DataKeyName=name or new_data_key_name(), **fields)


def hosted_id(client, key_id, **fields):
    return hosted(client, key_id, **fields).DataKeyId


def dk_meta(client, data_key_id):
    return call(client, "DescribeDataKey", DataKeyId=data_key_id).DataKeyMetadata


def dk_state(client, data_key_id):
    return dk_meta(client, data_key_id).KeyState


def dk_in_state(client, key_id, state):
    dk = hosted_id(client, key_id)
    if state in ("Disabled", "PendingDelete"):
        call(client, "DisableDataKey", DataKeyId=dk)
    if state == "PendingDelete":
        call(client, "ScheduleDataKeyDeletion", DataKeyId=dk, PendingWindowInDays=7)
    assert dk_state(client, dk) == state
    return dk


def listed_ids(client, **fields):
    r = call(client, "ListDataKeys", **fields)
    return [d.DataKeyId for d in r.DataKeys], r.TotalCount


def detail_ids(client, **fields):
    r = call(client, "ListDataKeyDetail", **fields)
    return [m.DataKeyId for m in r.DataKeyMetadatas], r.TotalCount


# ---------------------------------------------------------------- GenerateDataKey hosted


def test_generate_hosted_data_key_and_describe_it(smkms, ca):
    alias = new_alias("cmk")
    key_id = call(ca, "CreateKey", Alias=alias).KeyId
    name = new_data_key_name("db-")
    before = now()
    r = hosted(ca, key_id, name=name, n=24, Description="database key",
               Tags=[{"TagKey": "team", "TagValue": "storage"}])
    after = now()
    assert UUID_RE.match(r.DataKeyId)
    assert r.KeyId == key_id
    plain = unb64(r.Plaintext)
    assert len(plain) == 24
    assert parse_blob(r.CiphertextBlob).key_id == key_id
    m = dk_meta(ca, r.DataKeyId)
    assert m.DataKeyId == r.DataKeyId
    assert m.KeyId == key_id
    assert m.KeyName == alias
    assert m.DataKeyName == name
    assert m.NumberOfBytes == 24
    assert before - 2 <= m.CreateTime <= after + 2
    assert m.Description == "database key"
    assert m.KeyState == "Enabled"
    assert m.CreatorUin == smkms.a.uin
    assert m.Owner == "user"
    assert m.DeletionDate == 0
    assert m.Origin == "TENCENT_KMS"
    assert m.ResourceId == f"creatorUin/{smkms.a.uin}/{r.DataKeyId}"
    # The plaintext and the blob are kept, and are what GenerateDataKey returned.
    assert call(ca, "GetDataKeyPlaintext", DataKeyId=r.DataKeyId).Plaintext == r.Plaintext
    assert call(ca, "GetDataKeyCiphertextBlob", DataKeyId=r.DataKeyId).CiphertextBlob == r.CiphertextBlob
    assert unb64(call(ca, "Decrypt", CiphertextBlob=r.CiphertextBlob).Plaintext) == plain


def test_hosted_data_key_with_context(ca):
    key_id = new_key_id(ca)
    ctx = '{"app":"billing","env":"prod"}'
    r = hosted(ca, key_id, n=16, EncryptionContext=ctx)
    # The server reopens it with the context it was made with.
    assert call(ca, "GetDataKeyPlaintext", DataKeyId=r.DataKeyId).Plaintext == r.Plaintext
    d = call(ca, "Decrypt", CiphertextBlob=r.CiphertextBlob, EncryptionContext='{"env":"prod","app":"billing"}')
    assert d.Plaintext == r.Plaintext
    expect_error("InvalidParameterValue.InvalidCiphertext", ca, "Decrypt", CiphertextBlob=r.CiphertextBlob)


@pytest.mark.parametrize("spec, n", [("AES_128", 16), ("AES_256", 32)])
def test_hosted_data_key_by_key_spec(ca, spec, n):
    key_id = new_key_id(ca)
    r = call(ca, "GenerateDataKey", KeyId=key_id, KeySpec=spec, IsHostedByKms=1,
             DataKeyName=new_data_key_name())
    assert len(unb64(r.Plaintext)) == n
    assert dk_meta(ca, r.DataKeyId).NumberOfBytes == n


def test_not_hosted_has_no_data_key_id(ca):
    key_id = new_key_id(ca)
    r = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16, IsHostedByKms=0)
    assert r.DataKeyId == ""
    assert listed_ids(ca) == ([], 0)


def test_hosted_requires_data_key_name(ca):
    key_id = new_key_id(ca)
    e = expect_error(INVALID_NAME, ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16, IsHostedByKms=1)
    assert "DataKeyName" in e.message
    expect_error(INVALID_NAME, ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16, IsHostedByKms=1,
                 DataKeyName="")
    assert listed_ids(ca) == ([], 0)


@pytest.mark.parametrize("value", [2, -1])
def test_is_hosted_by_kms_is_0_or_1(ca, value):
    key_id = new_key_id(ca)
    e = expect_error("InvalidParameter", ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16,
                     IsHostedByKms=value, DataKeyName=new_data_key_name())
    assert "IsHostedByKms" in e.message


BAD_NAMES = [
    pytest.param("-leading-dash", id="leading-dash"),
    pytest.param("_leading_underscore", id="leading-underscore"),
    pytest.param("has space", id="space"),
    pytest.param("has.dot", id="dot"),
    pytest.param("has/slash", id="slash"),
    pytest.param("x" * 61, id="61-chars"),
    pytest.param("caf\u00e9", id="non-ascii"),
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_invalid_data_key_names(ca, name):
    key_id = new_key_id(ca)
    e = expect_error(INVALID_NAME, ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16,
                     IsHostedByKms=1, DataKeyName=name)
    assert name in e.message
    dk = hosted_id(ca, key_id)
    e = expect_error(INVALID_NAME, ca, "UpdateDataKeyName", DataKeyId=dk, DataKeyName=name)
    assert name in e.message
    e = expect_error(INVALID_NAME, ca, "ImportDataKey", DataKeyName=name, ImportType=2,
                     ImportKeyMaterial=b64(b"k" * 16), KeyId=key_id)
    assert name in e.message
    assert listed_ids(ca)[1] == 1


@pytest.mark.parametrize("make", [
    pytest.param(lambda: "a", id="one-char"),
    pytest.param(lambda: "9" + new_data_key_name(), id="leading-digit"),
    pytest.param(lambda: "A-b_" + new_data_key_name(), id="mixed"),
    pytest.param(lambda: (new_data_key_name("x") * 3)[:60], id="60-chars"),
    pytest.param(lambda: "kms-" + new_data_key_name(), id="kms-prefix"),
])
def test_valid_data_key_names(ca, make):
    name = make()
    key_id = new_key_id(ca)
    dk = hosted_id(ca, key_id, name=name)
    assert dk_meta(ca, dk).DataKeyName == name


def test_duplicate_data_key_name(smkms, method, ca, cb):
    key_id = new_key_id(ca)
    name = new_data_key_name("dup")
    first = hosted_id(ca, key_id, name=name, n=16)
    e = expect_error("InvalidParameterValue.DataKeyNameAlreadyExists", ca, "GenerateDataKey",
                     KeyId=key_id, NumberOfBytes=17, IsHostedByKms=1, DataKeyName=name)
    assert name in e.message
    expect_error("InvalidParameterValue.DataKeyNameAlreadyExists", ca, "ImportDataKey",
                 DataKeyName=name, ImportType=2, ImportKeyMaterial=b64(b"m" * 16), KeyId=key_id)
    assert listed_ids(ca) == ([first], 1)
    # The same name in another region of the account, or in another account, is fine.
    other = smkms.client(smkms.server.create_credential(uin=smkms.a.uin), new_region(), method)
    assert UUID_RE.match(hosted_id(other, new_key_id(other), name=name, n=18))
    assert UUID_RE.match(hosted_id(cb, new_key_id(cb), name=name, n=19))


def test_hosted_data_key_tags(ca):
    key_id = new_key_id(ca)
    e = expect_error("InvalidParameterValue.TagKeysDuplicated", ca, "GenerateDataKey", KeyId=key_id,
                     NumberOfBytes=16, IsHostedByKms=1, DataKeyName=new_data_key_name(),
                     Tags=[{"TagKey": "k", "TagValue": "1"}, {"TagKey": "k", "TagValue": "2"}])
    assert "k" in e.message
    assert listed_ids(ca) == ([], 0)
    dk = hosted_id(ca, key_id, Tags=[{"TagKey": "k", "TagValue": "1"}, {"TagKey": "j", "TagValue": ""}])
    assert detail_ids(ca, TagFilters=[{"TagKey": "k", "TagValue": ["1"]}]) == ([dk], 1)
    assert detail_ids(ca, TagFilters=[{"TagKey": "k", "TagValue": ["2"]}]) == ([], 0)
    assert detail_ids(ca, TagFilters=[{"TagKey": "j"}, {"TagKey": "k"}]) == ([dk], 1)


@pytest.mark.parametrize("n", [0, 1025])
def test_hosted_data_key_length_out_of_range(ca, n):
    key_id = new_key_id(ca)
    e = expect_error("InvalidParameter", ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=n,
                     IsHostedByKms=1, DataKeyName=new_data_key_name())
    assert "NumberOfBytes" in e.message
    assert listed_ids(ca) == ([], 0)


@pytest.mark.parametrize("description", ["d" * 100, "\u00e9" * 50, ""])
def test_data_key_description_up_to_100_bytes(ca, description):
    key_id = new_key_id(ca)
    dk = hosted_id(ca, key_id, Description=description)
    assert dk_meta(ca, dk).Description == description


@pytest.mark.parametrize("description", ["d" * 101, "\u00e9" * 51], ids=["101-ascii", "51-chars-102-bytes"])
def test_data_key_description_too_long(ca, description):
    key_id = new_key_id(ca)
    e = expect_error("InvalidParameterValue", ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16,
                     IsHostedByKms=1, DataKeyName=new_data_key_name(), Description=description)
    assert "Description" in e.message
    dk = hosted_id(ca, key_id, Description="short")
    e = expect_error("InvalidParameterValue", ca, "UpdateDataKeyDescription", DataKeyId=dk,
                     Description=description)
    assert "Description" in e.message
    assert dk_meta(ca, dk).Description == "short"
    assert listed_ids(ca)[1] == 1


@pytest.mark.parametrize("state, code", [
    ("Disabled", "ResourceUnavailable.CmkDisabled"),
    ("PendingDelete", "ResourceUnavailable.KeyPendingDelete"),
    ("Archived", "ResourceUnavailable.CmkStateNotSupport"),
    ("PendingImport", "ResourceUnavailable.CmkStateNotSupport"),
])
def test_hosted_data_key_refused_by_cmk_state(ca, state, code):
    key_id = key_in_state(ca, state)
    e = expect_error(code, ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16, IsHostedByKms=1,
                     DataKeyName=new_data_key_name())
    assert key_id in e.message
    assert listed_ids(ca) == ([], 0)


def test_hosted_data_key_unknown_cmk(ca):
    missing = random_uuid()
    expect_error("ResourceUnavailable.CmkNotFound", ca, "GenerateDataKey", KeyId=missing,
                 NumberOfBytes=16, IsHostedByKms=1, DataKeyName=new_data_key_name())
    assert listed_ids(ca) == ([], 0)


# ---------------------------------------------------------------- ListDataKeys


def test_list_data_keys_oldest_first_with_paging(ca):
    key_id = new_key_id(ca)
    ids = [hosted_id(ca, key_id, n=8 + i) for i in range(5)]
    assert listed_ids(ca) == (ids, 5)
    assert listed_ids(ca, Offset=1, Limit=2) == (ids[1:3], 5)
    assert listed_ids(ca, Offset=4, Limit=200) == (ids[4:], 5)
    assert listed_ids(ca, Offset=5) == ([], 5)
    assert listed_ids(ca, Limit=1) == (ids[:1], 5)
    assert listed_ids(ca, Role=0) == (ids, 5)
    # Role 1: data keys created by cloud products, of which this server has none.
    assert listed_ids(ca, Role=1) == ([], 0)


@pytest.mark.parametrize("action", ["ListDataKeys", "ListDataKeyDetail"])
@pytest.mark.parametrize("fields", [
    {"Limit": 0}, {"Limit": 201}, {"Offset": -1}, {"Role": 2},
], ids=["limit-0", "limit-201", "offset-negative", "role-2"])
def test_list_data_keys_invalid_paging(ca, action, fields):
    e = expect_error("InvalidParameter", ca, action, **fields)
    assert next(iter(fields)) in e.message


def test_list_data_keys_is_per_account_and_region(smkms, method, ca, cb):
    key_id = new_key_id(ca)
    mine = hosted_id(ca, key_id)
    hosted_id(cb, new_key_id(cb))
    other = smkms.client(smkms.server.create_credential(uin=smkms.a.uin), new_region(), method)
    hosted_id(other, new_key_id(other))
    assert listed_ids(ca) == ([mine], 1)
    assert detail_ids(ca) == ([mine], 1)


# ---------------------------------------------------------------- ListDataKeyDetail


@pytest.fixture
def populated(ca):
    """Four data keys of A in the test's region, oldest first:
    0: 16 bytes under k1, Enabled, tag team=a, named alpha-*
    1: 32 bytes under k1, Disabled, tag team=b
    2: 32 bytes under k2, PendingDelete
    3: 16 bytes under k2, imported (EXTERNAL), Enabled, tag team=a
    """
    k1, k2 = new_key_id(ca), new_key_id(ca)
    alpha = new_data_key_name("alpha-")
    d0 = hosted_id(ca, k1, name=alpha, n=16, Tags=[{"TagKey": "team", "TagValue": "a"}])
    d1 = hosted_id(ca, k1, n=32, Tags=[{"TagKey": "team", "TagValue": "b"}])
    d2 = hosted_id(ca, k2, n=32)
    call(ca, "DisableDataKey", DataKeyId=d1)
    call(ca, "DisableDataKey", DataKeyId=d2)
    call(ca, "ScheduleDataKeyDeletion", DataKeyId=d2, PendingWindowInDays=7)
    d3 = call(ca, "ImportDataKey", DataKeyName=new_data_key_name(), ImportType=2, KeyId=k2,
              ImportKeyMaterial=b64(b"i" * 16), Tags=[{"TagKey": "team", "TagValue": "a"}]).DataKeyId
    return {"ids": [d0, d1, d2, d3], "k1": k1, "k2": k2, "alpha": alpha}


def test_list_data_key_detail_order(ca, populated):
    ids = populated["ids"]
    assert detail_ids(ca) == (ids[::-1], 4), "newest first by default"
    assert detail_ids(ca, OrderType=0) == (ids[::-1], 4)
    assert detail_ids(ca, OrderType=1) == (ids, 4)
    assert detail_ids(ca, OrderType=1, Offset=1, Limit=2) == (ids[1:3], 4)
    assert detail_ids(ca, Offset=3, Limit=5) == (ids[:1], 4)
    assert detail_ids(ca, Role=1) == ([], 0)
    e = expect_error("InvalidParameter", ca, "ListDataKeyDetail", OrderType=2)
    assert "OrderType" in e.message


def test_list_data_key_detail_metadata(smkms, ca, populated):
    r = call(ca, "ListDataKeyDetail", OrderType=1)
    m = r.DataKeyMetadatas
    assert [x.KeyState for x in m] == ["Enabled", "Disabled", "PendingDelete", "Enabled"]
    assert [x.Origin for x in m] == ["TENCENT_KMS", "TENCENT_KMS", "TENCENT_KMS", "EXTERNAL"]
    assert [x.NumberOfBytes for x in m] == [16, 32, 32, 16]
    assert [x.KeyId for x in m] == [populated["k1"], populated["k1"], populated["k2"], populated["k2"]]
    assert m[0].DataKeyName == populated["alpha"]
    assert all(x.CreatorUin == smkms.a.uin and x.Owner == "user" for x in m)
    assert m[2].DeletionDate > now() + 6 * DAY
    assert [x.DeletionDate for x in (m[0], m[1], m[3])] == [0, 0, 0]


@pytest.mark.parametrize("state, picks", [(0, [0, 1, 2, 3]), (1, [0, 3]), (2, [1]), (3, [2])])
def test_list_data_key_detail_by_state(ca, populated, state, picks):
    ids = populated["ids"]
    assert detail_ids(ca, KeyState=state, OrderType=1) == ([ids[i] for i in picks], len(picks))


@pytest.mark.parametrize("state", [4, 5, -1])
def test_list_data_key_detail_invalid_state(ca, state):
    e = expect_error("InvalidParameter", ca, "ListDataKeyDetail", KeyState=state)
    assert "KeyState" in e.message


def test_list_data_key_detail_search(ca, populated):
    ids = populated["ids"]
    assert detail_ids(ca, SearchKeyAlias=populated["alpha"]) == ([ids[0]], 1)
    assert detail_ids(ca, SearchKeyAlias="alpha-") == ([ids[0]], 1)
    assert detail_ids(ca, SearchKeyAlias=ids[2]) == ([ids[2]], 1), "the id matches too"
    assert detail_ids(ca, SearchKeyAlias=ids[3][:13]) == ([ids[3]], 1)
    assert detail_ids(ca, SearchKeyAlias="no-such-name") == ([], 0)


@pytest.mark.parametrize("origin, picks", [
    ("TENCENT_KMS", [0, 1, 2]), ("EXTERNAL", [3]), ("ALL", [0, 1, 2, 3]),
])
def test_list_data_key_detail_by_origin(ca, populated, origin, picks):
    ids = populated["ids"]
    assert detail_ids(ca, Origin=origin, OrderType=1) == ([ids[i] for i in picks], len(picks))


def test_list_data_key_detail_invalid_origin(ca):
    e = expect_error("InvalidParameter", ca, "ListDataKeyDetail", Origin="HSM")
    assert "Origin" in e.message


def test_list_data_key_detail_by_key_id_and_length(ca, populated):
    ids = populated["ids"]
    assert detail_ids(ca, KeyId=populated["k1"], OrderType=1) == (ids[:2], 2)
    assert detail_ids(ca, KeyId=populated["k2"], OrderType=1) == (ids[2:], 2)
    assert detail_ids(ca, KeyId=random_uuid()) == ([], 0)
    assert detail_ids(ca, DataKeyLen=16, OrderType=1) == ([ids[0], ids[3]], 2)
    assert detail_ids(ca, DataKeyLen=32, OrderType=1) == (ids[1:3], 2)
    assert detail_ids(ca, DataKeyLen=32, KeyId=populated["k2"]) == ([ids[2]], 1)
    assert detail_ids(ca, DataKeyLen=1024) == ([], 0)
    e = expect_error("InvalidParameter", ca, "ListDataKeyDetail", DataKeyLen=1025)
    assert "DataKeyLen" in e.message
    expect_error("InvalidParameterValue.InvalidKeyId", ca, "ListDataKeyDetail", KeyId="not-a-key")


def test_list_data_key_detail_by_tags(ca, populated):
    ids = populated["ids"]
    assert detail_ids(ca, TagFilters=[{"TagKey": "team", "TagValue": ["a"]}], OrderType=1) == ([ids[0], ids[3]], 2)
    assert detail_ids(ca, TagFilters=[{"TagKey": "team", "TagValue": ["b"]}]) == ([ids[1]], 1)
    assert detail_ids(ca, TagFilters=[{"TagKey": "team", "TagValue": ["a", "b"]}], OrderType=1) == (ids[:2] + [ids[3]], 3)
    assert detail_ids(ca, TagFilters=[{"TagKey": "team"}], OrderType=1) == (ids[:2] + [ids[3]], 3)
    assert detail_ids(ca, TagFilters=[{"TagKey": "owner"}]) == ([], 0)


# ---------------------------------------------------------------- DescribeDataKeys


def test_describe_data_keys_in_request_order(ca):
    key_id = new_key_id(ca)
    ids = [hosted_id(ca, key_id, n=10 + i) for i in range(3)]
    order = [ids[2], ids[0], ids[1]]
    r = call(ca, "DescribeDataKeys", DataKeyIds=order)
    assert [m.DataKeyId for m in r.DataKeyMetadatas] == order
    assert [m.NumberOfBytes for m in r.DataKeyMetadatas] == [12, 10, 11]


def test_describe_data_keys_errors(ca, cb):
    key_id = new_key_id(ca)
    a = hosted_id(ca, key_id)
    e = expect_error("InvalidParameterValue.DuplicatedDataKeyId", ca, "DescribeDataKeys", DataKeyIds=[a, a])
    assert a in e.message
    e = expect_error("InvalidParameterValue.DuplicatedDataKeyId", ca, "DescribeDataKeys",
                     DataKeyIds=[a, a.upper()])
    missing = random_uuid()
    e = expect_error(NOT_FOUND, ca, "DescribeDataKeys", DataKeyIds=[a, missing])
    assert missing in e.message
    expect_error("InvalidParameterValue.InvalidDataKeyId", ca, "DescribeDataKeys", DataKeyIds=[a, "nope"])
    expect_error("InvalidParameterValue", ca, "DescribeDataKeys", DataKeyIds=[random_uuid() for _ in range(101)])
    # 100 is a size the server accepts (it then reports the first one missing).
    expect_error(NOT_FOUND, ca, "DescribeDataKeys", DataKeyIds=[random_uuid() for _ in range(100)])
    b = hosted_id(cb, new_key_id(cb))
    expect_error(NOT_FOUND, ca, "DescribeDataKeys", DataKeyIds=[a, b])
    assert "DataKeyIds" in expect_error("MissingParameter", ca, "DescribeDataKeys").message


# ---------------------------------------------------------------- plaintext and blob by state


def test_get_data_key_plaintext_by_data_key_state(ca):
    key_id = new_key_id(ca)
    r = hosted(ca, key_id)
    dk = r.DataKeyId
    call(ca, "DisableDataKey", DataKeyId=dk)
    assert dk_state(ca, dk) == "Disabled"
    e = expect_error("ResourceUnavailable.DataKeyDisabled", ca, "GetDataKeyPlaintext", DataKeyId=dk)
    assert dk in e.message
    # Nor is its blob: a disabled data key hands out neither form of the key.
    e = expect_error(STATE_NOT_SUPPORT, ca, "GetDataKeyCiphertextBlob", DataKeyId=dk)
    assert dk in e.message and "Disabled" in e.message and "EnableDataKey" in e.message
    # A blob the client already holds is an ordinary ciphertext under the CMK: the
    # CMK's state governs it.
    assert call(ca, "Decrypt", CiphertextBlob=r.CiphertextBlob).Plaintext == r.Plaintext
    call(ca, "ScheduleDataKeyDeletion", DataKeyId=dk, PendingWindowInDays=7)
    e = expect_error("ResourceUnavailable.DataKeyPendingDelete", ca, "GetDataKeyPlaintext", DataKeyId=dk)
    assert dk in e.message
    e = expect_error(STATE_NOT_SUPPORT, ca, "GetDataKeyCiphertextBlob", DataKeyId=dk)
    assert dk in e.message and "PendingDelete" in e.message
    call(ca, "CancelDataKeyDeletion", DataKeyId=dk)
    call(ca, "EnableDataKey", DataKeyId=dk)
    assert call(ca, "GetDataKeyPlaintext", DataKeyId=dk).Plaintext == r.Plaintext


@pytest.mark.parametrize("cmk_state, code", [
    ("Disabled", "ResourceUnavailable.CmkDisabled"),
    ("PendingDelete", "ResourceUnavailable.CmkStateNotSupport"),
])
def test_get_data_key_plaintext_gated_by_the_cmk(ca, cmk_state, code):
    key_id = new_key_id(ca)
    r = hosted(ca, key_id)
    call(ca, "DisableKey", KeyId=key_id)
    if cmk_state == "PendingDelete":
        call(ca, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    e = expect_error(code, ca, "GetDataKeyPlaintext", DataKeyId=r.DataKeyId)
    assert key_id in e.message and cmk_state in e.message
    assert dk_state(ca, r.DataKeyId) == "Enabled"
    if cmk_state == "PendingDelete":
        call(ca, "CancelKeyDeletion", KeyId=key_id)
    call(ca, "EnableKey", KeyId=key_id)
    assert call(ca, "GetDataKeyPlaintext", DataKeyId=r.DataKeyId).Plaintext == r.Plaintext


def test_get_data_key_plaintext_under_an_archived_cmk(ca):
    key_id = new_key_id(ca)
    r = hosted(ca, key_id)
    call(ca, "ArchiveKey", KeyId=key_id)
    assert call(ca, "GetDataKeyPlaintext", DataKeyId=r.DataKeyId).Plaintext == r.Plaintext


def test_get_data_key_plaintext_garbage_public_key_is_refused(ca):
    """A key that cannot be delivered to is refused, never answered in the clear."""
    dk = hosted_id(ca, new_key_id(ca))
    e = expect_error("InvalidParameterValue", ca, "GetDataKeyPlaintext", DataKeyId=dk,
                     EncryptionPublicKey="-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                     EncryptionAlgorithm="SM2")
    assert "EncryptionPublicKey" in e.message


# ---------------------------------------------------------------- enable / disable


def test_enable_disable_data_key_idempotent(ca):
    dk = hosted_id(ca, new_key_id(ca))
    call(ca, "DisableDataKey", DataKeyId=dk)
    call(ca, "DisableDataKey", DataKeyId=dk)
    assert dk_state(ca, dk) == "Disabled"
    call(ca, "EnableDataKey", DataKeyId=dk)
    call(ca, "EnableDataKey", DataKeyId=dk)
    assert dk_state(ca, dk) == "Enabled"


@pytest.mark.parametrize("action", ["EnableDataKey", "DisableDataKey"])
def test_enable_disable_refused_while_pending_delete(ca, action):
    dk = dk_in_state(ca, new_key_id(ca), "PendingDelete")
    e = expect_error(STATE_NOT_SUPPORT, ca, action, DataKeyId=dk)
    assert dk in e.message and "PendingDelete" in e.message
    assert dk_state(ca, dk) == "PendingDelete"


def test_enable_disable_data_keys_batch(ca):
    key_id = new_key_id(ca)
    ids = [hosted_id(ca, key_id) for _ in range(3)]
    call(ca, "DisableDataKeys", DataKeyIds=ids)
    assert [dk_state(ca, d) for d in ids] == ["Disabled"] * 3
    call(ca, "EnableDataKeys", DataKeyIds=ids[:2])
    assert [dk_state(ca, d) for d in ids] == ["Enabled", "Enabled", "Disabled"]
    call(ca, "EnableDataKeys", DataKeyIds=ids)
    assert [dk_state(ca, d) for d in ids] == ["Enabled"] * 3


@pytest.mark.parametrize("action, start", [("DisableDataKeys", "Enabled"), ("EnableDataKeys", "Disabled")])
def test_data_keys_batch_is_all_or_nothing(ca, cb, action, start):
    key_id = new_key_id(ca)
    ids = [dk_in_state(ca, key_id, start) for _ in range(2)]
    blocker = dk_in_state(ca, key_id, "PendingDelete")
    e = expect_error(STATE_NOT_SUPPORT, ca, action, DataKeyIds=[ids[0], blocker, ids[1]])
    assert blocker in e.message
    missing = random_uuid()
    e = expect_error(NOT_FOUND, ca, action, DataKeyIds=ids + [missing])
    assert missing in e.message
    foreign = hosted_id(cb, new_key_id(cb))
    expect_error(NOT_FOUND, ca, action, DataKeyIds=[ids[0], foreign])
    e = expect_error("InvalidParameterValue.DuplicatedDataKeyId", ca, action, DataKeyIds=[ids[0], ids[1], ids[0]])
    assert ids[0] in e.message
    expect_error("InvalidParameterValue.InvalidDataKeyId", ca, action, DataKeyIds=[ids[0], "bad"])
    expect_error("InvalidParameterValue", ca, action, DataKeyIds=[random_uuid() for _ in range(101)])
    assert [dk_state(ca, d) for d in ids] == [start, start], "nothing changed"
    assert dk_state(ca, blocker) == "PendingDelete"
    assert dk_state(cb, foreign) == "Enabled"


# ---------------------------------------------------------------- deletion


@pytest.mark.parametrize("days", [7, 30])
def test_schedule_data_key_deletion(ca, days):
    dk = dk_in_state(ca, new_key_id(ca), "Disabled")
    before = now()
    r = call(ca, "ScheduleDataKeyDeletion", DataKeyId=dk, PendingWindowInDays=days)
    after = now()
    assert r.DataKeyId == dk
    assert before + days * DAY - 2 <= r.DeletionDate <= after + days * DAY + 2
    m = dk_meta(ca, dk)
    assert (m.KeyState, m.DeletionDate) == ("PendingDelete", r.DeletionDate)


def test_schedule_deletion_of_an_enabled_data_key(ca):
    dk = hosted_id(ca, new_key_id(ca))
    e = expect_error(STATE_NOT_SUPPORT, ca, "ScheduleDataKeyDeletion", DataKeyId=dk, PendingWindowInDays=7)
    assert dk in e.message and "DisableDataKey" in e.message
    m = dk_meta(ca, dk)
    assert (m.KeyState, m.DeletionDate) == ("Enabled", 0)


def test_schedule_deletion_twice(ca):
    dk = dk_in_state(ca, new_key_id(ca), "PendingDelete")
    date = dk_meta(ca, dk).DeletionDate
    expect_error(STATE_NOT_SUPPORT, ca, "ScheduleDataKeyDeletion", DataKeyId=dk, PendingWindowInDays=30)
    assert dk_meta(ca, dk).DeletionDate == date


@pytest.mark.parametrize("days", [6, 31, 0, -7])
def test_schedule_data_key_deletion_window_out_of_range(ca, days):
    dk = dk_in_state(ca, new_key_id(ca), "Disabled")
    e = expect_error("InvalidParameter.InvalidPendingWindowInDays", ca, "ScheduleDataKeyDeletion",
                     DataKeyId=dk, PendingWindowInDays=days)
    assert "PendingWindowInDays" in e.message and str(days) in e.message
    assert dk_state(ca, dk) == "Disabled"


def test_schedule_data_key_deletion_requires_window(ca):
    dk = dk_in_state(ca, new_key_id(ca), "Disabled")
    e = expect_error("MissingParameter", ca, "ScheduleDataKeyDeletion", DataKeyId=dk)
    assert "PendingWindowInDays" in e.message


def test_cancel_data_key_deletion_returns_to_disabled(ca):
    key_id = new_key_id(ca)
    r = hosted(ca, key_id)
    call(ca, "DisableDataKey", DataKeyId=r.DataKeyId)
    call(ca, "ScheduleDataKeyDeletion", DataKeyId=r.DataKeyId, PendingWindowInDays=7)
    c = call(ca, "CancelDataKeyDeletion", DataKeyId=r.DataKeyId)
    assert c.DataKeyId == r.DataKeyId
    m = dk_meta(ca, r.DataKeyId)
    assert (m.KeyState, m.DeletionDate) == ("Disabled", 0)
    call(ca, "EnableDataKey", DataKeyId=r.DataKeyId)
    assert call(ca, "GetDataKeyPlaintext", DataKeyId=r.DataKeyId).Plaintext == r.Plaintext


@pytest.mark.parametrize("state", ["Enabled", "Disabled"])
def test_cancel_data_key_deletion_not_pending(ca, state):
    dk = dk_in_state(ca, new_key_id(ca), state)
    e = expect_error("ResourceUnavailable.DataKeyNotPendingDelete", ca, "CancelDataKeyDeletion", DataKeyId=dk)
    assert dk in e.message
    assert dk_state(ca, dk) == state


# ---------------------------------------------------------------- names and descriptions


def test_update_data_key_name(ca):
    key_id = new_key_id(ca)
    old = new_data_key_name("old")
    dk = hosted_id(ca, key_id, name=old)
    other = hosted_id(ca, key_id)
    new = new_data_key_name("new")
    call(ca, "UpdateDataKeyName", DataKeyId=dk, DataKeyName=new)
    assert dk_meta(ca, dk).DataKeyName == new
    # Renaming to its own name is fine; taking another key's name is not.
    call(ca, "UpdateDataKeyName", DataKeyId=dk, DataKeyName=new)
    e = expect_error("InvalidParameterValue.DataKeyNameAlreadyExists", ca, "UpdateDataKeyName",
                     DataKeyId=other, DataKeyName=new)
    assert new in e.message
    # The old name is free again.
    call(ca, "UpdateDataKeyName", DataKeyId=other, DataKeyName=old)
    assert dk_meta(ca, other).DataKeyName == old
    assert dk_meta(ca, dk).DataKeyName == new
    assert "DataKeyName" in expect_error("MissingParameter", ca, "UpdateDataKeyName", DataKeyId=dk).message
    expect_error(INVALID_NAME, ca, "UpdateDataKeyName", DataKeyId=dk, DataKeyName="")


def test_update_data_key_description(ca):
    dk = hosted_id(ca, new_key_id(ca), Description="before")
    call(ca, "UpdateDataKeyDescription", DataKeyId=dk, Description="after \u00e9")
    assert dk_meta(ca, dk).Description == "after \u00e9"
    call(ca, "UpdateDataKeyDescription", DataKeyId=dk, Description="d" * 100)
    assert dk_meta(ca, dk).Description == "d" * 100
    call(ca, "UpdateDataKeyDescription", DataKeyId=dk, Description="")
    assert dk_meta(ca, dk).Description == ""
    assert "Description" in expect_error("MissingParameter", ca, "UpdateDataKeyDescription", DataKeyId=dk).message


def test_metadata_changes_allowed_while_pending_delete(ca):
    dk = dk_in_state(ca, new_key_id(ca), "PendingDelete")
    name = new_data_key_name("pd")
    call(ca, "UpdateDataKeyName", DataKeyId=dk, DataKeyName=name)
    call(ca, "UpdateDataKeyDescription", DataKeyId=dk, Description="going away")
    m = dk_meta(ca, dk)
    assert (m.DataKeyName, m.Description, m.KeyState) == (name, "going away", "PendingDelete")


# ---------------------------------------------------------------- ImportDataKey


def test_import_ciphertext_blob(ca):
    key_id = new_key_id(ca)
    g = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=48)
    name = new_data_key_name("imp")
    r = call(ca, "ImportDataKey", DataKeyName=name, ImportType=1, ImportKeyMaterial=g.CiphertextBlob,
             Description="imported blob")
    assert UUID_RE.match(r.DataKeyId)
    assert r.KeyId == key_id
    m = dk_meta(ca, r.DataKeyId)
    assert (m.Origin, m.NumberOfBytes, m.KeyId, m.DataKeyName, m.Description, m.KeyState) == (
        "EXTERNAL", 48, key_id, name, "imported blob", "Enabled")
    assert call(ca, "GetDataKeyPlaintext", DataKeyId=r.DataKeyId).Plaintext == g.Plaintext
    assert call(ca, "GetDataKeyCiphertextBlob", DataKeyId=r.DataKeyId).CiphertextBlob == g.CiphertextBlob
    # With the matching KeyId too.
    r2 = call(ca, "ImportDataKey", DataKeyName=new_data_key_name(), ImportType=1,
              ImportKeyMaterial=g.CiphertextBlob, KeyId=key_id)
    assert r2.KeyId == key_id
    assert call(ca, "GetDataKeyPlaintext", DataKeyId=r2.DataKeyId).Plaintext == g.Plaintext


def test_import_ciphertext_blob_key_id_must_match(ca):
    key_id, other = new_key_id(ca), new_key_id(ca)
    g = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16)
    e = expect_error("InvalidParameterValue.InvalidKeyId", ca, "ImportDataKey", DataKeyName=new_data_key_name(),
                     ImportType=1, ImportKeyMaterial=g.CiphertextBlob, KeyId=other)
    assert other in e.message and key_id in e.message
    assert listed_ids(ca) == ([], 0)


def test_import_ciphertext_blob_refusals(ca, cb):
    key_id = new_key_id(ca)
    with_ctx = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16, EncryptionContext='{"a":"b"}')
    name = new_data_key_name()
    expect_error("InvalidParameterValue.InvalidCiphertext", ca, "ImportDataKey", DataKeyName=name,
                 ImportType=1, ImportKeyMaterial=with_ctx.CiphertextBlob)
    expect_error("InvalidParameterValue.InvalidCiphertext", ca, "ImportDataKey", DataKeyName=name,
                 ImportType=1, ImportKeyMaterial=b64(b"\x02" * 70))  # blob version 2
    foreign = call(cb, "GenerateDataKey", KeyId=new_key_id(cb), NumberOfBytes=16)
    expect_error("ResourceUnavailable.CmkNotFound", ca, "ImportDataKey", DataKeyName=name,
                 ImportType=1, ImportKeyMaterial=foreign.CiphertextBlob)
    e = expect_error("InvalidParameterValue.InvalidImportKeyMaterial", ca, "ImportDataKey", DataKeyName=name,
                     ImportType=1, ImportKeyMaterial="not base64!")
    assert "ImportKeyMaterial" in e.message
    assert listed_ids(ca) == ([], 0)


def test_import_ciphertext_blob_of_a_disabled_cmk(ca):
    key_id = new_key_id(ca)
    g = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16)
    call(ca, "DisableKey", KeyId=key_id)
    expect_error("ResourceUnavailable.CmkDisabled", ca, "ImportDataKey", DataKeyName=new_data_key_name(),
                 ImportType=1, ImportKeyMaterial=g.CiphertextBlob)


@pytest.mark.parametrize("n", [1, 16, 1024])
def test_import_plaintext(ca, n):
    key_id = new_key_id(ca)
    material = bytes((i * 13) % 256 for i in range(n))
    r = call(ca, "ImportDataKey", DataKeyName=new_data_key_name(), ImportType=2,
             ImportKeyMaterial=b64(material), KeyId=key_id)
    assert r.KeyId == key_id
    m = dk_meta(ca, r.DataKeyId)
    assert (m.Origin, m.NumberOfBytes, m.KeyId) == ("EXTERNAL", n, key_id)
    assert unb64(call(ca, "GetDataKeyPlaintext", DataKeyId=r.DataKeyId).Plaintext) == material
    blob = call(ca, "GetDataKeyCiphertextBlob", DataKeyId=r.DataKeyId).CiphertextBlob
    assert parse_blob(blob).key_id == key_id
    assert unb64(call(ca, "Decrypt", CiphertextBlob=blob).Plaintext) == material


def test_import_plaintext_refusals(ca):
    key_id = new_key_id(ca)
    name = new_data_key_name()
    e = expect_error("MissingParameter", ca, "ImportDataKey", DataKeyName=name, ImportType=2,
                     ImportKeyMaterial=b64(b"k" * 16))
    assert "KeyId" in e.message
    for material in (b"", b"k" * 1025):
        e = expect_error("InvalidParameterValue.InvalidImportKeyMaterial", ca, "ImportDataKey", DataKeyName=name,
                         ImportType=2, ImportKeyMaterial=b64(material), KeyId=key_id)
        assert str(len(material)) in e.message
    for text in ("not base64!", "aGk", "a-_="):
        expect_error("InvalidParameterValue.InvalidImportKeyMaterial", ca, "ImportDataKey", DataKeyName=name,
                     ImportType=2, ImportKeyMaterial=text, KeyId=key_id)
    expect_error("InvalidParameterValue.InvalidKeyId", ca, "ImportDataKey", DataKeyName=name, ImportType=2,
                 ImportKeyMaterial=b64(b"k" * 16), KeyId="nope")
    expect_error("ResourceUnavailable.CmkNotFound", ca, "ImportDataKey", DataKeyName=name, ImportType=2,
                 ImportKeyMaterial=b64(b"k" * 16), KeyId=random_uuid())
    disabled = key_in_state(ca, "Disabled")
    expect_error("ResourceUnavailable.CmkDisabled", ca, "ImportDataKey", DataKeyName=name, ImportType=2,
                 ImportKeyMaterial=b64(b"k" * 16), KeyId=disabled)
    assert listed_ids(ca) == ([], 0)


# ImportDataKey documents CmkDisabled, KeyPendingDelete and CmkArchived, so each state
# gets its own code (errors.rs `state_code`); PendingImport gets the generic one.
IMPORT_STATE_CODES = {
    "Disabled": "ResourceUnavailable.CmkDisabled",
    "PendingDelete": "ResourceUnavailable.KeyPendingDelete",
    "Archived": "ResourceUnavailable.CmkArchived",
    "PendingImport": "ResourceUnavailable.CmkStateNotSupport",
}


@pytest.mark.parametrize("state", sorted(IMPORT_STATE_CODES))
def test_import_plaintext_refused_by_cmk_state(ca, state):
    key_id = key_in_state(ca, state)
    e = expect_error(IMPORT_STATE_CODES[state], ca, "ImportDataKey", DataKeyName=new_data_key_name(),
                     ImportType=2, ImportKeyMaterial=b64(b"k" * 16), KeyId=key_id)
    assert key_id in e.message and state in e.message
    assert listed_ids(ca) == ([], 0)


def test_import_ciphertext_blob_of_an_archived_cmk(ca):
    """An archived CMK still decrypts the blob, but takes no new data keys."""
    key_id = new_key_id(ca)
    g = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16)
    call(ca, "ArchiveKey", KeyId=key_id)
    e = expect_error("ResourceUnavailable.CmkArchived", ca, "ImportDataKey", DataKeyName=new_data_key_name(),
                     ImportType=1, ImportKeyMaterial=g.CiphertextBlob)
    assert key_id in e.message
    assert listed_ids(ca) == ([], 0)


@pytest.mark.parametrize("import_type", [0, 3, -1])
def test_import_invalid_type(ca, import_type):
    key_id = new_key_id(ca)
    e = expect_error("InvalidParameterValue.InvalidType", ca, "ImportDataKey", DataKeyName=new_data_key_name(),
                     ImportType=import_type, ImportKeyMaterial=b64(b"k" * 16), KeyId=key_id)
    assert "ImportType" in e.message and str(import_type) in e.message


def test_import_requires_fields(ca):
    key_id = new_key_id(ca)
    m = b64(b"k" * 16)
    assert "ImportType" in expect_error("MissingParameter", ca, "ImportDataKey", DataKeyName=new_data_key_name(),
                                        ImportKeyMaterial=m, KeyId=key_id).message
    assert "DataKeyName" in expect_error("MissingParameter", ca, "ImportDataKey", ImportType=2,
                                         ImportKeyMaterial=m, KeyId=key_id).message
    assert "ImportKeyMaterial" in expect_error("MissingParameter", ca, "ImportDataKey",
                                               DataKeyName=new_data_key_name(), ImportType=2,
                                               KeyId=key_id).message


# ---------------------------------------------------------------- ids and scopes


DATA_KEY_ACTIONS = [
    ("DescribeDataKey", {}),
    ("GetDataKeyPlaintext", {}),
    ("GetDataKeyCiphertextBlob", {}),
    ("EnableDataKey", {}),
    ("DisableDataKey", {}),
    ("CancelDataKeyDeletion", {}),
    ("ScheduleDataKeyDeletion", {"PendingWindowInDays": 7}),
    ("UpdateDataKeyName", {"DataKeyName": "renamed"}),
    ("UpdateDataKeyDescription", {"Description": "d"}),
]


@pytest.mark.parametrize("action, extra", DATA_KEY_ACTIONS, ids=[a for a, _ in DATA_KEY_ACTIONS])
@pytest.mark.parametrize("bad", ["nope", "1b7c6a3e2f0d4c5b9a8e0d1f2e3c4b5a", ""])
def test_malformed_data_key_id(ca, action, extra, bad):
    e = expect_error("InvalidParameterValue.InvalidDataKeyId", ca, action, DataKeyId=bad, **extra)
    assert "DataKeyId" in e.message


@pytest.mark.parametrize("action, extra", DATA_KEY_ACTIONS, ids=[a for a, _ in DATA_KEY_ACTIONS])
def test_unknown_and_foreign_data_keys(ca, cb, action, extra):
    missing = random_uuid()
    e = expect_error(NOT_FOUND, ca, action, DataKeyId=missing, **extra)
    assert missing in e.message
    # Another account's data key answers exactly the same.
    foreign = hosted_id(cb, new_key_id(cb))
    e2 = expect_error(NOT_FOUND, ca, action, DataKeyId=foreign, **extra)
    assert e2.message == e.message.replace(missing, foreign)
    m = dk_meta(cb, foreign)
    assert (m.KeyState, m.DeletionDate) == ("Enabled", 0)
    assert m.DataKeyName != "renamed" and m.Description == ""


def test_another_regions_data_key_is_not_found(smkms, method, ca):
    dk = hosted_id(ca, new_key_id(ca))
    other = smkms.client(smkms.server.create_credential(uin=smkms.a.uin), new_region(), method)
    expect_error(NOT_FOUND, other, "DescribeDataKey", DataKeyId=dk)
    expect_error(NOT_FOUND, other, "GetDataKeyPlaintext", DataKeyId=dk)
    assert dk_state(ca, dk) == "Enabled"


def test_key_name_follows_the_cmk_alias(ca):
    alias = new_alias("before")
    key_id = call(ca, "CreateKey", Alias=alias).KeyId
    dk = hosted_id(ca, key_id)
    assert dk_meta(ca, dk).KeyName == alias
    renamed = new_alias("after")
    call(ca, "UpdateAlias", KeyId=key_id, Alias=renamed)
    assert dk_meta(ca, dk).KeyName == renamed
    assert describe(ca, key_id).Alias == renamed


# ---------------------------------------------------------------- GetServiceStatus and limit


def test_service_status_counts_the_accounts_hosted_keys(smkms, method):
    """A fresh account: DataKeyUsedCount counts its hosted data keys (all states, both
    origins, all regions: the limit is per account)."""
    cred = smkms.server.create_credential()
    c1 = smkms.client(cred, new_region(), method)
    s = call(c1, "GetServiceStatus")
    assert (s.IsAllowedDataKeyHosted, s.DataKeyUsedCount, s.DataKeyLimit) == (True, 0, 10000)
    key_id = new_key_id(c1)
    hosted_id(c1, key_id)
    dk_in_state(c1, key_id, "PendingDelete")
    call(c1, "ImportDataKey", DataKeyName=new_data_key_name(), ImportType=2, KeyId=key_id,
         ImportKeyMaterial=b64(b"s" * 16))
    call(c1, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16)  # not hosted: not counted
    assert call(c1, "GetServiceStatus").DataKeyUsedCount == 3
    c2 = smkms.client(smkms.server.create_credential(uin=cred.uin), new_region(), method)
    hosted_id(c2, new_key_id(c2))
    assert call(c2, "GetServiceStatus").DataKeyUsedCount == 4
    assert call(c1, "DescribeKey", KeyId=key_id).KeyMetadata.KeyId == key_id
    s = call(c1, "GetServiceStatus")
    assert (s.DataKeyUsedCount, s.DataKeyLimit) == (4, 10000)


DATA_KEY_LIMIT_CONFIG = """
[limits]
data_keys_per_account = 2
"""


def test_data_key_limit_per_account(spawn_server):
    env = spawn_server(DATA_KEY_LIMIT_CONFIG)
    region = new_region()
    ca = env.client(env.a, region, "POST")
    key_id = new_key_id(ca)
    first = hosted(ca, key_id)
    call(ca, "ImportDataKey", DataKeyName=new_data_key_name(), ImportType=2, KeyId=key_id,
         ImportKeyMaterial=b64(b"2" * 16))
    s = call(ca, "GetServiceStatus")
    assert (s.IsAllowedDataKeyHosted, s.DataKeyUsedCount, s.DataKeyLimit) == (True, 2, 2)
    e = expect_error("LimitExceeded.DataKeyLimitExceeded", ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16,
                     IsHostedByKms=1, DataKeyName=new_data_key_name())
    assert "2" in e.message
    expect_error("LimitExceeded.DataKeyLimitExceeded", ca, "ImportDataKey", DataKeyName=new_data_key_name(),
                 ImportType=2, KeyId=key_id, ImportKeyMaterial=b64(b"3" * 16))
    g = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16)  # not hosted: fine
    expect_error("LimitExceeded.DataKeyLimitExceeded", ca, "ImportDataKey", DataKeyName=new_data_key_name(),
                 ImportType=1, ImportKeyMaterial=g.CiphertextBlob)
    assert listed_ids(ca)[1] == 2
    # All regions of the account count together (its own credential: see test_tencent_replay.py).
    other = env.client(env.a2, new_region(), "GET")
    expect_error("LimitExceeded.DataKeyLimitExceeded", other, "GenerateDataKey", KeyId=new_key_id(other),
                 NumberOfBytes=16, IsHostedByKms=1, DataKeyName=new_data_key_name())
    assert call(other, "GetServiceStatus").DataKeyUsedCount == 2
    # Another account has its own allowance.
    cb = env.client(env.b, region, "POST")
    hosted_id(cb, new_key_id(cb))
    assert call(cb, "GetServiceStatus").DataKeyUsedCount == 1
    # The existing keys still work at the limit.
    assert call(ca, "GetDataKeyPlaintext", DataKeyId=first.DataKeyId).Plaintext == first.Plaintext
