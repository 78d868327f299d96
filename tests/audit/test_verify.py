"""``shoumi audit verify`` against a stored log tampered with in every way.

Each attack runs with the guards dropped, as a database owner could, and
verify must exit non-zero naming the first tampered event's sequence number.
"""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection
from django.test import override_settings

from shoumi.audit import keys, services, verification
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent, SignedCheckpoint, VerificationRun
from shoumi.audit.verification import first_column_mismatch, verify_stored_log
from shoumi.ledger import encode_event, get_hasher
from tests.audit.helpers import append_events, execute, run_command, without_guards

pytestmark = pytest.mark.django_db

EVENTS = 40
TARGET = 13


@pytest.fixture
def stored_log() -> list[AuditEvent]:
    """Forty events in batches of ten, so checkpoints are signed at 10, 20, 30 and 40."""
    events = []
    with override_settings(CHECKPOINT_EVERY_EVENTS=10):
        for _ in range(EVENTS // 10):
            events += append_events(10)
    assert list(SignedCheckpoint.objects.values_list("size", flat=True)) == [10, 20, 30, 40]
    return events


def _edited(encoded: bytes) -> bytes:
    event = json.loads(encoded)
    event["purpose"] = "改过的用途"
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _assert_fails_at(seq: int, problem: str) -> None:
    outcome = run_command("audit", "verify")
    run = VerificationRun.objects.latest("id")

    assert outcome.exit_code == 1
    assert f" {seq}" in outcome.stderr
    assert problem in outcome.stderr
    assert run.is_valid is False
    assert run.first_bad_seq == seq
    assert run.problem == problem


def test_untouched_log_verifies(stored_log) -> None:
    outcome = run_command("audit", "verify")
    run = VerificationRun.objects.get()

    assert outcome.exit_code == 0
    assert run.is_valid is True
    assert run.tree_size == EVENTS
    assert run.covered_size == EVENTS
    assert run.checkpoints_verified == 4


def test_edited_event_is_named(stored_log) -> None:
    with without_guards():
        execute(
            "UPDATE audit_auditevent SET encoded = %s WHERE seq = %s",
            [_edited(bytes(stored_log[TARGET].encoded)), TARGET],
        )

    _assert_fails_at(TARGET, "leaf_hash_mismatch")


def test_rehashed_edit_is_named_by_tag(stored_log) -> None:
    encoded = _edited(bytes(stored_log[TARGET].encoded))
    with without_guards():
        execute(
            "UPDATE audit_auditevent SET encoded = %s, leaf_hash = %s WHERE seq = %s",
            [encoded, get_hasher("sha256").hash_leaf(encoded), TARGET],
        )

    _assert_fails_at(TARGET, "leaf_tag_mismatch")


def test_deleted_event_is_named(stored_log) -> None:
    with without_guards():
        execute("DELETE FROM audit_auditevent WHERE seq = %s", [TARGET])

    _assert_fails_at(TARGET, "missing")


def test_inserted_event_is_named(stored_log) -> None:
    forged = json.loads(bytes(stored_log[TARGET].encoded))
    forged["details"] = {"note": "伪造"}
    forged_encoded = encode_event(forged)
    with without_guards():
        # Make room at TARGET: move the later rows one place up, via negative numbers
        # so that the unique index on seq never sees two equal values.
        execute("UPDATE audit_auditevent SET seq = -seq - 2 WHERE seq >= %s", [TARGET])
        execute("UPDATE audit_auditevent SET seq = -seq - 1 WHERE seq < 0")
        execute(
            "INSERT INTO audit_auditevent (seq, occurred_at, actor_id, actor_employee_number, "
            "action, object_type, object_id, result, encoded, leaf_hash, leaf_tag) "
            "SELECT %s, occurred_at, actor_id, actor_employee_number, action, object_type, "
            "object_id, result, %s, %s, leaf_tag FROM audit_auditevent WHERE seq = %s",
            [TARGET, forged_encoded, get_hasher("sha256").hash_leaf(forged_encoded), TARGET + 1],
        )

    _assert_fails_at(TARGET, "leaf_tag_mismatch")


def test_swapped_events_are_named(stored_log) -> None:
    with without_guards():
        execute("UPDATE audit_auditevent SET seq = -1 WHERE seq = %s", [TARGET])
        execute("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [TARGET, TARGET + 1])
        execute("UPDATE audit_auditevent SET seq = %s WHERE seq = -1", [TARGET + 1])

    _assert_fails_at(TARGET, "misplaced")


def test_truncated_log_is_named(stored_log) -> None:
    with without_guards():
        execute("DELETE FROM audit_auditevent WHERE seq >= %s", [35])

    _assert_fails_at(35, "truncated")


def test_events_removed_after_the_last_checkpoint_are_named(stored_log) -> None:
    """The tester's case: the tail beyond the last checkpoint and that checkpoint removed."""
    append_events(5)
    with without_guards():
        execute("DELETE FROM audit_auditevent WHERE seq >= %s", [33])
        execute("DELETE FROM audit_signedcheckpoint WHERE size > %s", [30])

    _assert_fails_at(33, "truncated")
    assert "45" in VerificationRun.objects.latest("id").message


def test_shortened_log_fails_against_an_earlier_run_too(stored_log) -> None:
    assert run_command("audit", "verify").exit_code == 0
    with without_guards():
        execute("DELETE FROM audit_auditevent WHERE seq >= %s", [33])
        execute("DELETE FROM audit_signedcheckpoint WHERE size > %s", [30])
        execute("UPDATE audit_loghead SET size = %s", [33])

    _assert_fails_at(33, "truncated")


def test_edited_index_column_is_named(stored_log) -> None:
    with without_guards():
        execute(
            "UPDATE audit_auditevent SET actor_employee_number = %s WHERE seq = %s",
            ["E99999", TARGET],
        )

    outcome = run_command("audit", "verify")

    assert outcome.exit_code == 1
    assert "actor_employee_number" in outcome.stderr
    assert VerificationRun.objects.latest("id").first_bad_seq == TARGET
    assert VerificationRun.objects.latest("id").problem == "index_mismatch"


EDITED_COLUMNS = [
    ("action", "'logout'"),
    ("actor_id", "999"),
    ("actor_employee_number", "'E99999'"),
    ("object_type", "'accounts.user'"),
    ("object_id", "'client-99'"),
    ("result", "'denied'"),
    ("occurred_at", "'2020-01-01 00:00:00'"),
]


@pytest.mark.parametrize(("column", "value"), EDITED_COLUMNS)
def test_every_edited_index_column_is_found(stored_log, column: str, value: str) -> None:
    with without_guards():
        execute(f"UPDATE audit_auditevent SET {column} = {value} WHERE seq = %s", [TARGET])  # noqa: S608

    outcome = verify_stored_log(record=False)

    assert outcome.problem == "index_mismatch"
    assert outcome.first_bad_seq == TARGET
    assert column in outcome.message


def test_unusual_index_values_verify() -> None:
    for object_id in ('a"b', "c\\d", "客户-1", "tab\tnewline\n"):
        services.append(
            action=Action.REVEAL, object_type="clients.客户", object_id=object_id, purpose='"用途"'
        )

    outcome = verify_stored_log(record=False)

    assert outcome.is_valid, outcome.message


def test_forged_checkpoint_fails_without_an_event_number(stored_log) -> None:
    note = SignedCheckpoint.objects.get(size=20).note
    with without_guards():
        execute(
            "UPDATE audit_signedcheckpoint SET note = %s WHERE size = 20",
            [note.replace("\n20\n", "\n21\n")],
        )

    outcome = run_command("audit", "verify")

    assert outcome.exit_code == 1
    assert "bad_signature" in outcome.stderr
    assert VerificationRun.objects.latest("id").first_bad_seq is None


def test_key_holder_caught_by_export(stored_log, tmp_path) -> None:
    exported = tmp_path / "checkpoint.txt"
    exported.write_text(SignedCheckpoint.objects.get(size=EVENTS).note, encoding="utf-8")
    signer = keys.log_signer()
    tag = keys.log_leaf_tagger("sha256").tag
    encoded = _edited(bytes(stored_log[TARGET].encoded))
    leaf_hash = get_hasher("sha256").hash_leaf(encoded)
    with without_guards():
        # Someone holding the key files rewrites the event, its hash and tag,
        # and replaces every checkpoint with one signed over the new tree.
        execute(
            "UPDATE audit_auditevent SET encoded = %s, leaf_hash = %s, leaf_tag = %s "
            "WHERE seq = %s",
            [encoded, leaf_hash, tag(leaf_hash), TARGET],
        )
        execute("DELETE FROM audit_signedcheckpoint")
    _sign_current_tree(signer)

    unnoticed = run_command("audit", "verify")
    caught = run_command("audit", "verify", "--against", str(exported))

    assert unnoticed.exit_code == 0
    assert caught.exit_code == 1
    assert "root_mismatch" in caught.stderr
    run = VerificationRun.objects.latest("id")
    assert run.against_export is True
    assert run.first_bad_seq <= TARGET <= run.last_bad_seq


def _sign_current_tree(signer) -> None:
    from shoumi.ledger import Checkpoint, CompactRange

    state = CompactRange(get_hasher("sha256"))
    for encoded in AuditEvent.objects.order_by("seq").values_list("encoded", flat=True):
        state.append(get_hasher("sha256").hash_leaf(bytes(encoded)))
    checkpoint = Checkpoint(signer.key_name, state.size, state.root(), _now(), "sha256")
    SignedCheckpoint.objects.create(
        size=state.size, signed_at=_now(), reason="manual", note=signer.sign(checkpoint)
    )


def _now():
    from shoumi.config import clock

    return clock.now()


def test_exported_checkpoint_of_an_untouched_log_verifies(stored_log, tmp_path) -> None:
    exported = tmp_path / "checkpoint.txt"
    # Mail programs add carriage returns and blank lines; the export reader removes them.
    note = SignedCheckpoint.objects.get(size=30).note
    exported.write_text("\r\n" + note.replace("\n", "\r\n") + "\r\n", encoding="utf-8")

    outcome = run_command("audit", "verify", "--against", str(exported))

    assert outcome.exit_code == 0


def test_unreadable_export_file_cannot_run(stored_log, tmp_path) -> None:
    exported = tmp_path / "checkpoint.txt"
    exported.write_text("not a checkpoint", encoding="utf-8")

    outcome = run_command("audit", "verify", "--against", str(exported))

    assert outcome.exit_code == 2


def test_events_after_the_last_checkpoint_are_reported(stored_log) -> None:
    with override_settings(CHECKPOINT_EVERY_EVENTS=1000, CHECKPOINT_EVERY_MINUTES=600):
        append_events(3)

    outcome = run_command("audit", "verify")
    run = VerificationRun.objects.latest("id")

    assert outcome.exit_code == 0
    assert run.tree_size == EVENTS + 3
    assert run.covered_size == EVENTS
    assert "3" in outcome.stdout


def test_missing_trigger_is_reported(stored_log) -> None:
    execute(
        "DROP TRIGGER IF EXISTS audit_auditevent_reject_update"
        + (" ON audit_auditevent" if _is_postgresql() else "")
    )
    if _is_postgresql():
        execute("DROP TRIGGER IF EXISTS audit_auditevent_reject_change ON audit_auditevent")

    outcome = run_command("audit", "verify")

    assert outcome.exit_code == 0
    assert "audit_auditevent_reject_" in outcome.stderr


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def test_shoumi_cli_runs_the_audit_subcommand(stored_log, capsys, monkeypatch) -> None:
    import django.utils.log
    from django.core.management import base

    from shoumi.config.cli import main

    # run_from_argv closes every connection at the end, which would end the
    # test's transaction, and main() runs django.setup() again, which would
    # bind the log handlers to this test's captured stderr for later tests.
    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    monkeypatch.setattr(django.utils.log, "configure_logging", lambda *args: None)
    clean = main(["shoumi", "audit", "verify"])
    with without_guards():
        execute("DELETE FROM audit_auditevent WHERE seq = %s", [TARGET])
    tampered = main(["shoumi", "audit", "verify"])

    assert clean == 0
    assert tampered == 1
    assert str(TARGET) in capsys.readouterr().err


@pytest.mark.parametrize(("column", "value"), EDITED_COLUMNS)
def test_database_comparison_finds_every_edited_column(stored_log, column, value) -> None:
    with without_guards():
        execute(f"UPDATE audit_auditevent SET {column} = {value} WHERE seq = %s", [TARGET])  # noqa: S608

    assert first_column_mismatch() == (TARGET, column)


@pytest.mark.parametrize(
    ("column", "value"), [("actor_id", "NULL"), ("actor_employee_number", "''")]
)
def test_database_comparison_finds_a_cleared_actor(column, value) -> None:
    from tests.accounts.factories import UserFactory

    actor = UserFactory(employee_number="E00042")
    append_events(3, actor=actor)
    with without_guards():
        execute(f"UPDATE audit_auditevent SET {column} = {value} WHERE seq = %s", [1])  # noqa: S608

    assert first_column_mismatch() == (1, column)


def test_database_comparison_agrees_with_unusual_values() -> None:
    for object_id in ('a"b', "c\\d", "客户-1", "tab\tnewline\n", "\u2028\x01/"):
        services.append(
            action=Action.REVEAL, object_type="clients.客户", object_id=object_id, purpose='"用途"'
        )

    assert first_column_mismatch() is None


def test_database_comparison_skips_rows_python_finds_equal(stored_log, monkeypatch) -> None:
    # A row the database picks out whose values index_mismatch finds equal
    # (two JSON spellings of one value) is passed over, and the scan goes on.
    with without_guards():
        execute("UPDATE audit_auditevent SET result = 'denied' WHERE seq IN (%s, %s)", [5, 20])
    checked = verification.index_mismatch
    monkeypatch.setattr(
        verification,
        "index_mismatch",
        lambda row, encoded: None if row[0] == 5 else checked(row, encoded),
    )

    assert first_column_mismatch() == (20, "result")


@pytest.mark.django_db(transaction=True)
def test_column_check_runs_in_its_thread(monkeypatch) -> None:
    append_events(30)
    with without_guards():
        execute("UPDATE audit_auditevent SET object_id = 'client-99' WHERE seq = %s", [TARGET])
    threads: list[str] = []
    comparison = verification.first_column_mismatch

    def recorded() -> tuple[int, str] | None:
        import threading

        threads.append(threading.current_thread().name)
        return comparison()

    monkeypatch.setattr(verification, "first_column_mismatch", recorded)

    outcome = verify_stored_log(record=False)

    assert threads == ["audit-column-check"]
    assert (outcome.problem, outcome.first_bad_seq) == ("index_mismatch", TARGET)
    assert "object_id" in outcome.message


@pytest.mark.django_db(transaction=True)
def test_column_check_falls_back_to_python(monkeypatch) -> None:
    append_events(30)
    with without_guards():
        execute("UPDATE audit_auditevent SET action = 'logout' WHERE seq = %s", [TARGET])

    def failing_comparison() -> None:
        raise DatabaseError("no JSON functions")

    monkeypatch.setattr(verification, "first_column_mismatch", failing_comparison)

    outcome = verify_stored_log(record=False)

    assert (outcome.problem, outcome.first_bad_seq) == ("index_mismatch", TARGET)
    assert "action" in outcome.message
