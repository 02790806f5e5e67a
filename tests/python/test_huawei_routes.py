"""Huawei KMS through the official huaweicloudsdkkms SDK, beyond the key lifecycle and
crypto: key rotation, re-encrypt, key tags, API version discovery (GET / and GET /v1.0
on the port Tencent API 3.0 also uses), and the v2 cross-region paths, which are not
implemented and must reach the SDK as a Huawei error, never as a success or a Tencent
body."""

import json

import pytest
from huaweicloudsdkcore.exceptions import exceptions

import huaweitest as hw
import huaweicloudsdkkms.v2 as kms
from huaweitest import call, create_key

from kmstest import call as tc_call


@pytest.fixture
def c(smkms, cred_a, region):
    """Account A's Huawei client in the test's own project."""
    return hw.make_client(smkms.port, cred_a, region)


def op(key_id):
    return kms.OperateKeyRequestBody(key_id=key_id, sequence=hw.SEQUENCE)


def rotation_status(c, key_id):
    return c.show_key_rotation_status(kms.ShowKeyRotationStatusRequest(body=op(key_id)))


def raises(status, code, fn, *args):
    with pytest.raises(exceptions.ClientRequestException) as ei:
        fn(*args)
    e = ei.value
    assert (e.status_code, e.error_code) == (status, code), f"{e.status_code} {e.error_code}: {e.error_msg}"
    assert e.error_msg
    return e


# ------------------------------------------------------------------ version discovery


def test_show_versions_and_show_version(c, smkms):
    r = c.show_versions(kms.ShowVersionsRequest())
    assert r.status_code == 200
    assert [v.id for v in r.versions] == ["v1.0"]
    v = r.versions[0]
    assert v.status == "CURRENT"
    assert v.links[0].rel == "self"
    assert v.links[0].href == f"http://127.0.0.1:{smkms.port}/v1.0/"
    one = c.show_version(kms.ShowVersionRequest(version_id="v1.0"))
    assert one.version["id"] == "v1.0"
    raises(404, "KMS.0201", c.show_version, kms.ShowVersionRequest(version_id="v9.9"))


def test_tencent_get_and_post_on_slash_still_work(smkms, cred_a, region, c):
    """The Huawei version list on GET / leaves Tencent's GET /?… and POST / alone."""
    for method in ("GET", "POST"):
        tc = smkms.client(cred_a, region, method)
        r = tc_call(tc, "GenerateRandom", NumberOfBytes=16)
        assert r.Plaintext
    assert c.show_versions(kms.ShowVersionsRequest()).versions[0].id == "v1.0"


# ------------------------------------------------------------------ v2 (not served)


def test_v2_regions_and_replicate_raise_huawei_errors(c):
    key_id = create_key(c)
    raises(400, "KMS.0201", c.list_support_regions, kms.ListSupportRegionsRequest(limit=10, offset=0))
    body = kms.ReplicateKeyRequestBody(key_id=key_id, replica_region="cn-north-4", key_alias=hw.new_alias())
    e = raises(400, "KMS.0201", c.replicate_key, kms.ReplicateKeyRequest(key_id=key_id, body=body))
    assert "not implemented" in e.error_msg
    body = kms.UpdatePrimaryRegionRequestBody(primary_region="cn-north-4")
    raises(400, "KMS.0201", c.update_primary_region, kms.UpdatePrimaryRegionRequest(key_id=key_id, body=body))


# ------------------------------------------------------------------ rotation


def test_rotation_enable_interval_rotate_disable(c):
    key_id = create_key(c)
    s = rotation_status(c, key_id)
    assert (s.key_rotation_enabled, s.rotation_interval, s.number_of_rotations) == (False, 365, 0)
    blob = call(c, "encrypt-data", key_id=key_id, plain_text="old").cipher_text

    assert c.enable_key_rotation(kms.EnableKeyRotationRequest(body=op(key_id))).status_code == 200
    assert rotation_status(c, key_id).key_rotation_enabled is True
    raises(400, "KMS.2901", c.enable_key_rotation, kms.EnableKeyRotationRequest(body=op(key_id)))

    body = kms.UpdateKeyRotationIntervalRequestBody(key_id=key_id, rotation_interval=90, sequence=hw.SEQUENCE)
    c.update_key_rotation_interval(kms.UpdateKeyRotationIntervalRequest(body=body))
    assert rotation_status(c, key_id).rotation_interval == 90
    body = kms.UpdateKeyRotationIntervalRequestBody(key_id=key_id, rotation_interval=7)
    raises(400, "KMS.3001", c.update_key_rotation_interval, kms.UpdateKeyRotationIntervalRequest(body=body))

    r = c.rotate_on_demand(kms.RotateOnDemandRequest(body=kms.RotateOnDemandRequestBody(key_id=key_id)))
    assert r.key_id == key_id
    s = rotation_status(c, key_id)
    assert s.number_of_rotations == 1
    assert int(s.last_rotation_time) > 0
    assert call(c, "decrypt-data", cipher_text=blob).plain_text == "old"

    c.disable_key_rotation(kms.DisableKeyRotationRequest(body=op(key_id)))
    assert rotation_status(c, key_id).key_rotation_enabled is False
    raises(400, "KMS.0313", c.disable_key_rotation, kms.DisableKeyRotationRequest(body=op(key_id)))
    raises(404, "KMS.0207", rotation_status, c, hw.MISSING_KEY)


