"""Asymmetric CMKs through the official Python SDK: CreateKey with the asymmetric
usages, GetPublicKey, SignByAsymmetricKey / VerifyByAsymmetricKey, AsymmetricSm2Decrypt
/ AsymmetricRsaDecrypt, ListAlgorithms, usage enforcement.

Every result is confirmed by implementations that are not ours:

| what                          | confirmed by                                              |
|-------------------------------|-----------------------------------------------------------|
| SM2DSA signatures (RAW)       | gmssl (sm3 with Z_A, DER), OpenSSL `pkeyutl -rawin -digest sm3 -pkeyopt distid:1234567812345678` |
| SM2DSA DIGEST                 | e = SM3(Z_A ‖ M) computed by gmssl; the signature verifies as RAW in OpenSSL and gmssl |
| ECC_P256_R1, RSA_* signatures | Python cryptography, OpenSSL `dgst -sha256 -verify`        |
| GetPublicKey                  | cryptography loads the RSA / P-256 SPKI; OpenSSL reads the SM2 one (curve SM2) |
| AsymmetricSm2Decrypt          | gmssl (C1C3C2, made ASN.1 by pycryptodomex) and OpenSSL `pkeyutl -encrypt` encrypt to our key |
| AsymmetricRsaDecrypt          | cryptography and OpenSSL encrypt (PKCS#1 v1.5, OAEP SHA-1, OAEP SHA-256) |
| delivery of the plaintext     | OpenSSL decrypts it with its own SM2 key                  |

The SDK's models of AsymmetricSm2Decrypt / AsymmetricRsaDecrypt have no
EncryptionPublicKey field, so delivery goes through `call_json`. A missing tool fails.
"""

import base64
import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from Cryptodome.Util.asn1 import DerOctetString, DerSequence
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from gmssl import func as gm_func
from gmssl import sm2 as gm_sm2
from gmssl import sm3 as gm_sm3

from kmstest import call, create_key, describe, expect_error, expect_json_error, new_alias

OPENSSL = os.environ.get("SMKMS_OPENSSL", "openssl")
DISTID = "1234567812345678"
SM2_CURVE_OID_DER = bytes.fromhex("06082a811ccf5501822d")  # 1.2.156.10197.1.301


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


def unb64(text):
    return base64.b64decode(text, validate=True)


def openssl(*args, input=None, check=True):
    p = subprocess.run([OPENSSL, *map(str, args)], input=input, capture_output=True, timeout=60)
    if check and p.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(map(str, args))}: {p.stderr.decode(errors='replace')}")
    return p


def new_key(client, usage):
    r = create_key(client, KeyUsage=usage)
    assert (r.KeyUsage, r.KeyState) == (usage, "Enabled")
    return r.KeyId


def public_key(client, key_id):
    r = call(client, "GetPublicKey", KeyId=key_id)
    der = unb64(r.PublicKey)
    pem = r.PublicKeyPem
    assert pem.startswith("-----BEGIN PUBLIC KEY-----"), pem
    body = "".join(l for l in pem.splitlines() if not l.startswith("-----"))
    assert unb64(body) == der
    assert r.KeyId == key_id
    return der, pem


def sm2_point_hex(spki_der):
    """x ‖ y (hex, no 04) of an SM2 SubjectPublicKeyInfo: its last 65 bytes are 04 ‖ x ‖ y."""
    assert SM2_CURVE_OID_DER in spki_der, "the SPKI does not name the SM2 curve"
    point = spki_der[-65:]
    assert point[0] == 4
    return point[1:].hex()


def gmssl_for(spki_der, asn1=True):
    # The point is set after construction: the constructor strips a leading "04" with
    # lstrip("04"), which also eats leading 0 and 4 digits of x (when x itself starts
    # with 04, about one key in 256).
    c = gm_sm2.CryptSM2(private_key="", public_key="", mode=1, asn1=asn1)
    c.public_key = sm2_point_hex(spki_der)
    return c


