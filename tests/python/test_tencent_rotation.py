"""Key rotation through the official SDK: EnableKeyRotation, DisableKeyRotation,
GetKeyRotationStatus, RotateKey, the rotation fields of KeyMetadata, material versions
in CiphertextBlobs, and a server restart in the middle of it all."""

import pytest

from kmstest import (
    UUID_RE,
    b64,
    call,
    describe,
    expect_error,
    key_in_state,
    new_cmk,
    new_data_key_name,
    new_key_id,
    now,
    parse_blob,
    random_uuid,
    unb64,
)

DAY = 86400
SPECS = [pytest.param(None, id="default-SM4"), pytest.param("AES_256", id="AES_256")]
ROTATION_ACTIONS = ["EnableKeyRotation", "DisableKeyRotation", "GetKeyRotationStatus", "RotateKey"]


def rotation_enabled(client, key_id):
    return call(client, "GetKeyRotationStatus", KeyId=key_id).KeyRotationEnabled


def encrypt(client, key_id, raw, context=None):
    fields = {"KeyId": key_id, "Plaintext": b64(raw)}
    if context is not None:
        fields["EncryptionContext"] = context
    return call(client, "Encrypt", **fields).CiphertextBlob


def decrypt(client, blob, context=None):
    fields = {"CiphertextBlob": blob}
    if context is not None:
        fields["EncryptionContext"] = context
    return unb64(call(client, "Decrypt", **fields).Plaintext)


# ---------------------------------------------------------------- configuration


def test_rotation_is_off_for_a_new_key(ca):
    key_id = new_key_id(ca)
    r = call(ca, "GetKeyRotationStatus", KeyId=key_id)
    assert r.KeyRotationEnabled is False
    assert UUID_RE.match(r.RequestId)
    m = describe(ca, key_id)
    assert (m.KeyRotationEnabled, m.RotateDays, m.NextRotateTime, m.LastRotateTime) == (False, 0, 0, 0)


def test_enable_key_rotation_defaults_to_365_days(ca):
    key_id = new_key_id(ca)
    before = now()
    r = call(ca, "EnableKeyRotation", KeyId=key_id)
    after = now()
    assert UUID_RE.match(r.RequestId)
    assert rotation_enabled(ca, key_id) is True
    m = describe(ca, key_id)
    assert (m.KeyRotationEnabled, m.RotateDays, m.LastRotateTime) == (True, 365, 0)
    assert before + 365 * DAY - 2 <= m.NextRotateTime <= after + 365 * DAY + 2


@pytest.mark.parametrize("days", [7, 90, 365])
def test_enable_key_rotation_with_days(ca, days):
    key_id = new_key_id(ca)
    before = now()
    call(ca, "EnableKeyRotation", KeyId=key_id, RotateDays=days)
    after = now()
    m = describe(ca, key_id)
    assert (m.KeyRotationEnabled, m.RotateDays) == (True, days)
    assert before + days * DAY - 2 <= m.NextRotateTime <= after + days * DAY + 2


def test_enable_key_rotation_again_changes_the_period(ca):
    key_id = new_key_id(ca)
    call(ca, "EnableKeyRotation", KeyId=key_id, RotateDays=30)
    call(ca, "EnableKeyRotation", KeyId=key_id, RotateDays=10)
    m = describe(ca, key_id)
    assert (m.KeyRotationEnabled, m.RotateDays) == (True, 10)
    assert abs(m.NextRotateTime - (now() + 10 * DAY)) <= 3


@pytest.mark.parametrize("days", [6, 366, 0, -1])
def test_enable_key_rotation_days_out_of_range(ca, days):
    key_id = new_key_id(ca)
    e = expect_error("InvalidParameterValue", ca, "EnableKeyRotation", KeyId=key_id, RotateDays=days)
    assert "RotateDays" in e.message and str(days) in e.message
    assert rotation_enabled(ca, key_id) is False
    assert describe(ca, key_id).NextRotateTime == 0


def test_disable_key_rotation(ca):
    key_id = new_key_id(ca)
    call(ca, "EnableKeyRotation", KeyId=key_id, RotateDays=30)
    r = call(ca, "DisableKeyRotation", KeyId=key_id)
    assert UUID_RE.match(r.RequestId)
    assert rotation_enabled(ca, key_id) is False
    m = describe(ca, key_id)
    assert (m.KeyRotationEnabled, m.NextRotateTime) == (False, 0)
    # Idempotent, and rotation can be turned on again.
    call(ca, "DisableKeyRotation", KeyId=key_id)
    assert rotation_enabled(ca, key_id) is False
    call(ca, "EnableKeyRotation", KeyId=key_id, RotateDays=7)
    assert rotation_enabled(ca, key_id) is True


