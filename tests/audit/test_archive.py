"""Retention: old events move into signed archive files and the log still verifies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from shoumi.accounts.roles import Role
from shoumi.audit import archive
from shoumi.audit.actions import Action
from shoumi.audit.errors import ArchiveError
from shoumi.audit.models import ArchivedSegment, AuditEvent, LogHead, SignedCheckpoint
from shoumi.audit.verification import verify_stored_log
from shoumi.clients import services as client_services
from shoumi.config import clock
from tests.accounts.factories import UserFactory
from tests.audit.helpers import append_events, run_command
from tests.clients.factories import make_bank_account, make_client, make_person

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC)
LONG_AGO = NOW - dt.timedelta(days=400)


@pytest.fixture
def moving_clock(monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    """A clock the test sets by assigning ``moving_clock[0]``."""
    moment = [LONG_AGO]
    monkeypatch.setattr(clock, "now", lambda: moment[0])
    return moment


@pytest.fixture
def old_and_new_events(moving_clock) -> None:
    """25 events 400 days ago and 5 events now, with a checkpoint every 10 events."""
    with override_settings(CHECKPOINT_EVERY_EVENTS=10):
        append_events(10)
        append_events(10)
        append_events(5)
        moving_clock[0] = NOW
        append_events(5)


def test_date_inside_the_retention_period_is_rejected(old_and_new_events) -> None:
    too_recent = (NOW - dt.timedelta(days=179)).date()

    with pytest.raises(ArchiveError) as caught:
        archive.archive_plan(before=too_recent)

    assert caught.value.code == "audit_retention"


def test_retention_cannot_be_configured_below_180_days(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from shoumi.config.env import env_int

    monkeypatch.setenv("SHOUMI_AUDIT_RETENTION_DAYS", "90")

    with pytest.raises(ImproperlyConfigured):
        env_int("SHOUMI_AUDIT_RETENTION_DAYS", 180, minimum=180)


def test_plan_covers_the_old_events(old_and_new_events) -> None:
    plan = archive.archive_plan(before=(NOW - dt.timedelta(days=200)).date())

    assert (plan.first_seq, plan.end_seq) == (0, 25)
    assert plan.segments == ((0, 25),)


def test_dry_run_writes_nothing(old_and_new_events, tmp_path: Path) -> None:
    before = (NOW - dt.timedelta(days=200)).date().isoformat()

    outcome = run_command("audit", "archive", "--before", before, "--out", str(tmp_path / "out"))

    assert outcome.exit_code == 0
    assert "25" in outcome.stdout
    assert not (tmp_path / "out").exists()
    assert AuditEvent.objects.count() == 30


def test_execute_moves_old_events_into_verified_files(old_and_new_events, tmp_path: Path) -> None:
    before = (NOW - dt.timedelta(days=200)).date().isoformat()

    outcome = run_command(
        "audit", "archive", "--before", before, "--out", str(tmp_path), "--execute"
    )

    assert outcome.exit_code == 0, outcome.stderr
    segment = ArchivedSegment.objects.get()
    assert (segment.first_seq, segment.end_seq) == (0, 25)
    assert (tmp_path / segment.file_name).stat().st_mode & 0o777 == 0o600
    assert list(AuditEvent.objects.values_list("seq", flat=True))[:1] == [25]
    archived_event = AuditEvent.objects.get(action=Action.AUDIT_ARCHIVED)
    assert archived_event.details["sha256"] == segment.sha256
    assert SignedCheckpoint.objects.filter(size=25, reason="archive").exists()
    result = verify_stored_log()
    assert result.is_valid, result.message
    assert result.tree_size == LogHead.objects.get().size
    assert result.archived_segments == 1


def test_appends_continue_after_archiving(old_and_new_events, tmp_path: Path) -> None:
    plan = archive.archive_plan(before=(NOW - dt.timedelta(days=200)).date())
    archive.archive_execute(plan=plan, out_dir=tmp_path)

    appended = append_events(3)

    assert [event.seq for event in appended] == [31, 32, 33]
    assert verify_stored_log().is_valid


def test_large_ranges_are_split_into_segments(
    old_and_new_events, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "SEGMENT_EVENTS", 10)

    plan = archive.archive_plan(before=(NOW - dt.timedelta(days=200)).date())
    archive.archive_execute(plan=plan, out_dir=tmp_path)

    assert plan.segments == ((0, 10), (10, 20), (20, 25))
    assert ArchivedSegment.objects.count() == 3
    assert verify_stored_log().is_valid


def test_missing_archive_file_fails_verification(old_and_new_events, tmp_path: Path) -> None:
    plan = archive.archive_plan(before=(NOW - dt.timedelta(days=200)).date())
    archive.archive_execute(plan=plan, out_dir=tmp_path)
    moved = tmp_path / "moved"
    moved.mkdir()
    for file in tmp_path.glob("*.segment"):
        file.rename(moved / file.name)

    missing = run_command("audit", "verify")
    found = run_command("audit", "verify", "--archive-dir", str(moved))

    assert missing.exit_code == 1
    assert "segment_missing" in missing.stderr
    assert found.exit_code == 0, found.stderr


def test_edited_archive_file_fails_verification(old_and_new_events, tmp_path: Path) -> None:
    plan = archive.archive_plan(before=(NOW - dt.timedelta(days=200)).date())
    archive.archive_execute(plan=plan, out_dir=tmp_path)
    file = next(tmp_path.glob("*.segment"))
    file.write_bytes(file.read_bytes().replace("核对资料".encode(), "删改资料".encode(), 1))

    outcome = run_command("audit", "verify")

    assert outcome.exit_code == 1
    assert "bad_signature" in outcome.stderr


def test_log_that_does_not_verify_is_not_archived(old_and_new_events, tmp_path: Path) -> None:
    from tests.audit.helpers import execute, without_guards

    with without_guards():
        execute("DELETE FROM audit_auditevent WHERE seq = 3")
    plan = archive.archive_plan(before=(NOW - dt.timedelta(days=200)).date())

    with pytest.raises(ArchiveError) as caught:
        archive.archive_execute(plan=plan, out_dir=tmp_path)

    assert caught.value.code == "audit_archive_unverified"
    assert not ArchivedSegment.objects.exists()
    assert list(tmp_path.iterdir()) == []


PLAINTEXTS = ("6217000000123456786", "6217000000654321094", "320106197809230418")


@pytest.mark.django_db(transaction=True)
def test_case_a1_plaintext_is_in_no_audit_storage(moving_clock, tmp_path: Path) -> None:
    """Case A1 again, then archived: the database files and archive files hold no plaintext."""
    actor = UserFactory(roles=[Role.ADMINISTRATOR])
    accounts = [
        make_bank_account(make_client(staff=[actor]), number=PLAINTEXTS[0]) for _ in range(3)
    ]
    person = make_person(accounts[0].client, resident_id=PLAINTEXTS[2])
    client_services.bank_account_bulk_change_number(
        actor=actor, accounts=accounts, account_number=PLAINTEXTS[1]
    )
    client_services.person_save(
        actor=actor,
        client=person.client,
        person=person,
        role=person.role,
        resident_id="33010619880315019X",
    )
    moving_clock[0] = NOW
    append_events(2)

    plan = archive.archive_plan(before=(NOW - dt.timedelta(days=200)).date())
    archive.archive_execute(plan=plan, out_dir=tmp_path)

    archived = b"".join(file.read_bytes() for file in tmp_path.glob("*.segment"))
    assert plan.event_count > 0
    assert b"621700*********1094" in archived.replace("→".encode(), b"")
    for plaintext in (*PLAINTEXTS, "33010619880315019X"):
        assert plaintext.encode() not in archived
    if connection.vendor == "sqlite":
        # Committed pages are in the database file or still in its write-ahead log.
        name = connection.settings_dict["NAME"]
        stored = b"".join(
            Path(path).read_bytes() for path in (name, f"{name}-wal") if Path(path).exists()
        )
        assert b"clients.bankaccount" in stored
        for plaintext in (*PLAINTEXTS, "33010619880315019X"):
            assert plaintext.encode() not in stored
