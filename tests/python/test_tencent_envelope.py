"""Envelope encryption through the official SDK: GenerateDataKey (not hosted), Encrypt,
Decrypt, ReEncrypt, the EncryptionContext, the CiphertextBlob v1 layout and tampering,
and the CMK states each of them accepts."""

import json
import uuid

import pytest

from kmstest import (
    BLOB_HEADER_LEN,
    BLOB_TAG_LEN,
    CIPHER_AES,
    CIPHER_SM4,
    UUID_RE,
    b64,
    call,
    error_of,
    expect_error,
    expect_json_error,
    key_in_state,
    new_cmk,
    new_key_id,
    new_region,
    parse_blob,
    random_uuid,
    state_of,
    unb64,
)

SPECS = [pytest.param(None, id="default-SM4"), pytest.param("AES_256", id="AES_256")]
CIPHER_OF = {None: CIPHER_SM4, "SM4": CIPHER_SM4, "AES_256": CIPHER_AES}

INVALID_CIPHERTEXT = "InvalidParameterValue.InvalidCiphertext"
NOT_FOUND = "ResourceUnavailable.CmkNotFound"


@pytest.fixture
def other_region_a(smkms, method):
    """Account A in another region, with its own credential (so that no request of this
    client can carry the same signature as one of `ca`'s; see test_tencent_replay.py)."""
    cred = smkms.server.create_credential(uin=smkms.a.uin)
    return smkms.client(cred, new_region(), method)


def gdk(client, key_id, **fields):
    return call(client, "GenerateDataKey", KeyId=key_id, **fields)


def encrypt(client, key_id, raw, context=None):
    fields = {"KeyId": key_id, "Plaintext": b64(raw)}
    if context is not None:
        fields["EncryptionContext"] = context
    return call(client, "Encrypt", **fields)


def decrypt(client, blob, context=None):
    fields = {"CiphertextBlob": blob}
    if context is not None:
        fields["EncryptionContext"] = context
    return call(client, "Decrypt", **fields)


def flip(blob, i, bit=0x01):
    raw = bytearray(unb64(blob))
    raw[i] ^= bit
    return b64(bytes(raw))


def with_key_id(blob, key_id):
    """The blob with its key-id bytes replaced (the rest, tag included, unchanged)."""
    raw = bytearray(unb64(blob))
    raw[2:18] = uuid.UUID(key_id).bytes
    return b64(bytes(raw))


# ---------------------------------------------------------------- GenerateDataKey


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("n", [1, 16, 32, 1024])
def test_generate_data_key_round_trip_every_size_edge(ca, spec, n):
    key_id = new_cmk(ca, spec)
    r = gdk(ca, key_id, NumberOfBytes=n)
    assert r.KeyId == key_id
    assert r.DataKeyId == ""
    assert UUID_RE.match(r.RequestId)
    plain = unb64(r.Plaintext)
    assert len(plain) == n
    b = parse_blob(r.CiphertextBlob)
    assert (b.version, b.cipher, b.key_id, b.key_version) == (1, CIPHER_OF[spec], key_id, 1)
    assert len(b.body) == n + BLOB_TAG_LEN
    d = decrypt(ca, r.CiphertextBlob)
    assert d.KeyId == key_id
    assert unb64(d.Plaintext) == plain


@pytest.mark.parametrize("spec, n", [("AES_128", 16), ("AES_256", 32)])
def test_generate_data_key_key_spec(ca, spec, n):
    key_id = new_key_id(ca)
    r = gdk(ca, key_id, KeySpec=spec)
    assert len(unb64(r.Plaintext)) == n
    assert unb64(decrypt(ca, r.CiphertextBlob).Plaintext) == unb64(r.Plaintext)


@pytest.mark.parametrize("spec", ["AES_128", "AES_256"])
def test_generate_data_key_number_of_bytes_wins_over_key_spec(ca, spec):
    key_id = new_key_id(ca)
    r = gdk(ca, key_id, KeySpec=spec, NumberOfBytes=20)
    assert len(unb64(r.Plaintext)) == 20
    assert len(parse_blob(r.CiphertextBlob).body) == 20 + BLOB_TAG_LEN


def test_generate_data_key_keys_differ(ca):
    key_id = new_key_id(ca)
    a = gdk(ca, key_id, NumberOfBytes=32)
    b = gdk(ca, key_id, NumberOfBytes=32)
    assert a.Plaintext != b.Plaintext
    assert parse_blob(a.CiphertextBlob).nonce != parse_blob(b.CiphertextBlob).nonce


