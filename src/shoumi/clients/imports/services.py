"""Import a client ledger: read, check every row, then write in one transaction.

``ledger_import`` is the one entry point for the command line and the
upload page. It never writes before every row is checked. By default the
import is all-or-nothing: when any row is rejected nothing is written. With
``is_only_valid`` the valid rows are written and the rejected ones listed.

The write phase (``shoumi.clients.imports.writing``) runs in a single
transaction, so a failure half-way leaves nothing behind. It inserts the
values the builders of ``shoumi.clients.services`` would produce, sealed by
the vault as the forms' records are. Instead of one audit event per record,
each batch of records writes one ``record_created`` event per model that
names every record id of the batch. One ``import`` event per file records
the counts, the encoding and the SHA-256 of the file, never its name.

NOTE: on SQLite the write transaction keeps the database's write lock until it
commits. For 100,000 rows the write phase took 47 to 61 s of CPU time, split
between the importing process and two worker processes, and 58 to 91 s of wall
time on a shared 2-core machine (BENCHMARKS.md, section Import). Other writers,
audit events of reveals included, wait up to the 10-second busy timeout and
then fail, so run large imports outside office hours on SQLite.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi.access import policy
from shoumi.accounts.models import Department, User
from shoumi.audit import services as audit
from shoumi.audit.actions import Action, Result
from shoumi.audit.errors import AuditError
from shoumi.clients.imports.columns import ImportField, locate_header, map_columns
from shoumi.clients.imports.errors import ImportConflictError, LedgerFileError
from shoumi.clients.imports.readers import read_sheet
from shoumi.clients.imports.reports import Report, build_report
from shoumi.clients.imports.rows import (
    ImportPlan,
    Progress,
    RowStatus,
    check_sheet,
)
from shoumi.clients.imports.writing import write_plan

logger = structlog.get_logger(__name__)


@dataclass
class ImportOptions:
    """How to import: the mode, an explicit column mapping and where new clients go."""

    is_only_valid: bool = False
    mapping: dict[str, ImportField] = field(default_factory=dict)
    department: Department | None = None
    assigned_staff: Sequence[User] = ()
    interface: str = "command"


@dataclass
class ImportResult:
    """The outcome of one import: counts, the file-level error if any, and the report."""

    sha256: str
    encoding: str = ""
    plan: ImportPlan | None = None
    error: str = ""
    is_written: bool = False
    created_clients: int = 0
    created_people: int = 0
    created_accounts: int = 0
    report: Report = field(default_factory=Report)

    @property
    def total_rows(self) -> int:
        return len(self.plan.rows) if self.plan else 0

    @property
    def rejected_rows(self) -> int:
        return self.plan.rejected_rows if self.plan else 0

    @property
    def duplicate_rows(self) -> int:
        return self.plan.count(RowStatus.DUPLICATE) if self.plan else 0

    @property
    def imported_rows(self) -> int:
        if not (self.plan and self.is_written):
            return 0
        return self.plan.count(RowStatus.NEW_CLIENT) + self.plan.count(RowStatus.ADDED)

    @property
    def pending_warnings(self) -> int:
        return self.plan.pending_warnings if self.plan and self.is_written else 0


def ledger_import(
    *,
    actor: User | None,
    data: bytes,
    suffix: str,
    options: ImportOptions,
    progress: Progress | None = None,
    job_id: uuid.UUID | None = None,
    request: HttpRequest | None = None,
) -> ImportResult:
    """Read, check and (unless rows are rejected in all-or-nothing mode) write a ledger.

    ``actor`` is None for the command line, which may add records to any
    client; otherwise the actor's roles must allow ``policy.can_import``.
    File-level problems (unreadable, too large, unusable columns) and a
    refused actor are returned in ``ImportResult.error`` rather than
    raised. Raises AuditError when the import event cannot be stored.
    """
    result = ImportResult(sha256=hashlib.sha256(data).hexdigest())
    if actor is not None and not policy.can_import(actor):
        result.error = _("Your role cannot import client data.")
        _finish(result, actor=actor, options=options, job_id=job_id, request=request)
        return result
    try:
        sheet = read_sheet(data, suffix)
        result.encoding = sheet.encoding
        header_index = locate_header(sheet.rows, options.mapping)
        column_map = map_columns(sheet.rows[header_index], header_index + 1, options.mapping)
        result.plan = check_sheet(sheet, column_map, actor=actor, progress=progress)
    except LedgerFileError as error:
        result.error = error.message
        _finish(result, actor=actor, options=options, job_id=job_id, request=request)
        return result

    plan = result.plan
    if plan.rejected_rows and not options.is_only_valid:
        _mark_not_imported(plan)
        _finish(result, actor=actor, options=options, job_id=job_id, request=request)
        return result

    try:
        with transaction.atomic():
            counts = write_plan(
                plan,
                actor=actor,
                department=options.department,
                assigned_staff=options.assigned_staff,
                job_id=job_id,
                progress=progress,
            )
            result.created_clients = counts.clients
            result.created_people = counts.people
            result.created_accounts = counts.accounts
            result.is_written = True
            _finish(result, actor=actor, options=options, job_id=job_id, request=request)
    except (ImportConflictError, IntegrityError) as error:
        logger.warning(
            "ledger_import_conflict", job_id=str(job_id or ""), error_type=type(error).__name__
        )
        result.is_written = False
        result.created_clients = result.created_people = result.created_accounts = 0
        _mark_not_imported(plan)
        result.error = _(
            "Records in this file were added by someone else while it was being checked. "
            "Nothing was imported; import the file again."
        )
        _finish(result, actor=actor, options=options, job_id=job_id, request=request)
    return result


def _mark_not_imported(plan: ImportPlan) -> None:
    for row in plan.rows:
        if not row.is_rejected:
            row.status = RowStatus.NOT_IMPORTED


def _finish(
    result: ImportResult,
    *,
    actor: User | None,
    options: ImportOptions,
    job_id: uuid.UUID | None,
    request: HttpRequest | None,
) -> None:
    """Build the report and write the import's audit event."""
    result.report = build_report(result.plan, summary_lines(result, options))
    audit.append(
        action=Action.IMPORT,
        actor=actor,
        result=Result.SUCCESS if result.is_written else Result.FAILURE,
        object_type="clients.importjob" if job_id else "",
        object_id=job_id or "",
        request=request,
        details={
            "interface": options.interface,
            "mode": "only_valid" if options.is_only_valid else "all_or_nothing",
            "sha256": result.sha256,
            "encoding": result.encoding,
            "rows": result.total_rows,
            "imported_rows": result.imported_rows,
            "duplicate_rows": result.duplicate_rows,
            "rejected_rows": result.rejected_rows,
            "pending_warnings": result.pending_warnings,
            "created_clients": result.created_clients,
            "created_people": result.created_people,
            "created_accounts": result.created_accounts,
            "file_error": bool(result.error),
        },
    )
    logger.info(
        "ledger_import_finished",
        job_id=str(job_id or ""),
        rows=result.total_rows,
        imported_rows=result.imported_rows,
        rejected_rows=result.rejected_rows,
        is_written=result.is_written,
    )


