"""Client-list exports: masks only, watermarked, registered, bulk needs a second person."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from shoumi.access import approvals, exports
from shoumi.access.errors import ExportError
from shoumi.access.models import ApprovalKind, ExportRecord
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.clients.models import Client
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_bank_account, make_client, make_person
from tests.staff.factories import pass_gates

pytestmark = pytest.mark.django_db

RESIDENT_ID = "33010619880315019X"
CARD = "6222029876543214"


@pytest.fixture
def reviewer():
    department = DepartmentFactory(name="导出部")
    user = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department, full_name="孙丽"))
    client = make_client(department=department, name="示例导出企业")
    make_person(client, resident_id=RESIDENT_ID)
    make_bank_account(client, number=CARD)
    return user


def _export(user, file_format: str = "xlsx", key: str = "all") -> exports.ExportFile:
    clients = exports.clients_for_export(user=user, clients_queryset=Client.objects.all())
    return exports.export_clients(
        user=user, clients=clients, filters_key=key, file_format=file_format, purpose="年报准备"
    )


def test_xlsx_export_has_masks_watermark_and_text_cells(reviewer) -> None:
    export = _export(reviewer)

    workbook = openpyxl.load_workbook(io.BytesIO(export.content))
    sheet = workbook.active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    flat = " ".join(str(value) for row in values for value in row)
    assert RESIDENT_ID not in flat
    assert CARD not in flat
    assert "330***********019X" in flat
    assert export.record.trace_code in values[0][0]
    assert "孙丽" in values[0][0]
    assert workbook.properties.keywords == export.record.trace_code
    assert all(cell.number_format == "@" for row in sheet.iter_rows(min_row=3) for cell in row)


def test_csv_export_is_registered_and_audited(reviewer) -> None:
    export = _export(reviewer, "csv")

    text = export.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0].startswith("守密导出")
    assert RESIDENT_ID not in text
    record = ExportRecord.objects.get()
    assert record.row_count == 1
    assert record.user == reviewer
    event = AuditEvent.objects.get(action=Action.EXPORT)
    assert event.details["trace_code"] == record.trace_code


def test_formula_cells_are_neutralised(reviewer) -> None:
    Client.objects.update(name='=HYPERLINK("http://evil.example")')

    text = _export(reviewer, "csv").content.decode("utf-8-sig")

    assert "'=HYPERLINK" in text


def test_bulk_export_needs_a_second_person(reviewer, settings) -> None:
    settings.BULK_EXPORT_ROWS = 1

    with pytest.raises(ExportError) as raised:
        _export(reviewer)
    approval = approvals.approval_request(
        actor=reviewer,
        kind=ApprovalKind.BULK_EXPORT,
        subject={"filters": "all"},
        subject_key=exports.export_subject_key(reviewer, "all"),
        summary="导出客户清单",
        reason="年报准备",
    )
    approvals.approval_approve(actor=UserFactory(roles=[Role.MANAGER]), approval=approval)
    export = _export(reviewer)

    assert raised.value.code == "needs_approval"
    assert ExportRecord.objects.get(pk=export.record.pk).approval_id == approval.pk
    with pytest.raises(ExportError):
        _export(reviewer)


def test_archivist_cannot_export() -> None:
    archivist = pass_gates(UserFactory(roles=[Role.ARCHIVIST]))

    with pytest.raises(ExportError) as raised:
        _export(archivist)

    assert raised.value.code == "role_cannot_export"


def test_export_holds_only_visible_clients(reviewer) -> None:
    make_client(department=DepartmentFactory(name="别的部"), name="看不见的企业")

    text = _export(reviewer, "csv").content.decode("utf-8-sig")

    assert "示例导出企业" in text
    assert "看不见的企业" not in text
