"""Values stored with warnings: created on import, confirmed by a second reviewer, audited."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.clients import services
from shoumi.clients.errors import (
    ClientDataInvalidError,
    EditDeniedError,
    ValueWarningClosedError,
)
from shoumi.clients.models import AccountKind, ValueWarning, ValueWarningStatus
from tests.accounts.conftest import log_in
from tests.accounts.factories import DepartmentFactory, UserFactory, enrolled_staff
from tests.clients.factories import make_client

pytestmark = pytest.mark.django_db

LUHN_FAILING_CARD = "6217001234567890123"


def _warned_account(*, stored_by=None, department=None):
    client = make_client(department=department)
    account = services.bank_account_save(
        actor=stored_by,
        client=client,
        bank_name="中国银行",
        account_kind=AccountKind.CARD,
        account_number=LUHN_FAILING_CARD,
        pending_review=True,
    )
    return account, ValueWarning.objects.get(record_id=account.pk)


def test_pending_review_stores_the_value_and_a_warning() -> None:
    account, warning = _warned_account()

    assert str(account.account_number) == "621700*********0123"
    assert warning.status == ValueWarningStatus.PENDING
    assert warning.warning_codes == ["luhn_failed"]
    assert warning.value_mask == "621700*********0123"
    event = AuditEvent.objects.get(object_id=str(account.pk))
    assert event.details["pending_warnings"] == ["luhn_failed"]


def test_reviewer_confirms_with_a_reason() -> None:
    department = DepartmentFactory()
    clerk = UserFactory(roles=[Role.CLERK], department=department)
    reviewer = UserFactory(roles=[Role.REVIEWER], department=department)
    _account, warning = _warned_account(stored_by=clerk, department=department)

    confirmed = services.value_warning_confirm(
        actor=reviewer, value_warning=warning, reason="  与银行卡原件一致 "
    )

    assert confirmed.status == ValueWarningStatus.CONFIRMED
    assert confirmed.confirmed_by == reviewer
    assert confirmed.confirmed_at is not None
    assert confirmed.reason == "与银行卡原件一致"
    event = AuditEvent.objects.get(action=Action.VALUE_CONFIRMED)
    assert event.actor_id == reviewer.pk
    assert event.field == "account_number"
    assert event.details["confirmation_reason"] == "与银行卡原件一致"
    assert event.details["confirmed_warnings"] == ["luhn_failed"]
    assert LUHN_FAILING_CARD not in str(event.details)


@pytest.mark.parametrize("role", [Role.CLERK, Role.MANAGER, Role.ADMINISTRATOR])
def test_only_reviewers_confirm(role: str) -> None:
    department = DepartmentFactory()
    user = UserFactory(roles=[role], department=department)
    _account, warning = _warned_account(department=department)

    with pytest.raises(EditDeniedError) as raised:
        services.value_warning_confirm(actor=user, value_warning=warning, reason="核对无误")

    assert raised.value.code == "role_cannot_confirm"
    assert not AuditEvent.objects.filter(action=Action.VALUE_CONFIRMED).exists()


def test_reviewer_cannot_confirm_own_value() -> None:
    department = DepartmentFactory()
    # Storing a card number needs the clerk's edit right; confirming it the reviewer's role.
    reviewer = UserFactory(roles=[Role.CLERK, Role.REVIEWER], department=department)
    _account, warning = _warned_account(stored_by=reviewer, department=department)

    with pytest.raises(EditDeniedError) as raised:
        services.value_warning_confirm(actor=reviewer, value_warning=warning, reason="核对无误")

    assert raised.value.code == "own_value"


def test_reviewer_of_another_department_cannot_confirm() -> None:
    reviewer = UserFactory(roles=[Role.REVIEWER], department=DepartmentFactory(name="一部"))
    _account, warning = _warned_account(department=DepartmentFactory(name="二部"))

    with pytest.raises(EditDeniedError) as raised:
        services.value_warning_confirm(actor=reviewer, value_warning=warning, reason="核对无误")

    assert raised.value.code == "client_not_visible"


@pytest.mark.parametrize("reason", ["", " ", "好", "长" * 201])
def test_confirmation_needs_a_reason(reason: str) -> None:
    department = DepartmentFactory()
    reviewer = UserFactory(roles=[Role.REVIEWER], department=department)
    _account, warning = _warned_account(department=department)

    with pytest.raises(ClientDataInvalidError) as raised:
        services.value_warning_confirm(actor=reviewer, value_warning=warning, reason=reason)

    assert raised.value.field == "reason"
    warning.refresh_from_db()
    assert warning.status == ValueWarningStatus.PENDING


def test_changed_value_supersedes_its_warning() -> None:
    department = DepartmentFactory()
    reviewer = UserFactory(roles=[Role.REVIEWER], department=department)
    account, warning = _warned_account(department=department)

    services.bank_account_save(
        actor=None,
        client=account.client,
        account=account,
        bank_name="中国银行",
        account_kind=AccountKind.CARD,
        account_number="6217001234567890122",
    )

    warning.refresh_from_db()
    assert warning.status == ValueWarningStatus.SUPERSEDED
    with pytest.raises(ValueWarningClosedError):
        services.value_warning_confirm(actor=reviewer, value_warning=warning, reason="核对无误")


def test_page_lists_and_confirms(settings) -> None:
    reviewer = enrolled_staff(roles=[Role.REVIEWER])
    _account, warning = _warned_account(department=reviewer.user.department)
    http = HttpClient()
    log_in(http, reviewer)

    listing = http.get("/clients/value-warnings/").content.decode()
    dashboard = http.get("/").content.decode()
    confirmed = http.post(
        f"/clients/value-warnings/{warning.pk}/confirm/",
        {"reason": "客户出示了银行卡原件"},
        HTTP_HX_REQUEST="true",
    ).content.decode()

    assert "621700*********0123" in listing
    assert "未通过 Luhn 校验：请向客户核实" in listing
    assert "待确认的值" in dashboard
    assert "已确认" in confirmed
    warning.refresh_from_db()
    assert warning.status == ValueWarningStatus.CONFIRMED


def test_page_shows_the_refusal() -> None:
    clerk = enrolled_staff(roles=[Role.CLERK])
    _account, warning = _warned_account(department=clerk.user.department)
    http = HttpClient()
    log_in(http, clerk)

    response = http.post(
        f"/clients/value-warnings/{warning.pk}/confirm/", {"reason": "核对无误"}
    ).content.decode()

    assert "只有复核员可以确认该值。" in response
