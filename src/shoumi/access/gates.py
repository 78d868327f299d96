"""Access gates: what a staff member must have before any reveal or export.

1. The account is active and not being offboarded.
2. A signed confidentiality agreement (保密协议) that has not expired.
3. The current data-protection training, passed and still valid.
4. Two-factor login (the session was verified with TOTP).

A failing gate names the missing requirement and who can fix it, in Chinese.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from shoumi.access import policy
from shoumi.accounts.models import User
from shoumi.config import clock


@dataclass(frozen=True)
class GateFailure:
    code: str
    message: str


@dataclass(frozen=True)
class GateState:
    """The gate inputs of one user on one day: account, offboarding, agreement and training."""

    today: date
    is_active: bool
    is_offboarding: bool
    agreement_until: date | None
    has_training: bool
    # Whether the client asked about is the user's own (policy.is_own_client);
    # None when no client was asked about.
    own_client: bool | None = None
    # Values of the caller's extra columns, in their order.
    extra: tuple[Any, ...] = ()


@functools.cache
def _state_columns() -> str:
    from shoumi.staff.models import (
        ConfidentialityAgreement,
        Offboarding,
        TrainingCourse,
        TrainingRecord,
    )

    offboarding = Offboarding._meta.db_table
    agreement = ConfidentialityAgreement._meta.db_table
    training = TrainingRecord._meta.db_table
    course = TrainingCourse._meta.db_table
    return (
        "account.is_active, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {offboarding} AS offboarding "
        "WHERE offboarding.user_id = account.id AND offboarding.completed_at IS NULL), "
        f"(SELECT MAX(agreement.valid_until) FROM {agreement} AS agreement "
        "WHERE agreement.user_id = account.id), "
        f"EXISTS (SELECT 1 FROM {training} AS training "
        f"JOIN {course} AS course ON course.id = training.course_id "
        "WHERE training.user_id = account.id AND course.is_current = %s "
        "AND training.valid_until >= %s)"
    )


def gate_state(
    user: User, *, client: object = None, extra: tuple[str, list[Any]] | None = None
) -> GateState:
    """Read what the gates check about ``user``, with one query.

    Raw SQL because this runs before every reveal and export, and building
    the query through the ORM cost several times more than running it.
    With ``client``, the same query also reads whether ``client`` is the
    user's own (``own_client``), which the reveal service's policy check needs.
    ``extra`` is SQL columns and their parameters that the same query reads
    for the caller (the alert rules' counts), returned in ``GateState.extra``.
    """
    today = clock.now().date()
    columns = _state_columns()
    parameters: list[Any] = [True, connection.ops.adapt_datefield_value(today)]
    condition = None if client is None else policy.own_client_condition(user, client)
    if condition is not None:
        columns = f"{columns}, {condition[0]}"
        parameters += condition[1]
    if extra is not None:
        columns = f"{columns}, {extra[0]}"
        parameters += extra[1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {User._meta.db_table} AS account WHERE account.id = %s",  # noqa: S608
            [*parameters, user.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return GateState(today, False, False, None, False)
    is_active, is_offboarding, agreement_until, has_training = row[:4]
    if isinstance(agreement_until, str):
        # SQLite returns the date of an aggregate as text.
        agreement_until = date.fromisoformat(agreement_until)
    own_client = None
    if client is not None:
        # No condition: no client is the user's own.
        own_client = bool(row[4]) if condition is not None else False
    extra_values: tuple[Any, ...] = ()
    if extra is not None:
        # The caller's columns follow the four gate columns and the own-client one.
        extra_values = tuple(row[4 if condition is None else 5 :])
    return GateState(
        today=today,
        is_active=bool(is_active),
        is_offboarding=bool(is_offboarding),
        agreement_until=agreement_until,
        has_training=bool(has_training),
        own_client=own_client,
        extra=extra_values,
    )


def failed_gates(
    user: User, *, request: Any = None, state: GateState | None = None
) -> list[GateFailure]:
    """Return every gate ``user`` fails, in the order above; empty when all pass.

    ``state`` is what :func:`gate_state` read for ``user``, for a caller
    that needs it too; without it the state is read here.
    """
    if state is None:
        state = gate_state(user)
    today = state.today
    failures: list[GateFailure] = []
    if not state.is_active:
        failures.append(GateFailure("account_inactive", _("Your account is deactivated.")))
    if state.is_offboarding:
        failures.append(
            GateFailure(
                "offboarding",
                _(
                    "You are being offboarded, so revealing and exporting client data is closed. "
                    "Ask your manager if this is a mistake."
                ),
            )
        )
    agreement_until = state.agreement_until
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
    if not state.has_training:
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
