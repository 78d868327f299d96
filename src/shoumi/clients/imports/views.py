"""The ledger upload page, the progress of an import, and its report."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import MemoryFileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from shoumi.access import policy
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.clients import selectors
from shoumi.clients.forms import LedgerUploadForm
from shoumi.clients.imports import jobs
from shoumi.clients.imports.readers import max_file_bytes
from shoumi.clients.imports.reports import Report, render_csv, render_xlsx
from shoumi.clients.imports.services import ImportOptions
from shoumi.clients.models import ImportJob

# Room for the multipart envelope and the form's other fields.
UPLOAD_OVERHEAD_BYTES = 64 * 1024
# The page shows at most this many rejected or warned rows; the download has all.
PAGE_PROBLEM_ROWS = 200


class InMemoryUploadHandler(MemoryFileUploadHandler):
    """Keep the uploaded ledger in memory, never in a temporary file on disk.

    By default Django writes uploads above 2.5 MB to a temporary file, which would leave
    clients' identity numbers in clear on disk. This handler keeps up to the
    import's size limit in memory and stops the upload beyond it.
    """

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.is_too_large = False

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.activated = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.limit:
            self.is_too_large = True
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


@csrf_exempt
def import_start_view(request: AuthenticatedRequest) -> HttpResponse:
    # The upload handler must be set before anything reads request.POST.
    # CsrfViewMiddleware reads it, so CSRF is checked by _import_start instead,
    # as Django's file-upload documentation describes.
    if not policy.can_import(request.user):
        raise PermissionDenied
    handler = InMemoryUploadHandler(request, max_file_bytes())
    request.upload_handlers = [handler]
    return _import_start(request, handler)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _import_start(request: AuthenticatedRequest, handler: InMemoryUploadHandler) -> HttpResponse:
    if request.method != "POST":
        return _render_start(request, LedgerUploadForm())

    content_length = int(request.META.get("CONTENT_LENGTH") or 0)
    if content_length > max_file_bytes() + UPLOAD_OVERHEAD_BYTES:
        return _render_start(request, LedgerUploadForm(), _too_large_message())

    form = LedgerUploadForm(request.POST, request.FILES)
    if handler.is_too_large:
        return _render_start(request, LedgerUploadForm(), _too_large_message())
    if not form.is_valid():
        return _render_start(request, form)
    ledger = form.cleaned_data["ledger"]
    job = jobs.import_job_start(
        actor=request.user,
        data=ledger.read(),
        suffix=PurePath(ledger.name).suffix,
        options=ImportOptions(
            is_only_valid=form.cleaned_data["is_only_valid"],
            mapping=form.cleaned_data["mapping"],
            department=request.user.department,
            assigned_staff=[request.user],
            interface="page",
        ),
        request=request,
    )
    return redirect("clients:import_job", job_id=job.pk)


def _render_start(
    request: AuthenticatedRequest, form: LedgerUploadForm, upload_error: str = ""
) -> HttpResponse:
    return render(
        request, "clients/import_start.html", {"form": form, "upload_error": upload_error}
    )


def _too_large_message() -> str:
    return _("The file is larger than %(limit)d MB. Split it into several files.") % {
        "limit": settings.IMPORT_MAX_FILE_MB
    }


def _job_or_404(request: AuthenticatedRequest, job_id: Any) -> ImportJob:
    job = selectors.import_job_get(user=request.user, job_id=job_id)
    if job is None:
        raise Http404
    return job


def import_job_view(request: AuthenticatedRequest, job_id: Any) -> HttpResponse:
    job = _job_or_404(request, job_id)
    context: dict[str, Any] = {"job": job, "progress": jobs.progress_of(job)}
    if job.is_finished and job.report:
        report = Report.from_bytes(bytes(job.report))
        problems = report.problem_rows
        context.update(
            {
                "report": report,
                "problem_rows": problems[:PAGE_PROBLEM_ROWS],
                "more_problem_rows": max(len(problems) - PAGE_PROBLEM_ROWS, 0),
            }
        )
    template = "clients/partials/import_job.html" if request.htmx else "clients/import_job.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def import_report_view(
    request: AuthenticatedRequest, job_id: Any, file_format: str
) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if not job.report or file_format not in ("csv", "xlsx"):
        raise Http404
    report = Report.from_bytes(bytes(job.report))
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M")
    if file_format == "csv":
        response = HttpResponse(render_csv(report), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            render_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="import-report-{stamp}.{file_format}"'
    response["Cache-Control"] = "no-store"
    return response
