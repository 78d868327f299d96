"""Security alerts for the security administrator (dashboard and e-mail).

Raised synchronously when an access happens, from the audit trail:
- more than ``ALERT_REVEALS_PER_HOUR`` reveals by one user within an hour;
- a reveal, export or search outside working hours;
- an attempt on a client not assigned to the user;
- any such activity by a user whose offboarding is open;
- more than ``ALERT_DENIALS_PER_HOUR`` denied requests within an hour.
Each kind is raised at most once per user per hour, so a burst gives one
alert, not hundreds.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumi.access import notifications
from shoumi.access.models import Alert, AlertKind
from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.audit import services as audit
from shoumi.audit.actions import Action, Result
from shoumi.audit.models import AuditEvent
from shoumi.config import clock

logger = structlog.get_logger(__name__)

WATCHED_ACTIONS = (Action.REVEAL, Action.EXPORT, Action.SEARCH)


def _parse_hours(text: str) -> tuple[time, time]:
    start, _dash, end = text.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def _parse_days(text: str) -> set[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, _dash, last = part.strip().partition("-")
        days.update(range(int(first), int(last or first) + 1))
    return days


def is_working_time(moment: datetime) -> bool:
    local = timezone.localtime(moment)
    start, end = _parse_hours(settings.WORK_HOURS)
    return local.isoweekday() in _parse_days(settings.WORK_DAYS) and start <= local.time() < end


def _raise(kind: str, user: User, detail: str) -> Alert | None:
    now = clock.now()
    if Alert.objects.filter(kind=kind, user=user, raised_at__gt=now - timedelta(hours=1)).exists():
        return None
    alert = Alert.objects.create(kind=kind, user=user, raised_at=now, detail=detail[:300])
    audit.append(
        action=Action.ALERT_RAISED,
        actor=None,
        object_type="access.alert",
        object_id=alert.pk,
        details={"kind": kind, "user": user.pk},
    )
    logger.warning("security_alert", kind=kind, user_id=user.pk)
    label = str(AlertKind(kind).label)
    transaction.on_commit(
        lambda: notifications.notify(
            notifications.users_with_role(Role.SECURITY_ADMIN),
            _("Security alert: %(kind)s") % {"kind": label},
            f"{user.full_name}（{user.employee_number}）：{detail}",
        )
    )
    return alert


def evaluate(*, user: User, action: str, result: str, reason_code: str = "") -> list[Alert]:
    """Check the alert rules after an access by ``user``; return the alerts raised.

    The counts for the last hour and the offboarding state come from one
    query, because this runs after every reveal.
    """
    from django.db.models import Count, Exists, OuterRef, Q

    from shoumi.staff.models import Offboarding

    now = clock.now()
    hour_ago = now - timedelta(hours=1)
    counts = AuditEvent.objects.filter(actor_id=user.pk, occurred_at__gt=hour_ago).aggregate(
        reveals=Count("pk", filter=Q(action=Action.REVEAL, result=Result.SUCCESS)),
        denials=Count("pk", filter=Q(result=Result.DENIED)),
    )
    is_offboarding = (
        User.objects.filter(pk=user.pk)
        .annotate(
            open=Exists(Offboarding.objects.filter(user=OuterRef("pk"), completed_at__isnull=True))
        )
        .values_list("open", flat=True)
        .first()
    )

    raised: list[Alert | None] = []
    if action in WATCHED_ACTIONS and not is_working_time(now):
        raised.append(_raise(AlertKind.OUTSIDE_HOURS, user, _("Access outside working hours.")))
    if reason_code == "client_not_assigned":
        raised.append(
            _raise(
                AlertKind.UNASSIGNED_CLIENT, user, _("Tried to open a client not assigned to them.")
            )
        )
    if is_offboarding:
        raised.append(
            _raise(AlertKind.OFFBOARDING_ACTIVITY, user, _("Activity while being offboarded."))
        )
    if action == Action.REVEAL and counts["reveals"] > settings.ALERT_REVEALS_PER_HOUR:
        raised.append(
            _raise(
                AlertKind.MANY_REVEALS,
                user,
                _("%(count)d reveals within an hour.") % {"count": counts["reveals"]},
            )
        )
    if result == Result.DENIED and counts["denials"] > settings.ALERT_DENIALS_PER_HOUR:
        raised.append(
            _raise(
                AlertKind.REPEATED_DENIALS,
                user,
                _("%(count)d denied requests within an hour.") % {"count": counts["denials"]},
            )
        )
    return [alert for alert in raised if alert is not None]
