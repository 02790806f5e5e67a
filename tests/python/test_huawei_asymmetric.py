"""Huawei KMS v1.0 asymmetric keys and import through the official huaweicloudsdkkms
SDK: create-key with key_spec SM2 / RSA_2048 / EC_P256, get-publickey, sign, verify
(validate_signature), asymmetric decrypt-data, get-parameters-for-import,
import-key-material, delete-imported-key-material.

Confirmed by implementations that are not ours:

| what                            | confirmed by                                                |
|---------------------------------|-------------------------------------------------------------|
| SM2DSA_SM3 (DIGEST = SM3(Z_A‖M)) | gmssl computes e and verifies; OpenSSL `pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678` over M |
| ECDSA_SHA_256, RSASSA_*          | Python cryptography and OpenSSL `dgst -sha256 -verify`       |
| decrypt-data SM2_ENCRYPT         | gmssl (ASN.1 by hand) and OpenSSL `pkeyutl -encrypt` encrypt to our key |
| decrypt-data RSAES_OAEP_SHA_*    | cryptography and OpenSSL encrypt to our key                  |
| encrypt-data (asymmetric)        | the ciphertext has the shape OpenSSL writes (ASN.1 C1C3C2 parsed by pycryptodomex; RSA 256 bytes) and decrypt-data opens it |
| import wrapping                  | cryptography and OpenSSL (RSAES_OAEP_SHA_256), gmssl and OpenSSL (SM2_ENCRYPT) |
| one core, two dialects           | a Huawei-made SM2 key's signature verifies through the Tencent API |
"""

import base64
import hashlib
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

import huaweitest as hw
import kmstest
from huaweitest import call, client_error, create_key
from test_tencent_asymmetric import (
    cryptography_verifies,
    gmssl_asn1_ciphertext,
    gmssl_for,
    openssl_encrypt,
    openssl_verifies,
)
from test_tencent_import import wrap_gmssl, wrap_openssl

# Huawei's algorithm name -> the Tencent helpers' name for the same scheme.
TENCENT_NAME = {
    "SM2DSA_SM3": "SM2DSA",
    "ECDSA_SHA_256": "ECC_P256_R1",
    "RSASSA_PSS_SHA_256": "RSA_PSS_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_256": "RSA_PKCS1_SHA_256",
}


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


@pytest.fixture
def c(smkms, cred_a, region):
    return hw.make_client(smkms.port, cred_a, region)


def public_key(c, key_id):
    r = call(c, "get-publickey", key_id=key_id)
    assert r.key_id == key_id
    pem = r.public_key
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and pem.rstrip().endswith("-----END PUBLIC KEY-----")
    der = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))
    return der, pem


def sign(c, key_id, alg, message, message_type=None):
    fields = dict(key_id=key_id, signing_algorithm=alg, message=b64(message))
    if message_type:
        fields["message_type"] = message_type
    r = call(c, "sign", **fields)
    assert r.key_id == key_id
    return base64.b64decode(r.signature, validate=True)


def verify(c, key_id, alg, message, signature, message_type=None):
    fields = dict(key_id=key_id, signing_algorithm=alg, message=b64(message), signature=b64(signature))
    if message_type:
        fields["message_type"] = message_type
    v = call(c, "verify", **fields).signature_valid
    assert v in ("true", "false")
    return v == "true"


def test_create_and_describe_asymmetric_keys(c):
    for spec, usage, shown in [("SM2", None, "SIGN_VERIFY"), ("SM2", "ENCRYPT_DECRYPT", "ENCRYPT_DECRYPT"),
                               ("RSA_2048", "SIGN_VERIFY", "SIGN_VERIFY"),
                               ("RSA_2048", "ENCRYPT_DECRYPT", "ENCRYPT_DECRYPT"),
                               ("EC_P256", "SIGN_VERIFY", "SIGN_VERIFY")]:
        fields = {"key_spec": spec}
        if usage:
            fields["key_usage"] = usage
        key_id = create_key(c, **fields)
        info = hw.describe(c, key_id)
        assert (info.key_spec, info.key_usage, info.key_state) == (spec, shown, "2")
        listed = call(c, "list-keys", key_spec=spec)
        assert key_id in listed.keys
        assert [d.key_usage for d in listed.key_details if d.key_id == key_id] == [shown]
    client_error(400, "KMS.1114", c, "create-key", key_alias=hw.new_alias(), key_spec="EC_P256",
                 key_usage="ENCRYPT_DECRYPT")
    client_error(400, "KMS.1115", c, "create-key", key_alias=hw.new_alias(), key_spec="SM4",
                 key_usage="SIGN_VERIFY")
    client_error(400, "KMS.0201", c, "create-key", key_alias=hw.new_alias(), key_spec="RSA_4096")