def test_rotation_of_a_disabled_key_can_be_configured(ca):
    key_id = key_in_state(ca, "Disabled")
    call(ca, "EnableKeyRotation", KeyId=key_id, RotateDays=7)
    assert rotation_enabled(ca, key_id) is True
    call(ca, "DisableKeyRotation", KeyId=key_id)
    assert rotation_enabled(ca, key_id) is False


@pytest.mark.parametrize("state", ["PendingDelete", "Archived"])
def test_enable_key_rotation_refused_by_state(ca, state):
    key_id = key_in_state(ca, state)
    e = expect_error("ResourceUnavailable.CmkStateNotSupport", ca, "EnableKeyRotation", KeyId=key_id)
    assert key_id in e.message and state in e.message
    assert rotation_enabled(ca, key_id) is False


def test_external_key_cannot_rotate(ca):
    key_id = key_in_state(ca, "PendingImport")
    e = expect_error("UnsupportedOperation.ExternalCmkCanNotRotate", ca, "EnableKeyRotation", KeyId=key_id)
    assert key_id in e.message
    e = expect_error("UnsupportedOperation.ExternalCmkCanNotRotate", ca, "EnableKeyRotation",
                     KeyId=key_id, RotateDays=30)
    e = expect_error("UnsupportedOperation.RotateNotSupported", ca, "RotateKey", KeyId=key_id)
    assert key_id in e.message
    assert rotation_enabled(ca, key_id) is False
    m = describe(ca, key_id)
    assert (m.KeyState, m.LastRotateTime) == ("PendingImport", 0)


@pytest.mark.parametrize("action", ROTATION_ACTIONS)
def test_rotation_actions_key_ids(ca, cb, action):
    missing = random_uuid()
    e = expect_error("ResourceUnavailable.CmkNotFound", ca, action, KeyId=missing)
    assert missing in e.message
    expect_error("InvalidParameterValue.InvalidKeyId", ca, action, KeyId="not-a-key-id")
    assert "KeyId" in expect_error("MissingParameter", ca, action).message
    foreign = new_key_id(cb)
    expect_error("ResourceUnavailable.CmkNotFound", ca, action, KeyId=foreign)
    m = describe(cb, foreign)
    assert (m.KeyRotationEnabled, m.LastRotateTime) == (False, 0)


# ---------------------------------------------------------------- RotateKey


def test_rotate_key(ca):
    key_id = new_key_id(ca)
    before = now()
    r = call(ca, "RotateKey", KeyId=key_id)
    after = now()
    assert UUID_RE.match(r.TaskId)
    assert UUID_RE.match(r.RequestId)
    m = describe(ca, key_id)
    assert before - 1 <= m.LastRotateTime <= after + 1
    # Manual rotation does not turn automatic rotation on.
    assert (m.KeyRotationEnabled, m.NextRotateTime, m.KeyState) == (False, 0, "Enabled")
    assert call(ca, "RotateKey", KeyId=key_id).TaskId != r.TaskId


def test_rotate_key_moves_the_next_automatic_rotation(ca):
    key_id = new_key_id(ca)
    call(ca, "EnableKeyRotation", KeyId=key_id, RotateDays=30)
    call(ca, "RotateKey", KeyId=key_id)
    m = describe(ca, key_id)
    assert (m.KeyRotationEnabled, m.RotateDays) == (True, 30)
    assert abs(m.NextRotateTime - (m.LastRotateTime + 30 * DAY)) <= 1
    assert abs(m.LastRotateTime - now()) <= 2


