"""Signature v1 on the API 3.0 endpoint: the official Python SDK with
ClientProfile(signMethod="HmacSHA1" | "HmacSHA256"), over POST (form-encoded) and GET.

The SDK flattens the action's parameters (`KeyIds.0`, `Tags.0.TagKey`), signs them with
the common ones (Action, Version, Region, Timestamp, Nonce, SecretId, SignatureMethod),
and puts everything in the form or the query string. The same keys are reachable
through TC3: a key made over v1 is the same key.
"""

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kmstest import call, describe, expect_error, new_alias, new_key_id, new_region, unb64


@pytest.fixture(params=["HmacSHA1", "HmacSHA256"])
def sign_method(request):
    return request.param


@pytest.fixture
def v1(smkms, cred_a, method, sign_method):
    return smkms.client(cred_a, new_region(), method, sign_method=sign_method)


def test_envelope_round_trip(v1):
    key_id = new_key_id(v1, Description="over v1")
    assert describe(v1, key_id).Description == "over v1"
    secret = base64.b64encode(b"the payroll database password").decode()
    ctx = '{"app":"payroll"}'
    enc = call(v1, "Encrypt", KeyId=key_id, Plaintext=secret, EncryptionContext=ctx)
    dec = call(v1, "Decrypt", CiphertextBlob=enc.CiphertextBlob, EncryptionContext=ctx)
    assert dec.Plaintext == secret and dec.KeyId == key_id
    gdk = call(v1, "GenerateDataKey", KeyId=key_id, NumberOfBytes=32)
    assert len(unb64(gdk.Plaintext)) == 32
    again = call(v1, "Decrypt", CiphertextBlob=gdk.CiphertextBlob)
    assert again.Plaintext == gdk.Plaintext


def test_delivery_to_an_rsa_key(v1):
    key_id = new_key_id(v1)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    r = call(v1, "GenerateDataKey", KeyId=key_id, NumberOfBytes=24,
             EncryptionPublicKey=public, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    key = private.decrypt(unb64(r.Plaintext), oaep)
    assert len(key) == 24
    assert unb64(call(v1, "Decrypt", CiphertextBlob=r.CiphertextBlob).Plaintext) == key


def test_flattened_lists_and_tags(v1):
    """More than ten ids: `KeyIds.10` must follow `KeyIds.9`, not `KeyIds.1`."""
    ids = [new_key_id(v1) for _ in range(12)]
    got = call(v1, "DescribeKeys", KeyIds=ids).KeyMetadatas
    assert [k.KeyId for k in got] == ids
    tagged = new_key_id(v1, Tags=[{"TagKey": "team", "TagValue": "pay"}, {"TagKey": "env", "TagValue": "prod"}])
    listed = call(v1, "ListKeyDetail", TagFilters=[{"TagKey": "team", "TagValue": ["pay"]}]).KeyMetadatas
    assert [k.KeyId for k in listed] == [tagged]


def test_same_key_through_tc3(smkms, cred_a, v1):
    alias = new_alias("both")
    key_id = new_key_id(v1, Alias=alias)
    tc3 = smkms.client(cred_a, v1.region)
    assert describe(tc3, key_id).Alias == alias


def test_errors_keep_their_codes(v1):
    expect_error("ResourceUnavailable.CmkNotFound", v1, "DescribeKey",
                 KeyId="00000000-0000-4000-8000-000000000000")
    expect_error("InvalidParameterValue.InvalidKeyId", v1, "DescribeKey", KeyId="not-an-id")


def test_a_wrong_secret_key_is_refused(smkms, cred_a, method, sign_method):
    from kmstest import Cred
    wrong = Cred(cred_a.secret_id, "x" * len(cred_a.secret_key), cred_a.uin)
    c = smkms.client(wrong, new_region(), method, sign_method=sign_method)
    expect_error("AuthFailure.SignatureFailure", c, "GetServiceStatus")
