"""Key states: EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion, ArchiveKey,
CancelKeyArchive, and the codes each refused transition answers."""

import pytest

from kmstest import (
    UUID_RE,
    call,
    describe,
    expect_error,
    key_in_state,
    new_key_id,
    now,
    state_of,
)

DAY = 86400


def test_disable_and_enable_are_idempotent(ca):
    key_id = new_key_id(ca)
    r = call(ca, "DisableKey", KeyId=key_id)
    assert UUID_RE.match(r.RequestId)
    assert state_of(ca, key_id) == "Disabled"
    call(ca, "DisableKey", KeyId=key_id)
    assert state_of(ca, key_id) == "Disabled"
    call(ca, "EnableKey", KeyId=key_id)
    assert state_of(ca, key_id) == "Enabled"
    call(ca, "EnableKey", KeyId=key_id)
    assert state_of(ca, key_id) == "Enabled"


def test_schedule_deletion_of_an_enabled_key(ca):
    key_id = new_key_id(ca)
    e = expect_error("ResourceUnavailable.CmkShouldBeDisabled", ca, "ScheduleKeyDeletion",
                     KeyId=key_id, PendingWindowInDays=7)
    assert key_id in e.message
    m = describe(ca, key_id)
    assert (m.KeyState, m.DeletionDate) == ("Enabled", 0)


@pytest.mark.parametrize("days", [7, 30])
def test_schedule_key_deletion(ca, days):
    key_id = key_in_state(ca, "Disabled")
    before = now()
    r = call(ca, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=days)
    after = now()
    assert r.KeyId == key_id
    assert before + days * DAY - 2 <= r.DeletionDate <= after + days * DAY + 2
    m = describe(ca, key_id)
    assert m.KeyState == "PendingDelete"
    assert m.DeletionDate == r.DeletionDate


@pytest.mark.parametrize("days", [6, 31, 0, -7, 1096])
def test_schedule_key_deletion_window_out_of_range(ca, days):
    key_id = key_in_state(ca, "Disabled")
    e = expect_error("InvalidParameter.InvalidPendingWindowInDays", ca, "ScheduleKeyDeletion",
                     KeyId=key_id, PendingWindowInDays=days)
    assert "PendingWindowInDays" in e.message
    assert str(days) in e.message
    assert state_of(ca, key_id) == "Disabled"


def test_schedule_key_deletion_requires_window(ca):
    key_id = key_in_state(ca, "Disabled")
    e = expect_error("MissingParameter", ca, "ScheduleKeyDeletion", KeyId=key_id)
    assert "PendingWindowInDays" in e.message


def test_schedule_deletion_of_a_pending_import_key(ca):
    key_id = key_in_state(ca, "PendingImport")
    r = call(ca, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    assert r.KeyId == key_id
    assert state_of(ca, key_id) == "PendingDelete"


def test_schedule_deletion_twice(ca):
    key_id = key_in_state(ca, "PendingDelete")
    date = describe(ca, key_id).DeletionDate
    e = expect_error("ResourceUnavailable.CmkStateNotSupport", ca, "ScheduleKeyDeletion",
                     KeyId=key_id, PendingWindowInDays=30)
    assert key_id in e.message
    assert describe(ca, key_id).DeletionDate == date


def test_cancel_key_deletion_returns_to_disabled(ca):
    key_id = key_in_state(ca, "PendingDelete")
    r = call(ca, "CancelKeyDeletion", KeyId=key_id)
    assert r.KeyId == key_id
    assert UUID_RE.match(r.RequestId)
    m = describe(ca, key_id)
    assert (m.KeyState, m.DeletionDate) == ("Disabled", 0)
    # And it can be used again from there.
    call(ca, "EnableKey", KeyId=key_id)
    assert state_of(ca, key_id) == "Enabled"


def test_cancel_key_deletion_of_external_key_returns_to_pending_import(ca):
    key_id = key_in_state(ca, "PendingImport")
    call(ca, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    r = call(ca, "CancelKeyDeletion", KeyId=key_id)
    assert r.KeyId == key_id
    m = describe(ca, key_id)
    assert (m.KeyState, m.DeletionDate, m.Origin) == ("PendingImport", 0, "EXTERNAL")


@pytest.mark.parametrize("state", ["Enabled", "Disabled", "PendingImport", "Archived"])
def test_cancel_key_deletion_of_a_key_not_pending_delete(ca, state):
    key_id = key_in_state(ca, state)
    e = expect_error("ResourceUnavailable.CmkNotPendingDelete", ca, "CancelKeyDeletion", KeyId=key_id)
    assert key_id in e.message
    assert state_of(ca, key_id) == state


@pytest.mark.parametrize("action", ["EnableKey", "DisableKey"])
@pytest.mark.parametrize("state", ["PendingDelete", "PendingImport", "Archived"])
def test_enable_disable_refused(ca, action, state):
    key_id = key_in_state(ca, state)
    e = expect_error("ResourceUnavailable.CmkStateNotSupport", ca, action, KeyId=key_id)
    assert key_id in e.message
    assert state in e.message
    assert state_of(ca, key_id) == state


def test_archive_and_cancel_archive(ca):
    key_id = new_key_id(ca)
    call(ca, "ArchiveKey", KeyId=key_id)
    assert state_of(ca, key_id) == "Archived"
    call(ca, "CancelKeyArchive", KeyId=key_id)
    assert state_of(ca, key_id) == "Enabled"


@pytest.mark.parametrize("state", ["Disabled", "PendingDelete", "PendingImport"])
def test_archive_refused(ca, state):
    key_id = key_in_state(ca, state)
    e = expect_error("ResourceUnavailable.CmkStateNotSupport", ca, "ArchiveKey", KeyId=key_id)
    assert key_id in e.message
    assert state_of(ca, key_id) == state


@pytest.mark.parametrize("state", ["Enabled", "Disabled", "PendingDelete", "PendingImport"])
def test_cancel_key_archive_refused(ca, state):
    key_id = key_in_state(ca, state)
    e = expect_error("ResourceUnavailable.CmkStateNotSupport", ca, "CancelKeyArchive", KeyId=key_id)
    assert key_id in e.message
    assert state_of(ca, key_id) == state