def test_generate_data_key_needs_key_spec_or_number_of_bytes(ca):
    key_id = new_key_id(ca)
    e = expect_error("MissingParameter", ca, "GenerateDataKey", KeyId=key_id)
    assert "KeySpec" in e.message and "NumberOfBytes" in e.message


def test_generate_data_key_requires_key_id(ca):
    e = expect_error("MissingParameter", ca, "GenerateDataKey", NumberOfBytes=16)
    assert "KeyId" in e.message


@pytest.mark.parametrize("n", [0, 1025, -1])
def test_generate_data_key_number_of_bytes_out_of_range(ca, n):
    key_id = new_key_id(ca)
    e = expect_error("InvalidParameter", ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=n)
    assert "NumberOfBytes" in e.message and str(n) in e.message


@pytest.mark.parametrize("spec", ["AES_512", "SM4", "aes_256", "DES"])
def test_generate_data_key_unknown_key_spec(ca, spec):
    key_id = new_key_id(ca)
    e = expect_error("InvalidParameter", ca, "GenerateDataKey", KeyId=key_id, KeySpec=spec)
    assert "KeySpec" in e.message and spec in e.message


def test_generate_data_key_hsm_cluster(ca):
    key_id = new_key_id(ca)
    e = expect_error("InvalidParameterValue.InvalidHsmClusterId", ca, "GenerateDataKey",
                     KeyId=key_id, NumberOfBytes=16, HsmClusterId="cluster-1")
    assert "cluster-1" in e.message
    # An empty value means "none".
    r = gdk(ca, key_id, NumberOfBytes=16, HsmClusterId="")
    assert len(unb64(r.Plaintext)) == 16


