"""``shoumi import-clients FILE``: import a client ledger from the command line."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumi.accounts.models import Department, User
from shoumi.clients.imports.columns import parse_mapping
from shoumi.clients.imports.errors import ColumnMappingError
from shoumi.clients.imports.readers import SUFFIXES
from shoumi.clients.imports.reports import render_csv
from shoumi.clients.imports.services import ImportOptions, ledger_import

PHASE_LABELS = {"validating": gettext_lazy("Checking"), "writing": gettext_lazy("Writing")}


class ProgressBar:
    """A one-line progress bar on a terminal; plain lines every 10 % elsewhere."""

    WIDTH = 30
    # Redraws per second at most, so that printing does not slow the import.
    MAX_REDRAWS_PER_SECOND = 10

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.is_terminal = stream.isatty()
        self.last_drawn = 0.0
        self.last_tenth: tuple[str, int] = ("", -1)

    def __call__(self, phase: str, done: int, total: int) -> None:
        label = str(PHASE_LABELS.get(phase, phase))
        fraction = done / total if total else 1.0
        if self.is_terminal:
            now = time.monotonic()
            if done < total and now - self.last_drawn < 1 / self.MAX_REDRAWS_PER_SECOND:
                return
            self.last_drawn = now
            filled = int(self.WIDTH * fraction)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            end = "\n" if done >= total else ""
            self.stream.write(f"\r{label} [{bar}] {done}/{total} {fraction:4.0%}{end}")
            self.stream.flush()
            return
        tenth = (phase, int(fraction * 10))
        if tenth != self.last_tenth:
            self.last_tenth = tenth
            self.stream.write(f"{label} {done}/{total} {fraction:.0%}\n")


class Command(BaseCommand):
    help = (
        "Import clients, legal representatives and bank accounts from an .xlsx, .xls or .csv "
        "ledger. Nothing is imported when any row is rejected, unless --only-valid is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the ledger: .xlsx, .xls or .csv")
        parser.add_argument(
            "--only-valid",
            action="store_true",
            help="import the valid rows even when other rows are rejected",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="表头=field",
            help=(
                "map a header to a field (name, uscc, registered_address, status, legal_rep_name, "
                "resident_id, mobile, bank_name, account_number, card_number, "
                "corporate_account_number or ignore); repeat for more"
            ),
        )
        parser.add_argument(
            "--report", metavar="OUT.csv", help="write the per-row report (masks only) to this file"
        )
        parser.add_argument(
            "--department", default="", help="department of the new clients (an existing name)"
        )
        parser.add_argument(
            "--assign",
            action="append",
            default=[],
            metavar="EMPLOYEE_NUMBER",
            help="staff member to assign the new clients to; repeat for more",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if path.suffix.lower() not in SUFFIXES:
            raise CommandError(_("Only .xlsx, .xls and .csv files can be imported."))
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("The file could not be read: %(error)s") % {"error": error.strerror}
            ) from None
        try:
            mapping = parse_mapping(options["map"])
        except ColumnMappingError as error:
            raise CommandError(error.message) from None

        import_options = ImportOptions(
            is_only_valid=options["only_valid"],
            mapping=mapping,
            department=self._department(options["department"]),
            assigned_staff=self._staff(options["assign"]),
            interface="command",
        )
        result = ledger_import(
            actor=None,
            data=data,
            suffix=path.suffix,
            options=import_options,
            progress=ProgressBar(sys.stderr),
        )

        if options["report"]:
            Path(options["report"]).write_bytes(render_csv(result.report))
        for label, value in result.report.summary:
            self.stdout.write(f"{label}：{value}")
        if result.plan is not None:
            for row in result.report.problem_rows[:20]:
                self.stdout.write(f"  {row[0]}  {row[1]}  {row[-2]} {row[-1]}".rstrip())
            if len(result.report.problem_rows) > 20 and not options["report"]:
                self.stdout.write(_("Write the full report with --report OUT.csv."))
        if not result.is_written:
            raise CommandError(result.error or _("Nothing was imported."))

    def _department(self, name: str) -> Department | None:
        if not name:
            return None
        department = Department.objects.filter(name=name.strip()).first()
        if department is None:
            raise CommandError(_("No department is called %(name)s.") % {"name": name})
        return department

    def _staff(self, employee_numbers: list[str]) -> list[User]:
        staff = []
        for number in employee_numbers:
            try:
                staff.append(User.objects.get_by_natural_key(number))
            except User.DoesNotExist:
                raise CommandError(
                    _("No staff member has the employee number %(number)s.") % {"number": number}
                ) from None
        return staff
