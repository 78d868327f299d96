"""Approval reasons fit the audit event they are recorded in."""

from __future__ import annotations

import pytest

from shoumi.access.errors import ApprovalError
from shoumi.access.forms import BreakGlassForm
from shoumi.access.models import ApprovalRequest
from tests.access.test_approvals import _break_glass_with_reason
from tests.access.test_approvals import admins as admins

pytestmark = pytest.mark.django_db


def test_reason_of_200_characters_is_recorded(admins) -> None:
    requester, _approver, person = admins

    approval = _break_glass_with_reason(requester, person, "核" * 200)

    assert len(approval.reason) == 200


def test_longer_reason_is_rejected_with_a_message(admins) -> None:
    requester, _approver, person = admins

    with pytest.raises(ApprovalError) as raised:
        _break_glass_with_reason(requester, person, "核" * 201)

    assert raised.value.code == "reason_too_long"
    assert "200" in raised.value.message
    assert not ApprovalRequest.objects.exists()


def test_form_limits_the_reason_to_200_characters() -> None:
    form = BreakGlassForm(data={"reason": "核" * 201})

    assert not form.is_valid()
    assert form.has_error("reason", "max_length")
