"""``shoumi demo``: create synthetic demo clients and write a sample ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shoumi.accounts import services as account_services
from shoumi.accounts.management.commands.bootstrap import print_ticket
from shoumi.accounts.models import Department, User
from shoumi.accounts.roles import Role
from shoumi.clients.demo import clean_ledger_csv, demo_rows, write_demo_ledger
from shoumi.clients.imports.services import ImportOptions, ledger_import
from shoumi.clients.synthetic import SyntheticData

DEMO_DEPARTMENT = "演示部门"

# Employee number, name and role of each demo staff member. Two reviewers, so
# that one can confirm the warned values the other imported.
DEMO_STAFF = (
    ("DEMO-CLERK", "演示登记员", Role.CLERK),
    ("DEMO-REVIEWER", "演示复核员", Role.REVIEWER),
    ("DEMO-REVIEWER2", "演示复核员二", Role.REVIEWER),
    ("DEMO-MANAGER", "演示部门经理", Role.MANAGER),
)


class Command(BaseCommand):
    help = (
        "Create synthetic demo clients in the demo department (演示部门) and optionally write "
        "a sample .xlsx ledger with messy cells for trying the import."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clients",
            type=int,
            required=True,
            help="number of demo clients to create (0 or more)",
        )
        parser.add_argument("--ledger", metavar="OUT.xlsx", help="write a sample ledger here")
        parser.add_argument(
            "--ledger-rows", type=int, default=100, help="rows of the sample ledger (default 100)"
        )
        parser.add_argument(
            "--with-staff",
            action="store_true",
            help="also create demo staff and print their one-time passwords and enrolment links",
        )
        parser.add_argument("--seed", type=int, default=None, help="seed for repeatable data")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clients"] < 0 or options["ledger_rows"] < 1:
            raise CommandError(_("--clients must be 0 or more and --ledger-rows 1 or more."))
        if options["ledger"] and not options["ledger"].lower().endswith(".xlsx"):
            raise CommandError(_("The sample ledger is an .xlsx file; name it OUT.xlsx."))
        synthetic = SyntheticData(seed=options["seed"])
        department = account_services.department_ensure(actor=None, name=DEMO_DEPARTMENT)
        staff = self._create_staff(department) if options["with_staff"] else []

        if options["clients"]:
            self._create_clients(options["clients"], synthetic, department, staff)
        if options["ledger"]:
            rows = demo_rows(options["ledger_rows"], synthetic)
            Path(options["ledger"]).write_bytes(write_demo_ledger(rows, synthetic))
            self.stdout.write(
                _("Wrote a sample ledger of %(count)d rows to %(path)s.")
                % {"count": options["ledger_rows"], "path": options["ledger"]}
            )

    def _create_clients(
        self, count: int, synthetic: SyntheticData, department: Department, staff: list[User]
    ) -> None:
        result = ledger_import(
            actor=None,
            data=clean_ledger_csv(demo_rows(count, synthetic)),
            suffix=".csv",
            options=ImportOptions(
                is_only_valid=True,
                department=department,
                assigned_staff=staff,
                interface="demo",
            ),
        )
        if result.error:
            raise CommandError(result.error)
        self.stdout.write(
            _("Created %(count)d demo clients in the department %(department)s.")
            % {"count": result.created_clients, "department": department.name}
        )

    def _create_staff(self, department: Department) -> list[User]:
        staff = []
        for employee_number, name, role in DEMO_STAFF:
            existing = User.objects.filter(employee_number=employee_number).first()
            if existing is not None:
                self.stdout.write(
                    _("The demo staff member %(number)s exists already; it was not changed.")
                    % {"number": employee_number}
                )
                staff.append(existing)
                continue
            try:
                ticket = account_services.staff_create(
                    actor=None,
                    employee_number=employee_number,
                    full_name=name,
                    roles=[role],
                    department=department,
                )
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
            print_ticket(self.stdout.write, ticket, heading=_("Demo staff account created"))
            staff.append(ticket.user)
        return staff
