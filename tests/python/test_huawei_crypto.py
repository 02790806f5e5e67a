"""Huawei KMS v1.0 through the official huaweicloudsdkkms SDK: encrypt-data,
decrypt-data, create-datakey, create-datakey-without-plaintext, encrypt-datakey and
decrypt-datakey, including additional_authenticated_data and the DEK digests."""

import base64
import json
import os

import pytest

import huaweitest as hw
from huaweitest import call, client_error, create_key


@pytest.fixture
def c(smkms, cred_a, region):
    return hw.make_client(smkms.port, cred_a, region)


@pytest.fixture(params=["AES_256", "SM4"])
def key(request, c):
    return create_key(c, key_spec=request.param)


# ---------------------------------------------------------------- encrypt-data / decrypt-data


@pytest.mark.parametrize("text", ["hello", "中文 and emoji \U0001F510", "x" * 4096, "\x00\x01 control"])
def test_encrypt_decrypt_data_round_trip(c, key, text):
    e = call(c, "encrypt-data", key_id=key, plain_text=text)
    assert e.key_id == key
    raw = base64.b64decode(e.cipher_text, validate=True)
    assert text.encode() not in raw
    d = call(c, "decrypt-data", cipher_text=e.cipher_text)
    assert d.key_id == key
    assert d.plain_text == text
    assert base64.b64decode(d.plain_text_base64) == text.encode()


def test_decrypt_data_with_key_id_and_algorithm(c, key):
    ct = call(c, "encrypt-data", key_id=key, plain_text="p", encryption_algorithm="SYMMETRIC_DEFAULT").cipher_text
    assert call(c, "decrypt-data", cipher_text=ct, key_id=key, encryption_algorithm="SYMMETRIC_DEFAULT").plain_text == "p"
    other = create_key(c)
    client_error(400, "KMS.0308", c, "decrypt-data", cipher_text=ct, key_id=other)
    client_error(400, "KMS.0205", c, "decrypt-data", cipher_text=ct, key_id="bad")


def test_additional_authenticated_data(c, key):
    ct = call(c, "encrypt-data", key_id=key, plain_text="secret",
              additional_authenticated_data="order-42").cipher_text
    assert call(c, "decrypt-data", cipher_text=ct, additional_authenticated_data="order-42").plain_text == "secret"
    client_error(400, "KMS.0308", c, "decrypt-data", cipher_text=ct)
    client_error(400, "KMS.0308", c, "decrypt-data", cipher_text=ct, additional_authenticated_data="order-43")
    # An empty AAD is no AAD.
    ct = call(c, "encrypt-data", key_id=key, plain_text="s", additional_authenticated_data="").cipher_text
    assert call(c, "decrypt-data", cipher_text=ct).plain_text == "s"
    client_error(400, "KMS.0308", c, "encrypt-data", key_id=key, plain_text="s",
                 additional_authenticated_data="a" * 129)
    call(c, "encrypt-data", key_id=key, plain_text="s", additional_authenticated_data="a" * 128)


def test_encrypt_data_refusals(c, key):
    client_error(400, "KMS.0308", c, "encrypt-data", key_id=key, plain_text="")
    client_error(400, "KMS.0308", c, "encrypt-data", key_id=key, plain_text="x" * 4097)
    client_error(400, "KMS.0204", c, "encrypt-data", key_id=key)
    client_error(404, "KMS.0207", c, "encrypt-data", key_id=hw.MISSING_KEY, plain_text="x")
    for alg in ["RSAES_OAEP_SHA_256", "SM2_ENCRYPT"]:
        client_error(400, "KMS.2105", c, "encrypt-data", key_id=key, plain_text="x", encryption_algorithm=alg)
    client_error(400, "KMS.0308", c, "encrypt-data", key_id=key, plain_text="x", encryption_algorithm="ROT13")


def test_decrypt_data_refusals(c, key):
    ct = call(c, "encrypt-data", key_id=key, plain_text="p").cipher_text
    raw = bytearray(base64.b64decode(ct))
    raw[-1] ^= 1
    client_error(400, "KMS.0308", c, "decrypt-data", cipher_text=base64.b64encode(bytes(raw)).decode())
    client_error(400, "KMS.0308", c, "decrypt-data", cipher_text="not base64!")
    client_error(400, "KMS.0204", c, "decrypt-data")


