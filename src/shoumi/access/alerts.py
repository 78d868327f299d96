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

import functools
import zoneinfo
from datetime import datetime, time, timedelta
from typing import Final

import structlog
from django.conf import settings
from django.db import transaction
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


@functools.cache
def _parse_hours(text: str) -> tuple[time, time]:
    start, _dash, end = text.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


@functools.cache
def _parse_days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, _dash, last = part.strip().partition("-")
        days.update(range(int(first), int(last or first) + 1))
    return frozenset(days)


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def is_working_time(moment: datetime) -> bool:
    """Return whether ``moment`` is within the agency's working days and hours.

    They are read in ``TIME_ZONE``, the agency's own, whatever time zone a request
    has activated. ``timezone.localtime`` looks the active zone up first, which cost
    more than the rest of the reveal's alert check.
    """
    local = moment.astimezone(_zone(settings.TIME_ZONE))
    start, end = _parse_hours(settings.WORK_HOURS)
    return local.isoweekday() in _parse_days(settings.WORK_DAYS) and start <= local.time() < end


def _raise(kind: str, user: User, detail: str, now: datetime) -> Alert:
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


# The audit columns that the two counted rules match.
_REVEALS: Final[dict[str, str]] = {"action": Action.REVEAL, "result": Result.SUCCESS}
_DENIALS: Final[dict[str, str]] = {"result": Result.DENIED}


def _events_sql(where: dict[str, str], *, limited: bool) -> str:
    """Return the query of one actor's events after a time whose columns equal ``where``.

    The index on (actor_id, occurred_at, result, action) serves it without
    reading the table. ``limited`` adds a LIMIT parameter, so that a count
    against a threshold stops as soon as it passes.
    """
    conditions = "".join(f" AND {column} = %s" for column in where)
    sql = (
        f"SELECT 1 FROM {AuditEvent._meta.db_table} "  # noqa: S608
        f"WHERE actor_id = %s AND occurred_at > %s{conditions}"
    )
    return sql + " LIMIT %s" if limited else sql


def _count_events(user: User, since: datetime, where: dict[str, str]) -> int:
    """Return the exact number of ``user``'s events after ``since`` matching ``where``."""
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM ({_events_sql(where, limited=False)}) AS counted",  # noqa: S608
            [user.pk, connection.ops.adapt_datetimefield_value(since), *where.values()],
        )
        (count,) = cursor.fetchone()
    return int(count)


def _read_rules(
    user: User, since: datetime, counts: list[tuple[dict[str, str], int]], kinds: list[str]
) -> tuple[list[int], set[str]]:
    """Read what the rules need about ``user`` since ``since``, with one query.

    Returns each of ``counts`` (columns to match and a limit: the count
    stops at the limit) and which of ``kinds`` were raised for ``user``
    since then.
    """
    connection = transaction.get_connection()
    since_value = connection.ops.adapt_datetimefield_value(since)
    columns: list[str] = []
    parameters: list[object] = []
    for where, limit in counts:
        events = _events_sql(where, limited=True)
        columns.append(f"(SELECT COUNT(*) FROM ({events}) AS counted)")  # noqa: S608
        parameters += [user.pk, since_value, *where.values(), limit]
    for kind in kinds:
        columns.append(
            f"EXISTS (SELECT 1 FROM {Alert._meta.db_table} "  # noqa: S608
            "WHERE user_id = %s AND kind = %s AND raised_at > %s)"
        )
        parameters += [user.pk, kind, since_value]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", parameters)
        row = cursor.fetchone()
    flags = row[len(counts) :]
    return [int(value) for value in row[: len(counts)]], {
        kind for kind, flag in zip(kinds, flags, strict=True) if flag
    }


def quiet_limit(threshold: int) -> int:
    """Return the most reveals in an hour, this one included, that skip the alert rules.

    Half the threshold, because reveals of the same user that run at the same
    moment are missing from a count read before the reveal. Above it, the rules
    read the counts again after the reveal.

    NOTE: more than that many reveals of one user at the same moment can still
    delay the many-reveals alert until that user's next reveal.
    """
    return threshold - threshold // 2


def reveal_columns(user: User, since: datetime) -> tuple[str, list[object]]:
    """Return two SQL columns and their parameters for the reveal service's gate query.

    The first counts ``user``'s successful reveals since ``since`` and stops one past
    :func:`quiet_limit`. The second says whether a many-reveals alert was raised for
    ``user`` since then. Both come before the reveal's own event; :func:`evaluate` takes
    them as ``reveals_before`` and ``many_reveals_raised``.
    """
    connection = transaction.get_connection()
    since_value = connection.ops.adapt_datetimefield_value(since)
    return _reveal_columns_sql(), [
        user.pk,
        since_value,
        *_REVEALS.values(),
        quiet_limit(settings.ALERT_REVEALS_PER_HOUR) + 1,
        user.pk,
        AlertKind.MANY_REVEALS,
        since_value,
    ]