@pytest.mark.parametrize("fields", [
    pytest.param({"EncryptionPublicKey": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
                 id="public-key"),
    pytest.param({"EncryptionPublicKey": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                  "EncryptionAlgorithm": "SM2_C1C3C2_ASN1"}, id="public-key-and-algorithm"),
])
def test_generate_data_key_garbage_public_key_is_refused(ca, fields):
    """A key that cannot be delivered to is refused (never answered with the key in
    the clear)."""
    key_id = new_key_id(ca)
    e = expect_error("InvalidParameterValue", ca, "GenerateDataKey",
                     KeyId=key_id, NumberOfBytes=16, **fields)
    assert "EncryptionPublicKey" in e.message


def test_decrypt_garbage_public_key_is_refused(ca):
    key_id = new_key_id(ca)
    blob = encrypt(ca, key_id, b"x").CiphertextBlob
    e = expect_error("InvalidParameterValue", ca, "Decrypt", CiphertextBlob=blob,
                     EncryptionPublicKey="-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                     EncryptionAlgorithm="SM2")
    assert "EncryptionPublicKey" in e.message


def test_generate_data_key_unknown_key(ca):
    missing = random_uuid()
    e = expect_error(NOT_FOUND, ca, "GenerateDataKey", KeyId=missing, NumberOfBytes=16)
    assert missing in e.message


@pytest.mark.parametrize("action, fields", [
    ("GenerateDataKey", {"NumberOfBytes": 16}),
    ("Encrypt", {"Plaintext": b64(b"hello")}),
])
@pytest.mark.parametrize("bad", ["not-a-uuid", "1b7c6a3e2f0d4c5b9a8e0d1f2e3c4b5a", "alias/x", ""])
def test_malformed_key_id(ca, action, fields, bad):
    code = "InvalidParameterValue.InvalidKeyId"
    e = expect_error(code, ca, action, KeyId=bad, **fields)
    assert "KeyId" in e.message


def test_another_accounts_key_is_not_found(ca, cb):
    key_id = new_key_id(ca)
    e = expect_error(NOT_FOUND, cb, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16)
    assert key_id in e.message
    expect_error(NOT_FOUND, cb, "Encrypt", KeyId=key_id, Plaintext=b64(b"x"))


# ---------------------------------------------------------------- CMK states

# What errors.rs `state_code` picks: the most specific code the action documents for
# the state, else ResourceUnavailable.CmkStateNotSupport.
ENCRYPT_SIDE_STATE_CODES = {
    ("GenerateDataKey", "Disabled"): "ResourceUnavailable.CmkDisabled",
    ("GenerateDataKey", "PendingDelete"): "ResourceUnavailable.KeyPendingDelete",
    ("GenerateDataKey", "Archived"): "ResourceUnavailable.CmkStateNotSupport",
    ("GenerateDataKey", "PendingImport"): "ResourceUnavailable.CmkStateNotSupport",
    ("Encrypt", "Disabled"): "ResourceUnavailable.CmkDisabled",
    ("Encrypt", "PendingDelete"): "ResourceUnavailable.CmkDisabled",
    ("Encrypt", "Archived"): "ResourceUnavailable.CmkArchived",
    ("Encrypt", "PendingImport"): "ResourceUnavailable.CmkStateNotSupport",
}


@pytest.mark.parametrize("action, state", sorted(ENCRYPT_SIDE_STATE_CODES))
def test_encrypt_side_refused_by_state(ca, action, state):
    key_id = key_in_state(ca, state)
    fields = {"NumberOfBytes": 16} if action == "GenerateDataKey" else {"Plaintext": b64(b"x")}
    e = expect_error(ENCRYPT_SIDE_STATE_CODES[(action, state)], ca, action, KeyId=key_id, **fields)
    assert key_id in e.message and state in e.message
    assert state_of(ca, key_id) == state


@pytest.mark.parametrize("state, code", [
    ("Disabled", "ResourceUnavailable.CmkDisabled"),
    ("PendingDelete", "ResourceUnavailable.CmkDisabled"),
])
def test_decrypt_refused_by_state_and_works_again(ca, state, code):
    key_id = new_key_id(ca)
    r = encrypt(ca, key_id, b"kept")
    call(ca, "DisableKey", KeyId=key_id)
    if state == "PendingDelete":
        call(ca, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    assert state_of(ca, key_id) == state
    e = expect_error(code, ca, "Decrypt", CiphertextBlob=r.CiphertextBlob)
    assert key_id in e.message and state in e.message
    if state == "PendingDelete":
        call(ca, "CancelKeyDeletion", KeyId=key_id)
    call(ca, "EnableKey", KeyId=key_id)
    assert unb64(decrypt(ca, r.CiphertextBlob).Plaintext) == b"kept"


def test_decrypt_blob_naming_a_pending_import_key(ca):
    """A PendingImport key has no material, so no real blob names it; a blob whose key-id
    bytes are replaced by its id is refused for the key's state."""
    key_id = key_in_state(ca, "PendingImport")
    blob = encrypt(ca, new_key_id(ca), b"x").CiphertextBlob
    e = expect_error("ResourceUnavailable.CmkStateNotSupport", ca, "Decrypt",
                     CiphertextBlob=with_key_id(blob, key_id))
    assert key_id in e.message and "PendingImport" in e.message


def test_archived_key_still_decrypts_but_does_not_encrypt(ca):
    key_id = new_key_id(ca)
    data = encrypt(ca, key_id, b"archived payload", '{"k":"v"}')
    dk = gdk(ca, key_id, NumberOfBytes=32)
    call(ca, "ArchiveKey", KeyId=key_id)
    d = decrypt(ca, data.CiphertextBlob, '{"k":"v"}')
    assert (d.KeyId, unb64(d.Plaintext)) == (key_id, b"archived payload")
    assert decrypt(ca, dk.CiphertextBlob).Plaintext == dk.Plaintext
    expect_error("ResourceUnavailable.CmkArchived", ca, "Encrypt", KeyId=key_id, Plaintext=b64(b"new"))


# ---------------------------------------------------------------- Encrypt / Decrypt


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("size", [1, 100, 4096])
def test_encrypt_decrypt_round_trip(ca, spec, size):
    key_id = new_cmk(ca, spec)
    raw = bytes((i * 7 + size) % 256 for i in range(size))
    r = encrypt(ca, key_id, raw)
    assert r.KeyId == key_id
    assert UUID_RE.match(r.RequestId)
    b = parse_blob(r.CiphertextBlob)
    assert (b.version, b.cipher, b.key_id, b.key_version) == (1, CIPHER_OF[spec], key_id, 1)
    assert len(unb64(r.CiphertextBlob)) == BLOB_HEADER_LEN + size + BLOB_TAG_LEN
    d = decrypt(ca, r.CiphertextBlob)
    assert d.KeyId == key_id
    assert unb64(d.Plaintext) == raw


def test_blob_layout(ca):
    """DESIGN.md section 2: version 1, the cipher, the CMK's UUID bytes, the material
    version as a big-endian u32, a fresh 12-byte nonce."""
    sm4 = new_cmk(ca, "SM4")
    aes = new_cmk(ca, "AES_256")
    for key_id, cipher in ((sm4, CIPHER_SM4), (aes, CIPHER_AES)):
        raw1 = unb64(encrypt(ca, key_id, b"same plaintext").CiphertextBlob)
        raw2 = unb64(encrypt(ca, key_id, b"same plaintext").CiphertextBlob)
        for raw in (raw1, raw2):
            assert raw[0] == 1
            assert raw[1] == cipher
            assert raw[2:18] == uuid.UUID(key_id).bytes
            assert raw[18:22] == b"\x00\x00\x00\x01"
            assert len(raw) == 34 + len(b"same plaintext") + 16
        assert raw1[22:34] != raw2[22:34], "a fresh nonce per blob"
        assert raw1[34:] != raw2[34:]


def test_cmk_type_reflects_key_spec(ca):
    assert call(ca, "DescribeKey", KeyId=new_cmk(ca, "SM4")).KeyMetadata.Type == 4
    assert call(ca, "DescribeKey", KeyId=new_cmk(ca, "AES_256")).KeyMetadata.Type == 2
    assert call(ca, "DescribeKey", KeyId=new_cmk(ca)).KeyMetadata.Type == 4


@pytest.mark.parametrize("plaintext, why", [
    (b64(b"\x00" * 4097), "4097-bytes"),
    ("", "empty"),
    ("not base64!", "bad-base64"),
    ("aGk", "no-padding"),
    ("aGk=\n", "trailing-newline"),
    ("a-_=", "url-safe-alphabet"),
])
def test_encrypt_invalid_plaintext(ca, plaintext, why):
    key_id = new_key_id(ca)
    e = expect_error("InvalidParameterValue.InvalidPlaintext", ca, "Encrypt", KeyId=key_id, Plaintext=plaintext)
    assert "Plaintext" in e.message, why


def test_encrypt_requires_plaintext_and_key_id(ca):
    key_id = new_key_id(ca)
    assert "Plaintext" in expect_error("MissingParameter", ca, "Encrypt", KeyId=key_id).message
    assert "KeyId" in expect_error("MissingParameter", ca, "Encrypt", Plaintext=b64(b"x")).message


def test_decrypt_requires_ciphertext_blob(ca):
    e = expect_error("MissingParameter", ca, "Decrypt", EncryptionContext='{"a":"b"}')
    assert "CiphertextBlob" in e.message


def test_decrypt_takes_no_key_id(ca):
    """The blob names its CMK; Decrypt has no KeyId field (the SDK model has none
    either), so one sent anyway is an unknown parameter."""
    key_id = new_key_id(ca)
    blob = encrypt(ca, key_id, b"x").CiphertextBlob
    e = expect_json_error("UnknownParameter", ca, "Decrypt", {"CiphertextBlob": blob, "KeyId": key_id})
    assert "KeyId" in e.message


# ---------------------------------------------------------------- EncryptionContext


CTX = '{"purpose":"backup","tenant":"t-1"}'
CTX_EQUIVALENT = [
    pytest.param('{"tenant":"t-1","purpose":"backup"}', id="reordered"),
    pytest.param(' {\n  "purpose" : "backup",\t"tenant": "t-1" }\n', id="whitespace"),
    pytest.param('{"tenant":"t\\u002d1","purpose":"backup"}', id="escaped"),
]
CTX_DIFFERENT = [
    pytest.param('{"purpose":"backup","tenant":"t-2"}', id="changed-value"),
    pytest.param('{"purpose":"backup"}', id="missing-key"),
    pytest.param('{"purpose":"backup","tenant":"t-1","x":"y"}', id="extra-key"),
    pytest.param('{"Purpose":"backup","tenant":"t-1"}', id="key-case"),
    pytest.param(None, id="no-context"),
    pytest.param("{}", id="empty-object"),
]


@pytest.mark.parametrize("other", CTX_EQUIVALENT)
def test_context_order_and_whitespace_do_not_matter(ca, other):
    key_id = new_key_id(ca)
    r = encrypt(ca, key_id, b"bound", CTX)
    assert unb64(decrypt(ca, r.CiphertextBlob, other).Plaintext) == b"bound"
    g = gdk(ca, key_id, NumberOfBytes=16, EncryptionContext=other)
    assert decrypt(ca, g.CiphertextBlob, CTX).Plaintext == g.Plaintext


@pytest.mark.parametrize("other", CTX_DIFFERENT)
def test_context_must_match(ca, other):
    key_id = new_key_id(ca)
    r = encrypt(ca, key_id, b"bound", CTX)
    e = expect_error(INVALID_CIPHERTEXT, ca, "Decrypt",
                     **{"CiphertextBlob": r.CiphertextBlob,
                        **({} if other is None else {"EncryptionContext": other})})
    assert "EncryptionContext" in e.message
    # Still fine with the right one.
    assert unb64(decrypt(ca, r.CiphertextBlob, CTX).Plaintext) == b"bound"


def test_blob_made_without_context_refuses_one(ca):
    key_id = new_key_id(ca)
    g = gdk(ca, key_id, NumberOfBytes=16)
    expect_error(INVALID_CIPHERTEXT, ca, "Decrypt", CiphertextBlob=g.CiphertextBlob,
                 EncryptionContext='{"a":"b"}')
    # An empty object or empty string is "no context".
    assert decrypt(ca, g.CiphertextBlob, "{}").Plaintext == g.Plaintext
    assert decrypt(ca, g.CiphertextBlob, "").Plaintext == g.Plaintext


BAD_CONTEXTS = [
    pytest.param("not json", id="not-json"),
    pytest.param('["a","b"]', id="array"),
    pytest.param('"text"', id="string"),
    pytest.param('{"a":1}', id="number-value"),
    pytest.param('{"a":{"b":"c"}}', id="object-value"),
    pytest.param('{"a":null}', id="null-value"),
    pytest.param('{"a":"1","a":"2"}', id="duplicate-key"),
    pytest.param('{"k":"' + "x" * 1017 + '"}', id="1025-chars"),
]


@pytest.mark.parametrize("context", BAD_CONTEXTS)
@pytest.mark.parametrize("action", ["GenerateDataKey", "Encrypt", "Decrypt"])
def test_invalid_context(ca, action, context):
    key_id = new_key_id(ca)
    if action == "GenerateDataKey":
        fields = {"KeyId": key_id, "NumberOfBytes": 16}
    elif action == "Encrypt":
        fields = {"KeyId": key_id, "Plaintext": b64(b"x")}
    else:
        fields = {"CiphertextBlob": encrypt(ca, key_id, b"x").CiphertextBlob}
    e = expect_error("InvalidParameter", ca, action, EncryptionContext=context, **fields)
    assert "EncryptionContext" in e.message


def test_context_of_exactly_1024_chars(ca):
    context = '{"k":"' + "x" * 1016 + '"}'
    assert len(context) == 1024
    key_id = new_key_id(ca)
    r = encrypt(ca, key_id, b"long context", context)
    assert unb64(decrypt(ca, r.CiphertextBlob, context).Plaintext) == b"long context"
    # Counted in characters, not bytes.
    wide = '{"k":"' + "\u00e9" * 1016 + '"}'
    assert len(wide) == 1024
    r = encrypt(ca, key_id, b"wide", wide)
    assert unb64(decrypt(ca, r.CiphertextBlob, wide).Plaintext) == b"wide"


def test_non_ascii_context(ca):
    context = json.dumps({"\u540d\u79f0": "\u5907\u4efd", "z": "1"}, ensure_ascii=False)
    key_id = new_key_id(ca)
    r = encrypt(ca, key_id, b"x", context)
    same = json.dumps({"z": "1", "\u540d\u79f0": "\u5907\u4efd"})  # \u escapes, other order
    assert unb64(decrypt(ca, r.CiphertextBlob, same).Plaintext) == b"x"


# ---------------------------------------------------------------- tampering


@pytest.mark.parametrize("spec", SPECS)
def test_every_flipped_byte_is_refused(ca, spec):
    key_id = new_cmk(ca, spec)
    blob = encrypt(ca, key_id, b"0123456789abcdef", '{"a":"b"}').CiphertextBlob
    raw = unb64(blob)
    assert len(raw) == BLOB_HEADER_LEN + 16 + BLOB_TAG_LEN
    codes = {}
    for i in range(len(raw)):
        for bit in (0x01, 0x80):
            err = error_of(call, ca, "Decrypt", CiphertextBlob=flip(blob, i, bit),
                           EncryptionContext='{"a":"b"}')
            codes[(i, bit)] = err.code
            if 2 <= i < 18:
                # The key-id bytes then name another key, which does not exist.
                assert err.code in (NOT_FOUND, INVALID_CIPHERTEXT), (i, bit, err.code, err.message)
            else:
                assert err.code == INVALID_CIPHERTEXT, (i, bit, err.code, err.message)
    assert len(codes) == 2 * len(raw)
    assert unb64(decrypt(ca, blob, '{"a":"b"}').Plaintext) == b"0123456789abcdef"


def test_truncated_and_extended_blobs(ca):
    key_id = new_key_id(ca)
    blob = encrypt(ca, key_id, b"abc").CiphertextBlob
    raw = unb64(blob)
    for n in range(len(raw)):
        expect_error(INVALID_CIPHERTEXT, ca, "Decrypt", CiphertextBlob=b64(raw[:n]))
    for extra in (b"\x00", b"\x01\x02\x03", raw):
        expect_error(INVALID_CIPHERTEXT, ca, "Decrypt", CiphertextBlob=b64(raw + extra))
    expect_error(INVALID_CIPHERTEXT, ca, "Decrypt", CiphertextBlob=b64(b"\x01" * 5000))


@pytest.mark.parametrize("mutate, why", [
    (lambda r: bytes([2]) + r[1:], "version-2"),
    (lambda r: bytes([0]) + r[1:], "version-0"),
    (lambda r: r[:1] + bytes([2]) + r[2:], "other-cipher"),
    (lambda r: r[:1] + bytes([3]) + r[2:], "unknown-cipher"),
    (lambda r: r[:1] + bytes([0]) + r[2:], "cipher-0"),
    (lambda r: r[:18] + b"\x00\x00\x00\x00" + r[22:], "material-version-0"),
    (lambda r: r[:18] + b"\x00\x00\x00\x02" + r[22:], "material-version-not-yet"),
    (lambda r: r[:18] + b"\xff\xff\xff\xff" + r[22:], "material-version-max"),
    (lambda r: r[:22] + bytes(12) + r[34:], "zero-nonce"),
    (lambda r: r[:-16] + bytes(16), "zero-tag"),
    (lambda r: r[:-1], "short-tag"),
])
def test_edited_header_fields(ca, mutate, why):
    key_id = new_key_id(ca)
    blob = encrypt(ca, key_id, b"header").CiphertextBlob
    tampered = b64(mutate(unb64(blob)))
    assert tampered != blob, why
    expect_error(INVALID_CIPHERTEXT, ca, "Decrypt", CiphertextBlob=tampered)


@pytest.mark.parametrize("text", [
    "not base64!", "AQ", "AQI=\n", " AQI=", "AQ==AQ==", "-_-_", "%%%%",
])
def test_decrypt_bad_base64(ca, text):
    expect_error(INVALID_CIPHERTEXT, ca, "Decrypt", CiphertextBlob=text)


def test_empty_ciphertext_blob(ca):
    expect_error(INVALID_CIPHERTEXT, ca, "Decrypt", CiphertextBlob="")


def test_blob_of_a_key_that_does_not_exist(ca):
    blob = encrypt(ca, new_key_id(ca), b"x").CiphertextBlob
    missing = random_uuid()
    e = expect_error(NOT_FOUND, ca, "Decrypt", CiphertextBlob=with_key_id(blob, missing))
    assert missing in e.message


def test_blob_spliced_onto_another_key_of_the_account(ca):
    """Two existing keys of the same cipher: the header names the other key, whose
    material does not open the tag."""
    k1, k2 = new_key_id(ca), new_key_id(ca)
    blob = encrypt(ca, k1, b"x").CiphertextBlob
    expect_error(INVALID_CIPHERTEXT, ca, "Decrypt", CiphertextBlob=with_key_id(blob, k2))


def test_blob_spliced_onto_a_key_of_the_other_cipher(ca):
    sm4, aes = new_cmk(ca, "SM4"), new_cmk(ca, "AES_256")
    blob = encrypt(ca, sm4, b"x").CiphertextBlob
    expect_error(INVALID_CIPHERTEXT, ca, "Decrypt", CiphertextBlob=with_key_id(blob, aes))
    raw = bytearray(unb64(with_key_id(blob, aes)))
    raw[1] = CIPHER_AES
    expect_error(INVALID_CIPHERTEXT, ca, "Decrypt", CiphertextBlob=b64(bytes(raw)))


# ---------------------------------------------------------------- scopes


def test_another_accounts_blob_is_not_found(ca, cb):
    key_id = new_key_id(ca)
    blob = encrypt(ca, key_id, b"secret of A").CiphertextBlob
    dk = gdk(ca, key_id, NumberOfBytes=16).CiphertextBlob
    e = expect_error(NOT_FOUND, cb, "Decrypt", CiphertextBlob=blob)
    assert key_id in e.message
    expect_error(NOT_FOUND, cb, "Decrypt", CiphertextBlob=dk)
    # Exactly like a blob of a key that never existed.
    missing = random_uuid()
    e2 = expect_error(NOT_FOUND, cb, "Decrypt", CiphertextBlob=with_key_id(blob, missing))
    assert e2.message == e.message.replace(key_id, missing)
    expect_error(NOT_FOUND, cb, "ReEncrypt", CiphertextBlob=blob)
    # Account B's own key as the destination does not help.
    expect_error(NOT_FOUND, cb, "ReEncrypt", CiphertextBlob=blob, DestinationKeyId=new_key_id(cb))


def test_another_regions_blob_is_not_found(ca, other_region_a):
    key_id = new_key_id(ca)
    blob = encrypt(ca, key_id, b"regional").CiphertextBlob
    e = expect_error(NOT_FOUND, other_region_a, "Decrypt", CiphertextBlob=blob)
    assert key_id in e.message
    assert unb64(decrypt(ca, blob).Plaintext) == b"regional"


# ---------------------------------------------------------------- ReEncrypt


def test_re_encrypt_unchanged_returns_the_same_blob(ca):
    key_id = new_key_id(ca)
    blob = encrypt(ca, key_id, b"stay", CTX).CiphertextBlob
    r = call(ca, "ReEncrypt", CiphertextBlob=blob, SourceEncryptionContext=CTX,
             DestinationEncryptionContext=CTX)
    assert r.ReEncrypted is False
    assert r.CiphertextBlob == blob
    assert (r.KeyId, r.SourceKeyId) == (key_id, key_id)
    assert UUID_RE.match(r.RequestId)
    # Naming the same key explicitly, and an equivalent context, change nothing either.
    r = call(ca, "ReEncrypt", CiphertextBlob=blob, DestinationKeyId=key_id,
             SourceEncryptionContext=CTX, DestinationEncryptionContext=' {"tenant":"t-1", "purpose":"backup"}')
    assert (r.ReEncrypted, r.CiphertextBlob) == (False, blob)
    nctx = encrypt(ca, key_id, b"no context").CiphertextBlob
    r = call(ca, "ReEncrypt", CiphertextBlob=nctx)
    assert (r.ReEncrypted, r.CiphertextBlob, r.KeyId, r.SourceKeyId) == (False, nctx, key_id, key_id)


@pytest.mark.parametrize("src_spec, dst_spec", [
    (None, "AES_256"), ("AES_256", None), (None, None), ("AES_256", "AES_256"),
])
def test_re_encrypt_to_another_key(ca, src_spec, dst_spec):
    src = new_cmk(ca, src_spec)
    dst = new_cmk(ca, dst_spec)
    blob = encrypt(ca, src, b"moving", CTX).CiphertextBlob
    r = call(ca, "ReEncrypt", CiphertextBlob=blob, DestinationKeyId=dst, SourceEncryptionContext=CTX)
    assert r.ReEncrypted is True
    assert (r.KeyId, r.SourceKeyId) == (dst, src)
    b = parse_blob(r.CiphertextBlob)
    assert (b.key_id, b.cipher, b.key_version) == (dst, CIPHER_OF[dst_spec], 1)
    # No DestinationEncryptionContext: the new blob has none.
    d = decrypt(ca, r.CiphertextBlob)
    assert (d.KeyId, unb64(d.Plaintext)) == (dst, b"moving")
    expect_error(INVALID_CIPHERTEXT, ca, "Decrypt", CiphertextBlob=r.CiphertextBlob, EncryptionContext=CTX)
    # The source blob is untouched.
    assert unb64(decrypt(ca, blob, CTX).Plaintext) == b"moving"


def test_re_encrypt_changes_the_context(ca):
    key_id = new_key_id(ca)
    blob = encrypt(ca, key_id, b"recontext", CTX).CiphertextBlob
    new_ctx = '{"purpose":"archive"}'
    r = call(ca, "ReEncrypt", CiphertextBlob=blob, SourceEncryptionContext=CTX,
             DestinationEncryptionContext=new_ctx)
    assert r.ReEncrypted is True
    assert r.CiphertextBlob != blob
    assert (r.KeyId, r.SourceKeyId) == (key_id, key_id)
    assert unb64(decrypt(ca, r.CiphertextBlob, new_ctx).Plaintext) == b"recontext"
    expect_error(INVALID_CIPHERTEXT, ca, "Decrypt", CiphertextBlob=r.CiphertextBlob, EncryptionContext=CTX)
    # Dropping the context is a change too.
    r = call(ca, "ReEncrypt", CiphertextBlob=blob, SourceEncryptionContext=CTX)
    assert r.ReEncrypted is True
    assert unb64(decrypt(ca, r.CiphertextBlob).Plaintext) == b"recontext"


def test_re_encrypt_wrong_source_context(ca):
    key_id = new_key_id(ca)
    blob = encrypt(ca, key_id, b"x", CTX).CiphertextBlob
    expect_error(INVALID_CIPHERTEXT, ca, "ReEncrypt", CiphertextBlob=blob,
                 SourceEncryptionContext='{"purpose":"other"}')
    expect_error(INVALID_CIPHERTEXT, ca, "ReEncrypt", CiphertextBlob=blob)
    e = expect_error("InvalidParameter", ca, "ReEncrypt", CiphertextBlob=blob,
                     SourceEncryptionContext=CTX, DestinationEncryptionContext="[1]")
    assert "EncryptionContext" in e.message


def test_re_encrypt_bad_blobs(ca):
    key_id = new_key_id(ca)
    blob = encrypt(ca, key_id, b"x").CiphertextBlob
    expect_error(INVALID_CIPHERTEXT, ca, "ReEncrypt", CiphertextBlob=flip(blob, 40))
    expect_error(INVALID_CIPHERTEXT, ca, "ReEncrypt", CiphertextBlob="not base64")
    expect_error(INVALID_CIPHERTEXT, ca, "ReEncrypt", CiphertextBlob=b64(unb64(blob)[:-1]))
    assert "CiphertextBlob" in expect_error("MissingParameter", ca, "ReEncrypt", DestinationKeyId=key_id).message


def test_re_encrypt_destination_key_errors(ca, cb):
    key_id = new_key_id(ca)
    blob = encrypt(ca, key_id, b"x").CiphertextBlob
    e = expect_error("InvalidParameterValue.InvalidKeyId", ca, "ReEncrypt", CiphertextBlob=blob,
                     DestinationKeyId="nope")
    assert "nope" in e.message
    missing = random_uuid()
    e = expect_error(NOT_FOUND, ca, "ReEncrypt", CiphertextBlob=blob, DestinationKeyId=missing)
    assert missing in e.message
    b_key = new_key_id(cb)
    e = expect_error(NOT_FOUND, ca, "ReEncrypt", CiphertextBlob=blob, DestinationKeyId=b_key)
    assert b_key in e.message


@pytest.mark.parametrize("state, code", [
    # ReEncrypt documents CmkDisabled but neither KeyPendingDelete nor CmkArchived.
    ("Disabled", "ResourceUnavailable.CmkDisabled"),
    ("PendingDelete", "ResourceUnavailable.CmkDisabled"),
    ("Archived", "ResourceUnavailable.CmkStateNotSupport"),
    ("PendingImport", "ResourceUnavailable.CmkStateNotSupport"),
])
def test_re_encrypt_destination_state(ca, state, code):
    src = new_key_id(ca)
    blob = encrypt(ca, src, b"x").CiphertextBlob
    dst = key_in_state(ca, state)
    e = expect_error(code, ca, "ReEncrypt", CiphertextBlob=blob, DestinationKeyId=dst)
    assert dst in e.message and state in e.message


@pytest.mark.parametrize("state, code", [
    ("Disabled", "ResourceUnavailable.CmkDisabled"),
    ("PendingDelete", "ResourceUnavailable.CmkDisabled"),
])
def test_re_encrypt_source_state(ca, state, code):
    src = new_key_id(ca)
    dst = new_key_id(ca)
    blob = encrypt(ca, src, b"x").CiphertextBlob
    call(ca, "DisableKey", KeyId=src)
    if state == "PendingDelete":
        call(ca, "ScheduleKeyDeletion", KeyId=src, PendingWindowInDays=7)
    e = expect_error(code, ca, "ReEncrypt", CiphertextBlob=blob, DestinationKeyId=dst)
    assert src in e.message and state in e.message


def test_re_encrypt_from_an_archived_key(ca):
    """An archived source still decrypts, so its blobs can move to another key, but it
    cannot be the destination itself."""
    src = new_key_id(ca)
    dst = new_key_id(ca)
    blob = encrypt(ca, src, b"out of the archive").CiphertextBlob
    call(ca, "ArchiveKey", KeyId=src)
    r = call(ca, "ReEncrypt", CiphertextBlob=blob, DestinationKeyId=dst)
    assert (r.ReEncrypted, r.KeyId, r.SourceKeyId) == (True, dst, src)
    assert unb64(decrypt(ca, r.CiphertextBlob).Plaintext) == b"out of the archive"
    e = expect_error("ResourceUnavailable.CmkStateNotSupport", ca, "ReEncrypt", CiphertextBlob=blob)
    assert src in e.message and "Archived" in e.message