def test_sm2_signs_digests_of_z_a_and_m(c):
    """Huawei's SM2 convention: message_type DIGEST (the default) is SM3(Z_A ‖ M),
    computed here by gmssl; the signature is DER and verifies over M in OpenSSL and
    gmssl. RAW is refused for SM2, as Huawei documents."""
    key_id = create_key(c, key_spec="SM2", key_usage="SIGN_VERIFY")
    der, pem = public_key(c, key_id)
    gm = gmssl_for(der)
    for msg in [b"a", b"transfer 100.00 CNY", os.urandom(3000)]:
        e = bytes.fromhex(gm._sm3_z(msg))
        sig = sign(c, key_id, "SM2DSA_SM3", e)  # message_type left to its default
        assert sig[0] == 0x30, "an SM2 signature is a DER SEQUENCE"
        assert openssl_verifies(pem, "SM2DSA", msg, sig), "OpenSSL refused our SM2 signature"
        assert gm.verify_with_sm3(sig.hex(), msg), "gmssl refused our SM2 signature"
        assert verify(c, key_id, "SM2DSA_SM3", e, sig)
        assert verify(c, key_id, "SM2DSA_SM3", e, sig, "DIGEST")
        assert not verify(c, key_id, "SM2DSA_SM3", hw.sm3(msg), sig)
    e = client_error(400, "KMS.0308", c, "sign", key_id=key_id, signing_algorithm="SM2DSA_SM3",
                     message=b64(b"m"), message_type="RAW")
    assert "Z_A" in e.error_msg
    client_error(400, "KMS.0329", c, "sign", key_id=key_id, signing_algorithm="SM2DSA_SM3",
                 message=b64(bytes(20)))
    client_error(400, "KMS.0332", c, "sign", key_id=key_id, signing_algorithm="ECDSA_SHA_256",
                 message=b64(bytes(32)))
    client_error(400, "KMS.0332", c, "sign", key_id=key_id, signing_algorithm="ECDSA_SHA_384",
                 message=b64(bytes(32)))
    client_error(400, "KMS.0308", c, "sign", key_id=key_id, signing_algorithm="SM3WITHSM2",
                 message=b64(bytes(32)))
    # Malformed signatures are "false", never an error.
    for bad in [b"", b"\x30", b"\xff" * 80]:
        assert not verify(c, key_id, "SM2DSA_SM3", bytes(32), bad)


