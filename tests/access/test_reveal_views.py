"""The reveal page when two clicks race for one single-use approval."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from shoumi.access import approvals, services
from tests.access.test_approvals import RESIDENT_ID, _break_glass
from tests.access.test_approvals import admins as admins
from tests.accounts.conftest import log_in
from tests.accounts.factories import DEFAULT_PASSWORD, EnrolledStaff

pytestmark = pytest.mark.django_db


def _browser(user) -> HttpClient:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    browser = HttpClient()
    log_in(browser, EnrolledStaff(user=user, password=DEFAULT_PASSWORD, device=device))
    return browser


def test_losing_click_of_an_approval_race_gets_a_message(admins, monkeypatch) -> None:
    requester, approver, person = admins
    approvals.approval_approve(actor=approver, approval=_break_glass(requester, person))
    consume = approvals.approval_consume

    def consumed_by_the_other_click(*, approval_id: str, actor) -> object:
        # The other request used the approval between the policy check and this step.
        consume(approval_id=approval_id, actor=actor)
        return consume(approval_id=approval_id, actor=actor)

    monkeypatch.setattr(services.approvals, "approval_consume", consumed_by_the_other_click)
    browser = _browser(requester)

    response = browser.post(
        f"/access/reveal/person/{person.pk}/resident_id/", {"purpose": "客户来电核对身份"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert RESIDENT_ID not in page
    assert "该审批已失效" in page