def test_disabled_and_pending_keys(c, key):
    ct = call(c, "encrypt-data", key_id=key, plain_text="p").cipher_text
    call(c, "disable-key", key_id=key)
    client_error(400, "KMS.0209", c, "encrypt-data", key_id=key, plain_text="p")
    client_error(400, "KMS.0209", c, "decrypt-data", cipher_text=ct)
    client_error(400, "KMS.0209", c, "create-datakey", key_id=key)
    call(c, "schedule-key-deletion", key_id=key, pending_days="7")
    client_error(400, "KMS.0210", c, "encrypt-data", key_id=key, plain_text="p")
    client_error(400, "KMS.0210", c, "decrypt-data", cipher_text=ct)
    client_error(400, "KMS.0210", c, "create-datakey-without-plaintext", key_id=key)
    call(c, "cancel-key-deletion", key_id=key)
    call(c, "enable-key", key_id=key)
    assert call(c, "decrypt-data", cipher_text=ct).plain_text == "p"


# ---------------------------------------------------------------- data keys


@pytest.mark.parametrize("fields, nbytes", [
    ({}, 32),
    ({"key_spec": "AES_256"}, 32),
    ({"key_spec": "AES_128"}, 16),
    ({"key_spec": "SM4"}, 16),
    ({"key_spec": "HMAC_384"}, 48),
    ({"datakey_length": "512"}, 64),
    ({"datakey_length": "8"}, 1),
    ({"datakey_length": "8192"}, 1024),
    ({"key_spec": "AES_128", "datakey_length": "256"}, 32),
])
def test_create_datakey_lengths(c, key, fields, nbytes):
    r = call(c, "create-datakey", key_id=key, **fields)
    assert r.key_id == key
    dek = bytes.fromhex(r.plain_text)
    assert len(dek) == nbytes
    assert r.plain_text == r.plain_text.upper() and r.cipher_text == r.cipher_text.upper()
    back = call(c, "decrypt-datakey", key_id=key, cipher_text=r.cipher_text, datakey_cipher_length=str(nbytes))
    assert bytes.fromhex(back.data_key) == dek
    assert back.datakey_length == str(nbytes)
    assert back.datakey_dgst == hw.sha256(dek).hex()


def test_create_datakey_without_plaintext(c, key):
    r = call(c, "create-datakey-without-plaintext", key_id=key, datakey_length="256",
             additional_authenticated_data="aad", sequence=hw.SEQUENCE)
    assert r.key_id == key
    assert set(json.loads(r.raw_content)) == {"key_id", "cipher_text"}
    back = call(c, "decrypt-datakey", key_id=key, cipher_text=r.cipher_text,
                datakey_cipher_length="32", additional_authenticated_data="aad")
    assert len(bytes.fromhex(back.data_key)) == 32
    client_error(400, "KMS.2201", c, "decrypt-datakey", key_id=key, cipher_text=r.cipher_text,
                 datakey_cipher_length="32")


def test_create_datakey_refusals(c, key):
    client_error(400, "KMS.1901", c, "create-datakey", key_id=key, datakey_length="0")
    client_error(400, "KMS.1901", c, "create-datakey", key_id=key, datakey_length="8200")
    client_error(400, "KMS.1903", c, "create-datakey", key_id=key, datakey_length="100")
    client_error(400, "KMS.1902", c, "create-datakey", key_id=key, key_spec="RSA_2048")
    client_error(400, "KMS.1901", c, "create-datakey-without-plaintext", key_id=key, datakey_length="x")
    client_error(400, "KMS.0204", c, "create-datakey")
    client_error(404, "KMS.0207", c, "create-datakey", key_id=hw.MISSING_KEY)


def digest_for(spec, dek):
    return hw.sm3(dek) if spec == "SM4" else hw.sha256(dek)


@pytest.mark.parametrize("spec", ["AES_256", "SM4"])
@pytest.mark.parametrize("n", [1, 16, 64, 1024])
def test_encrypt_datakey_round_trip(c, spec, n):
    key = create_key(c, key_spec=spec)
    dek = os.urandom(n)
    plain = (dek + digest_for(spec, dek)).hex()
    r = call(c, "encrypt-datakey", key_id=key, plain_text=plain, datakey_plain_length=str(n))
    assert (r.key_id, r.datakey_length) == (key, str(n))
    back = call(c, "decrypt-datakey", key_id=key, cipher_text=r.cipher_text, datakey_cipher_length=str(n))
    assert bytes.fromhex(back.data_key) == dek
    assert back.datakey_dgst == hw.sha256(dek).hex()