@pytest.mark.parametrize("spec,alg", [("EC_P256", "ECDSA_SHA_256"), ("RSA_2048", "RSASSA_PSS_SHA_256"),
                                      ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256")])
def test_ecdsa_and_rsa_signatures_verify_elsewhere(c, spec, alg):
    key_id = create_key(c, key_spec=spec, key_usage="SIGN_VERIFY")
    der, pem = public_key(c, key_id)
    t = TENCENT_NAME[alg]
    for msg in [b"a", os.urandom(4000)]:
        sig = sign(c, key_id, alg, msg, "RAW")
        assert cryptography_verifies(der, t, msg, sig), f"cryptography refused our {alg}"
        assert openssl_verifies(pem, t, msg, sig), f"OpenSSL refused our {alg}"
        digest = hashlib.sha256(msg).digest()
        dsig = sign(c, key_id, alg, digest)  # DIGEST by default: SHA-256(M)
        assert cryptography_verifies(der, t, msg, dsig)
        assert verify(c, key_id, alg, msg, dsig, "RAW")
        assert verify(c, key_id, alg, digest, sig)
        assert not verify(c, key_id, alg, msg + b"x", sig, "RAW")


def test_usage_is_enforced(c):
    signer = create_key(c, key_spec="SM2", key_usage="SIGN_VERIFY")
    decrypter = create_key(c, key_spec="SM2", key_usage="ENCRYPT_DECRYPT")
    symmetric = create_key(c, key_spec="SM4")
    client_error(400, "KMS.0334", c, "sign", key_id=decrypter, signing_algorithm="SM2DSA_SM3",
                 message=b64(bytes(32)))
    client_error(400, "KMS.0331", c, "sign", key_id=symmetric, signing_algorithm="SM2DSA_SM3",
                 message=b64(bytes(32)))
    client_error(400, "KMS.0331", c, "get-publickey", key_id=symmetric)
    client_error(400, "KMS.0325", c, "encrypt-data", key_id=signer, plain_text="x")
    client_error(400, "KMS.0325", c, "create-datakey", key_id=decrypter)
    client_error(400, "KMS.0335", c, "decrypt-data", key_id=signer, encryption_algorithm="SM2_ENCRYPT",
                 cipher_text=b64(bytes(120)))


def test_decrypt_data_sm2_from_gmssl_and_openssl(c):
    key_id = create_key(c, key_spec="SM2", key_usage="ENCRYPT_DECRYPT")
    der, pem = public_key(c, key_id)
    for pt in [b"1", b"a card number an app encrypted to the server", os.urandom(200)]:
        for ct in [gmssl_asn1_ciphertext(der, pt), openssl_encrypt(pem, pt)]:
            r = call(c, "decrypt-data", key_id=key_id, encryption_algorithm="SM2_ENCRYPT", cipher_text=b64(ct))
            assert r.key_id == key_id
            assert base64.b64decode(r.plain_text_base64) == pt
    ct = bytearray(openssl_encrypt(pem, b"tampered"))
    ct[-1] ^= 1
    client_error(400, "KMS.0308", c, "decrypt-data", key_id=key_id, encryption_algorithm="SM2_ENCRYPT",
                 cipher_text=b64(bytes(ct)))
    client_error(400, "KMS.2106", c, "decrypt-data", key_id=key_id,
                 encryption_algorithm="RSAES_OAEP_SHA_256", cipher_text=b64(bytes(ct)))


@pytest.mark.parametrize("alg,md", [("RSAES_OAEP_SHA_256", "sha256"), ("RSAES_OAEP_SHA_1", "sha1")])
def test_decrypt_data_rsa_from_cryptography_and_openssl(c, alg, md):
    key_id = create_key(c, key_spec="RSA_2048", key_usage="ENCRYPT_DECRYPT")
    der, pem = public_key(c, key_id)
    h = hashes.SHA256() if md == "sha256" else hashes.SHA1()
    key = serialization.load_der_public_key(der)
    pt = b"RSA-encrypted field"
    for ct in [key.encrypt(pt, padding.OAEP(padding.MGF1(h), h, None)),
               openssl_encrypt(pem, pt, "rsa_padding_mode:oaep", f"rsa_oaep_md:{md}", f"rsa_mgf1_md:{md}")]:
        r = call(c, "decrypt-data", key_id=key_id, encryption_algorithm=alg, cipher_text=b64(ct))
        assert base64.b64decode(r.plain_text_base64) == pt and r.plain_text == pt.decode()


@pytest.mark.parametrize("wrapper,alg", [("cryptography", "RSAES_OAEP_SHA_256"), ("openssl", "RSAES_OAEP_SHA_256"),
                                         ("openssl", "SM2_ENCRYPT"), ("gmssl", "SM2_ENCRYPT")])
def test_import_key_material(c, tmp_path, wrapper, alg):
    key_id = create_key(c, key_spec="SM4", origin="external")
    assert hw.state_of(c, key_id) == "5"
    p = call(c, "get-parameters-for-import", key_id=key_id, wrapping_algorithm=alg)
    assert p.key_id == key_id and p.import_token and p.expiration_time > 0
    material = os.urandom(16)
    if wrapper == "cryptography":
        pub = serialization.load_der_public_key(base64.b64decode(p.public_key))
        blob = pub.encrypt(material, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    elif wrapper == "openssl":
        blob = wrap_openssl(p.public_key, alg, material, tmp_path)
    else:
        blob = wrap_gmssl(p.public_key, material)
    call(c, "import-key-material", key_id=key_id, import_token=p.import_token,
         encrypted_key_material=b64(blob))
    info = hw.describe(c, key_id)
    assert (info.key_state, info.origin) == ("2", "external")
    ct = call(c, "encrypt-data", key_id=key_id, plain_text="under imported material").cipher_text
    assert call(c, "decrypt-data", cipher_text=ct).plain_text == "under imported material"
    # The token is spent; another material is refused; delete makes the key pending import.
    client_error(400, "KMS.0308", c, "import-key-material", key_id=key_id, import_token=p.import_token,
                 encrypted_key_material=b64(blob))
    call(c, "delete-imported-key-material", key_id=key_id)
    assert hw.state_of(c, key_id) == "5"
    p2 = call(c, "get-parameters-for-import", key_id=key_id, wrapping_algorithm=alg)
    if alg == "SM2_ENCRYPT":
        blob2 = wrap_gmssl(p2.public_key, material)
    else:
        blob2 = wrap_openssl(p2.public_key, alg, material, tmp_path)
    call(c, "import-key-material", key_id=key_id, import_token=p2.import_token,
         encrypted_key_material=b64(blob2), expiration_time=2000000000)
    assert call(c, "decrypt-data", cipher_text=ct).plain_text == "under imported material"
    assert hw.describe(c, key_id).expiration_time == "2000000000000"


def test_import_refusals(c, tmp_path):
    kms_key = create_key(c, key_spec="SM4")
    client_error(400, "KMS.0309", c, "get-parameters-for-import", key_id=kms_key,
                 wrapping_algorithm="RSAES_OAEP_SHA_256")
    key_id = create_key(c, key_spec="SM4", origin="external")
    client_error(400, "KMS.0308", c, "get-parameters-for-import", key_id=key_id,
                 wrapping_algorithm="RSAES_PKCS1_V1_5")
    p = call(c, "get-parameters-for-import", key_id=key_id)  # RSAES_OAEP_SHA_256 by default
    pub = serialization.load_der_public_key(base64.b64decode(p.public_key))
    assert pub.key_size == 2048
    wrong_len = pub.encrypt(os.urandom(32), padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    e = client_error(400, "KMS.0308", c, "import-key-material", key_id=key_id, import_token=p.import_token,
                     encrypted_key_material=b64(wrong_len))
    assert "128" in e.error_msg
    p = call(c, "get-parameters-for-import", key_id=key_id)
    client_error(400, "KMS.0311", c, "import-key-material", key_id=key_id, import_token=p.import_token,
                 encrypted_key_material=b64(os.urandom(256)))


def test_one_core_two_dialects(c, post_a):
    """A key created through Huawei signs; the Tencent API (official Tencent SDK) sees
    the same key and verifies the signature as a RAW SM2DSA signature of M."""
    key_id = create_key(c, key_spec="SM2", key_usage="SIGN_VERIFY")
    der, _ = public_key(c, key_id)
    msg = b"signed through Huawei, verified through Tencent"
    e = bytes.fromhex(gmssl_for(der)._sm3_z(msg))
    sig = sign(c, key_id, "SM2DSA_SM3", e)
    tc = post_a
    r = kmstest.call(tc, "VerifyByAsymmetricKey", KeyId=key_id, Algorithm="SM2DSA", Message=b64(msg),
                     SignatureValue=b64(sig))
    assert r.SignatureValid is True
    assert kmstest.describe(tc, key_id).KeyUsage == "ASYMMETRIC_SIGN_VERIFY_SM2"


@pytest.mark.parametrize("spec,alg", [("SM2", "SM2_ENCRYPT"), ("RSA_2048", "RSAES_OAEP_SHA_256"),
                                      ("RSA_2048", "RSAES_OAEP_SHA_1")])
def test_encrypt_data_with_the_public_key(c, spec, alg):
    """Huawei's encrypt-data with an asymmetric encryption_algorithm: the server
    encrypts with the public key; decrypt-data with the same algorithm opens it."""
    from Cryptodome.Util.asn1 import DerSequence
    key_id = create_key(c, key_spec=spec, key_usage="ENCRYPT_DECRYPT")
    text = "银行卡号 6222 0000 1111"
    e = call(c, "encrypt-data", key_id=key_id, plain_text=text, encryption_algorithm=alg)
    assert e.key_id == key_id
    raw = base64.b64decode(e.cipher_text, validate=True)
    if spec == "SM2":
        seq = DerSequence()
        seq.decode(raw, strict=True)
        assert len(seq) == 4, "GM/T 0009 SEQUENCE { x, y, C3, C2 }"
    else:
        assert len(raw) == 256
    d = call(c, "decrypt-data", key_id=key_id, cipher_text=e.cipher_text, encryption_algorithm=alg)
    assert d.plain_text == text
    e2 = call(c, "encrypt-data", key_id=key_id, plain_text=text, encryption_algorithm=alg)
    assert e2.cipher_text != e.cipher_text, "randomised"
    if spec == "RSA_2048":
        client_error(400, "KMS.0308", c, "encrypt-data", key_id=key_id, plain_text="x" * 300,
                     encryption_algorithm=alg)
        client_error(400, "KMS.2106", c, "encrypt-data", key_id=key_id, plain_text="x",
                     encryption_algorithm="SM2_ENCRYPT")


def test_encrypt_data_refusals(c):
    symmetric = create_key(c, key_spec="SM4")
    signer = create_key(c, key_spec="SM2", key_usage="SIGN_VERIFY")
    ec = create_key(c, key_spec="EC_P256")
    client_error(400, "KMS.2105", c, "encrypt-data", key_id=symmetric, plain_text="x",
                 encryption_algorithm="SM2_ENCRYPT")
    client_error(400, "KMS.0335", c, "encrypt-data", key_id=signer, plain_text="x",
                 encryption_algorithm="SM2_ENCRYPT")
    client_error(400, "KMS.2106", c, "encrypt-data", key_id=ec, plain_text="x",
                 encryption_algorithm="SM2_ENCRYPT")
    client_error(400, "KMS.0308", c, "encrypt-data", key_id=signer, plain_text="x",
                 encryption_algorithm="RSAES_PKCS1_V1_5")
