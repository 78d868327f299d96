"""Staff pages for the security administrator and managers.

Compliance (agreements, training, offboarding), a staff member's page, and the scan
reports that offboarding audits upload.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from shoumi.access.gates import failed_gates
from shoumi.accounts.decorators import role_required
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.documents.uploads import use_memory_only_uploads
from shoumi.scanner import Confidence, Kind
from shoumi.staff import services
from shoumi.staff.errors import ScanReportRejected
from shoumi.staff.forms import (
    AgreementForm,
    CourseForm,
    OffboardingForm,
    ScanReportUploadForm,
    TrainingForm,
    report_too_large_message,
)
from shoumi.staff.models import Offboarding, ScanReport, TrainingCourse
from shoumi.staff.scan_reports import MAX_REPORT_BYTES

# Findings shown on a report's page; the stored report keeps all of them.
MAX_FINDINGS_SHOWN = 1000

FORMS = {
    "agreement": AgreementForm,
    "training": TrainingForm,
    "course": CourseForm,
    "offboarding": OffboardingForm,
}


@role_required(Role.SECURITY_ADMIN, Role.MANAGER)
@require_http_methods(["GET", "POST"])
def compliance_view(request: AuthenticatedRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    forms = {
        name: form_class(request.POST if kind == name else None, prefix=name)
        for name, form_class in FORMS.items()
    }
    if request.method == "POST" and kind in forms and forms[kind].is_valid():
        data = forms[kind].cleaned_data
        try:
            if kind == "agreement":
                services.agreement_record(
                    actor=request.user,
                    user=data["user"],
                    signed_on=data["signed_on"],
                    valid_until=data["valid_until"],
                    request=request,
                )
            elif kind == "training":
                services.training_record(
                    actor=request.user,
                    user=data["user"],
                    passed_on=data["passed_on"],
                    valid_until=data["valid_until"],
                    request=request,
                )
            elif kind == "course":
                services.course_make_current(
                    actor=request.user, name=data["name"], version=data["version"]
                )
            else:
                services.offboarding_start(
                    actor=request.user,
                    user=data["user"],
                    last_day_on=data["last_day_on"],
                    request=request,
                )
        except ValidationError as error:
            forms[kind].add_error(None, error)
        else:
            messages.success(request, _("Recorded."))
            return redirect("staff:compliance")
    rows = [
        (member, _missing_requirements(member))
        for member in User.objects.filter(is_active=True).order_by("employee_number")
        if not member.is_separated_admin
    ]
    context = {
        "forms": forms,
        "rows": rows,
        "course": TrainingCourse.objects.filter(is_current=True).first(),
    }
    return render(request, "staff/compliance.html", context)


# The gates address the person who is refused ("your agreement ..."); these
# pages show other staff members' gaps to the security administrator and managers.
GATE_SUMMARIES = {
    "account_inactive": gettext_lazy("Account deactivated"),
    "offboarding": gettext_lazy("Being offboarded"),
    "agreement_missing": gettext_lazy("No confidentiality agreement on record"),
    "agreement_expired": gettext_lazy("Confidentiality agreement expired"),
    "training_missing": gettext_lazy("Current data-protection training not passed or expired"),
}


def _missing_requirements(member: User) -> list[str]:
    """What ``member`` lacks before they may reveal or export, in the third person."""
    return [
        str(GATE_SUMMARIES.get(failure.code, failure.message)) for failure in failed_gates(member)
    ]


@role_required(Role.SECURITY_ADMIN, Role.MANAGER)
@require_http_methods(["GET"])
def member_view(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    """Show a staff member's compliance state, offboardings and scan reports."""
    member = get_object_or_404(User, pk=user_id)
    reports = services.scan_reports_of(actor=request.user, staff_member=member, request=request)
    context = {
        "member": member,
        "failures": _missing_requirements(member),
        "offboardings": Offboarding.objects.filter(user=member).order_by("-started_on"),
        "report_rows": [(report, _kind_counts(report.findings_by_kind)) for report in reports],
    }
    return render(request, "staff/member.html", context)


@csrf_exempt
@role_required(Role.SECURITY_ADMIN, Role.MANAGER)
def scan_report_upload_view(request: AuthenticatedRequest) -> HttpResponse:
    """Upload the JSON report of ``shoumi scan`` for a staff member."""
    # A wrong file (a ledger instead of the report) may hold plaintext identifiers;
    # Django's default handlers would write it to a temporary file above 2.5 MB.
    # The handlers are replaced before the CSRF check reads the body, so the
    # check runs inside (csrf_protect) instead of in the middleware.
    handler = use_memory_only_uploads(request, max_bytes=MAX_REPORT_BYTES)
    return _scan_report_upload(request, handler.oversized_fields)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _scan_report_upload(request: AuthenticatedRequest, oversized_fields: list[str]) -> HttpResponse:
    if request.method == "POST":
        form = ScanReportUploadForm(request.POST, request.FILES)
    else:
        form = ScanReportUploadForm(initial={"staff_member": request.GET.get("staff_member")})
    if "report" in oversized_fields:
        form.add_error("report", report_too_large_message())
    elif request.method == "POST" and form.is_valid():
        member = form.cleaned_data["staff_member"]
        try:
            report = services.scan_report_upload(
                actor=request.user,
                staff_member=member,
                data=form.cleaned_data["report"].read(),
                request=request,
            )
        except (ScanReportRejected, ValidationError) as error:
            form.add_error("report", error.message)
        else:
            messages.success(
                request,
                _("Scan report stored: %(count)d findings.") % {"count": report.finding_count},
            )
            return redirect("staff:member", user_id=member.pk)
    return render(request, "staff/scan_report_upload.html", {"form": form})


@role_required(Role.SECURITY_ADMIN, Role.MANAGER)
@require_http_methods(["GET"])
def scan_report_view(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    """Show one scan report: summary, files not scanned and the masked findings."""
    try:
        report = services.scan_report_get(actor=request.user, report_id=report_id, request=request)
    except ScanReport.DoesNotExist:
        raise Http404 from None
    document = report.document
    findings = document["findings"]
    context = {
        "report": report,
        "kind_counts": _kind_counts(report.findings_by_kind),
        "skipped": [entry for entry in document["files"] if entry["status"] != "scanned"],
        "findings": [
            {
                **finding,
                "kind_title": Kind.from_label(finding["kind"]).title_zh,
                "confidence_level": Confidence.from_label(finding["confidence"]),
            }
            for finding in findings[:MAX_FINDINGS_SHOWN]
        ],
        "findings_hidden": max(len(findings) - MAX_FINDINGS_SHOWN, 0),
    }
    return render(request, "staff/scan_report.html", context)


def _kind_counts(findings_by_kind: dict[str, int]) -> list[tuple[str, int]]:
    """Return ``(Chinese kind name, count)`` for each kind found, in the scanner's order."""
    return [
        (kind.title_zh, findings_by_kind.get(kind.label, 0))
        for kind in Kind
        if findings_by_kind.get(kind.label, 0)
    ]
