"""Overdue loans are mailed to the borrower and the archivists through a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.config import clock
from shoumi.config.navigation import pending_items_for
from shoumi.materials import services
from shoumi.materials.models import Loan
from shoumi.materials.services.common import today
from tests.materials.factories import Office, item_line, make_intake
from tests.materials.smtp_server import Mailbox, smtp_mailbox  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _lent(office: Office) -> Loan:
    item = make_intake(
        office, item_line(name="法人身份证复印件", location=office.cabinet)
    ).items.get()
    loan = services.loan_request(
        actor=office.clerk, item=item, purpose="办理社保登记", due_on=today() + timedelta(days=2)
    )
    services.loan_approve(actor=office.manager, loan=loan)
    return services.loan_hand_out(actor=office.archivist, loan=loan)


def test_overdue_loan_is_mailed_to_borrower_and_archivist(
    office: Office,
    smtp_mailbox: Mailbox,  # noqa: F811
) -> None:
    loan = _lent(office)

    with time_machine.travel(clock.now() + timedelta(days=4)):
        notified = services.loans_notify_overdue()

    assert notified == 1
    assert smtp_mailbox.recipients == [["clerk@example.test", "archivist@example.test"]]
    assert smtp_mailbox.subjects() == ["借阅逾期：法人身份证复印件"]
    [body] = smtp_mailbox.bodies()
    assert "已逾期 2 天" in body
    assert office.client.name in body
    assert "办理社保登记" in body
    assert "/materials/loans/" in body
    loan.refresh_from_db()
    assert loan.last_overdue_notice_on is not None
    assert AuditEvent.objects.filter(action=Action.LOAN_OVERDUE_NOTIFIED).count() == 1


def test_overdue_notice_goes_out_once_a_day(
    office: Office,
    smtp_mailbox: Mailbox,  # noqa: F811
) -> None:
    _lent(office)

    with time_machine.travel(clock.now() + timedelta(days=4)):
        services.loans_notify_overdue()
        second_run = services.loans_notify_overdue()
    with time_machine.travel(clock.now() + timedelta(days=5)):
        next_day = services.loans_notify_overdue()

    assert second_run == 0
    assert next_day == 1
    assert len(smtp_mailbox.messages) == 2


def test_loan_not_yet_due_is_not_mailed(office: Office, smtp_mailbox: Mailbox) -> None:  # noqa: F811
    _lent(office)

    assert services.loans_notify_overdue() == 0
    assert smtp_mailbox.messages == []


def test_unreachable_mail_server_leaves_loan_for_next_run(office: Office, settings) -> None:
    loan = _lent(office)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard port: nothing listens, so the connection is refused
    settings.EMAIL_TIMEOUT = 2

    with time_machine.travel(clock.now() + timedelta(days=4)):
        notified = services.loans_notify_overdue()

    loan.refresh_from_db()
    assert notified == 0
    assert loan.last_overdue_notice_on is None


def test_overdue_loan_shows_on_dashboards(office: Office) -> None:
    _lent(office)

    with time_machine.travel(clock.now() + timedelta(days=4)):
        borrower_items = {str(item.label): item.count for item in pending_items_for(office.clerk)}
        archivist_items = {
            str(item.label): item.count for item in pending_items_for(office.archivist)
        }

    assert borrower_items["您逾期未还的借阅"] == 1
    assert archivist_items["逾期未还的借阅"] == 1


def test_loan_request_pending_for_other_manager(office: Office) -> None:
    item = make_intake(office, item_line(location=office.cabinet)).items.get()
    services.loan_request(
        actor=office.manager, item=item, purpose="核对", due_on=today() + timedelta(days=2)
    )

    own = {str(item.label): item.count for item in pending_items_for(office.manager)}
    other = {str(item.label): item.count for item in pending_items_for(office.second_manager)}

    assert "待您审批的借阅申请" not in own
    assert other["待您审批的借阅申请"] == 1


def test_command_notifies_overdue_loans(office: Office, smtp_mailbox: Mailbox) -> None:  # noqa: F811
    from io import StringIO

    from django.core.management import call_command

    _lent(office)
    output = StringIO()

    with time_machine.travel(clock.now() + timedelta(days=4)):
        call_command("notify_overdue_loans", stdout=output)

    assert output.getvalue().strip() == "Overdue loans notified: 1"
    assert len(smtp_mailbox.messages) == 1
