"""Bring your own key through the official Tencent SDK: GetParametersForImport,
ImportKeyMaterial, DeleteImportedKeyMaterial, with the key material wrapped by
implementations that are not the server's:

- Python `cryptography`: RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256;
- the OpenSSL CLI (`openssl pkeyutl -encrypt`): the three RSA paddings, and SM2
  (SM2_ENCRYPT, the smkms extension) with the returned SM2 public key;
- gmssl (Python): SM2, its raw C1C3C2 output put into the GM/T 0009 ASN.1 form.

An AES-256 key's CiphertextBlob is then opened with `cryptography`'s AES-GCM under the
material we chose, which shows the server encrypts with exactly the imported material.
"""

import base64
import os
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from gmssl import sm2 as gm_sm2

from kmstest import (
    BLOB_HEADER_LEN,
    b64,
    call,
    describe,
    expect_error,
    new_alias,
    new_key_id,
    unb64,
)

RSA = "RSA_2048"
RSA_ALGS = ["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]


def external_key(client, spec=None):
    if spec is None:
        return new_key_id(client, Type=2)
    r = client.call_json("CreateKey", {"Alias": new_alias(), "Type": 2, "KeySpec": spec})
    return r["Response"]["KeyId"]


def parameters(client, key_id, alg, spec):
    r = call(client, "GetParametersForImport", KeyId=key_id, WrappingAlgorithm=alg,
             WrappingKeySpec=spec)
    assert r.KeyId == key_id
    assert r.ImportToken and r.PublicKey
    return r


def pem_of(public_key_b64):
    body = "\n".join(public_key_b64[i:i + 64] for i in range(0, len(public_key_b64), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"


def wrap_cryptography(public_key_b64, alg, material):
    key = serialization.load_der_public_key(unb64(public_key_b64))
    assert key.key_size == 2048
    pad = {
        "RSAES_PKCS1_V1_5": padding.PKCS1v15(),
        "RSAES_OAEP_SHA_1": padding.OAEP(mgf=padding.MGF1(hashes.SHA1()),
                                         algorithm=hashes.SHA1(), label=None),
        "RSAES_OAEP_SHA_256": padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                           algorithm=hashes.SHA256(), label=None),
    }[alg]
    return key.encrypt(material, pad)


def wrap_openssl(public_key_b64, alg, material, tmp_path):
    pub = tmp_path / f"wrap-{os.urandom(4).hex()}.pem"
    pub.write_text(pem_of(public_key_b64))
    opts = {
        "RSAES_PKCS1_V1_5": ["-pkeyopt", "rsa_padding_mode:pkcs1"],
        "RSAES_OAEP_SHA_1": ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1",
                             "-pkeyopt", "rsa_mgf1_md:sha1"],
        "RSAES_OAEP_SHA_256": ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt",
                               "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"],
        "SM2_ENCRYPT": [],
    }[alg]
    out = subprocess.run(["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", str(pub), *opts],
                         input=material, capture_output=True, check=True)
    return out.stdout


def der_integer(value):
    raw = value.to_bytes(32, "big").lstrip(b"\x00") or b"\x00"
    if raw[0] & 0x80:
        raw = b"\x00" + raw
    return b"\x02" + der_len(len(raw)) + raw


def der_len(n):
    return bytes([n]) if n < 0x80 else b"\x81" + bytes([n])


def wrap_gmssl(public_key_b64, material):
    """gmssl encrypts to the public point (hex x || y) and answers raw C1 || C3 || C2
    (mode 1) with C1 = x1 || y1; GM/T 0009 wraps the same values in a SEQUENCE."""
    spki = unb64(public_key_b64)
    point = spki[-65:]
    assert point[0] == 4, "an uncompressed SM2 point ends the SubjectPublicKeyInfo"
    crypt = gm_sm2.CryptSM2(public_key="", private_key=None, mode=1)
    # Set after construction: the constructor strips a "04" prefix with
    # str.lstrip("04"), which also eats the leading 0 and 4 digits of an x coordinate
    # that starts with them (1 key in about 100), and then encrypts to another point.
    crypt.public_key = point[1:].hex()
    raw = crypt.encrypt(material)
    x1, y1, c3, c2 = raw[:32], raw[32:64], raw[64:96], raw[96:]
    body = (der_integer(int.from_bytes(x1, "big")) + der_integer(int.from_bytes(y1, "big"))
            + b"\x04" + der_len(32) + c3 + b"\x04" + der_len(len(c2)) + c2)
    return b"\x30" + der_len(len(body)) + body


