"""The database's index column check against the Python one, on tampered rows.

Each case edits one event's index columns with the guards dropped, as a
database owner could, and expects ``first_column_mismatch()`` to return what
the Python scan of ``_live_events`` finds. A scan that raises is recorded as
the name of its exception, so a case where the database reports nothing while
Python cannot read the row shows up as a difference too. SQLite stores any
type in any column, so its cases include stored types a column should not have.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from shoumi.audit import verification
from shoumi.audit.verification import first_column_mismatch, verify_stored_log
from tests.accounts.factories import UserFactory
from tests.audit.helpers import append_events, execute, without_guards

pytestmark = pytest.mark.django_db

TARGET = 13


def _python_first() -> tuple[int, str] | str | None:
    mismatches: list[tuple[int, str]] = []
    try:
        for _event in verification._live_events(mismatches):
            pass
    except Exception as error:  # noqa: BLE001 - the outcome under test
        return type(error).__name__
    return mismatches[0] if mismatches else None


def _database_first() -> tuple[int, str] | str | None:
    try:
        return first_column_mismatch()
    except Exception as error:  # noqa: BLE001 - the outcome under test
        return type(error).__name__


@pytest.fixture
def actor_log():
    actor = UserFactory(employee_number="E00042")
    append_events(20, actor=actor)
    return actor


def _sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite type affinity case")


SQLITE_EDITS = [
    # Blob in the integer column: CAST(... AS TEXT) reads it as the same digits.
    ("actor_id_blob", "actor_id = CAST(CAST(actor_id AS TEXT) AS BLOB)"),
    ("actor_id_text_space", "actor_id = ' ' || CAST(actor_id AS TEXT)"),
    ("actor_id_text_hex", "actor_id = '0x' || CAST(actor_id AS TEXT)"),
    ("actor_id_real_fraction", "actor_id = actor_id + 0.5"),
    ("actor_id_real_huge", "actor_id = 9223372036854775808.0"),
    ("seq_negative", "seq = -5"),
    ("seq_real_fraction", "seq = seq + 0.5"),
    ("seq_text", "seq = 'x13'"),
    ("object_id_nul", "object_id = object_id || char(0) || 'x'"),
    ("object_id_nul_only", "object_id = char(0)"),
    ("object_id_blob", "object_id = CAST(object_id AS BLOB)"),
    ("object_id_trailing_space", "object_id = object_id || ' '"),
    ("object_id_nbsp", "object_id = object_id || char(160)"),
    ("object_id_long", "object_id = object_id || replace(hex(zeroblob(50000)), '0', 'a')"),
    ("object_id_line_separator", "object_id = object_id || char(8232)"),
    ("object_id_del", "object_id = object_id || char(127)"),
    ("object_id_json_text", "object_id = '\"' || object_id || '\"'"),
    ("object_id_escape_text", "object_id = replace(object_id, '-', '\\u002d')"),
    ("object_id_invalid_utf8", "object_id = CAST(X'ff' AS TEXT)"),
    ("object_type_empty", "object_type = ''"),
    ("object_type_null_word", "object_type = 'null'"),
    ("employee_number_space", "actor_employee_number = ' '"),
    ("employee_number_nul", "actor_employee_number = actor_employee_number || char(0)"),
    ("employee_number_blob", "actor_employee_number = CAST(actor_employee_number AS BLOB)"),
    ("action_blob", "action = CAST(action AS BLOB)"),
    ("result_blob", "result = CAST(result AS BLOB)"),
    ("action_upper", "action = upper(action)"),
    ("occurred_at_t_separator", "occurred_at = replace(occurred_at, ' ', 'T')"),
    ("occurred_at_blob", "occurred_at = CAST(occurred_at AS BLOB)"),
    ("occurred_at_offset", "occurred_at = occurred_at || '+00:00'"),
    ("occurred_at_julian", "occurred_at = julianday(occurred_at)"),
    ("occurred_at_short_fraction", "occurred_at = substr(occurred_at, 1, 19) || '.0'"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("in_transaction", [False, True])
@pytest.mark.parametrize(
    "assignment",
    [
        "occurred_at = replace(occurred_at, ' ', 'T')",
        "occurred_at = CAST(occurred_at AS BLOB)",
        "actor_id = actor_id + 0.5",
        "actor_id = CAST(CAST(actor_id AS TEXT) AS BLOB)",
    ],
)
def test_edit_hiding_an_event_fails_verification(assignment: str, in_transaction: bool) -> None:
    # Each edit takes the event out of actor or time-range searches of the viewer.
    _sqlite_only()
    from shoumi.audit.models import AuditEvent

    actor = UserFactory(employee_number="E00042")
    events = append_events(20, actor=actor)
    moment = events[TARGET].occurred_at
    with without_guards():
        execute(f"UPDATE audit_auditevent SET {assignment} WHERE seq = %s", [TARGET])  # noqa: S608

    visible = AuditEvent.objects.filter(
        actor_id=actor.pk, occurred_at__gte=moment, occurred_at__lte=moment, seq=TARGET
    )
    if in_transaction:
        with transaction.atomic():
            outcome = verify_stored_log(record=False)
    else:
        outcome = verify_stored_log(record=False)

    assert not visible.exists()
    assert not outcome.is_valid
    assert (outcome.problem, outcome.first_bad_seq) == ("index_mismatch", TARGET)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("in_transaction", [False, True])
@pytest.mark.parametrize(
    "value",
    # A BLOB makes json_array() raise, and text that is not UTF-8 makes the driver raise,
    # so the check falls back to Python, which must still name the column.
    ["X'00'", "CAST(X'ff' AS TEXT)", "CAST(X'61ff62' AS TEXT)"],
    ids=["blob", "invalid_utf8", "invalid_utf8_inside"],
)
def test_unreadable_text_column_is_named(value: str, in_transaction: bool) -> None:
    _sqlite_only()
    append_events(20, actor=UserFactory(employee_number="E00042"))
    with without_guards():
        execute(f"UPDATE audit_auditevent SET object_id = {value} WHERE seq = %s", [TARGET])  # noqa: S608

    if in_transaction:
        with transaction.atomic():
            outcome = verify_stored_log(record=False)
    else:
        outcome = verify_stored_log(record=False)

    assert (outcome.problem, outcome.first_bad_seq) == ("index_mismatch", TARGET)
    assert "object_id" in outcome.message


POSTGRES_EDITS = [
    ("seq_negative", "seq = -5"),
    ("seq_shifted", "seq = seq + 1000"),
    ("actor_id_null", "actor_id = NULL"),
    ("actor_id_negative", "actor_id = -actor_id"),
    ("object_id_empty", "object_id = ''"),
    ("object_id_null_word", "object_id = 'null'"),
    ("object_id_trailing_space", "object_id = object_id || ' '"),
    ("object_id_line_separator", "object_id = object_id || chr(8232)"),
    ("object_id_combining_mark", "object_id = object_id || chr(769)"),
    ("object_id_escape_text", "object_id = replace(object_id, '-', '\\u002d')"),
    ("object_id_json_text", "object_id = '\"' || object_id || '\"'"),
    ("object_type_empty", "object_type = ''"),
    ("employee_number_empty", "actor_employee_number = ''"),
    ("employee_number_space", "actor_employee_number = actor_employee_number || ' '"),
    ("action_upper", "action = upper(action)"),
    ("result_empty", "result = ''"),
    ("occurred_at_microsecond", "occurred_at = occurred_at + interval '1 microsecond'"),
    ("occurred_at_truncated", "occurred_at = date_trunc('second', occurred_at)"),
    ("occurred_at_year_10000", "occurred_at = occurred_at + interval '8000 years'"),
    ("occurred_at_bc", "occurred_at = occurred_at - interval '2100 years'"),
]


EDITS = [("sqlite", *edit) for edit in SQLITE_EDITS] + [
    ("postgresql", *edit) for edit in POSTGRES_EDITS
]


@pytest.mark.parametrize(
    ("vendor", "name", "assignment"), EDITS, ids=[f"{edit[0]}-{edit[1]}" for edit in EDITS]
)
def test_edit_found_alike(actor_log, vendor: str, name: str, assignment: str) -> None:
    if connection.vendor != vendor:
        pytest.skip(f"{vendor} case")
    with without_guards():
        execute(f"UPDATE audit_auditevent SET {assignment} WHERE seq = %s", [TARGET])  # noqa: S608

    python = _python_first()
    database = _database_first()

    # The database may refuse a row (on SQLite a BLOB, or an actor id that is not
    # an integer), which hands the whole check to Python. It must never pass one.
    if database == "OperationalError" and isinstance(python, tuple):
        return
    assert database == python, f"{name}: database {database!r}, Python {python!r}"


@pytest.mark.django_db(transaction=True)
def test_verify_command_fails_on_a_blob_actor_id() -> None:
    _sqlite_only()
    from tests.audit.helpers import run_command

    append_events(20, actor=UserFactory(employee_number="E00042"))
    with without_guards():
        execute(
            "UPDATE audit_auditevent SET actor_id = CAST(CAST(actor_id AS TEXT) AS BLOB) "
            "WHERE seq = %s",
            [TARGET],
        )

    outcome = run_command("audit", "verify")

    assert outcome.exit_code == 1
    assert "actor_id" in outcome.stderr
