"""Security alerts on the security administrator's dashboard and by e-mail."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shoumi.access import alerts, services
from shoumi.access.errors import RevealDeniedError
from shoumi.access.models import Alert, AlertKind
from shoumi.accounts.roles import Role
from shoumi.audit import services as audit
from shoumi.audit.actions import Action, Result
from shoumi.staff import services as staff
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_client, make_person
from tests.staff.factories import pass_gates

pytestmark = pytest.mark.django_db

# A Wednesday at 10:00 and at 23:30 in Asia/Shanghai.
WORKING = datetime.datetime(
    2026, 12, 2, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
)
LATE = datetime.datetime(2026, 12, 2, 23, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


@pytest.fixture
def scene():
    department = DepartmentFactory(name="告警部")
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department))
    UserFactory(roles=[Role.SECURITY_ADMIN], email="security@example.cn")
    person = make_person(make_client(department=department))
    return reviewer, person


def _reveal(user, person) -> None:
    services.reveal(user=user, record=person, field="resident_id", purpose="核对身份")


def _kinds() -> list[str]:
    return list(Alert.objects.values_list("kind", flat=True))


def test_many_reveals_in_an_hour(scene, settings) -> None:
    reviewer, person = scene
    settings.ALERT_REVEALS_PER_HOUR = 3

    with time_machine.travel(WORKING, tick=False):
        for _ in range(5):
            _reveal(reviewer, person)

    assert _kinds() == [AlertKind.MANY_REVEALS]


def test_access_outside_working_hours(scene, mailoutbox) -> None:
    reviewer, person = scene

    with time_machine.travel(LATE, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        _reveal(reviewer, person)

    assert _kinds() == [AlertKind.OUTSIDE_HOURS]
    assert [message.to for message in mailoutbox] == [["security@example.cn"]]


@pytest.mark.parametrize("active_zone", ["UTC", "America/New_York"])
def test_working_hours_ignore_active_zone(active_zone, settings) -> None:
    # 10:00 on a Wednesday in Asia/Shanghai is 02:00 UTC and 21:00 the day before in New York.
    with timezone.override(active_zone):
        assert alerts.is_working_time(WORKING)
        assert not alerts.is_working_time(LATE)
        settings.TIME_ZONE = "UTC"
        assert not alerts.is_working_time(WORKING)


def test_attempt_on_unassigned_client(scene) -> None:
    reviewer, _person = scene
    other = make_person(make_client(department=DepartmentFactory(name="别的部")))

    with time_machine.travel(WORKING, tick=False), pytest.raises(RevealDeniedError):
        _reveal(reviewer, other)

    assert AlertKind.UNASSIGNED_CLIENT in _kinds()


def test_activity_during_offboarding(scene) -> None:
    reviewer, person = scene
    staff.offboarding_start(actor=None, user=reviewer)

    with time_machine.travel(WORKING, tick=False), pytest.raises(RevealDeniedError):
        _reveal(reviewer, person)

    assert AlertKind.OFFBOARDING_ACTIVITY in _kinds()


def test_repeated_denials(scene, settings) -> None:
    _reviewer, person = scene
    settings.ALERT_DENIALS_PER_HOUR = 2
    clerk = pass_gates(UserFactory(roles=[Role.CLERK], department=person.client.department))

    with time_machine.travel(WORKING, tick=False):
        for _ in range(4):
            with pytest.raises(RevealDeniedError):
                _reveal(clerk, person)

    assert _kinds() == [AlertKind.REPEATED_DENIALS]


def test_one_alert_per_kind_and_hour(scene) -> None:
    reviewer, person = scene

    with time_machine.travel(LATE, tick=False):
        _reveal(reviewer, person)
        _reveal(reviewer, person)
    with time_machine.travel(LATE + datetime.timedelta(hours=1, minutes=1), tick=False):
        _reveal(reviewer, person)

    assert Alert.objects.filter(kind=AlertKind.OUTSIDE_HOURS).count() == 2
    assert timezone.is_aware(Alert.objects.first().raised_at)


def _audit_reveals(user, count: int) -> None:
    for _ in range(count):
        audit.append(action=Action.REVEAL, result=Result.SUCCESS, actor=user, field="resident_id")


def test_many_reveals_alert_states_the_exact_count(scene, settings) -> None:
    reviewer, _person = scene
    settings.ALERT_REVEALS_PER_HOUR = 3

    with time_machine.travel(WORKING, tick=False):
        _audit_reveals(reviewer, 9)
        raised = alerts.evaluate(user=reviewer, action=Action.REVEAL, result=Result.SUCCESS)

    # The threshold check stops counting at 4; the alert's text counts them all.
    assert [alert.kind for alert in raised] == [AlertKind.MANY_REVEALS]
    assert "9" in raised[0].detail


def test_reveals_of_more_than_an_hour_ago_do_not_count(scene, settings) -> None:
    reviewer, _person = scene
    settings.ALERT_REVEALS_PER_HOUR = 3

    with time_machine.travel(WORKING - datetime.timedelta(minutes=61), tick=False):
        _audit_reveals(reviewer, 3)
    with time_machine.travel(WORKING, tick=False):
        _audit_reveals(reviewer, 3)
        raised = alerts.evaluate(user=reviewer, action=Action.REVEAL, result=Result.SUCCESS)

    assert raised == []


def test_rules_are_read_with_one_query(scene, django_assert_num_queries) -> None:
    reviewer, _person = scene
    with time_machine.travel(LATE, tick=False):
        _reveal(reviewer, _person)
        # Outside working hours, and the alert of the hour already raised:
        # counts and earlier alerts come from one query, and nothing is raised.
        with django_assert_num_queries(1):
            raised = alerts.evaluate(
                user=reviewer, action=Action.REVEAL, result=Result.SUCCESS, is_offboarding=False
            )

    assert raised == []
    assert _kinds() == [AlertKind.OUTSIDE_HOURS]


def test_export_alerts_read_the_offboarding_themselves(scene) -> None:
    reviewer, _person = scene
    staff.offboarding_start(actor=None, user=reviewer)

    with time_machine.travel(WORKING, tick=False):
        raised = alerts.evaluate(user=reviewer, action=Action.EXPORT, result=Result.SUCCESS)

    assert [alert.kind for alert in raised] == [AlertKind.OFFBOARDING_ACTIVITY]


def test_rules_query_is_served_by_indexes(scene) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL chooses its plan by the table statistics")
    reviewer, _person = scene
    with time_machine.travel(LATE, tick=False), CaptureQueriesContext(connection) as queries:
        alerts.evaluate(
            user=reviewer, action=Action.REVEAL, result=Result.DENIED, is_offboarding=False
        )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {queries.captured_queries[0]['sql']}")
        plan = [str(row[-1]) for row in cursor.fetchall()]

    assert not [step for step in plan if step.startswith(("SCAN audit", "SCAN access"))]
    count = (
        "SEARCH audit_auditevent USING COVERING INDEX audit_event_actor_recent "
        "(actor_id=? AND occurred_at>?)"
    )
    earlier = (
        "SEARCH access_alert USING COVERING INDEX access_alert_user_kind_time "
        "(user_id=? AND kind=? AND raised_at>?)"
    )
    # Two counts (reveals, denials) and three kinds (outside hours and the two counted).
    assert [step for step in plan if step.startswith("SEARCH")] == 2 * [count] + 3 * [earlier]


def test_denied_reveal_is_not_counted_as_a_reveal(scene, settings) -> None:
    reviewer, person = scene
    settings.ALERT_REVEALS_PER_HOUR = 2
    other = make_person(make_client(department=DepartmentFactory(name="别的部")))

    with time_machine.travel(WORKING, tick=False):
        _reveal(reviewer, person)
        _reveal(reviewer, person)
        with pytest.raises(RevealDeniedError):
            _reveal(reviewer, other)
        assert _kinds() == [AlertKind.UNASSIGNED_CLIENT]
        _reveal(reviewer, person)

    assert sorted(_kinds()) == sorted([AlertKind.UNASSIGNED_CLIENT, AlertKind.MANY_REVEALS])


def test_reveal_count_uses_the_index(scene) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL chooses its plan by the table statistics")
    reviewer, person = scene
    with time_machine.travel(WORKING, tick=False), CaptureQueriesContext(connection) as queries:
        _reveal(reviewer, person)
    [gate_query] = [
        query["sql"] for query in queries.captured_queries if "staff_offboarding" in query["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {gate_query}")
        plan = [str(row[-1]) for row in cursor.fetchall()]

    assert "audit_auditevent" in gate_query
    assert not [step for step in plan if step.startswith(("SCAN audit", "SCAN access"))]
    assert len([step for step in plan if "audit_event_actor_recent" in step]) == 1


def _reveal_during_first_gate_query(monkeypatch, user, person) -> None:
    """Make the next reveal's gate query be followed by a whole second reveal.

    That is what two requests of one user on two workers can do: the second
    reveal writes its event after the first read its counts.
    """
    gate_state = services.gates.gate_state
    interleaved: list[bool] = []

    def gate_state_then_other_reveal(*args, **kwargs):
        state = gate_state(*args, **kwargs)
        if not interleaved:
            interleaved.append(True)
            _reveal(user, person)
        return state

    monkeypatch.setattr(services.gates, "gate_state", gate_state_then_other_reveal)


@pytest.mark.parametrize("earlier_reveals", [1, 2, 3])
def test_overlapping_reveals_raise_many_reveals_once(
    scene, settings, monkeypatch, earlier_reveals
) -> None:
    reviewer, person = scene
    settings.ALERT_REVEALS_PER_HOUR = 3

    with time_machine.travel(WORKING, tick=False):
        for _ in range(earlier_reveals):
            _reveal(reviewer, person)
        _reveal_during_first_gate_query(monkeypatch, reviewer, person)
        _reveal(reviewer, person)

    # Two more reveals than the earlier ones; over three in the hour is one alert.
    expected = [AlertKind.MANY_REVEALS] if earlier_reveals + 2 > 3 else []
    assert _kinds() == expected


def test_overlapping_reveals_raise_outside_hours_once(scene, monkeypatch) -> None:
    reviewer, person = scene

    with time_machine.travel(LATE, tick=False):
        _reveal_during_first_gate_query(monkeypatch, reviewer, person)
        _reveal(reviewer, person)

    assert _kinds() == [AlertKind.OUTSIDE_HOURS]


def test_reveals_near_the_threshold_read_the_rules_again(
    scene, settings, django_assert_num_queries
) -> None:
    reviewer, person = scene
    settings.ALERT_REVEALS_PER_HOUR = 4
    assert alerts.quiet_limit(4) == 2

    with time_machine.travel(WORKING, tick=False):
        _reveal(reviewer, person)
        # The second reveal is within the quiet limit: no query after it.
        with django_assert_num_queries(7):
            _reveal(reviewer, person)
        # The third is above it: the rules count again after the reveal.
        with django_assert_num_queries(8):
            _reveal(reviewer, person)

    assert _kinds() == []


def test_reveal_after_alert_skips_rules(scene, settings, django_assert_num_queries) -> None:
    reviewer, person = scene
    settings.ALERT_REVEALS_PER_HOUR = 4

    with time_machine.travel(WORKING, tick=False):
        for _ in range(5):
            _reveal(reviewer, person)
        assert _kinds() == [AlertKind.MANY_REVEALS]
        # The gate query reads that the alert of the hour is raised, so no rules query runs.
        with django_assert_num_queries(7):
            _reveal(reviewer, person)

    assert _kinds() == [AlertKind.MANY_REVEALS]