def sign(client, key_id, alg, message, message_type=None):
    fields = {"KeyId": key_id, "Algorithm": alg, "Message": b64(message)}
    if message_type:
        fields["MessageType"] = message_type
    return unb64(call(client, "SignByAsymmetricKey", **fields).Signature)


def verify(client, key_id, alg, message, signature, message_type=None):
    fields = {"KeyId": key_id, "Algorithm": alg, "Message": b64(message), "SignatureValue": b64(signature)}
    if message_type:
        fields["MessageType"] = message_type
    return call(client, "VerifyByAsymmetricKey", **fields).SignatureValid


def openssl_verifies(pem, alg, message, signature):
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "pub.pem").write_text(pem)
        (d / "msg").write_bytes(message)
        (d / "sig").write_bytes(signature)
        if alg == "SM2DSA":
            args = ["pkeyutl", "-verify", "-pubin", "-inkey", d / "pub.pem", "-in", d / "msg", "-rawin",
                    "-digest", "sm3", "-pkeyopt", f"distid:{DISTID}", "-sigfile", d / "sig"]
        elif alg == "RSA_PSS_SHA_256":
            args = ["dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:auto",
                    "-verify", d / "pub.pem", "-signature", d / "sig", d / "msg"]
        else:
            args = ["dgst", "-sha256", "-verify", d / "pub.pem", "-signature", d / "sig", d / "msg"]
        return openssl(*args, check=False).returncode == 0


def cryptography_verifies(spki_der, alg, message, signature):
    key = serialization.load_der_public_key(spki_der)
    try:
        if alg == "ECC_P256_R1":
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif alg == "RSA_PKCS1_SHA_256":
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "RSA_PSS_SHA_256":
            key.verify(signature, message,
                       padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
                       hashes.SHA256())
        else:
            raise AssertionError(alg)
        return True
    except InvalidSignature:
        return False


def gmssl_asn1_ciphertext(spki_der, plaintext):
    """gmssl encrypts (raw C1C3C2, C1 without 04); pycryptodomex makes it GM/T 0009 ASN.1."""
    raw = gmssl_for(spki_der, asn1=False).encrypt(plaintext)
    x, y, c3, c2 = raw[:32], raw[32:64], raw[64:96], raw[96:]
    return DerSequence([int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                        DerOctetString(c3).encode(), DerOctetString(c2).encode()]).encode()


def openssl_encrypt(pem, plaintext, *pkeyopts):
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "pub.pem").write_text(pem)
        opts = [x for o in pkeyopts for x in ("-pkeyopt", o)]
        return openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", d / "pub.pem", *opts, input=plaintext).stdout


@pytest.fixture(scope="module", autouse=True)
def tools():
    """Fails (never skips) when OpenSSL cannot do SM2 signatures with a distid."""
    p = openssl("version")
    assert p.stdout.startswith(b"OpenSSL 3"), p.stdout


# ---------------------------------------------------------------- keys


@pytest.mark.parametrize("usage,key_type", [
    ("ASYMMETRIC_SIGN_VERIFY_SM2", 4),
    ("ASYMMETRIC_DECRYPT_SM2", 4),
    ("ASYMMETRIC_SIGN_VERIFY_ECC", 2),
    ("ASYMMETRIC_SIGN_VERIFY_RSA_2048", 2),
    ("ASYMMETRIC_DECRYPT_RSA_2048", 2),
])
def test_public_keys_are_read_by_others(post_a, usage, key_type):
    key_id = new_key(post_a, usage)
    m = describe(post_a, key_id)
    assert (m.KeyUsage, m.Type, m.Origin) == (usage, key_type, "TENCENT_KMS")
    der, pem = public_key(post_a, key_id)
    if "SM2" in usage:
        text = openssl("pkey", "-pubin", "-text", "-noout", input=pem.encode()).stdout.decode()
        assert "SM2" in text, text
        sm2_point_hex(der)
    else:
        k = serialization.load_der_public_key(der)
        if "RSA" in usage:
            assert k.key_size == 2048 and k.public_numbers().e == 65537
        else:
            assert isinstance(k.curve, ec.SECP256R1)
    listed = call(post_a, "ListKeyDetail", KeyUsage=usage).KeyMetadatas
    assert [x.KeyId for x in listed] == [key_id]