def summary_lines(result: ImportResult, options: ImportOptions) -> list[tuple[str, str]]:
    """Return the report's summary: outcome, encoding, counts and column notes."""
    if result.error:
        outcome = result.error
    elif result.is_written:
        outcome = _("Imported.")
    else:
        outcome = _(
            "Nothing was imported because rows were rejected. Correct them, or import only "
            "the valid rows."
        )
    lines = [
        (_("Result"), outcome),
        (_("Mode"), _("Only valid rows") if options.is_only_valid else _("All or nothing")),
        (_("Encoding"), result.encoding or "—"),
        (_("SHA-256 of the file"), result.sha256),
        (_("Data rows"), str(result.total_rows)),
        (_("Rows imported"), str(result.imported_rows)),
        (_("Duplicate rows"), str(result.duplicate_rows)),
        (_("Rejected rows"), str(result.rejected_rows)),
        (_("Values to confirm"), str(result.pending_warnings)),
        (_("New clients"), str(result.created_clients)),
        (_("New people"), str(result.created_people)),
        (_("New bank accounts"), str(result.created_accounts)),
    ]
    plan = result.plan
    if plan is not None:
        column_map = plan.column_map
        if column_map.unknown_headers:
            lines.append(
                (_("Columns not recognised (not imported)"), "、".join(column_map.unknown_headers))
            )
        if column_map.ignored_headers:
            lines.append((_("Columns ignored"), "、".join(column_map.ignored_headers)))
        lines.extend((_("Note on the file"), notice) for notice in plan.notices)
    return lines


def record_import_failure(
    *, actor: User | None, job_id: uuid.UUID, error: BaseException, request: HttpRequest | None
) -> None:
    """Audit an import that failed with an unexpected error (the task's last resort)."""
    try:
        audit.append(
            action=Action.IMPORT,
            actor=actor,
            result=Result.FAILURE,
            object_type="clients.importjob",
            object_id=job_id,
            request=request,
            details={"error_type": type(error).__name__},
        )
    except AuditError:
        logger.critical("ledger_import_failure_not_audited", job_id=str(job_id))