@pytest.mark.parametrize("state", ["Disabled", "PendingDelete", "Archived"])
def test_rotate_key_refused_by_state(ca, state):
    key_id = new_key_id(ca)
    blob = encrypt(ca, key_id, b"v1")
    if state == "Archived":
        call(ca, "ArchiveKey", KeyId=key_id)
    else:
        call(ca, "DisableKey", KeyId=key_id)
    if state == "PendingDelete":
        call(ca, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    e = expect_error("ResourceUnavailable.CmkStateNotSupport", ca, "RotateKey", KeyId=key_id)
    assert key_id in e.message and state in e.message
    assert describe(ca, key_id).LastRotateTime == 0
    if state == "Archived":
        call(ca, "CancelKeyArchive", KeyId=key_id)
    else:
        if state == "PendingDelete":
            call(ca, "CancelKeyDeletion", KeyId=key_id)
        call(ca, "EnableKey", KeyId=key_id)
    # No version was added: new blobs are still version 1.
    assert parse_blob(encrypt(ca, key_id, b"still v1")).key_version == 1
    assert decrypt(ca, blob) == b"v1"


@pytest.mark.parametrize("spec", SPECS)
def test_blobs_survive_rotations_and_carry_the_version(ca, spec):
    key_id = new_cmk(ca, spec)
    blobs = []
    for version in range(1, 5):
        data = f"payload {version}".encode()
        ctx = f'{{"v":"{version}"}}'
        blob = encrypt(ca, key_id, data, ctx)
        b = parse_blob(blob)
        assert (b.key_id, b.key_version) == (key_id, version)
        g = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=32)
        assert parse_blob(g.CiphertextBlob).key_version == version
        blobs.append((blob, data, ctx, g))
        call(ca, "RotateKey", KeyId=key_id)
    # Every blob, whichever version made it, still opens.
    for blob, data, ctx, g in blobs:
        assert decrypt(ca, blob, ctx) == data
        d = call(ca, "Decrypt", CiphertextBlob=g.CiphertextBlob)
        assert (d.KeyId, d.Plaintext) == (key_id, g.Plaintext)
        # A blob may not claim another version than the one it was made with.
        raw = bytearray(unb64(blob))
        raw[18:22] = (parse_blob(blob).key_version % 5 + 1).to_bytes(4, "big")
        expect_error("InvalidParameterValue.InvalidCiphertext", ca, "Decrypt", CiphertextBlob=b64(bytes(raw)),
                     EncryptionContext=ctx)
    assert parse_blob(encrypt(ca, key_id, b"newest")).key_version == 5


def test_re_encrypt_after_rotation(ca):
    key_id = new_key_id(ca)
    ctx = '{"doc":"42"}'
    old = encrypt(ca, key_id, b"re-wrap me", ctx)
    before = call(ca, "ReEncrypt", CiphertextBlob=old, SourceEncryptionContext=ctx, DestinationEncryptionContext=ctx)
    assert (before.ReEncrypted, before.CiphertextBlob) == (False, old)
    call(ca, "RotateKey", KeyId=key_id)
    call(ca, "RotateKey", KeyId=key_id)
    r = call(ca, "ReEncrypt", CiphertextBlob=old, SourceEncryptionContext=ctx, DestinationEncryptionContext=ctx)
    assert r.ReEncrypted is True
    assert (r.KeyId, r.SourceKeyId) == (key_id, key_id)
    b = parse_blob(r.CiphertextBlob)
    assert (b.key_id, b.key_version) == (key_id, 3)
    assert decrypt(ca, r.CiphertextBlob, ctx) == b"re-wrap me"
    # The new blob is current: re-encrypting it again changes nothing.
    again = call(ca, "ReEncrypt", CiphertextBlob=r.CiphertextBlob, SourceEncryptionContext=ctx,
                 DestinationEncryptionContext=ctx)
    assert (again.ReEncrypted, again.CiphertextBlob) == (False, r.CiphertextBlob)
    # And the old one still opens.
    assert decrypt(ca, old, ctx) == b"re-wrap me"


def test_re_encrypt_old_blob_to_another_rotated_key(ca):
    src, dst = new_key_id(ca), new_cmk(ca, "AES_256")
    old = encrypt(ca, src, b"cross")
    call(ca, "RotateKey", KeyId=src)
    call(ca, "RotateKey", KeyId=dst)
    r = call(ca, "ReEncrypt", CiphertextBlob=old, DestinationKeyId=dst)
    assert (r.ReEncrypted, r.KeyId, r.SourceKeyId) == (True, dst, src)
    b = parse_blob(r.CiphertextBlob)
    assert (b.key_id, b.cipher, b.key_version) == (dst, 2, 2)
    assert decrypt(ca, r.CiphertextBlob) == b"cross"


def test_hosted_data_key_survives_rotation(ca):
    key_id = new_key_id(ca)
    g = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=32, IsHostedByKms=1,
             DataKeyName=new_data_key_name(), EncryptionContext='{"a":"1"}')
    call(ca, "RotateKey", KeyId=key_id)
    call(ca, "RotateKey", KeyId=key_id)
    assert call(ca, "GetDataKeyPlaintext", DataKeyId=g.DataKeyId).Plaintext == g.Plaintext
    # The kept blob is the original one, of version 1.
    kept = call(ca, "GetDataKeyCiphertextBlob", DataKeyId=g.DataKeyId).CiphertextBlob
    assert kept == g.CiphertextBlob
    assert parse_blob(kept).key_version == 1
    h = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=32, IsHostedByKms=1,
             DataKeyName=new_data_key_name())
    assert parse_blob(h.CiphertextBlob).key_version == 3


