"""Helpers for the Huawei KMS v1.0 interop tests: official `huaweicloudsdkkms` clients
pointed at a running smkms, calls through the SDK's typed request models, and error
assertions on the SDK's own exception classes.

The AK/SK of a Huawei client are an smkms SecretId/SecretKey; the project id is the
scope (the same name as a Tencent region is the same scope).
"""

import hashlib
import uuid

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.signer.algorithm import SigningAlgorithm
import huaweicloudsdkkms.v2 as kms
from huaweicloudsdkkms.v2 import KmsClient

ClientRequestException = exceptions.ClientRequestException
ServerResponseException = exceptions.ServerResponseException

# Huawei path segment -> (SDK method, request class, body class).
ACTIONS = {
    "create-key": ("create_key", "CreateKeyRequest", "CreateKeyRequestBody"),
    "create-datakey": ("create_datakey", "CreateDatakeyRequest", "CreateDatakeyRequestBody"),
    "create-datakey-without-plaintext": (
        "create_datakey_without_plaintext",
        "CreateDatakeyWithoutPlaintextRequest",
        "CreateDatakeyRequestBody",
    ),
    "encrypt-datakey": ("encrypt_datakey", "EncryptDatakeyRequest", "EncryptDatakeyRequestBody"),
    "decrypt-datakey": ("decrypt_datakey", "DecryptDatakeyRequest", "DecryptDatakeyRequestBody"),
    "encrypt-data": ("encrypt_data", "EncryptDataRequest", "EncryptDataRequestBody"),
    "decrypt-data": ("decrypt_data", "DecryptDataRequest", "DecryptDataRequestBody"),
    "describe-key": ("list_key_detail", "ListKeyDetailRequest", "OperateKeyRequestBody"),
    "list-keys": ("list_keys", "ListKeysRequest", "ListKeysRequestBody"),
    "enable-key": ("enable_key", "EnableKeyRequest", "OperateKeyRequestBody"),
    "disable-key": ("disable_key", "DisableKeyRequest", "OperateKeyRequestBody"),
    "schedule-key-deletion": ("delete_key", "DeleteKeyRequest", "ScheduleKeyDeletionRequestBody"),
    "cancel-key-deletion": ("cancel_key_deletion", "CancelKeyDeletionRequest", "OperateKeyRequestBody"),
    "update-key-alias": ("update_key_alias", "UpdateKeyAliasRequest", "UpdateKeyAliasRequestBody"),
    "update-key-description": (
        "update_key_description",
        "UpdateKeyDescriptionRequest",
        "UpdateKeyDescriptionRequestBody",
    ),
    "gen-random": ("create_random", "CreateRandomRequest", "GenRandomRequestBody"),
    "get-publickey": ("show_public_key", "ShowPublicKeyRequest", "OperateKeyRequestBody"),
    "sign": ("sign", "SignRequest", "SignRequestBody"),
    "verify": ("validate_signature", "ValidateSignatureRequest", "VerifyRequestBody"),
    "get-parameters-for-import": (
        "create_parameters_for_import",
        "CreateParametersForImportRequest",
        "GetParametersForImportRequestBody",
    ),
    "import-key-material": ("import_key_material", "ImportKeyMaterialRequest", "ImportKeyMaterialRequestBody"),
    "delete-imported-key-material": (
        "delete_imported_key_material",
        "DeleteImportedKeyMaterialRequest",
        "OperateKeyRequestBody",
    ),
}

MISSING_KEY = "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
SEQUENCE = "919c82d4-8046-4722-9094-35c3c6524cff"


def make_client(port, cred, project_id, sm3=False, preset_headers=None):
    """A KmsClient for http://127.0.0.1:PORT with the credential as AK/SK."""
    config = HttpConfig.get_default_config()
    config.timeout = (5, 30)
    if sm3:
        config.signing_algorithm = SigningAlgorithm.HMAC_SM3
    credentials = BasicCredentials(cred.secret_id, cred.secret_key, project_id)
    client = (
        KmsClient.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoint(f"http://127.0.0.1:{port}")
        .build()
    )
    if preset_headers:
        client.preset_headers = dict(preset_headers)
    return client


def request(action, **fields):
    """The SDK's typed request for `action`, its body built from `fields` (a field the
    body model does not have is a TypeError, so test typos cannot go unnoticed)."""
    _, req_cls, body_cls = ACTIONS[action]
    body = getattr(kms, body_cls)(**fields)
    return getattr(kms, req_cls)(body=body)


def call(client, action, **fields):
    method = ACTIONS[action][0]
    return getattr(client, method)(request(action, **fields))


def expect_error(cls, status, code, client, action, **fields):
    """Calls `action` and asserts the SDK raised exactly `cls` with `status` and `code`."""
    with pytest.raises(exceptions.ServiceResponseException) as ei:
        call(client, action, **fields)
    e = ei.value
    assert type(e) is cls, f"{action}: {type(e).__name__} {e.status_code} {e.error_code}"
    assert (e.status_code, e.error_code) == (status, code), (
        f"{action}: expected {status} {code}, got {e.status_code} {e.error_code}: {e.error_msg}"
    )
    assert e.error_msg, "every error carries a message"
    return e


def client_error(status, code, client, action, **fields):
    return expect_error(ClientRequestException, status, code, client, action, **fields)


def new_alias(prefix="hw"):
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def new_project():
    return "p" + uuid.uuid4().hex


def create_key(client, **fields):
    fields.setdefault("key_alias", new_alias())
    return call(client, "create-key", **fields).key_info.key_id


def describe(client, key_id):
    return call(client, "describe-key", key_id=key_id).key_info


def state_of(client, key_id):
    return describe(client, key_id).key_state


def sha256(data):
    return hashlib.sha256(data).digest()


def sm3(data):
    """SM3 from gmssl (an implementation independent of smkms)."""
    from gmssl import sm3 as g

    return bytes.fromhex(g.sm3_hash(list(data)))
