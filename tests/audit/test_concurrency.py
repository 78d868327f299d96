"""Concurrent appends from many threads keep the tree consistent (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from shoumi.audit import services
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent, LogHead
from shoumi.audit.verification import verify_stored_log

THREADS = 8
APPENDS_PER_THREAD = 1000


def _append_from_thread(
    worker: int, start: threading.Barrier, failures: list[BaseException]
) -> None:
    try:
        start.wait()
        for number in range(APPENDS_PER_THREAD):
            services.append(
                action=Action.LOGIN_SUCCEEDED,
                object_type="test.worker",
                object_id=f"{worker}-{number}",
            )
    except BaseException as error:  # noqa: BLE001 - reported by the main thread
        failures.append(error)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_eight_threads_append_a_log_that_verifies() -> None:
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []
    threads = [
        threading.Thread(target=_append_from_thread, args=(worker, start, failures))
        for worker in range(THREADS)
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome = verify_stored_log()

    total = THREADS * APPENDS_PER_THREAD
    assert failures == []
    assert LogHead.objects.get().size == total
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(total)
    )
    assert AuditEvent.objects.values("object_id").distinct().count() == total
    assert outcome.is_valid, outcome.message
    assert outcome.tree_size == total
