"""Read a ledger file (.xlsx, .xls or .csv) into rows of cells.

Cells keep the type the file gives them. Text stays ``str``, and spreadsheet
numbers stay ``int`` or ``float``, so that the row checks can tell a number
typed as text from one that Excel already turned into a float (and may have
cut to 15 significant digits). Dates and booleans become text; error cells such as
#N/A in an .xlsx read as empty.

CSV encodings are detected in this order: a UTF-16 byte-order mark, strict
UTF-8 (a UTF-8 byte-order mark is stripped first), then GB18030, which is a
superset of GBK and GB2312. GB18030 is tried last because it decodes almost
any byte sequence, so trying it first would garble UTF-8 files without an
error. A file whose text contains U+FFFD or private-use characters is
rejected: those are what a wrong decoding produces.

What this does not protect against: a crafted .xlsx may still use a lot of
memory for its shared-strings table within the uncompressed-size limit.
defusedxml (a dependency) makes openpyxl refuse XML entity expansion. openpyxl checks
the workbook and its declared size; python-calamine then reads the cells.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import openpyxl
import xlrd
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException
from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

from shoumi.clients.imports.errors import LedgerFileError

CellValue = str | int | float | None

SUFFIXES = (".xlsx", ".xls", ".csv")

# An .xlsx is a zip archive. Its parts may expand to at most this multiple of
# the file-size limit, which stops zip bombs before openpyxl opens them.
MAX_EXPANSION = 10


class Encoding:
    """Names of the encodings a report states; spreadsheets carry their own."""

    UTF_8 = "UTF-8"
    UTF_8_BOM = "UTF-8 (BOM)"
    UTF_16 = "UTF-16"
    GB18030 = "GB18030"
    XLSX = "Excel .xlsx"
    XLS = "Excel .xls"


@dataclass
class Sheet:
    """The rows of the first worksheet (or the CSV), each a list of cells, with row 1 first."""

    rows: list[list[CellValue]]
    encoding: str
    notices: list[str] = field(default_factory=list)


def max_file_bytes() -> int:
    return int(settings.IMPORT_MAX_FILE_MB) * 1024 * 1024


def max_rows() -> int:
    return int(settings.IMPORT_MAX_ROWS)


def read_sheet(data: bytes, suffix: str) -> Sheet:
    """Read the file's first sheet.

    ``suffix`` is the file's extension (".xlsx", ".xls" or ".csv"). Raises
    LedgerFileError for a file that is too large, has too many rows, cannot
    be decoded or does not match its extension.
    """
    suffix = suffix.lower()
    if len(data) > max_file_bytes():
        raise LedgerFileError(
            _("The file is larger than %(limit)d MB. Split it into several files.")
            % {"limit": settings.IMPORT_MAX_FILE_MB},
            code="file_too_large",
        )
    if suffix == ".xlsx":
        sheet = _read_xlsx(data)
    elif suffix == ".xls":
        sheet = _read_xls(data)
    elif suffix == ".csv":
        sheet = _read_csv(data)
    else:
        raise LedgerFileError(
            _("Only .xlsx, .xls and .csv files can be imported."), code="unsupported_file_type"
        )
    _trim_empty_tail(sheet.rows)
    return sheet


def _row_limit_error() -> LedgerFileError:
    return LedgerFileError(
        _("The file has more than %(limit)d rows. Split it into several files.")
        % {"limit": max_rows()},
        code="too_many_rows",
    )


def _collect(rows: Iterator[list[CellValue]]) -> list[list[CellValue]]:
    # A header row and a few title rows come on top of the data rows.
    limit = max_rows() + 20
    collected: list[list[CellValue]] = []
    for row in rows:
        collected.append(row)
        if len(collected) > limit:
            raise _row_limit_error()
    return collected


def _trim_empty_tail(rows: list[list[CellValue]]) -> None:
    for row in rows:
        while row and (row[-1] is None or row[-1] == ""):
            row.pop()
    while rows and not rows[-1]:
        rows.pop()


# Excel 2007+ -------------------------------------------------------------------


def _xlsx_cell(value: object) -> CellValue:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes) -> Sheet:
    _check_zip_size(data)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise LedgerFileError(
            _("The file is not a readable .xlsx workbook. Open it in Excel and save it again."),
            code="xlsx_unreadable",
        ) from error
    try:
        worksheet = workbook.worksheets[0]
        notices = []
        if len(workbook.worksheets) > 1:
            notices.append(
                _("The workbook has %(count)d worksheets; only the first one was read.")
                % {"count": len(workbook.worksheets)}
            )
        # The sheet's declared size (its <dimension> element) refuses an oversized
        # file at once instead of after reading 200,000 rows; a file without it,
        # or one that understates it, is still stopped by _collect.
        declared_rows = worksheet.max_row if isinstance(worksheet.max_row, int) else 0
        if declared_rows > max_rows() + 20:
            raise _row_limit_error()
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise LedgerFileError(
            _("The file is not a readable .xlsx workbook. Open it in Excel and save it again."),
            code="xlsx_unreadable",
        ) from error
    finally:
        workbook.close()
    # openpyxl has checked the workbook and its declared size; calamine (Rust) reads
    # the cells about ten times faster than openpyxl's read-only mode.
    try:
        cells = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        if cells.total_height > max_rows() + 20:
            raise _row_limit_error()
        rows = _collect([_calamine_cell(value) for value in row] for row in cells.iter_rows())
    except (CalamineError, PasswordError, XmlError, ZipError) as error:
        raise LedgerFileError(
            _("The file is not a readable .xlsx workbook. Open it in Excel and save it again."),
            code="xlsx_unreadable",
        ) from error
    return Sheet(rows=rows, encoding=Encoding.XLSX, notices=notices)


def _calamine_cell(value: object) -> CellValue:
    """Give a calamine cell the type openpyxl gives it, which the row checks rely on.

    calamine returns every number as a float and empty cells as "". A whole number
    below 10^15 becomes an int, as openpyxl reads Excel's plain digits. Larger ones stay
    floats: Excel keeps 15 significant digits and writes such numbers in exponent form,
    which openpyxl also reads as a float, and the row checks report them as damaged.
    """
    if value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e15 else value
    if isinstance(value, int):
        return value
    return _xlsx_cell(value)


def _check_zip_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as error:
        raise LedgerFileError(
            _("The file is not a readable .xlsx workbook. Open it in Excel and save it again."),
            code="xlsx_unreadable",
        ) from error
    if expanded > max_file_bytes() * MAX_EXPANSION:
        raise LedgerFileError(
            _("The workbook expands to more than %(limit)d MB. Split it into several files.")
            % {"limit": settings.IMPORT_MAX_FILE_MB * MAX_EXPANSION},
            code="file_too_large",
        )


# Excel 97-2003 -------------------------------------------------------------------


def _read_xls(data: bytes) -> Sheet:
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except (xlrd.XLRDError, ValueError, OSError, AssertionError, IndexError) as error:
        raise LedgerFileError(
            _("The file is not a readable .xls workbook. Open it in Excel and save it again."),
            code="xls_unreadable",
        ) from error
    try:
        sheet = book.sheet_by_index(0)
        notices = []
        if book.nsheets > 1:
            notices.append(
                _("The workbook has %(count)d worksheets; only the first one was read.")
                % {"count": book.nsheets}
            )
        if sheet.nrows > max_rows() + 20:
            raise _row_limit_error()
        rows = [
            [_xls_cell(book, sheet.cell(row, column)) for column in range(sheet.ncols)]
            for row in range(sheet.nrows)
        ]
    finally:
        book.release_resources()
    return Sheet(rows=rows, encoding=Encoding.XLS, notices=notices)


def _xls_cell(book: xlrd.Book, cell: xlrd.sheet.Cell) -> CellValue:
    kind = cell.ctype
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_TEXT:
        return str(cell.value)
    if kind == xlrd.XL_CELL_NUMBER:
        number = float(cell.value)
        return int(number) if number.is_integer() and abs(number) < 1e15 else number
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, book.datemode).isoformat()
        except (ValueError, OverflowError):
            return str(cell.value)
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    return str(cell.value)


# CSV ---------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes; return (text, encoding name) or raise LedgerFileError."""
    text: str | None = None
    encoding = ""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), Encoding.UTF_16
        except UnicodeDecodeError:
            text = None
    elif data.startswith(codecs.BOM_UTF8):
        try:
            text, encoding = data[len(codecs.BOM_UTF8) :].decode("utf-8"), Encoding.UTF_8_BOM
        except UnicodeDecodeError:
            text = None
    else:
        for codec, name in (("utf-8", Encoding.UTF_8), ("gb18030", Encoding.GB18030)):
            try:
                text, encoding = data.decode(codec), name
                break
            except UnicodeDecodeError:
                continue
    if text is None:
        raise LedgerFileError(
            _(
                "The file's text encoding could not be recognised. Save it as CSV UTF-8 "
                "(or as an Excel workbook) and import it again."
            ),
            code="encoding_unknown",
        )
    if _has_garbled_characters(text):
        raise LedgerFileError(
            _(
                "The file contains replacement or private-use characters, so its text was "
                "garbled before or while it was saved. Save it as CSV UTF-8 from the original "
                "and import it again."
            ),
            code="encoding_garbled",
        )
    return text, encoding


def _has_garbled_characters(text: str) -> bool:
    if "\ufffd" in text:
        return True
    return any(
        "\ue000" <= character <= "\uf8ff" or character >= "\U000f0000"
        for character in text
        if character >= "\ue000"
    )


def _read_csv(data: bytes) -> Sheet:
    text, encoding = decode_text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = _collect([cell if cell != "" else None for cell in row] for row in reader)
    except csv.Error as error:
        raise LedgerFileError(
            _("The CSV file is malformed (%(error)s). Save it again from Excel.")
            % {"error": str(error)},
            code="csv_malformed",
        ) from error
    return Sheet(rows=rows, encoding=encoding)
