"""Checkpoints on request (``shoumi audit checkpoint``), by the scheduler and at shutdown."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.test import override_settings

from shoumi.audit import keys, scheduler
from shoumi.audit.checkpoints import checkpoint_create, checkpoint_due
from shoumi.audit.models import CheckpointReason, LogHead, SignedCheckpoint
from shoumi.config import clock
from shoumi.ledger import checkpoint_qr_png
from tests.audit.helpers import append_events, run_command

START = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def moving_clock(monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    moment = [START]
    monkeypatch.setattr(clock, "now", lambda: moment[0])
    return moment


@pytest.mark.django_db
def test_command_signs_and_prints_the_whole_log() -> None:
    with override_settings(CHECKPOINT_EVERY_EVENTS=1000, CHECKPOINT_EVERY_MINUTES=600):
        append_events(3)
        append_events(4)

    outcome = run_command("audit", "checkpoint")

    latest = SignedCheckpoint.objects.order_by("-size").first()
    assert outcome.exit_code == 0
    assert latest.size == 7
    assert latest.reason == CheckpointReason.MANUAL
    assert outcome.stdout == latest.note
    assert keys.log_verifier().verify(outcome.stdout).size == 7


@pytest.mark.django_db
def test_command_signs_each_size_once() -> None:
    append_events(3)
    run_command("audit", "checkpoint")

    run_command("audit", "checkpoint")

    assert SignedCheckpoint.objects.filter(size=3).count() == 1


@pytest.mark.django_db
def test_command_on_an_empty_log_cannot_run() -> None:
    outcome = run_command("audit", "checkpoint")

    assert outcome.exit_code == 2


@pytest.mark.django_db
def test_export_prints_a_qr_code_of_the_note(tmp_path) -> None:
    append_events(3)
    png = tmp_path / "checkpoint.png"

    outcome = run_command("audit", "checkpoint", "--export", "--png", str(png))

    note = SignedCheckpoint.objects.order_by("-size").first().note
    assert outcome.stdout.startswith(note)
    assert "█" in outcome.stdout
    signer = keys.log_signer()
    assert f"{signer.key_name}+{signer.key_id.hex()}+" in outcome.stdout
    # The ledger's tests decode this QR code back to the note byte for byte.
    assert png.read_bytes() == checkpoint_qr_png(note)


@pytest.mark.django_db
def test_exported_checkpoint_verifies_the_log_later(tmp_path) -> None:
    append_events(3)
    exported = tmp_path / "checkpoint.txt"
    exported.write_text(run_command("audit", "checkpoint").stdout, encoding="utf-8")
    append_events(4)

    outcome = run_command("audit", "verify", "--against", str(exported))

    assert outcome.exit_code == 0, outcome.stderr


@pytest.mark.django_db
def test_whole_export_output_saved_to_a_file_verifies_the_log(tmp_path) -> None:
    """The README's workflow: `checkpoint --export > cp.txt`, later `verify --against cp.txt`."""
    append_events(3)
    exported = tmp_path / "cp.txt"
    exported.write_text(run_command("audit", "checkpoint", "--export").stdout, encoding="utf-8")
    append_events(2)

    outcome = run_command("audit", "verify", "--against", str(exported))

    assert outcome.exit_code == 0, outcome.stderr


@pytest.mark.django_db
@override_settings(CHECKPOINT_EVERY_EVENTS=1000, CHECKPOINT_EVERY_MINUTES=10)
def test_time_checkpoint_is_due_only_after_the_interval(moving_clock) -> None:
    append_events(2)
    append_events(3)
    head = LogHead.objects.get()

    moving_clock[0] = START + dt.timedelta(minutes=9)
    early = checkpoint_due(head, clock.now())
    moving_clock[0] = START + dt.timedelta(minutes=10)
    due = checkpoint_due(head, clock.now())

    assert (head.size, head.last_checkpoint_size) == (5, 2)
    assert early is None
    assert due == CheckpointReason.TIME


@pytest.mark.django_db
@override_settings(CHECKPOINT_EVERY_EVENTS=1000, CHECKPOINT_EVERY_MINUTES=10)
def test_scheduler_signs_only_when_due(moving_clock) -> None:
    append_events(2)
    append_events(3)
    ticker = scheduler.CheckpointScheduler(interval_seconds=60)

    moving_clock[0] = START + dt.timedelta(minutes=5)
    not_yet = ticker.run_once()
    moving_clock[0] = START + dt.timedelta(minutes=11)
    signed = ticker.run_once()
    nothing_new = ticker.run_once()

    assert not_yet is None
    assert signed is not None
    assert signed.size == 5
    assert signed.reason == CheckpointReason.TIME
    assert nothing_new is None


@pytest.mark.django_db
@override_settings(CHECKPOINT_EVERY_EVENTS=1000, CHECKPOINT_EVERY_MINUTES=600)
def test_shutdown_signs_even_when_nothing_is_due(moving_clock) -> None:
    append_events(2)
    append_events(3)
    ticker = scheduler.CheckpointScheduler(interval_seconds=60)

    ticker.sign_at_exit()

    latest = SignedCheckpoint.objects.order_by("-size").first()
    assert latest.size == 5
    assert latest.reason == CheckpointReason.SHUTDOWN


@pytest.mark.django_db
def test_scheduler_logs_and_survives_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import DatabaseError

    def broken(**kwargs: object) -> None:
        raise DatabaseError("database is locked")

    monkeypatch.setattr(scheduler, "checkpoint_create", broken)

    assert scheduler.CheckpointScheduler(interval_seconds=60).run_once() is None


@pytest.mark.django_db(transaction=True)
@override_settings(CHECKPOINT_EVERY_EVENTS=1000, CHECKPOINT_EVERY_MINUTES=1)
def test_scheduler_thread_signs_in_the_background(monkeypatch: pytest.MonkeyPatch) -> None:
    append_events(2)
    append_events(3)
    signed = threading.Event()
    original = scheduler.checkpoint_create

    def checkpoint_and_report(**kwargs: object):
        stored = original(**kwargs)
        if stored is not None:
            signed.set()
        return stored

    monkeypatch.setattr(scheduler, "checkpoint_create", checkpoint_and_report)
    monkeypatch.setattr(clock, "now", lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2))
    ticker = scheduler.CheckpointScheduler(interval_seconds=0.05)

    ticker.start()
    try:
        assert signed.wait(timeout=30)
    finally:
        ticker.stop()

    assert not ticker.is_running
    assert SignedCheckpoint.objects.order_by("-size").first().size == 5


def test_sigterm_becomes_a_normal_exit() -> None:
    with pytest.raises(SystemExit) as caught:
        scheduler._exit_on_sigterm(15, None)

    assert caught.value.code == 143


@pytest.mark.django_db
def test_checkpoint_create_returns_none_for_an_empty_log() -> None:
    assert checkpoint_create(reason=CheckpointReason.MANUAL) is None
