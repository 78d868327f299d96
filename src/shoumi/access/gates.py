"""Access gates: what a staff member must have before any reveal or export.

1. The account is active and not being offboarded.
2. A signed confidentiality agreement (保密协议) that has not expired.
3. The current data-protection training, passed and still valid.
4. Two-factor login (the session was verified with TOTP).

A failing gate names the missing requirement and who can fix it, in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from shoumi.accounts.models import User
from shoumi.config import clock


@dataclass(frozen=True)
class GateFailure:
    code: str
    message: str


def failed_gates(user: User, *, request: Any = None) -> list[GateFailure]:
    """Return every gate ``user`` fails, in the order above; empty when all pass."""
    from shoumi.staff.models import (
        ConfidentialityAgreement,
        Offboarding,
        TrainingCourse,
        TrainingRecord,
    )

    today = clock.now().date()
    failures: list[GateFailure] = []
    if not user.is_active:
        failures.append(GateFailure("account_inactive", _("Your account is deactivated.")))
    if Offboarding.objects.filter(user=user, completed_at__isnull=True).exists():
        failures.append(
            GateFailure(
                "offboarding",
                _(
                    "You are being offboarded, so revealing and exporting client data is closed. "
                    "Ask your manager if this is a mistake."
                ),
            )
        )
    agreement = ConfidentialityAgreement.objects.filter(user=user).order_by("-valid_until").first()
    if agreement is None:
        failures.append(
            GateFailure(
                "agreement_missing",
                _(
                    "No signed confidentiality agreement is on record for you. Sign one and ask "
                    "the security administrator to record it."
                ),
            )
        )
    elif agreement.valid_until < today:
        failures.append(
            GateFailure(
                "agreement_expired",
                _(
                    "Your confidentiality agreement expired on %(date)s. Sign a new one and ask "
                    "the security administrator to record it."
                )
                % {"date": agreement.valid_until.isoformat()},
            )
        )
    course = TrainingCourse.objects.filter(is_current=True).first()
    passed = (
        TrainingRecord.objects.filter(user=user, course=course, valid_until__gte=today).exists()
        if course
        else False
    )
    if not passed:
        failures.append(
            GateFailure(
                "training_missing",
                _(
                    "You have not passed the current data-protection training (or it has expired). "
                    "Take it and ask the security administrator to record the result."
                ),
            )
        )
    if request is not None:
        session_user = getattr(request, "user", None)
        if session_user is None or not getattr(session_user, "is_verified", lambda: False)():
            failures.append(
                GateFailure(
                    "two_factor_missing",
                    _(
                        "This session was not verified with two-factor login. "
                        "Log out and log in again."
                    ),
                )
            )
    return failures
