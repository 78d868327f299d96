"""Run a ledger import from the upload page as a background task, with live progress.

The job row (:class:`~shoumi.clients.models.ImportJob`) stores the status,
the counts and the report. Progress inside the write phase cannot be read
from the database, because the write phase is one transaction that other
connections see only when it commits, so the task also keeps its progress
in memory for the page to poll. A page served by another process sees only
the phase stored in the job row.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

import structlog
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi.accounts.models import User
from shoumi.clients.imports.services import (
    ImportOptions,
    ledger_import,
    record_import_failure,
)
from shoumi.clients.models import ImportJob, ImportJobStatus
from shoumi.config import clock, tasks

logger = structlog.get_logger(__name__)

# The validation phase stores its progress in the job row at most this often (rows).
STORE_EVERY_ROWS = 2000


@dataclass(frozen=True)
class Progress:
    phase: str
    done: int
    total: int

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


_progress_lock = threading.Lock()
_progress: dict[uuid.UUID, Progress] = {}


def progress_of(job: ImportJob) -> Progress:
    """Return the live progress of a running job, or the progress stored in its row."""
    with _progress_lock:
        live = _progress.get(job.pk)
    if live is not None:
        return live
    return Progress(job.phase, job.processed_rows, job.total_rows)


def _set_progress(job_id: uuid.UUID, progress: Progress | None) -> None:
    with _progress_lock:
        if progress is None:
            _progress.pop(job_id, None)
        else:
            _progress[job_id] = progress


def import_job_start(
    *,
    actor: User,
    data: bytes,
    suffix: str,
    options: ImportOptions,
    request: HttpRequest | None = None,
) -> ImportJob:
    """Create an import job and run it in the background; return the job."""
    job = ImportJob.objects.create(
        created_by=actor,
        department=options.department,
        is_only_valid=options.is_only_valid,
        created_at=clock.now(),
    )
    tasks.submit(
        "ledger_import",
        run_import_job,
        job_id=job.pk,
        data=data,
        suffix=suffix,
        options=options,
        request=_request_stand_in(request),
    )
    return job


def _request_stand_in(request: HttpRequest | None) -> HttpRequest | None:
    """Copy what the audit event reads (client address, request id) off the live request."""
    if request is None:
        return None
    stand_in = HttpRequest()
    remote_address = request.META.get("REMOTE_ADDR")
    if remote_address:
        stand_in.META["REMOTE_ADDR"] = remote_address
    stand_in.request_id = getattr(request, "request_id", "")  # type: ignore[attr-defined]
    return stand_in


def run_import_job(
    *,
    job_id: uuid.UUID,
    data: bytes,
    suffix: str,
    options: ImportOptions,
    request: HttpRequest | None,
) -> None:
    """Run one import job to its end and store its outcome and report in the job row."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    job.status = ImportJobStatus.RUNNING
    job.started_at = clock.now()
    job.save(update_fields=["status", "started_at"])

    def report_progress(phase: str, done: int, total: int) -> None:
        _set_progress(job_id, Progress(phase, done, total))
        if phase == "validating" and (done % STORE_EVERY_ROWS == 0 or done == total):
            ImportJob.objects.filter(pk=job_id).update(
                phase=phase, processed_rows=done, total_rows=total
            )

    try:
        result = ledger_import(
            actor=job.created_by,
            data=data,
            suffix=suffix,
            options=options,
            progress=report_progress,
            job_id=job_id,
            request=request,
        )
    except Exception as error:
        logger.exception("ledger_import_job_failed", job_id=str(job_id))
        record_import_failure(actor=job.created_by, job_id=job_id, error=error, request=request)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJobStatus.FAILED,
            error_message=_(
                "The import stopped because of an internal error and nothing was imported. "
                "Tell the system administrator."
            ),
            finished_at=clock.now(),
        )
        return
    finally:
        _set_progress(job_id, None)

    job.status = ImportJobStatus.SUCCEEDED if result.is_written else ImportJobStatus.REJECTED
    if result.error and not result.plan:
        job.status = ImportJobStatus.FAILED
    job.phase = ""
    job.encoding = result.encoding
    job.sha256 = result.sha256
    job.total_rows = result.total_rows
    job.processed_rows = result.total_rows
    job.imported_rows = result.imported_rows
    job.duplicate_rows = result.duplicate_rows
    job.rejected_rows = result.rejected_rows
    job.pending_warnings = result.pending_warnings
    job.error_message = result.error
    job.report = result.report.to_bytes()
    job.finished_at = clock.now()
    job.save()
