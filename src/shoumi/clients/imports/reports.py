"""The per-row import report, and how it is stored and downloaded.

The report contains masks only: identifier columns show the mask of the value
(a rejected value is masked by the same rules, or hidden completely), names
keep only the surname. It is stored zlib-compressed as JSON and rendered as
CSV (UTF-8 with a byte-order mark, which Excel needs to read Chinese) or as
XLSX on download.

Spreadsheets turn a cell that looks like a number into a number, which
destroys long identifiers. In the XLSX every cell is a text cell (also one
that starts with ``=``, so nothing is run as a formula). In the CSV an
identifier cell that looks like a number is written as ``="…"``, which
Excel and LibreOffice keep as text, and any other cell that starts with
``=``, ``+``, ``-`` or ``@`` gets a leading apostrophe so that it is not run
as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from shoumi.clients.imports.columns import FIELD_LABELS, ImportField
from shoumi.clients.imports.rows import ImportPlan, RowPlan, RowStatus
from shoumi.clients.warnings import warning_text
from shoumi.config.logging import redact_text
from shoumi.scanner.free_text import find_identifiers

IDENTIFIER_FIELDS = (
    ImportField.USCC,
    ImportField.RESIDENT_ID,
    ImportField.MOBILE,
    ImportField.ACCOUNT_NUMBER,
    ImportField.CARD_NUMBER,
    ImportField.CORPORATE_ACCOUNT_NUMBER,
)

_NUMBER_LIKE = re.compile(r"^[+-]?[\d.,]+([eE][+-]?\d+)?%?$")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Model field of each pending warning -> the import field that shows its value.
_WARNING_FIELDS = {
    "uscc": ImportField.USCC,
    "resident_id": ImportField.RESIDENT_ID,
    "account_number": ImportField.ACCOUNT_NUMBER,
}


def status_label(status: RowStatus) -> str:
    labels = {
        RowStatus.NEW_CLIENT: _("Imported: new client"),
        RowStatus.ADDED: _("Imported: added to an existing client"),
        RowStatus.DUPLICATE: _("Duplicate: already present, not imported"),
        RowStatus.REJECTED: _("Rejected because of errors"),
        RowStatus.NOT_IMPORTED: _("Not imported: other rows were rejected"),
    }
    return str(labels[status])


@dataclass
class Report:
    """A report as stored: summary lines, the table's column names and its rows."""

    summary: list[tuple[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    identifier_columns: list[int] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        document = {
            "summary": self.summary,
            "columns": self.columns,
            "identifier_columns": self.identifier_columns,
            "rows": self.rows,
        }
        return zlib.compress(json.dumps(document, ensure_ascii=False).encode("utf-8"))

    @classmethod
    def from_bytes(cls, stored: bytes) -> Report:
        document = json.loads(zlib.decompress(stored).decode("utf-8"))
        return cls(
            summary=[(label, value) for label, value in document["summary"]],
            columns=document["columns"],
            identifier_columns=document["identifier_columns"],
            rows=document["rows"],
        )

    @property
    def problem_rows(self) -> list[list[str]]:
        """Rows that were rejected or carry warnings (the last two columns)."""
        return [row for row in self.rows if row[-1] or row[-2]]


def _account_field(plan: ImportPlan) -> ImportField:
    for name in (ImportField.CARD_NUMBER, ImportField.CORPORATE_ACCOUNT_NUMBER):
        if plan.column_map.has(name):
            return name
    return ImportField.ACCOUNT_NUMBER


def _without_identifiers(text: str) -> str:
    """Hide identifiers in a free-text cell that the report repeats.

    Such a cell is rejected when it contains an ID, card or mobile number. The report
    still shows the row it came from, and the report is stored in the database.
    """
    if not text:
        return text
    if find_identifiers(text):
        return _("(hidden: it contains an ID, card or mobile number)")
    return redact_text(text)


def build_report(plan: ImportPlan | None, summary: list[tuple[str, str]]) -> Report:
    """Build the report of a checked (and possibly written) plan."""
    # Summary lines name unrecognised headers, which a ledger may fill with anything.
    report = Report(summary=[(label, _without_identifiers(value)) for label, value in summary])
    if plan is None:
        return report
    account_field = _account_field(plan)
    shown = [
        ImportField.NAME,
        ImportField.USCC,
        ImportField.LEGAL_REP_NAME,
        ImportField.RESIDENT_ID,
        ImportField.MOBILE,
        ImportField.BANK_NAME,
        account_field,
    ]
    report.columns = [
        _("Row"),
        _("Result"),
        *(str(FIELD_LABELS[name]) for name in shown),
        _("To confirm"),
        _("Problems"),
    ]
    report.identifier_columns = [
        index + 2 for index, name in enumerate(shown) if name in IDENTIFIER_FIELDS
    ]
    # Translated once: looking a label up per row cost about 1 s per 100,000 rows.
    labels = {status: status_label(status) for status in RowStatus}
    for row in plan.rows:
        cells = [str(row.number), labels[row.status]]
        for name in shown:
            if name == ImportField.NAME:
                cells.append(_without_identifiers(row.company_name))
            elif name == ImportField.BANK_NAME:
                cells.append(_without_identifiers(row.bank_name))
            else:
                cells.append(row.masks.get(name, ""))
        cells.append(_warnings_text(row, plan, account_field))
        cells.append(_problems_text(row, plan))
        report.rows.append(cells)
    return report


def _warnings_text(row: RowPlan, plan: ImportPlan, account_field: ImportField) -> str:
    if row.is_rejected:
        return ""
    parts: list[str] = []
    for model_field, codes in row.pending.items():
        import_field = _WARNING_FIELDS.get(model_field, ImportField.NAME)
        if import_field == ImportField.ACCOUNT_NUMBER:
            import_field = account_field
        header = (
            plan.column_map.header_of(import_field) if plan.column_map.has(import_field) else ""
        )
        parts.extend(f"{header}：{warning_text(code)}" for code in codes)
    parts.extend(row.notes)
    return "；".join(parts)


def _problems_text(row: RowPlan, plan: ImportPlan) -> str:
    parts: list[str] = []
    for problem in row.problems:
        header = problem.header or (
            plan.column_map.header_of(problem.field) if plan.column_map.has(problem.field) else ""
        )
        parts.append(f"{header}：{problem.message}" if header else problem.message)
    return "；".join(parts)


# Rendering -------------------------------------------------------------------------------


def _safe_cell(text: str) -> str:
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def _csv_cell(text: str, is_identifier: bool) -> str:
    if is_identifier and _NUMBER_LIKE.match(text):
        return f'="{text}"'
    return _safe_cell(text)


def render_csv(report: Report) -> bytes:
    """Render the report as CSV in UTF-8 with a byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for label, value in report.summary:
        writer.writerow([_safe_cell(label), _safe_cell(value)])
    writer.writerow([])
    if report.columns:
        writer.writerow([_safe_cell(name) for name in report.columns])
    identifier_columns = set(report.identifier_columns)
    for row in report.rows:
        writer.writerow(
            [_csv_cell(text, index in identifier_columns) for index, text in enumerate(row)]
        )
    return buffer.getvalue().encode("utf-8-sig")


def render_xlsx(report: Report) -> bytes:
    """Render the report as an .xlsx workbook whose cells are all text cells."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(_("Import report"))

    def text_row(values: list[str]) -> list[WriteOnlyCell]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(worksheet, value=value)
            # openpyxl reads a leading "=" as a formula; a report cell is always text.
            cell.data_type = "s"
            cell.number_format = "@"
            cells.append(cell)
        return cells

    for label, value in report.summary:
        worksheet.append(text_row([label, value]))
    worksheet.append([])
    if report.columns:
        worksheet.append(text_row(report.columns))
    for row in report.rows:
        worksheet.append(text_row(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