def test_list_algorithms(ca):
    r = call(ca, "ListAlgorithms")
    assert [(a.KeyUsage, a.Algorithm) for a in r.AsymmetricAlgorithms] == [
        ("ASYMMETRIC_DECRYPT_RSA_2048", "RSA_2048"), ("ASYMMETRIC_DECRYPT_SM2", "SM2")]
    assert [(a.KeyUsage, a.Algorithm) for a in r.AsymmetricSignVerifyAlgorithms] == [
        ("ASYMMETRIC_SIGN_VERIFY_SM2", "SM2"), ("ASYMMETRIC_SIGN_VERIFY_RSA_2048", "RSA_2048"),
        ("ASYMMETRIC_SIGN_VERIFY_ECC", "ECC")]
    assert [a.Algorithm for a in r.SymmetricAlgorithms] == ["SM4", "AES_256"]


# ---------------------------------------------------------------- signatures


MESSAGES = [b"", b"a", b"transfer 100.00 CNY to 6222 0000 1111", bytes(range(250)) * 16]  # 4000 bytes: room for one more


def test_sm2_signatures_verify_in_gmssl_and_openssl(ca):
    key_id = new_key(ca, "ASYMMETRIC_SIGN_VERIFY_SM2")
    der, pem = public_key(ca, key_id)
    gm = gmssl_for(der)
    for msg in MESSAGES[1:]:
        sig = sign(ca, key_id, "SM2DSA", msg)
        assert gm.verify_with_sm3(sig.hex(), msg), "gmssl refused our SM2DSA signature"
        assert openssl_verifies(pem, "SM2DSA", msg, sig), "OpenSSL refused our SM2DSA signature"
        assert verify(ca, key_id, "SM2DSA", msg, sig)
        assert not gm.verify_with_sm3(sig.hex(), msg + b"x")
        assert not verify(ca, key_id, "SM2DSA", msg + b"x", sig)


def test_sm2_digest_is_e_of_the_default_id(post_a):
    """MessageType DIGEST for SM2DSA is e = SM3(Z_A ‖ M), Z_A from the default user id
    1234567812345678 and the key's public point, as gmssl computes it: a DIGEST
    signature is a signature of M, for OpenSSL and gmssl alike, and our RAW verification
    accepts it (and a RAW signature verifies as DIGEST of that e)."""
    key_id = new_key(post_a, "ASYMMETRIC_SIGN_VERIFY_SM2")
    der, pem = public_key(post_a, key_id)
    gm = gmssl_for(der)
    msg = b"message signed through its digest"
    e = bytes.fromhex(gm._sm3_z(msg))
    assert len(e) == 32
    sig = sign(post_a, key_id, "SM2DSA", e, "DIGEST")
    assert openssl_verifies(pem, "SM2DSA", msg, sig)
    assert gm.verify_with_sm3(sig.hex(), msg)
    assert verify(post_a, key_id, "SM2DSA", msg, sig, "RAW")
    raw_sig = sign(post_a, key_id, "SM2DSA", msg, "RAW")
    assert verify(post_a, key_id, "SM2DSA", e, raw_sig, "DIGEST")
    # A plain SM3(M) is not e: signing it is not a signature of M.
    plain = bytes.fromhex(gm_sm3.sm3_hash(gm_func.bytes_to_list(msg)))
    not_m = sign(post_a, key_id, "SM2DSA", plain, "DIGEST")
    assert not openssl_verifies(pem, "SM2DSA", msg, not_m)


