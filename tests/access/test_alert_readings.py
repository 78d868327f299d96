"""Alerts raised with the reveal count read ahead, against reading every count after.

Each sequence of steps runs twice on the same data: once as the service
runs, and once with a quiet limit of 0 and the raised-alert flag off,
which makes ``evaluate`` read the counts after every access. Both
runs must raise the same alerts at the same times.
"""

from __future__ import annotations

import datetime
import random

import pytest
import time_machine
from django.db import transaction

from shoumi.access import alerts, services
from shoumi.access.errors import RevealDeniedError
from shoumi.access.models import Alert
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action, Result
from shoumi.staff import services as staff
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_client, make_person
from tests.scanner.helpers import resident_id
from tests.staff.factories import pass_gates

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
# A Wednesday, 17:40 in Asia/Shanghai: sequences cross the end of working hours.
START = datetime.datetime(2026, 12, 2, 17, 40, tzinfo=SHANGHAI)


class _Rollback(Exception):
    pass


@pytest.fixture
def scene(settings):
    settings.ALERT_REVEALS_PER_HOUR = 3
    settings.ALERT_DENIALS_PER_HOUR = 2
    department = DepartmentFactory(name="告警部")
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department))
    UserFactory(roles=[Role.SECURITY_ADMIN])
    own = make_person(make_client(department=department), resident_id=resident_id(sequence="041"))
    other = make_person(
        make_client(department=DepartmentFactory(name="别的部")),
        resident_id=resident_id(sequence="042"),
    )
    return reviewer, own, other


def _step(kind: str, reviewer, own, other) -> None:
    if kind == "reveal":
        services.reveal(user=reviewer, record=own, field="resident_id", purpose="核对身份")
    elif kind == "unassigned":
        with pytest.raises(RevealDeniedError):
            services.reveal(user=reviewer, record=other, field="resident_id", purpose="核对身份")
    elif kind == "out_of_reach":
        services.record_out_of_reach(
            user=reviewer, object_type="clients.person", object_id="missing-1", field="resident_id"
        )
    elif kind == "export":
        alerts.evaluate(user=reviewer, action=Action.EXPORT, result=Result.SUCCESS)
    elif kind == "offboard":
        staff.offboarding_start(actor=None, user=reviewer)
    else:
        raise AssertionError(kind)


def _run(steps, scene, *, read_ahead: bool, monkeypatch) -> list[tuple[str, datetime.datetime]]:
    reviewer, own, other = scene
    with monkeypatch.context() as patch:
        if not read_ahead:
            patch.setattr(alerts, "quiet_limit", lambda threshold: 0)
            evaluate = alerts.evaluate
            patch.setattr(
                alerts,
                "evaluate",
                lambda **arguments: evaluate(**{**arguments, "many_reveals_raised": False}),
            )
        raised: list[tuple[str, datetime.datetime]] = []
        try:
            with transaction.atomic():
                for minutes, kind in steps:
                    with time_machine.travel(
                        START + datetime.timedelta(minutes=minutes), tick=False
                    ):
                        try:
                            _step(kind, reviewer, own, other)
                        except RevealDeniedError:
                            # An offboarding user's reveal is denied by the gates.
                            pass
                raised = list(Alert.objects.order_by("id").values_list("kind", "raised_at"))
                raise _Rollback
        except _Rollback:
            pass
    return raised


def _sequence(seed: int) -> list[tuple[int, str]]:
    chooser = random.Random(seed)
    kinds = ["reveal"] * 9 + ["unassigned", "unassigned", "out_of_reach", "export"]
    if seed % 3 == 0:
        kinds.append("offboard")
    minutes = 0
    steps = []
    for _ in range(18):
        minutes += chooser.choice([0, 0, 1, 3, 7, 20, 59, 61])
        steps.append((minutes, chooser.choice(kinds)))
    return steps


@pytest.mark.parametrize("seed", range(12))
def test_read_ahead_raises_the_same_alerts(scene, monkeypatch, seed: int) -> None:
    steps = _sequence(seed)

    before = _run(steps, scene, read_ahead=False, monkeypatch=monkeypatch)
    now = _run(steps, scene, read_ahead=True, monkeypatch=monkeypatch)

    assert now == before, steps
