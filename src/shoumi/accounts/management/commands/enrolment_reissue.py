"""Issue a new enrolment link for an account, for example when the first one was lost.

This is the operator's recovery path at the server, for instance for the
first system administrator, or when no second security administrator can
approve a reset in the web interface. It needs no approval: whoever can run
it already controls the server. A reset of an account that has already
enrolled, or of a system, security or audit administrator, is recorded as
a reset (``enrolment_reset_issued``) with the command line as its channel.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shoumi.accounts import services
from shoumi.accounts.management.commands.bootstrap import print_ticket
from shoumi.accounts.models import User, normalise_employee_number


class Command(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        # Translated when the command runs (LANGUAGE_CODE, zh-hans), not at import.
        self.help = _(
            "Give an account a new one-time password and enrolment link (for a lost phone or a "
            "lost first-run message). Earlier links stop working, and so does the account's "
            "password; its two-factor device keeps working until the new enrolment is completed."
        )
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("employee_number", help=_("employee number (工号) of the account"))
        parser.add_argument(
            "--reason",
            default="",
            help=_("why the link is issued; recorded in the audit log"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        employee_number = normalise_employee_number(options["employee_number"])
        user = User.objects.filter(employee_number=employee_number).first()
        if user is None:
            raise CommandError(
                _("There is no account with employee number %(number)s.")
                % {"number": employee_number}
            )
        if not user.is_active:
            raise CommandError(
                _(
                    "The account %(number)s is deactivated; a deactivated account cannot be "
                    "given an enrolment link."
                )
                % {"number": employee_number}
            )
        reset = services.reissue_needs_approval(user)
        ticket = services.enrolment_issue(
            actor=None, user=user, purpose=" ".join(options["reason"].split())[:200]
        )
        if reset:
            self.stdout.write(
                _(
                    "This account had already enrolled or is an administrator's: this is a reset "
                    "of its login. Its password no longer works, and the reset is recorded in "
                    "the audit log."
                )
            )
        print_ticket(self.stdout.write, ticket, heading=_("A new enrolment link was issued"))
