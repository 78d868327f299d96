"""Issue a new enrolment link for an account, for example when the first one was lost."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shoumi.accounts import services
from shoumi.accounts.management.commands.bootstrap import print_ticket
from shoumi.accounts.models import User, normalise_employee_number


class Command(BaseCommand):
    help = (
        "Give an account a new one-time password and enrolment link (for a lost phone or a "
        "lost first-run message). Earlier links stop working; the current login keeps "
        "working until the new enrolment is completed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("employee_number", help="工号 of the account")

    def handle(self, *args: Any, **options: Any) -> None:
        employee_number = normalise_employee_number(options["employee_number"])
        user = User.objects.filter(employee_number=employee_number, is_active=True).first()
        if user is None:
            raise CommandError(f"No active account with employee number {employee_number}.")
        ticket = services.enrolment_issue(actor=None, user=user)
        print_ticket(self.stdout.write, ticket, heading=_("A new enrolment link was issued"))