@pytest.mark.parametrize("usage,alg", [
    ("ASYMMETRIC_SIGN_VERIFY_ECC", "ECC_P256_R1"),
    ("ASYMMETRIC_SIGN_VERIFY_RSA_2048", "RSA_PKCS1_SHA_256"),
    ("ASYMMETRIC_SIGN_VERIFY_RSA_2048", "RSA_PSS_SHA_256"),
])
def test_ecdsa_and_rsa_signatures_verify_in_cryptography_and_openssl(post_a, usage, alg):
    key_id = new_key(post_a, usage)
    der, pem = public_key(post_a, key_id)
    for msg in MESSAGES[1:]:
        sig = sign(post_a, key_id, alg, msg)
        assert cryptography_verifies(der, alg, msg, sig), f"cryptography refused our {alg}"
        assert openssl_verifies(pem, alg, msg, sig), f"OpenSSL refused our {alg}"
        assert verify(post_a, key_id, alg, msg, sig)
        # DIGEST is SHA-256(M), computed here by hashlib.
        digest = hashlib.sha256(msg).digest()
        dsig = sign(post_a, key_id, alg, digest, "DIGEST")
        assert cryptography_verifies(der, alg, msg, dsig)
        assert verify(post_a, key_id, alg, msg, dsig, "RAW")
        assert verify(post_a, key_id, alg, digest, sig, "DIGEST")
        assert not cryptography_verifies(der, alg, msg + b"x", sig)
        assert not verify(post_a, key_id, alg, msg + b"x", sig)


def test_signatures_by_other_keys_and_malformed_ones_are_false(post_a):
    """Valid signatures made by cryptography with its own key, and garbage, are simply
    not valid under our key: SignatureValid false, never an error."""
    key_id = new_key(post_a, "ASYMMETRIC_SIGN_VERIFY_ECC")
    msg = b"who signed this?"
    theirs = ec.generate_private_key(ec.SECP256R1()).sign(msg, ec.ECDSA(hashes.SHA256()))
    assert not verify(post_a, key_id, "ECC_P256_R1", msg, theirs)
    ours = sign(post_a, key_id, "ECC_P256_R1", msg)
    for bad in [b"", b"\x30", ours[:-1], ours + b"\x00", bytes(len(ours)), b"\xff" * 200]:
        assert verify(post_a, key_id, "ECC_P256_R1", msg, bad) is False
    r = post_a.call_json("VerifyByAsymmetricKey", {
        "KeyId": key_id, "Algorithm": "ECC_P256_R1", "Message": b64(msg), "SignatureValue": "***"})
    assert r["Response"]["SignatureValid"] is False


def test_sign_bad_input(ca):
    key_id = new_key(ca, "ASYMMETRIC_SIGN_VERIFY_SM2")
    e = expect_error("InvalidParameter", ca, "SignByAsymmetricKey",
                     KeyId=key_id, Algorithm="SM2DSA", Message=b64(bytes(4097)))
    assert "4096" in e.message
    e = expect_error("InvalidParameter", ca, "SignByAsymmetricKey",
                     KeyId=key_id, Algorithm="SM2DSA", Message=b64(bytes(20)), MessageType="DIGEST")
    assert "32" in e.message
    e = expect_error("InvalidParameter", ca, "SignByAsymmetricKey",
                     KeyId=key_id, Algorithm="SM3WITHSM2", Message=b64(b"m"))
    assert "SM3WITHSM2" in e.message and "SM2DSA" in e.message
    e = expect_error("InvalidParameter", ca, "SignByAsymmetricKey",
                     KeyId=key_id, Algorithm="ECC_P256_R1", Message=b64(b"m"))
    assert "SM2DSA" in e.message
    e = expect_error("InvalidParameter", ca, "VerifyByAsymmetricKey", KeyId=key_id, Algorithm="SM2DSA",
                     Message=b64(bytes(31)), MessageType="DIGEST", SignatureValue=b64(b"s"))
    assert "32" in e.message