WRAPPERS = (
    [pytest.param("cryptography", a, RSA, id=f"cryptography-{a}") for a in RSA_ALGS]
    + [pytest.param("openssl", a, RSA, id=f"openssl-{a}") for a in RSA_ALGS]
    + [pytest.param("openssl", "SM2_ENCRYPT", "SM2", id="openssl-SM2"),
       pytest.param("gmssl", "SM2_ENCRYPT", "SM2", id="gmssl-SM2")]
)


def wrap(wrapper, params, alg, material, tmp_path):
    if wrapper == "cryptography":
        blob = wrap_cryptography(params.PublicKey, alg, material)
    elif wrapper == "openssl":
        blob = wrap_openssl(params.PublicKey, alg, material, tmp_path)
    else:
        blob = wrap_gmssl(params.PublicKey, material)
    return b64(blob)


def import_material(client, key_id, params, blob, valid_to=None):
    fields = {"KeyId": key_id, "ImportToken": params.ImportToken, "EncryptedKeyMaterial": blob}
    if valid_to is not None:
        fields["ValidTo"] = valid_to
    return call(client, "ImportKeyMaterial", **fields)


def encrypt(client, key_id, raw):
    return call(client, "Encrypt", KeyId=key_id, Plaintext=b64(raw)).CiphertextBlob


def decrypt(client, blob):
    return unb64(call(client, "Decrypt", CiphertextBlob=blob).Plaintext)


@pytest.mark.parametrize("wrapper,alg,spec", WRAPPERS)
def test_imported_sm4_material_encrypts_and_decrypts(post_a, tmp_path, wrapper, alg, spec):
    key_id = external_key(post_a)
    assert describe(post_a, key_id).KeyState == "PendingImport"
    params = parameters(post_a, key_id, alg, spec)
    material = os.urandom(16)
    import_material(post_a, key_id, params, wrap(wrapper, params, alg, material, tmp_path))
    m = describe(post_a, key_id)
    assert (m.KeyState, m.Origin, m.ValidTo, m.Type) == ("Enabled", "EXTERNAL", 0, 4)
    blob = encrypt(post_a, key_id, b"byok " + wrapper.encode())
    assert decrypt(post_a, blob) == b"byok " + wrapper.encode()
    # A token imports once.
    expect_error("ResourceUnavailable.TokenExpired", post_a, "ImportKeyMaterial",
                 KeyId=key_id, ImportToken=params.ImportToken,
                 EncryptedKeyMaterial=wrap(wrapper, params, alg, material, tmp_path))


@pytest.mark.parametrize("wrapper", ["cryptography", "openssl"])
def test_aes_blob_opens_with_the_imported_material(post_a, tmp_path, wrapper):
    key_id = external_key(post_a, "AES_256")
    params = parameters(post_a, key_id, "RSAES_OAEP_SHA_256", RSA)
    material = os.urandom(32)
    import_material(post_a, key_id, params,
                    wrap(wrapper, params, "RSAES_OAEP_SHA_256", material, tmp_path))
    assert describe(post_a, key_id).Type == 2
    raw = unb64(encrypt(post_a, key_id, b"opened by cryptography"))
    header, body = raw[:BLOB_HEADER_LEN], raw[BLOB_HEADER_LEN:]
    nonce = header[-12:]
    assert AESGCM(material).decrypt(nonce, body, header) == b"opened by cryptography"


def test_old_ciphertexts_decrypt_after_delete_and_reimport(post_a, tmp_path):
    key_id = external_key(post_a)
    material = os.urandom(16)
    params = parameters(post_a, key_id, "RSAES_OAEP_SHA_1", RSA)
    import_material(post_a, key_id, params,
                    wrap("cryptography", params, "RSAES_OAEP_SHA_1", material, tmp_path))
    blob = encrypt(post_a, key_id, b"made before the deletion")
    call(post_a, "DeleteImportedKeyMaterial", KeyId=key_id)
    assert describe(post_a, key_id).KeyState == "PendingImport"
    expect_error("ResourceUnavailable.CmkStateNotSupport", post_a, "Decrypt", CiphertextBlob=blob)
    # Other material is refused; the same material (wrapped by another implementation,
    # with another algorithm) brings every old ciphertext back.
    params = parameters(post_a, key_id, "SM2_ENCRYPT", "SM2")
    expect_error("InvalidParameterValue.MaterialNotMatch", post_a, "ImportKeyMaterial",
                 KeyId=key_id, ImportToken=params.ImportToken,
                 EncryptedKeyMaterial=wrap("openssl", params, "SM2_ENCRYPT", os.urandom(16),
                                           tmp_path))
    params = parameters(post_a, key_id, "SM2_ENCRYPT", "SM2")
    import_material(post_a, key_id, params,
                    wrap("gmssl", params, "SM2_ENCRYPT", material, tmp_path))
    assert describe(post_a, key_id).KeyState == "Enabled"
    assert decrypt(post_a, blob) == b"made before the deletion"


