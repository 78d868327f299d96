"""Create a staff account from the command line and print its enrolment ticket."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shoumi.accounts import services
from shoumi.accounts.management.commands.bootstrap import print_ticket
from shoumi.accounts.roles import Role


class Command(BaseCommand):
    help = "Create a staff account and print its one-time password and enrolment link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--employee-number", required=True, help="工号, 2-32 letters, digits, - or _"
        )
        parser.add_argument("--name", required=True, help="full name (姓名)")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            choices=Role.values,
            help="a role; repeat for more",
        )
        parser.add_argument("--department", default="", help="department name; created if new")
        parser.add_argument("--email", default="")
        parser.add_argument("--mobile", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        department = None
        try:
            if options["department"]:
                department = services.department_ensure(actor=None, name=options["department"])
            ticket = services.staff_create(
                actor=None,
                employee_number=options["employee_number"],
                full_name=options["name"],
                roles=options["role"],
                department=department,
                email=options["email"],
                mobile=options["mobile"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        print_ticket(self.stdout.write, ticket, heading=_("The staff account was created"))