# ---------------------------------------------------------------- decryption


def test_sm2_decrypt_what_gmssl_and_openssl_encrypt(ca):
    key_id = new_key(ca, "ASYMMETRIC_DECRYPT_SM2")
    der, pem = public_key(ca, key_id)
    for pt in [b"1", b"a card number an app encrypted to the server", os.urandom(128)]:
        for ct in [gmssl_asn1_ciphertext(der, pt), openssl_encrypt(pem, pt)]:
            r = call(ca, "AsymmetricSm2Decrypt", KeyId=key_id, Ciphertext=b64(ct))
            assert unb64(r.Plaintext) == pt
            assert r.KeyId == key_id
    ct = bytearray(openssl_encrypt(pem, b"tampered"))
    ct[-1] ^= 1
    e = expect_error("FailedOperation.DecryptError", ca, "AsymmetricSm2Decrypt", KeyId=key_id, Ciphertext=b64(ct))
    long = openssl_encrypt(pem, bytes(160))
    assert len(long) > 256
    e = expect_error("InvalidParameter", ca, "AsymmetricSm2Decrypt", KeyId=key_id, Ciphertext=b64(long))
    assert "256" in e.message


@pytest.mark.parametrize("alg", ["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
def test_rsa_decrypt_what_cryptography_and_openssl_encrypt(post_a, alg):
    key_id = new_key(post_a, "ASYMMETRIC_DECRYPT_RSA_2048")
    der, pem = public_key(post_a, key_id)
    key = serialization.load_der_public_key(der)
    pad, opts = {
        "RSAES_PKCS1_V1_5": (padding.PKCS1v15(), ["rsa_padding_mode:pkcs1"]),
        "RSAES_OAEP_SHA_1": (padding.OAEP(padding.MGF1(hashes.SHA1()), hashes.SHA1(), None),
                             ["rsa_padding_mode:oaep"]),
        "RSAES_OAEP_SHA_256": (padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None),
                               ["rsa_padding_mode:oaep", "rsa_oaep_md:sha256", "rsa_mgf1_md:sha256"]),
    }[alg]
    pt = os.urandom(32)
    for ct in [key.encrypt(pt, pad), openssl_encrypt(pem, pt, *opts)]:
        r = call(post_a, "AsymmetricRsaDecrypt", KeyId=key_id, Ciphertext=b64(ct), Algorithm=alg)
        assert unb64(r.Plaintext) == pt
    ct = bytearray(key.encrypt(pt, pad))
    ct[5] ^= 0x40
    expect_error("FailedOperation.DecryptError", post_a, "AsymmetricRsaDecrypt",
                 KeyId=key_id, Ciphertext=b64(ct), Algorithm=alg)


def test_decrypted_plaintext_is_delivered_to_an_openssl_key(post_a, tmp_path):
    key_id = new_key(post_a, "ASYMMETRIC_DECRYPT_SM2")
    _, pem = public_key(post_a, key_id)
    priv = tmp_path / "recipient.pem"
    openssl("genpkey", "-algorithm", "SM2", "-out", priv)
    recipient = openssl("pkey", "-in", priv, "-pubout").stdout.decode()
    pt = b"never leaves in the clear"
    r = post_a.call_json("AsymmetricSm2Decrypt", {
        "KeyId": key_id, "Ciphertext": b64(openssl_encrypt(pem, pt)),
        "EncryptionPublicKey": recipient, "EncryptionAlgorithm": "SM2_C1C3C2_ASN1"})["Response"]
    delivered = unb64(r["Plaintext"])
    assert delivered != pt
    back = openssl("pkeyutl", "-decrypt", "-inkey", priv, input=delivered).stdout
    assert back == pt
    expect_json_error("InvalidParameter", post_a, "AsymmetricSm2Decrypt", {
        "KeyId": key_id, "Ciphertext": b64(b"x" * 120), "EncryptionPublicKey": "not a key"})


# ---------------------------------------------------------------- usage and states


def test_usage_is_enforced(post_a):
    signing = new_key(post_a, "ASYMMETRIC_SIGN_VERIFY_SM2")
    decrypting = new_key(post_a, "ASYMMETRIC_DECRYPT_SM2")
    symmetric = create_key(post_a).KeyId
    for k in (signing, decrypting):
        expect_error("InvalidParameter", post_a, "Encrypt", KeyId=k, Plaintext=b64(b"x"))
        expect_error("InvalidParameterValue.InvalidKeyUsage", post_a, "GenerateDataKey", KeyId=k, KeySpec="AES_256")
        expect_error("UnsupportedOperation.RotateNotSupported", post_a, "RotateKey", KeyId=k)
        expect_error("UnsupportedOperation.RotateNotSupported", post_a, "EnableKeyRotation", KeyId=k)
    e = expect_error("InvalidParameterValue.InvalidKeyUsage", post_a, "AsymmetricSm2Decrypt",
                     KeyId=signing, Ciphertext=b64(bytes(120)))
    assert "ASYMMETRIC_SIGN_VERIFY_SM2" in e.message and "ASYMMETRIC_DECRYPT_SM2" in e.message
    expect_error("InvalidParameter", post_a, "SignByAsymmetricKey",
                 KeyId=decrypting, Algorithm="SM2DSA", Message=b64(b"m"))
    expect_error("InvalidParameter", post_a, "SignByAsymmetricKey",
                 KeyId=symmetric, Algorithm="SM2DSA", Message=b64(b"m"))
    expect_error("InvalidParameterValue.InvalidKeyUsage", post_a, "AsymmetricSm2Decrypt",
                 KeyId=symmetric, Ciphertext=b64(bytes(120)))
    expect_error("InvalidParameter", post_a, "GetPublicKey", KeyId=symmetric)


def test_states(post_a):
    key_id = new_key(post_a, "ASYMMETRIC_SIGN_VERIFY_SM2")
    sig = sign(post_a, key_id, "SM2DSA", b"m")
    call(post_a, "DisableKey", KeyId=key_id)
    expect_error("ResourceUnavailable.CmkStateNotSupport", post_a, "SignByAsymmetricKey",
                 KeyId=key_id, Algorithm="SM2DSA", Message=b64(b"m"))
    expect_error("ResourceUnavailable.CmkStateNotSupport", post_a, "GetPublicKey", KeyId=key_id)
    call(post_a, "EnableKey", KeyId=key_id)
    call(post_a, "ArchiveKey", KeyId=key_id)
    assert verify(post_a, key_id, "SM2DSA", b"m", sig)
    expect_error("ResourceUnavailable.CmkStateNotSupport", post_a, "SignByAsymmetricKey",
                 KeyId=key_id, Algorithm="SM2DSA", Message=b64(b"m"))
    call(post_a, "CancelKeyArchive", KeyId=key_id)
    call(post_a, "DisableKey", KeyId=key_id)
    call(post_a, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    expect_error("ResourceUnavailable.CmkStateNotSupport", post_a, "VerifyByAsymmetricKey",
                 KeyId=key_id, Algorithm="SM2DSA", Message=b64(b"m"), SignatureValue=b64(sig))
    assert describe(post_a, key_id).KeyState == "PendingDelete"


def test_other_accounts_see_nothing(post_a, cb):
    key_id = new_key(post_a, "ASYMMETRIC_SIGN_VERIFY_SM2")
    expect_error("ResourceUnavailable.CmkNotFound", cb, "GetPublicKey", KeyId=key_id)
    expect_error("ResourceUnavailable.CmkNotFound", cb, "SignByAsymmetricKey",
                 KeyId=key_id, Algorithm="SM2DSA", Message=b64(b"m"))
