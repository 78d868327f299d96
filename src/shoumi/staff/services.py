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
from shoumi.audit.actions import Action
from shoumi.config import clock
from shoumi.staff.models import (
    ConfidentialityAgreement,
    Offboarding,
    TrainingCourse,
    TrainingRecord,
)

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