def test_encrypt_datakey_digest_follows_the_key(c):
    dek = os.urandom(64)
    aes = create_key(c, key_spec="AES_256")
    sm4 = create_key(c, key_spec="SM4")
    # SHA-256 for AES keys, SM3 for SM4 keys; the other digest is refused.
    e = client_error(400, "KMS.2103", c, "encrypt-datakey", key_id=aes,
                     plain_text=(dek + hw.sm3(dek)).hex(), datakey_plain_length="64")
    assert "SHA-256" in e.error_msg
    e = client_error(400, "KMS.2103", c, "encrypt-datakey", key_id=sm4,
                     plain_text=(dek + hw.sha256(dek)).hex(), datakey_plain_length="64")
    assert "SM3" in e.error_msg
    # Upper-case hex is hex too.
    call(c, "encrypt-datakey", key_id=sm4, plain_text=(dek + hw.sm3(dek)).hex().upper(), datakey_plain_length="64")


def test_encrypt_datakey_refusals(c):
    key = create_key(c)
    dek = os.urandom(32)
    good = (dek + hw.sha256(dek)).hex()
    client_error(400, "KMS.2101", c, "encrypt-datakey", key_id=key, plain_text="zz" + good[2:], datakey_plain_length="32")
    client_error(400, "KMS.2101", c, "encrypt-datakey", key_id=key, plain_text=good[:-1], datakey_plain_length="32")
    client_error(400, "KMS.2102", c, "encrypt-datakey", key_id=key, plain_text=good, datakey_plain_length="0")
    client_error(400, "KMS.2102", c, "encrypt-datakey", key_id=key, plain_text=good, datakey_plain_length="1025")
    client_error(400, "KMS.2104", c, "encrypt-datakey", key_id=key, plain_text=good, datakey_plain_length="31")
    client_error(400, "KMS.2103", c, "encrypt-datakey", key_id=key, plain_text=(dek + bytes(32)).hex(), datakey_plain_length="32")
    client_error(400, "KMS.0204", c, "encrypt-datakey", key_id=key, plain_text=good)
    client_error(400, "KMS.0308", c, "encrypt-datakey", key_id=key, plain_text=good, datakey_plain_length="32", key_spec="RSA_2048")
    client_error(404, "KMS.0207", c, "encrypt-datakey", key_id=hw.MISSING_KEY, plain_text=good, datakey_plain_length="32")


def test_decrypt_datakey_refusals(c):
    key = create_key(c)
    other = create_key(c)
    r = call(c, "create-datakey", key_id=key, datakey_length="256")
    ok = {"key_id": key, "cipher_text": r.cipher_text, "datakey_cipher_length": "32"}
    client_error(400, "KMS.2201", c, "decrypt-datakey", **{**ok, "cipher_text": "xyz"})
    client_error(400, "KMS.2201", c, "decrypt-datakey", **{**ok, "cipher_text": r.cipher_text[:-2]})
    client_error(400, "KMS.2201", c, "decrypt-datakey", **{**ok, "key_id": other})
    client_error(400, "KMS.2201", c, "decrypt-datakey", **ok, additional_authenticated_data="x")
    client_error(400, "KMS.2202", c, "decrypt-datakey", **{**ok, "datakey_cipher_length": "0"})
    client_error(400, "KMS.2202", c, "decrypt-datakey", **{**ok, "datakey_cipher_length": "2000"})
    client_error(400, "KMS.2204", c, "decrypt-datakey", **{**ok, "datakey_cipher_length": "16"})
    client_error(404, "KMS.0207", c, "decrypt-datakey", **{**ok, "key_id": hw.MISSING_KEY})
    client_error(400, "KMS.0205", c, "decrypt-datakey", **{**ok, "key_id": "x"})
    assert len(bytes.fromhex(call(c, "decrypt-datakey", **ok).data_key)) == 32


def test_ciphertexts_of_both_formats_are_one_blob(c, key):
    """encrypt-data's base64 and the data-key calls' hex carry the same CiphertextBlob,
    so a data key's cipher_text decrypts through decrypt-data once re-encoded."""
    r = call(c, "create-datakey", key_id=key, datakey_length="128")
    b64 = base64.b64encode(bytes.fromhex(r.cipher_text)).decode()
    d = call(c, "decrypt-data", cipher_text=b64)
    assert base64.b64decode(d.plain_text_base64) == bytes.fromhex(r.plain_text)
    e = call(c, "encrypt-data", key_id=key, plain_text="0123456789abcdef")
    back = call(c, "decrypt-datakey", key_id=key, cipher_text=base64.b64decode(e.cipher_text).hex(),
                datakey_cipher_length="16")
    assert bytes.fromhex(back.data_key) == b"0123456789abcdef"