def test_rotation_refused_for_imported_keys(c):
    key_id = create_key(c, origin="external")
    raises(400, "KMS.0312", c.enable_key_rotation, kms.EnableKeyRotationRequest(body=op(key_id)))


# ------------------------------------------------------------------ re-encrypt


def test_re_encrypt_data_and_data_keys(c):
    a, b = create_key(c), create_key(c, key_spec="SM4")
    blob = call(c, "encrypt-data", key_id=a, plain_text="move me", additional_authenticated_data="one").cipher_text
    body = kms.ReEncryptRequestBody(
        source_key_id=a,
        source_additional_authenticated_data="one",
        destination_key_id=b,
        destination_additional_authenticated_data="two",
        cipher_text=blob,
    )
    r = c.re_encrypt(kms.ReEncryptRequest(body=body))
    assert (r.key_id, r.source_key_id) == (b, a)
    assert r.destination_encryption_algorithm == "SYMMETRIC_DEFAULT"
    d = call(c, "decrypt-data", cipher_text=r.cipher_text, additional_authenticated_data="two")
    assert (d.plain_text, d.key_id) == ("move me", b)

    dk = call(c, "create-datakey", key_id=a, datakey_length="128")
    body = kms.ReEncryptRequestBody(destination_key_id=b, cipher_text=dk.cipher_text, datakey_cipher_length="16")
    r = c.re_encrypt(kms.ReEncryptRequest(body=body))
    back = call(c, "decrypt-datakey", key_id=b, cipher_text=r.cipher_text, datakey_cipher_length="16")
    assert back.data_key == dk.plain_text

    body = kms.ReEncryptRequestBody(source_key_id=b, destination_key_id=b, cipher_text=blob,
                                    source_additional_authenticated_data="one")
    raises(400, "KMS.0308", c.re_encrypt, kms.ReEncryptRequest(body=body))


# ------------------------------------------------------------------ tags


def test_key_tags_create_show_batch_delete(c):
    key_id = create_key(c)
    tag = kms.TagItem(key="env", value="prod")
    r = c.create_kms_tag(kms.CreateKmsTagRequest(key_id=key_id, body=kms.CreateKmsTagRequestBody(tag=tag)))
    assert r.status_code == 200
    shown = c.show_kms_tags(kms.ShowKmsTagsRequest(key_id=key_id))
    assert [(t.key, t.value) for t in shown.tags] == [("env", "prod")]
    assert shown.exist_tags_num == 1

    body = kms.BatchCreateKmsTagsRequestBody(
        action="create", tags=[kms.TagItem(key="team", value="sec"), kms.TagItem(key="a b/c", value="")]
    )
    c.batch_create_kms_tags(kms.BatchCreateKmsTagsRequest(key_id=key_id, body=body))
    # The SDK percent-encodes the tag key in the URL.
    c.delete_tag(kms.DeleteTagRequest(key_id=key_id, key="a b/c"))
    raises(404, "KMS.0416", c.delete_tag, kms.DeleteTagRequest(key_id=key_id, key="a b/c"))
    body = kms.BatchCreateKmsTagsRequestBody(action="delete", tags=[kms.TagItem(key="team")])
    c.batch_create_kms_tags(kms.BatchCreateKmsTagsRequest(key_id=key_id, body=body))
    shown = c.show_kms_tags(kms.ShowKmsTagsRequest(key_id=key_id))
    assert json.loads(shown.raw_content) == {"tags": [{"key": "env", "value": "prod"}], "existTagsNum": 1}

    bad = kms.CreateKmsTagRequestBody(tag=kms.TagItem(key="x*y", value="v"))
    raises(400, "KMS.0406", c.create_kms_tag, kms.CreateKmsTagRequest(key_id=key_id, body=bad))
    raises(404, "KMS.0207", c.show_kms_tags, kms.ShowKmsTagsRequest(key_id=hw.MISSING_KEY))


def test_project_tags_and_keys_by_tag(c):
    k1, k2 = create_key(c, key_alias="alpha-" + hw.new_alias()), create_key(c)
    for key_id, value in ((k1, "prod"), (k2, "dev")):
        body = kms.CreateKmsTagRequestBody(tag=kms.TagItem(key="env", value=value))
        c.create_kms_tag(kms.CreateKmsTagRequest(key_id=key_id, body=body))
    tags = c.list_kms_tags(kms.ListKmsTagsRequest()).tags
    assert [(t.key, t.values) for t in tags] == [("env", ["dev", "prod"])]

    body = kms.ListKmsByTagsRequestBody(action="filter", limit="10", offset="0",
                                        tags=[kms.Tag(key="env", values=["prod"])])
    r = c.list_kms_by_tags(kms.ListKmsByTagsRequest(resource_instances="resource_instances", body=body))
    assert r.total_count == 1
    assert r.resources[0].resource_id == k1
    assert r.resources[0].resource_detail.key_id == k1
    assert [(t.key, t.value) for t in r.resources[0].tags] == [("env", "prod")]
    body = kms.ListKmsByTagsRequestBody(action="count", tags=[kms.Tag(key="env", values=[])])
    r = c.list_kms_by_tags(kms.ListKmsByTagsRequest(resource_instances="resource_instances", body=body))
    assert r.total_count == 2
    body = kms.ListKmsByTagsRequestBody(action="filter", matches=[kms.TagItem(key="resource_name", value="alpha-")])
    r = c.list_kms_by_tags(kms.ListKmsByTagsRequest(resource_instances="resource_instances", body=body))
    assert [x.resource_id for x in r.resources] == [k1]
