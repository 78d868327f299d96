"""Imports whose batches are sealed in forked worker processes."""

from __future__ import annotations

import os
from typing import Any

import pytest

from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.clients.imports import jobs, workers, writing
from shoumi.clients.imports.services import ImportOptions
from shoumi.clients.models import (
    BankAccount,
    Client,
    ImportJob,
    ImportJobStatus,
    Person,
    ValueWarning,
)
from shoumi.clients.synthetic import SyntheticData
from shoumi.config import tasks
from shoumi.vault import services as vault
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.imports.ledgers import csv_bytes, run_import

# Two rows per batch, so that five rows make three batches.
BATCH_ROWS = 2


def _rows() -> list[list[object]]:
    """Five valid rows: the fourth adds a person to the client of the first, in another batch.

    Own seed, so that the rows do not depend on which tests ran before.
    """
    synthetic = SyntheticData(seed=20261205)
    rows: list[list[object]] = [
        [
            f"测试{number}公司",
            "",
            synthetic.person_name(),
            synthetic.resident_id(),
            synthetic.mobile(),
            "中国银行",
            synthetic.bank_card(),
        ]
        for number in range(5)
    ]
    rows[3][0] = rows[0][0]
    # A card that fails its Luhn check is imported with a warning to confirm.
    card = synthetic.bank_card()
    rows[4][6] = card[:-1] + str((int(card[-1]) + 1) % 10)
    return rows


@pytest.fixture
def forked_batches(settings: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Seal in two workers, two rows per batch, and return the process ids of the builders."""
    settings.IMPORT_WORKERS = 2
    monkeypatch.setattr(writing, "WRITE_BATCH_ROWS", BATCH_ROWS)
    build_batch = writing._build_batch
    insert_batch = writing._insert_batch
    builder_ids: list[int] = []

    def build_and_mark(*arguments: Any) -> Any:
        batch = build_batch(*arguments)
        batch.builder_id = os.getpid()
        return batch

    def insert_and_record(batch: Any, *arguments: Any) -> None:
        builder_ids.append(batch.builder_id)
        insert_batch(batch, *arguments)

    monkeypatch.setattr(writing, "_build_batch", build_and_mark)
    monkeypatch.setattr(writing, "_insert_batch", insert_and_record)
    return builder_ids


@pytest.mark.django_db
def test_worker_count_follows_setting_and_batches(settings: Any) -> None:
    settings.IMPORT_WORKERS = 4

    assert workers.worker_count(1) == 0
    assert workers.worker_count(3) == 3
    assert workers.worker_count(10) == 4
    settings.KEK_PROVIDER = "vault"
    assert workers.worker_count(10) == 0


@pytest.mark.django_db
def test_batches_sealed_in_workers_are_imported(forked_batches: list[int]) -> None:
    rows = _rows()

    result = run_import(csv_bytes(rows))

    assert result.is_written
    assert len(forked_batches) == 3
    assert os.getpid() not in forked_batches
    assert (result.created_clients, result.created_people, result.created_accounts) == (4, 5, 5)
    assert Person.objects.filter(client__name=rows[0][0]).count() == 2
    person = Person.objects.get(client__name=rows[2][0])
    assert vault.open_for_reveal(record=person, field_name="resident_id") == rows[2][3]
    warning = ValueWarning.objects.get()
    assert warning.record_id == BankAccount.objects.get(client__name=rows[4][0]).pk


@pytest.mark.django_db
def test_worker_batches_audit_per_model(forked_batches: list[int]) -> None:
    run_import(csv_bytes(_rows()))

    events = AuditEvent.objects.filter(action=Action.RECORD_CREATED)
    assert events.filter(object_type="clients.person").count() == 3
    named = {record for event in events for record in event.details["records"]}
    created = [
        *Client.objects.values_list("pk", flat=True),
        *Person.objects.values_list("pk", flat=True),
        *BankAccount.objects.values_list("pk", flat=True),
    ]
    assert named == {pk.hex for pk in created}


@pytest.mark.django_db
def test_error_in_a_worker_imports_nothing(
    forked_batches: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*arguments: Any) -> Any:
        raise RuntimeError("sealing failed")

    monkeypatch.setattr(writing, "_account_columns", fail)

    with pytest.raises(RuntimeError, match="sealing failed"):
        run_import(csv_bytes(_rows()))

    assert not Client.objects.exists()
    assert not Person.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_upload_job_in_the_task_thread_uses_workers(
    forked_batches: list[int], settings: Any
) -> None:
    settings.TASKS_RUN_INLINE = False
    clerk = UserFactory(roles=[Role.CLERK], department=DepartmentFactory(name="记账一部"))

    job = jobs.import_job_start(
        actor=clerk,
        data=csv_bytes(_rows()),
        suffix=".csv",
        options=ImportOptions(department=clerk.department, interface="web"),
    )
    # The task thread runs one task at a time, so this returns after the import.
    tasks._get_executor().submit(lambda: None).result(timeout=120)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.SUCCEEDED
    assert job.imported_rows == 5
    assert len(forked_batches) == 3
    assert os.getpid() not in forked_batches
    assert Person.objects.count() == 5
    assert ImportJob.objects.count() == 1
