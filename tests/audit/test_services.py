"""Appending to the Merkle log: numbering, encoding, hashes, tags, checkpoints, fail closed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory, override_settings

from shoumi.accounts.roles import Role
from shoumi.audit import keys, services
from shoumi.audit.actions import Action, Result
from shoumi.audit.errors import AuditError
from shoumi.audit.models import AuditEvent, LogHead, SignedCheckpoint, SubtreeHash
from shoumi.audit.store import DatabaseHashStore
from shoumi.config import clock
from shoumi.ledger import (
    MemoryHashStore,
    TreeAppender,
    decode_event,
    get_hasher,
    load_compact_range,
    root_hash,
)
from tests.accounts.factories import UserFactory
from tests.audit.helpers import append_events

pytestmark = pytest.mark.django_db


def test_events_are_numbered_from_zero_without_gaps() -> None:
    first = services.append(action=Action.LOGOUT)
    second = services.append(action=Action.LOGOUT)
    batch = append_events(3)

    assert [first.seq, second.seq] == [0, 1]
    assert [event.seq for event in batch] == [2, 3, 4]
    assert LogHead.objects.get().size == 5


def test_encoding_is_canonical_and_holds_every_value() -> None:
    actor = UserFactory(roles=[Role.REVIEWER, Role.MANAGER], employee_number="E77001")
    request = RequestFactory().get("/", REMOTE_ADDR="2001:db8:0:0:0:0:0:1")
    request.request_id = "req-0123456789"

    event = services.append(
        action=Action.REVEAL,
        actor=actor,
        object_type="clients.person",
        object_id=42,
        field="resident_id",
        purpose="办理工商年报",
        request=request,
        details={"reason": "核对"},
    )

    decoded = decode_event(bytes(event.encoded))
    assert decoded["seq"] == event.seq
    assert decoded["action"] == "reveal"
    assert decoded["actor_id"] == str(actor.pk)
    assert decoded["actor_role"] == "manager,reviewer"
    assert decoded["object_type"] == "clients.person"
    assert decoded["object_id"] == "42"
    assert decoded["field"] == "resident_id"
    assert decoded["purpose"] == "办理工商年报"
    assert decoded["client_ip"] == "2001:db8::1"
    assert decoded["request_id"] == "req-0123456789"
    assert decoded["details"] == {"reason": "核对", "actor_employee_number": "E77001"}


def test_properties_read_values_from_the_encoding() -> None:
    actor = UserFactory(roles=[Role.CLERK], employee_number="E77002")
    services.append(
        action=Action.REVEAL,
        actor=actor,
        field="mobile",
        purpose="回访",
        details={"reason": "回访"},
    )

    stored = AuditEvent.objects.get()

    assert stored.actor_employee_number == "E77002"
    assert stored.actor_roles == "clerk"
    assert stored.field == "mobile"
    assert stored.purpose == "回访"
    assert stored.client_ip is None
    assert stored.request_id == ""
    assert stored.details == {"reason": "回访"}


def test_leaf_hash_and_tag_match_the_encoding() -> None:
    event = services.append(action=Action.LOGOUT)
    hasher = get_hasher(LogHead.objects.get().hash_name)

    leaf_hash = hasher.hash_leaf(bytes(event.encoded))

    assert bytes(AuditEvent.objects.get().leaf_hash) == leaf_hash
    assert bytes(AuditEvent.objects.get().leaf_tag) == keys.log_leaf_tagger("sha256").tag(leaf_hash)


def test_stored_tree_matches_a_tree_built_in_memory() -> None:
    append_events(7)
    append_events(10)
    services.append(action=Action.LOGOUT)
    hasher = get_hasher("sha256")
    memory = TreeAppender.open(MemoryHashStore(), hasher, 0)
    for encoded in AuditEvent.objects.order_by("seq").values_list("encoded", flat=True):
        memory.append(bytes(encoded))

    stored_root = root_hash(DatabaseHashStore(), hasher, 18)

    assert stored_root == memory.root()
    # Every perfect subtree of 18 leaves: 18 + 9 + 4 + 2 + 1.
    assert SubtreeHash.objects.count() == 34


TAG_SIZE = 32


def test_head_keeps_compact_range() -> None:
    hasher = get_hasher("sha256")
    for count in (1, 2, 5, 1):
        append_events(count)
        head = LogHead.objects.get()
        stored = load_compact_range(DatabaseHashStore(), hasher, head.size)
        stored_range = bytes(head.compact_range)

        assert head.compact_range_size == head.size == stored.size
        assert stored_range[:-TAG_SIZE] == b"".join(stored.hashes)
        assert len(stored_range) == len(stored.hashes) * hasher.digest_size + TAG_SIZE


def _set_text_range() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite stores text in a binary column")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_loghead SET compact_range = hex(compact_range)")


@pytest.mark.parametrize(
    "stale",
    [
        # A head from before the range was kept.
        {"compact_range_size": 0, "compact_range": b""},
        # A range kept for another size.
        {"compact_range_size": 4},
        # A range cut short.
        {"compact_range": b"\x00" * 5},
        # Hashes and tag of the right length, written by someone without the tag key.
        {},
        # Text in place of bytes, which SQLite accepts in any column.
        "text",
    ],
    ids=["before_the_change", "other_size", "cut_short", "forged", "text"],
)
def test_unusable_kept_range_falls_back(stale) -> None:
    append_events(6)
    head = LogHead.objects.get()
    assert head.size.bit_count() == 2
    # Two hashes and a tag that would give a wrong root if they were used.
    LogHead.objects.update(compact_range=b"\xff" * (2 * 32 + TAG_SIZE))
    if stale == "text":
        _set_text_range()
    else:
        LogHead.objects.update(**stale)

    services.append(action=Action.LOGOUT)
    append_events(3)

    hasher = get_hasher("sha256")
    memory = TreeAppender.open(MemoryHashStore(), hasher, 0)
    for encoded in AuditEvent.objects.order_by("seq").values_list("encoded", flat=True):
        memory.append(bytes(encoded))
    assert root_hash(DatabaseHashStore(), hasher, 10) == memory.root()
    head = LogHead.objects.get()
    assert head.compact_range_size == 10
    assert bytes(head.compact_range)[:-TAG_SIZE] == b"".join(memory.compact_range().hashes)


def test_raised_range_size_stops_appends() -> None:
    append_events(5)
    LogHead.objects.update(size=6, compact_range_size=6)

    with pytest.raises(AuditError):
        services.append(action=Action.LOGOUT)

    assert AuditEvent.objects.count() == 5


def test_unknown_action_is_rejected() -> None:
    with pytest.raises(AuditError):
        services.append(action="record_vanished")

    assert not AuditEvent.objects.exists()


def test_reserved_detail_key_is_rejected() -> None:
    with pytest.raises(AuditError):
        services.append(action=Action.LOGOUT, details={"actor_employee_number": "E1"})


def test_overlong_object_id_is_rejected() -> None:
    with pytest.raises(AuditError) as caught:
        services.append(action=Action.LOGOUT, object_id="x" * 65)

    assert "object_id" in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "6217 0000 0012 3456 786",
        "6217-0000-0012-3456",
        "６２１７０００００００１２３４５６７８６",
        "33010619880315019X",
    ],
)
def test_identifier_shapes_are_redacted_before_encoding(text: str) -> None:
    event = services.append(
        action=Action.REVEAL, purpose=f"核对 {text}", details={"note": f"卡号 {text}"}
    )

    assert "[redacted]" in event.purpose
    assert "[redacted]" in event.details["note"]
    assert text not in bytes(event.encoded).decode()


def test_digit_only_request_id_is_redacted() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
    request.request_id = "8130294756102938"

    event = services.append(action=Action.LOGOUT, request=request)

    assert event.request_id == "[redacted]"


def test_database_failure_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_insert(*args: object, **kwargs: object) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(services, "_insert_events", broken_insert)

    with pytest.raises(AuditError):
        services.append(action=Action.LOGOUT)

    assert not SubtreeHash.objects.exists()
    assert LogHead.objects.filter(size__gt=0).count() == 0


def test_caller_rollback_removes_event_and_hashes() -> None:
    services.append(action=Action.LOGOUT)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.append(action=Action.LOGOUT)
        raise RuntimeError("the caller's action failed")
    after = services.append(action=Action.LOGOUT)

    assert after.seq == 1
    assert AuditEvent.objects.count() == 2
    assert SubtreeHash.objects.count() == 3


def test_times_never_decrease_along_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    moments = iter(
        [dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC), dt.datetime(2026, 5, 1, 8, 1, tzinfo=dt.UTC)]
    )
    monkeypatch.setattr(clock, "now", lambda: next(moments))

    first = services.append(action=Action.LOGOUT)
    second = services.append(action=Action.LOGOUT)

    assert first.occurred_at < second.occurred_at
    assert json.loads(bytes(second.encoded))["time"] == "2026-05-01T08:01:00.000000Z"


@override_settings(CHECKPOINT_EVERY_EVENTS=5, CHECKPOINT_EVERY_MINUTES=60)
def test_checkpoint_is_signed_every_n_events(monkeypatch: pytest.MonkeyPatch) -> None:
    start = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: start)

    for _ in range(12):
        services.append(action=Action.LOGOUT)

    # The first append signs (no checkpoint existed yet), then every fifth.
    assert list(SignedCheckpoint.objects.values_list("size", flat=True)) == [1, 6, 11]


@override_settings(CHECKPOINT_EVERY_EVENTS=1000, CHECKPOINT_EVERY_MINUTES=10)
def test_checkpoint_is_signed_after_m_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    services.append(action=Action.LOGOUT)
    now[0] += dt.timedelta(minutes=9)
    services.append(action=Action.LOGOUT)
    now[0] += dt.timedelta(minutes=1)

    services.append(action=Action.LOGOUT)

    assert list(SignedCheckpoint.objects.values_list("size", flat=True)) == [1, 3]


def test_batch_signs_at_most_one_checkpoint() -> None:
    with override_settings(CHECKPOINT_EVERY_EVENTS=10):
        append_events(35)

    checkpoints = list(SignedCheckpoint.objects.values_list("size", flat=True))

    assert checkpoints == [35]


def test_signed_checkpoint_states_the_stored_root() -> None:
    append_events(6)
    checkpoint = keys.log_verifier().verify(SignedCheckpoint.objects.get().note)

    assert checkpoint.size == 6
    assert checkpoint.origin == keys.log_origin()
    assert checkpoint.root_hash == root_hash(DatabaseHashStore(), get_hasher("sha256"), 6)


def test_guomi_mode_uses_sm3_and_hmac(tmp_path, settings) -> None:
    settings.DATA_DIR = tmp_path
    settings.GUOMI_MODE = True
    keys.forget_signers()
    try:
        event = services.append(action=Action.LOGOUT, result=Result.FAILURE)
        head = LogHead.objects.get()
        note = SignedCheckpoint.objects.get().note
        verifier = keys.log_verifier()
    finally:
        keys.forget_signers()

    assert head.hash_name == "sm3"
    assert bytes(event.leaf_hash) == get_hasher("sm3").hash_leaf(bytes(event.encoded))
    assert note.count("\n— ") == 2
    assert verifier.verify(note).hash_name == "sm3"
    assert (tmp_path / "secrets" / "ledger-hmac-sm3.key").stat().st_mode & 0o777 == 0o600


def test_signing_key_is_private_secret(tmp_path, settings) -> None:
    settings.DATA_DIR = tmp_path
    keys.forget_signers()
    try:
        signer = keys.log_signer()
    finally:
        keys.forget_signers()

    key_file = tmp_path / "secrets" / "ledger-signing.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secrets").stat().st_mode & 0o777 == 0o700
    assert signer.key_name == settings.AUDIT_LOG_ORIGIN