@functools.cache
def _reveal_columns_sql() -> str:
    events = _events_sql(_REVEALS, limited=True)
    return (
        f"(SELECT COUNT(*) FROM ({events}) AS counted), "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {Alert._meta.db_table} "
        "WHERE user_id = %s AND kind = %s AND raised_at > %s)"
    )


def _detail(kind: str, user: User, since: datetime) -> str:
    """Return the text of an alert that is being raised; its count is exact."""
    if kind == AlertKind.MANY_REVEALS:
        count = _count_events(user, since, _REVEALS)
        return _("%(count)d reveals within an hour.") % {"count": count}
    if kind == AlertKind.REPEATED_DENIALS:
        count = _count_events(user, since, _DENIALS)
        return _("%(count)d denied requests within an hour.") % {"count": count}
    if kind == AlertKind.OUTSIDE_HOURS:
        return _("Access outside working hours.")
    if kind == AlertKind.UNASSIGNED_CLIENT:
        return _("Tried to open a client not assigned to them.")
    return _("Activity while being offboarded.")


def _is_offboarding(user: User) -> bool:
    from shoumi.staff.models import Offboarding

    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {Offboarding._meta.db_table} "  # noqa: S608
            "WHERE user_id = %s AND completed_at IS NULL",
            [user.pk],
        )
        return cursor.fetchone() is not None


def evaluate(
    *,
    user: User,
    action: str,
    result: str,
    reason_code: str = "",
    is_offboarding: bool | None = None,
    reveals_before: int | None = None,
    many_reveals_raised: bool = False,
) -> list[Alert]:
    """Check the alert rules after an access by ``user``; return the alerts raised.

    ``is_offboarding`` is whether ``user``'s offboarding is open. The reveal
    service reads it with the gates and passes it on, and without it this
    function reads it. The counts of the last hour and the alerts raised in it
    come from one query, because this runs after every reveal. The counts stop
    once they pass their threshold. ``reveals_before`` is the count of the
    successful reveals of the hour before this one (see :func:`reveal_columns`).
    While that count stays within :func:`quiet_limit` and no other rule holds,
    no query runs. Nor does one run for a successful reveal when no other rule
    fires and ``many_reveals_raised`` shows the many-reveals alert of the hour is
    already raised, because the alert is raised once an hour.

    NOTE: that flag is read a moment before this function's hour starts, so an
    alert raised in that moment delays the next one by one reveal.
    """
    now = clock.now()
    hour_ago = now - timedelta(hours=1)
    if is_offboarding is None:
        is_offboarding = _is_offboarding(user)

    # The kinds whose rule holds, then those whose rule holds if a count passes.
    firing: list[str] = []
    if action in WATCHED_ACTIONS and not is_working_time(now):
        firing.append(AlertKind.OUTSIDE_HOURS)
    if reason_code == "client_not_assigned":
        firing.append(AlertKind.UNASSIGNED_CLIENT)
    if is_offboarding:
        firing.append(AlertKind.OFFBOARDING_ACTIVITY)
    counted: list[tuple[str, dict[str, str], int]] = []
    if action == Action.REVEAL:
        counted.append((AlertKind.MANY_REVEALS, _REVEALS, settings.ALERT_REVEALS_PER_HOUR))
    if result == Result.DENIED:
        counted.append((AlertKind.REPEATED_DENIALS, _DENIALS, settings.ALERT_DENIALS_PER_HOUR))
    if not firing and not counted:
        return []
    if (
        reveals_before is not None
        and not firing
        and result == Result.SUCCESS
        and (
            many_reveals_raised
            or reveals_before + 1 <= quiet_limit(settings.ALERT_REVEALS_PER_HOUR)
        )
    ):
        return []

    counts, recent = _read_rules(
        user,
        hour_ago,
        [(where, threshold + 1) for _kind, where, threshold in counted],
        firing + [kind for kind, _where, _threshold in counted],
    )
    for (kind, _where, threshold), count in zip(counted, counts, strict=True):
        if count > threshold:
            firing.append(kind)
    # A kind already raised for this user within the hour (``recent``) is not raised again.
    return [
        _raise(kind, user, _detail(kind, user, hour_ago), now)
        for kind in firing
        if kind not in recent
    ]
