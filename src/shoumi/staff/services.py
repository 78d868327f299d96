"""Record confidentiality agreements, training results and offboarding."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.audit import services as audit
from shoumi.audit.actions import Action, Result
from shoumi.config import clock
from shoumi.staff.errors import ScanReportRejected
from shoumi.staff.models import (
    ConfidentialityAgreement,
    Offboarding,
    ScanReport,
    TrainingCourse,
    TrainingRecord,
)
from shoumi.staff.scan_reports import check_report

RECORDER_ROLES = (Role.SECURITY_ADMIN, Role.MANAGER)


def _require_recorder(actor: User | None) -> None:
    if actor is not None and not actor.has_role(*RECORDER_ROLES):
        raise ValidationError(_("Only the security administrator or a manager can record this."))


@transaction.atomic
def agreement_record(
    *,
    actor: User | None,
    user: User,
    signed_on: datetime.date,
    valid_until: datetime.date,
    request: HttpRequest | None = None,
) -> ConfidentialityAgreement:
    """Record a signed confidentiality agreement (保密协议)."""
    _require_recorder(actor)
    if valid_until < signed_on:
        raise ValidationError(_("The agreement cannot end before it was signed."))
    if signed_on > clock.now().date():
        raise ValidationError(_("The signing date lies in the future."))
    agreement = ConfidentialityAgreement.objects.create(
        user=user, signed_on=signed_on, valid_until=valid_until, recorded_by=actor
    )
    audit.append(
        action=Action.GATE_RECORDED,
        actor=actor,
        object_type="staff.agreement",
        object_id=agreement.pk,
        request=request,
        details={"user": user.pk, "valid_until": valid_until.isoformat()},
    )
    return agreement


@transaction.atomic
def course_make_current(*, actor: User | None, name: str, version: str) -> TrainingCourse:
    """Make ``name``/``version`` the current data-protection training.

    Results of earlier trainings stop counting for the gates.
    """
    _require_recorder(actor)
    TrainingCourse.objects.filter(is_current=True).update(is_current=False)
    course, _created = TrainingCourse.objects.get_or_create(name=name, version=version)
    course.is_current = True
    course.save(update_fields=["is_current"])
    return course


@transaction.atomic
def training_record(
    *,
    actor: User | None,
    user: User,
    passed_on: datetime.date,
    valid_until: datetime.date,
    course: TrainingCourse | None = None,
    request: HttpRequest | None = None,
) -> TrainingRecord:
    """Record that ``user`` passed a training (the current one unless named)."""
    _require_recorder(actor)
    course = course or TrainingCourse.objects.filter(is_current=True).first()
    if course is None:
        raise ValidationError(_("No current training is defined yet."))
    if valid_until < passed_on:
        raise ValidationError(_("The result cannot expire before the training was passed."))
    record = TrainingRecord.objects.create(
        user=user, course=course, passed_on=passed_on, valid_until=valid_until, recorded_by=actor
    )
    audit.append(
        action=Action.GATE_RECORDED,
        actor=actor,
        object_type="staff.training",
        object_id=record.pk,
        request=request,
        details={"user": user.pk, "course": str(course), "valid_until": valid_until.isoformat()},
    )
    return record


@transaction.atomic
def offboarding_start(
    *,
    actor: User | None,
    user: User,
    last_day_on: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> Offboarding:
    """Open an offboarding: from now on the user cannot reveal or export client data."""
    _require_recorder(actor)
    offboarding = Offboarding.objects.create(
        user=user, started_on=clock.now().date(), last_day_on=last_day_on, started_by=actor
    )
    audit.append(
        action=Action.OFFBOARDING_STARTED,
        actor=actor,
        object_type="staff.offboarding",
        object_id=offboarding.pk,
        request=request,
        details={"user": user.pk},
    )
    return offboarding


def _require_report_reader(actor: User) -> None:
    if not actor.has_role(*RECORDER_ROLES):
        raise ValidationError(
            _("Only the security administrator or a manager can see scan reports.")
        )


def scan_report_upload(
    *,
    actor: User,
    staff_member: User,
    data: bytes,
    request: HttpRequest | None = None,
) -> ScanReport:
    """Check an uploaded scan report and store it for ``staff_member``.

    Both outcomes are audited. Raises ``ScanReportRejected`` when the report fails a
    check of ``scan_reports.check_report`` or was already stored for this staff member,
    and ``ValidationError`` when ``actor`` may not upload reports.
    """
    _require_recorder(actor)
    try:
        checked = check_report(data)
        if ScanReport.objects.filter(staff_member=staff_member, sha256=checked.sha256).exists():
            raise ScanReportRejected(
                _("This report was already uploaded for this staff member."), code="duplicate"
            )
    except ScanReportRejected as error:
        audit.append(
            action=Action.SCAN_REPORT_UPLOADED,
            actor=actor,
            result=Result.FAILURE,
            object_type="accounts.user",
            object_id=staff_member.pk,
            request=request,
            details={"reason": error.code, "size": len(data)},
        )
        raise

    with transaction.atomic():
        report = ScanReport.objects.create(
            staff_member=staff_member,
            uploaded_by=actor,
            document=checked.document,
            sha256=checked.sha256,
            size=checked.size,
            started_at=checked.started_at,
            finished_at=checked.finished_at,
            files_scanned=checked.files_scanned,
            files_not_scanned=checked.files_not_scanned,
            bytes_scanned=checked.bytes_scanned,
            finding_count=checked.finding_count,
            findings_by_kind=checked.findings_by_kind,
        )
        audit.append(
            action=Action.SCAN_REPORT_UPLOADED,
            actor=actor,
            object_type="staff.scan_report",
            object_id=report.pk,
            request=request,
            details={"user": staff_member.pk, "findings": report.finding_count},
        )
    return report


@transaction.atomic
def scan_reports_of(
    *, actor: User, staff_member: User, request: HttpRequest | None = None
) -> list[ScanReport]:
    """Return the scan reports of ``staff_member``, newest first, and audit the listing.

    The reports' documents are not loaded; ``scan_report_get`` returns one with it.
    """
    _require_report_reader(actor)
    reports = list(
        ScanReport.objects.filter(staff_member=staff_member)
        .select_related("uploaded_by")
        .defer("document")
    )
    audit.append(
        action=Action.SCAN_REPORT_VIEWED,
        actor=actor,
        object_type="accounts.user",
        object_id=staff_member.pk,
        request=request,
        details={"reports": [report.pk for report in reports]},
    )
    return reports


@transaction.atomic
def scan_report_get(
    *, actor: User, report_id: int, request: HttpRequest | None = None
) -> ScanReport:
    """Return one scan report with its document and audit the view.

    Raises ``ScanReport.DoesNotExist`` for an unknown id.
    """
    _require_report_reader(actor)
    report = ScanReport.objects.select_related("staff_member", "uploaded_by").get(pk=report_id)
    audit.append(
        action=Action.SCAN_REPORT_VIEWED,
        actor=actor,
        object_type="staff.scan_report",
        object_id=report.pk,
        request=request,
        details={"user": report.staff_member_id},
    )
    return report
