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
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Final

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


def is_working_time(moment: datetime) -> bool:
    local = timezone.localtime(moment)
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


@dataclass(frozen=True)
class RuleReadings:
    """Counts and alerts of one user's last hour, read before an access and without its event.

    The reveal service reads these in its gate query (see :func:`reading_columns`)
    and passes them to :func:`evaluate`, which then runs no query of its own
    unless an alert is raised or the access was denied. The count of successful
    reveals stops one past its threshold. Denials are not read ahead: counting
    them walks all of the user's events of the hour, and most reveals succeed.
    """

    since: datetime
    reveals: int
    # The kinds of READ_AHEAD_KINDS raised for the user since ``since``.
    raised: frozenset[str]


def reading_columns(user: User, since: datetime) -> tuple[str, list[object]]:
    """Return SQL columns and their parameters that read :class:`RuleReadings`.

    They go into a query with one row, in this order, and :func:`readings_from`
    turns the values back into readings.
    """
    connection = transaction.get_connection()
    current: dict[str, object] = {
        _USER: user.pk,
        _SINCE: connection.ops.adapt_datetimefield_value(since),
        _REVEAL_LIMIT: settings.ALERT_REVEALS_PER_HOUR + 1,
    }
    columns, parameters = _reading_sql()
    return columns, [current.get(parameter, parameter) for parameter in parameters]


def readings_from(values: tuple[Any, ...], since: datetime) -> RuleReadings:
    """Return the readings of the values that :func:`reading_columns` selected."""
    reveals, *flags = values
    return RuleReadings(
        since=since,
        reveals=int(reveals),
        raised=frozenset(kind for kind, flag in zip(READ_AHEAD_KINDS, flags, strict=True) if flag),
    )


# The kinds a successful reveal can raise; the others need a denial or offboarding,
# which the gates turn into a denial.
READ_AHEAD_KINDS: Final = (AlertKind.MANY_REVEALS, AlertKind.OUTSIDE_HOURS)

# Stand-ins in the cached reading query for the parameters each reading fills in.
_USER = "\0user"
_SINCE = "\0since"
_REVEAL_LIMIT = "\0reveal-limit"


@functools.cache
def _reading_sql() -> tuple[str, list[str]]:
    """Build the columns of :func:`reading_columns`, with stand-ins for the changing parameters."""
    columns: list[str] = []
    parameters: list[str] = []
    events = _events_sql(_REVEALS, limited=True)
    columns.append(f"(SELECT COUNT(*) FROM ({events}) AS counted)")  # noqa: S608
    parameters += [_USER, _SINCE, *_REVEALS.values(), _REVEAL_LIMIT]
    for kind in READ_AHEAD_KINDS:
        columns.append(
            f"EXISTS (SELECT 1 FROM {Alert._meta.db_table} "  # noqa: S608
            "WHERE user_id = %s AND kind = %s AND raised_at > %s)"
        )
        parameters += [_USER, kind, _SINCE]
    return ", ".join(columns), parameters


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
    readings: RuleReadings | None = None,
) -> list[Alert]:
    """Check the alert rules after an access by ``user``; return the alerts raised.

    ``is_offboarding`` is whether ``user``'s offboarding is open. The reveal
    service reads it with the gates and passes it on, and without it this
    function reads it. The counts of the last hour and the alerts raised in it
    come from one query, because this runs after every reveal. The counts stop
    once they pass their threshold. ``readings``, when given, are those counts
    read before the access (the reveal service reads them with the gates); the
    access itself is then added here and no query runs.
    """
    now = clock.now()
    hour_ago = now - timedelta(hours=1) if readings is None else readings.since
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
        readings is None
        or result == Result.DENIED
        or any(kind not in READ_AHEAD_KINDS for kind in firing)
    ):
        counts, recent = _read_rules(
            user,
            hour_ago,
            [(where, threshold + 1) for _kind, where, threshold in counted],
            firing + [kind for kind, _where, _threshold in counted],
        )
    else:
        # Read before this access's own event, so the event is added here.
        counts = [readings.reveals + (result == Result.SUCCESS) for _counted in counted]
        recent = set(readings.raised)
    for (kind, _where, threshold), count in zip(counted, counts, strict=True):
        if count > threshold:
            firing.append(kind)
    # A kind already raised for this user within the hour (``recent``) is not raised again.
    return [
        _raise(kind, user, _detail(kind, user, hour_ago), now)
        for kind in firing
        if kind not in recent
    ]
