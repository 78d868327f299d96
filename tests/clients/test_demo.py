"""``shoumi demo``: synthetic clients, demo staff and a messy sample ledger."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from shoumi.accounts.models import User
from shoumi.clients.imports.rows import RowStatus
from shoumi.clients.models import Client, Person
from tests.clients.imports.ledgers import run_import

pytestmark = pytest.mark.django_db


def test_demo_creates_clients_in_the_demo_department() -> None:
    output = io.StringIO()

    call_command("demo", clients=5, seed=7, stdout=output)

    assert Client.objects.filter(department__name="演示部门").count() == 5
    assert Person.objects.count() == 5
    assert "5" in output.getvalue()


def test_demo_staff_get_one_time_passwords() -> None:
    output = io.StringIO()

    call_command("demo", clients=2, with_staff=True, seed=7, stdout=output)
    call_command("demo", clients=0, with_staff=True, seed=8, stdout=io.StringIO())

    text = output.getvalue()
    assert text.count("/accounts/enrol/") == 4
    reviewers = User.objects.filter(employee_number__startswith="DEMO-REVIEWER")
    assert reviewers.count() == 2
    client = Client.objects.first()
    assert client is not None
    assert set(client.assigned_staff.values_list("employee_number", flat=True)) == {
        "DEMO-CLERK",
        "DEMO-REVIEWER",
        "DEMO-REVIEWER2",
        "DEMO-MANAGER",
    }


def test_sample_ledger_has_messy_cells_that_import(tmp_path: Path) -> None:
    path = tmp_path / "sample.xlsx"

    call_command(
        "demo", clients=0, ledger=str(path), ledger_rows=200, seed=11, stdout=io.StringIO()
    )
    result = run_import(path.read_bytes(), suffix=".xlsx", is_only_valid=True)

    assert result.plan is not None
    counted = {status: result.plan.count(status) for status in RowStatus}
    assert counted[RowStatus.NEW_CLIENT] > 150
    assert counted[RowStatus.REJECTED] > 0
    assert counted[RowStatus.DUPLICATE] > 0
    assert result.pending_warnings > 0
    assert "序号、备注" in dict(result.report.summary)["无法识别的列（未导入）"]


def test_ledger_must_be_xlsx(tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("demo", clients=0, ledger=str(tmp_path / "sample.csv"))
