"""Exports of client lists (CSV and XLSX), watermarked and registered.

An export holds only what the user may see on screen: public fields in
full and every sealed field as its mask. Plaintext never leaves through an
export, because the reveal service is the only path to plaintext. Each file
carries a watermark (the first row, and for XLSX the workbook properties)
with the user, the time and a trace code, and is registered in
:class:`~shoumi.access.models.ExportRecord`. A bulk export (many rows, bank
accounts or ID numbers) needs a two-person approval first.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from shoumi.access import alerts, approvals, gates, policy
from shoumi.access.errors import ExportError
from shoumi.access.matrix import Action, Outcome, outcome_for_roles
from shoumi.access.models import ApprovalKind, ExportRecord
from shoumi.access.services import clean_purpose
from shoumi.accounts.models import User
from shoumi.audit import services as audit
from shoumi.audit.actions import Action as AuditAction
from shoumi.audit.actions import Result
from shoumi.config import clock
from shoumi.vault.sensitivity import Sensitivity

TRACE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Characters that make a spreadsheet treat a cell as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    content_type: str
    record: ExportRecord


def _columns() -> list[tuple[str, str]]:
    return [
        ("name", _("Company name")),
        ("uscc", _("Unified social credit code")),
        ("status", _("Status")),
        ("registered_address", _("Registered address")),
        ("legal_rep", _("Legal representative")),
        ("resident_id", _("ID number")),
        ("mobile", _("Mobile")),
        ("bank_name", _("Bank")),
        ("account_number", _("Account number")),
    ]


def new_trace_code() -> str:
    return "EX" + "".join(secrets.choice(TRACE_ALPHABET) for _ in range(10))


def _rows(clients: list) -> tuple[list[dict[str, str]], int, int]:
    rows: list[dict[str, str]] = []
    accounts = ids = 0
    for client in clients:
        people = list(client.people.all())
        legal_rep = next(
            (person for person in people if person.role == "legal_rep"),
            people[0] if people else None,
        )
        bank_accounts = list(client.bank_accounts.all())
        account = bank_accounts[0] if bank_accounts else None
        accounts += len(bank_accounts)
        ids += sum(1 for person in people if not person.resident_id.is_empty)
        rows.append(
            {
                "name": client.name,
                "uscc": client.uscc,
                "status": str(client.get_status_display()),
                "registered_address": client.registered_address,
                "legal_rep": str(legal_rep.name) if legal_rep else "",
                "resident_id": str(legal_rep.resident_id) if legal_rep else "",
                "mobile": str(legal_rep.mobile) if legal_rep else "",
                "bank_name": account.bank_name if account else "",
                "account_number": str(account.account_number) if account else "",
            }
        )
    return rows, accounts, ids


def is_bulk(row_count: int, bank_accounts: int, id_numbers: int) -> bool:
    return (
        row_count >= settings.BULK_EXPORT_ROWS
        or bank_accounts >= settings.BULK_EXPORT_BANK_ACCOUNTS
        or id_numbers >= settings.BULK_EXPORT_ID_NUMBERS
    )


def export_subject_key(user: User, filters_key: str) -> str:
    return f"clients.export:{user.pk}:{hashlib.sha256(filters_key.encode()).hexdigest()[:32]}"


def export_clients(
    *,
    user: User,
    clients: list,
    filters_key: str,
    file_format: str,
    purpose: str,
    request: HttpRequest | None = None,
) -> ExportFile:
    """Build, watermark and register an export of ``clients``.

    ``clients`` must already be limited to what ``user`` may see.

    Raises ExportError when a gate fails, the role may not export, or a bulk
    export lacks an approved two-person request (``code == "needs_approval"``).
    """
    purpose = clean_purpose(purpose)
    if file_format not in FORMATS:
        raise ExportError(_("Choose CSV or XLSX."), code="format_unknown")
    failures = gates.failed_gates(user, request=request)
    if failures:
        raise ExportError(failures[0].message, code=failures[0].code)
    if outcome_for_roles(user.role_set, Sensitivity.INTERNAL, Action.EXPORT) == Outcome.DENY:
        raise ExportError(_("Your role may not export client lists."), code="role_cannot_export")

    rows, bank_accounts, id_numbers = _rows(clients)
    approval_id = ""
    if is_bulk(len(rows), bank_accounts, id_numbers):
        approval = approvals.approval_for(
            actor=user,
            kind=ApprovalKind.BULK_EXPORT,
            subject_key=export_subject_key(user, filters_key),
        )
        if approval is None:
            raise ExportError(
                _(
                    "This export has %(rows)d rows, %(accounts)d bank accounts and "
                    "%(ids)d ID numbers, "
                    "so it needs a two-person approval first."
                )
                % {"rows": len(rows), "accounts": bank_accounts, "ids": id_numbers},
                code="needs_approval",
            )
        approval_id = str(approval.pk)

    now = clock.now()
    trace_code = new_trace_code()
    watermark = _(
        "shoumi export · by %(name)s (%(number)s) · %(time)s · "
        "trace code %(code)s · for: %(purpose)s"
    ) % {
        "name": user.full_name,
        "number": user.employee_number,
        "time": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        "code": trace_code,
        "purpose": purpose,
    }
    columns = _columns()
    content = (
        _xlsx(columns, rows, watermark, trace_code, user)
        if file_format == "xlsx"
        else _csv(columns, rows, watermark)
    )

    with transaction.atomic():
        if approval_id:
            approvals.approval_consume(approval_id=approval_id, actor=user)
        record = ExportRecord.objects.create(
            trace_code=trace_code,
            user=user,
            created_at=now,
            file_format=file_format,
            row_count=len(rows),
            columns=[key for key, _label in columns],
            purpose=purpose,
            approval_id=approval_id or None,
            sha256=hashlib.sha256(content).hexdigest(),
        )
        audit.append(
            action=AuditAction.EXPORT,
            actor=user,
            result=Result.SUCCESS,
            object_type="clients.client",
            purpose=purpose,
            request=request,
            details={
                "trace_code": trace_code,
                "rows": len(rows),
                "bank_accounts": bank_accounts,
                "id_numbers": id_numbers,
                "approval": approval_id,
                "format": file_format,
            },
        )
    alerts.evaluate(user=user, action=AuditAction.EXPORT, result=Result.SUCCESS)
    filename = f"shoumi-clients-{timezone.localtime(now):%Y%m%d-%H%M}-{trace_code}.{file_format}"
    return ExportFile(
        content=content, filename=filename, content_type=FORMATS[file_format], record=record
    )


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _csv(columns: list[tuple[str, str]], rows: list[dict[str, str]], watermark: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([watermark])
    writer.writerow([label for _key, label in columns])
    for row in rows:
        writer.writerow([_safe_cell(row[key]) for key, _label in columns])
    # A byte-order mark so that Excel on Windows opens the Chinese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(
    columns: list[tuple[str, str]],
    rows: list[dict[str, str]],
    watermark: str,
    trace_code: str,
    user: User,
) -> bytes:
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = _("Clients")[:31]
    sheet.append([watermark])
    sheet.append([label for _key, label in columns])
    for row in rows:
        sheet.append([_safe_cell(row[key]) for key, _label in columns])
    # Every cell is text, so spreadsheets cannot turn long numbers into floats.
    for worksheet_row in sheet.iter_rows():
        for cell in worksheet_row:
            cell.number_format = "@"
    workbook.properties.creator = f"{user.full_name} ({user.employee_number})"
    workbook.properties.title = watermark
    workbook.properties.keywords = trace_code
    workbook.properties.description = watermark
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def clients_for_export(*, user: User, clients_queryset: object) -> list:
    """Load the rows of an export with their people and accounts in a fixed number of queries."""
    return list(
        policy.limit_clients(user, clients_queryset)  # type: ignore[arg-type]
        .prefetch_related("people", "bank_accounts")
        .order_by("name", "pk")
    )
