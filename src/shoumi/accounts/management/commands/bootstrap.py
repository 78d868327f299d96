"""Create the first system administrator and print its one-time password, once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumi.accounts import services


class Command(BaseCommand):
    help = (
        "Create the first system administrator if no staff account exists, and print its "
        "one-time password and enrolment link. Prints nothing on later runs."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        ticket = services.bootstrap_system_admin()
        if ticket is None:
            return
        print_ticket(
            self.stdout.write,
            ticket,
            heading=_("First run: the system administrator account was created"),
        )


def print_ticket(write: Any, ticket: services.EnrolmentTicket, *, heading: str) -> None:
    """Write an enrolment ticket to the terminal in Chinese."""
    local_expiry = timezone.localtime(ticket.expires_at).strftime("%Y-%m-%d %H:%M")
    rule = "=" * 64
    write(rule)
    write(str(heading))
    write("  " + _("Employee number: %(number)s") % {"number": ticket.user.employee_number})
    write("  " + _("One-time password: %(password)s") % {"password": ticket.one_time_password})
    write("  " + _("Enrolment link (valid until %(time)s):") % {"time": local_expiry})
    write("  " + ticket.url)
    write(
        _(
            "Open the link, enter the one-time password, scan the QR code with an authenticator "
            "app and choose a new password."
        )
    )
    write(_("This is shown only once. Do not take screenshots of it or forward it."))
    write(rule)