def test_archived_key_keeps_decrypting_every_version(ca):
    key_id = new_key_id(ca)
    v1 = encrypt(ca, key_id, b"one")
    call(ca, "RotateKey", KeyId=key_id)
    v2 = encrypt(ca, key_id, b"two")
    call(ca, "ArchiveKey", KeyId=key_id)
    assert (decrypt(ca, v1), decrypt(ca, v2)) == (b"one", b"two")


# ---------------------------------------------------------------- restart


def test_blobs_rotation_and_data_keys_survive_a_restart(spawn_server):
    env = spawn_server(None)
    region = "ap-restart"
    c = env.client(env.a, region, "POST")
    sm4 = new_cmk(c, "SM4")
    aes = new_cmk(c, "AES_256")
    ctx = '{"restart":"yes"}'
    v1 = {k: encrypt(c, k, b"before restart " + k.encode(), ctx) for k in (sm4, aes)}
    hosted = call(c, "GenerateDataKey", KeyId=sm4, NumberOfBytes=64, IsHostedByKms=1,
                  DataKeyName="survivor", Description="kept", EncryptionContext=ctx)
    imported = call(c, "ImportDataKey", DataKeyName="imported", ImportType=2, KeyId=aes,
                    ImportKeyMaterial=b64(b"i" * 24))
    for k in (sm4, aes):
        call(c, "RotateKey", KeyId=k)
    call(c, "EnableKeyRotation", KeyId=sm4, RotateDays=14)
    v2 = {k: encrypt(c, k, b"after first rotation", ctx) for k in (sm4, aes)}
    assert {parse_blob(b).key_version for b in v2.values()} == {2}
    meta_before = describe(c, sm4)
    call(c, "DisableDataKey", DataKeyId=imported.DataKeyId)

    env.server.assert_stops_cleanly()
    env.server.start()

    # A new client (the port is new), with the account's second credential.
    c = env.client(env.a2, region, "POST")
    for k in (sm4, aes):
        assert decrypt(c, v1[k], ctx) == b"before restart " + k.encode()
        assert decrypt(c, v2[k], ctx) == b"after first rotation"
        call(c, "RotateKey", KeyId=k)
        assert decrypt(c, v1[k], ctx) == b"before restart " + k.encode()
        v3 = encrypt(c, k, b"third", ctx)
        assert parse_blob(v3).key_version == 3
        assert decrypt(c, v3, ctx) == b"third"
    meta = describe(c, sm4)
    assert (meta.KeyRotationEnabled, meta.RotateDays) == (True, 14)
    assert meta.LastRotateTime >= meta_before.LastRotateTime > 0
    assert abs(meta.NextRotateTime - (meta.LastRotateTime + 14 * DAY)) <= 1
    assert describe(c, aes).Type == 2
    assert call(c, "GetKeyRotationStatus", KeyId=aes).KeyRotationEnabled is False
    # The hosted data key's plaintext and metadata survive.
    assert call(c, "GetDataKeyPlaintext", DataKeyId=hosted.DataKeyId).Plaintext == hosted.Plaintext
    assert call(c, "GetDataKeyCiphertextBlob", DataKeyId=hosted.DataKeyId).CiphertextBlob == hosted.CiphertextBlob
    m = call(c, "DescribeDataKey", DataKeyId=hosted.DataKeyId).DataKeyMetadata
    assert (m.DataKeyName, m.Description, m.NumberOfBytes, m.KeyId, m.KeyState) == (
        "survivor", "kept", 64, sm4, "Enabled")
    m = call(c, "DescribeDataKey", DataKeyId=imported.DataKeyId).DataKeyMetadata
    assert (m.DataKeyName, m.Origin, m.KeyState) == ("imported", "EXTERNAL", "Disabled")
    call(c, "EnableDataKey", DataKeyId=imported.DataKeyId)
    assert unb64(call(c, "GetDataKeyPlaintext", DataKeyId=imported.DataKeyId).Plaintext) == b"i" * 24
    assert call(c, "GetServiceStatus").DataKeyUsedCount == 2