def test_bad_imports_get_their_documented_codes(post_a, cb, tmp_path):
    key_id = external_key(post_a)
    other = external_key(post_a)
    params = parameters(post_a, key_id, "RSAES_PKCS1_V1_5", RSA)
    good = wrap("cryptography", params, "RSAES_PKCS1_V1_5", os.urandom(16), tmp_path)
    # A token presented for another key, or by another account.
    e = expect_error("InvalidParameter", post_a, "ImportKeyMaterial", KeyId=other,
                     ImportToken=params.ImportToken, EncryptedKeyMaterial=good)
    assert "another key" in e.message
    expect_error("ResourceUnavailable.CmkNotFound", cb, "ImportKeyMaterial", KeyId=key_id,
                 ImportToken=params.ImportToken, EncryptedKeyMaterial=good)
    # ValidTo in the past.
    e = expect_error("InvalidParameter", post_a, "ImportKeyMaterial", KeyId=key_id,
                     ImportToken=params.ImportToken, EncryptedKeyMaterial=good, ValidTo=1000)
    assert "ValidTo" in e.message
    # Undecryptable: one opaque code (and the token is spent).
    bad = bytearray(unb64(good))
    bad[7] ^= 1
    expect_error("InvalidParameter.DecryptMaterialError", post_a, "ImportKeyMaterial",
                 KeyId=key_id, ImportToken=params.ImportToken, EncryptedKeyMaterial=b64(bytes(bad)))
    expect_error("ResourceUnavailable.TokenExpired", post_a, "ImportKeyMaterial", KeyId=key_id,
                 ImportToken=params.ImportToken, EncryptedKeyMaterial=good)
    # 256-bit material for an SM4 key.
    params = parameters(post_a, key_id, "RSAES_OAEP_SHA_256", RSA)
    e = expect_error("InvalidParameter", post_a, "ImportKeyMaterial", KeyId=key_id,
                     ImportToken=params.ImportToken,
                     EncryptedKeyMaterial=wrap("openssl", params, "RSAES_OAEP_SHA_256",
                                               os.urandom(32), tmp_path))
    assert "128" in e.message
    # Unknown wrapping parameters; a key whose material KMS made.
    expect_error("InvalidParameter", post_a, "GetParametersForImport", KeyId=key_id,
                 WrappingAlgorithm="RSAES_OAEP_SHA_512", WrappingKeySpec=RSA)
    own = new_key_id(post_a)
    expect_error("UnsupportedOperation.NotExternalCmk", post_a, "GetParametersForImport",
                 KeyId=own, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec=RSA)
    expect_error("UnsupportedOperation.NotExternalCmk", post_a, "DeleteImportedKeyMaterial",
                 KeyId=own)


def test_external_keys_refuse_rotation(post_a, tmp_path):
    key_id = external_key(post_a)
    params = parameters(post_a, key_id, "RSAES_OAEP_SHA_256", RSA)
    import_material(post_a, key_id, params,
                    wrap("cryptography", params, "RSAES_OAEP_SHA_256", os.urandom(16), tmp_path))
    expect_error("UnsupportedOperation.RotateNotSupported", post_a, "RotateKey", KeyId=key_id)
    expect_error("UnsupportedOperation.ExternalCmkCanNotRotate", post_a, "EnableKeyRotation",
                 KeyId=key_id)


def test_valid_to_is_shown(post_a, tmp_path):
    import time
    key_id = external_key(post_a)
    params = parameters(post_a, key_id, "RSAES_OAEP_SHA_256", RSA)
    assert abs(params.ParametersValidTo - (int(time.time()) + 86400)) < 60
    valid_to = int(time.time()) + 3600
    import_material(post_a, key_id, params,
                    wrap("cryptography", params, "RSAES_OAEP_SHA_256", os.urandom(16), tmp_path),
                    valid_to=valid_to)
    assert describe(post_a, key_id).ValidTo == valid_to
