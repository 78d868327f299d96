"""Grant purposes, decision notes, reveal purposes and approval reasons reject identifiers."""

from __future__ import annotations

import pytest

from shoumi.access import grants, services
from shoumi.access.errors import ApprovalError, GrantError, PurposeInvalidError
from shoumi.access.forms import BreakGlassForm, GrantRequestForm
from shoumi.access.models import AccessGrant, ApprovalRequest
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.clients.synthetic import SyntheticData
from shoumi.vault import free_text
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_client, make_person
from tests.staff.factories import pass_gates

pytestmark = pytest.mark.django_db

synthetic = SyntheticData(seed=20260613)
RESIDENT_ID = synthetic.resident_id()
MOBILE = synthetic.mobile()


@pytest.fixture
def setting():
    department = DepartmentFactory(name="记账一部")
    clerk = pass_gates(UserFactory(roles=[Role.CLERK], department=department))
    manager = UserFactory(roles=[Role.MANAGER], department=department)
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department))
    person = make_person(make_client(department=department))
    return clerk, manager, reviewer, person


def _grant_request(clerk, person, purpose: str) -> AccessGrant:
    return grants.grant_request(
        actor=clerk,
        clients=[person.client],
        fields=["clients.person.resident_id"],
        actions=["reveal"],
        purpose=purpose,
        duration_minutes=60,
    )


def test_grant_purpose_with_resident_id_is_rejected(setting) -> None:
    clerk, _manager, _reviewer, person = setting

    with pytest.raises(GrantError) as raised:
        _grant_request(clerk, person, f"核对 {RESIDENT_ID} 的资料")

    assert raised.value.code == free_text.CODE
    assert raised.value.field == "purpose"
    assert not AccessGrant.objects.exists()


def test_grant_decision_note_with_mobile_is_rejected(setting) -> None:
    clerk, manager, _reviewer, person = setting
    grant = _grant_request(clerk, person, "核对法定代表人身份证")

    with pytest.raises(GrantError) as raised:
        grants.grant_approve(actor=manager, grant=grant, note=f"已电话 {MOBILE} 确认")

    assert raised.value.field == "note"
    grant.refresh_from_db()
    assert grant.status == "pending"


def test_reveal_purpose_with_identifier_is_rejected_before_audit(setting) -> None:
    _clerk, _manager, reviewer, person = setting

    with pytest.raises(PurposeInvalidError) as raised:
        services.reveal(
            user=reviewer, record=person, field="resident_id", purpose=f"核对{RESIDENT_ID}"
        )

    assert raised.value.code == free_text.CODE
    assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()


def test_break_glass_reason_with_identifier_is_rejected(setting) -> None:
    _clerk, _manager, reviewer, person = setting

    with pytest.raises(ApprovalError) as raised:
        services.break_glass_request(
            user=reviewer, record=person, field="resident_id", reason=f"客户 {RESIDENT_ID} 急用"
        )

    assert raised.value.field == "reason"
    assert not ApprovalRequest.objects.exists()


@pytest.mark.parametrize(
    ("form_class", "field", "data"),
    [
        (GrantRequestForm, "purpose", {"purpose": f"核对 {RESIDENT_ID}"}),
        (BreakGlassForm, "reason", {"reason": f"核对 {RESIDENT_ID}"}),
    ],
)
def test_form_shows_message_on_field(form_class, field: str, data: dict[str, str]) -> None:
    from shoumi.clients.models import Client

    extra = {"clients": Client.objects.none()} if form_class is GrantRequestForm else {}
    form = form_class(data=data, **extra)

    assert not form.is_valid()
    assert form.has_error(field, free_text.CODE)
