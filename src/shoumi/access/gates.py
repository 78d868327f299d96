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
    """Return every gate ``user`` fails, in the order above; empty when all pass.

    The three staff records are read in one query, because this runs before
    every reveal and export.
    """
    from django.db.models import Exists, OuterRef, Subquery

    from shoumi.staff.models import ConfidentialityAgreement, Offboarding, TrainingRecord

    today = clock.now().date()
    state = (
        User.objects.filter(pk=user.pk)
        .annotate(
            is_offboarding=Exists(
                Offboarding.objects.filter(user=OuterRef("pk"), completed_at__isnull=True)
            ),
            agreement_until=Subquery(
                ConfidentialityAgreement.objects.filter(user=OuterRef("pk"))
                .order_by("-valid_until")
                .values("valid_until")[:1]
            ),
            has_training=Exists(
                TrainingRecord.objects.filter(
                    user=OuterRef("pk"), course__is_current=True, valid_until__gte=today
                )
            ),
        )
        .values("is_active", "is_offboarding", "agreement_until", "has_training")
        .first()
    ) or {
        "is_active": False,
        "is_offboarding": False,
        "agreement_until": None,
        "has_training": False,
    }

    failures: list[GateFailure] = []
    if not state["is_active"]:
        failures.append(GateFailure("account_inactive", _("Your account is deactivated.")))
    if state["is_offboarding"]:
        failures.append(
            GateFailure(
                "offboarding",
                _(
                    "You are being offboarded, so revealing and exporting client data is closed. "
                    "Ask your manager if this is a mistake."
                ),
            )
        )
    agreement_until = state["agreement_until"]
    if agreement_until is None:
        failures.append(
            GateFailure(
                "agreement_missing",
                _(
                    "No signed confidentiality agreement is on record for you. Sign one and ask "
                    "the security administrator to record it."
                ),
            )
        )
    elif agreement_until < today:
        failures.append(
            GateFailure(
                "agreement_expired",
                _(
                    "Your confidentiality agreement expired on %(date)s. Sign a new one and ask "
                    "the security administrator to record it."
                )
                % {"date": agreement_until.isoformat()},
            )
        )
    if not state["has_training"]:
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
