"""Read each supported file format into text for the engine.

A file's format is told by its first bytes, then by its name: ZIP containers
(``.xlsx``, ``.docx`` or a plain archive), PDF, OLE2 (``.xls``, or an
encrypted Office file), e-mail (``.eml``), else text. Files that cannot be read
get a :class:`FileResult` with a status other than ``SCANNED``, so a report
lists them instead of skipping them silently.
"""

from __future__ import annotations

import email
import email.policy
import io
import logging
import os
import re
import stat
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO
from xml.etree import ElementTree

from shoumi.lazy_log import get_logger
from shoumi.scanner import text
from shoumi.scanner.errors import ArchiveLimitError, UnreadableFileError
from shoumi.scanner.kinds import Confidence, Kind
from shoumi.scanner.model import (
    FOLDER_FORMAT,
    FileResult,
    FileStatus,
    Finding,
    Location,
    ScanOptions,
)
from shoumi.scanner.names import SHEET_NAME, hide_digits, may_contain_identifier

logger = get_logger(__name__)


class _Discarded(io.TextIOBase):
    """A text stream that drops what is written to it."""

    def write(self, text: str) -> int:
        return len(text)


_DISCARDED = _Discarded()

# Paragraphs of a .docx scanned in one call: enough to amortise the call, few enough that a
# long document's text is not held whole.
_PARAGRAPH_BATCH = 20_000

# Suffixes that the parse-failure warning logs unchanged.
_LOGGED_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}", re.ASCII)

# General-purpose flag bit of a ZIP entry whose name and comment are UTF-8.
_UTF8_NAME_FLAG = 0x800

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PDF_MAGIC = b"%PDF-"
_WORD_NAMESPACE = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# Messages for people reading a report, in Simplified Chinese.
MESSAGES_ZH = {
    "encrypted": "文件已加密，无法扫描，请解密后重新扫描",
    "unreadable": "文件无法读取（损坏或编码未知）",
    "unsupported": "不支持的文件格式，未扫描",
    "limit_exceeded": "压缩包超出安全限制，已停止解压",
}
# Message of the result for a path given to scan that does not exist.
MISSING_PATH_MESSAGE = "path not found"
# Messages of the results for symbolic links: not followed, or target missing or looping.
SYMLINK_MESSAGE = "symbolic link not followed"
BROKEN_LINK_MESSAGE = "symbolic link target not found (missing, or links in a loop)"
# Start of the message of a file that could not be opened or read.
READ_ERROR_PREFIX = "cannot read file:"
# Reasons for results that are not files, and for read errors, in Chinese.
FOLDER_MESSAGE_ZH = "文件夹无法列出内容，其中的文件未扫描（原因见详情）"
MISSING_PATH_MESSAGE_ZH = "路径不存在，未扫描"
SYMLINK_MESSAGE_ZH = "符号链接，未跟随扫描（需要时加 --follow-symlinks）"
BROKEN_LINK_MESSAGE_ZH = "符号链接的目标不存在或链接成环，未扫描"
READ_ERROR_MESSAGE_ZH = "文件无法打开或读取（原因见详情）"
# Message of a PDF whose pages have no text, only images, so nothing in it was checked.
NO_TEXT_LAYER_MESSAGE = "PDF has no text layer (scanned image?)"
NO_TEXT_LAYER_MESSAGE_ZH = "PDF 没有文字层（可能是扫描件），其中的图像未检查"
# Message of a PDF that pypdf stopped reading at one of its limits (a compression bomb).
PDF_LIMIT_MESSAGE = "PDF exceeds pypdf's limits on unpacked streams"
PDF_LIMIT_MESSAGE_ZH = "PDF 解压后超出安全限制，未扫描"


def message_zh(result: FileResult) -> str:
    """Return the Chinese reason why ``result`` was not scanned, or an empty string."""
    if result.status is FileStatus.SCANNED:
        return ""
    if result.file_format == FOLDER_FORMAT:
        return FOLDER_MESSAGE_ZH
    if result.file_format == "symlink":
        if result.status is FileStatus.UNREADABLE:
            return BROKEN_LINK_MESSAGE_ZH
        return SYMLINK_MESSAGE_ZH
    if result.message == MISSING_PATH_MESSAGE:
        return MISSING_PATH_MESSAGE_ZH
    if result.message.startswith(READ_ERROR_PREFIX):
        return READ_ERROR_MESSAGE_ZH
    if result.message == NO_TEXT_LAYER_MESSAGE:
        return NO_TEXT_LAYER_MESSAGE_ZH
    if result.message == PDF_LIMIT_MESSAGE:
        return PDF_LIMIT_MESSAGE_ZH
    return MESSAGES_ZH.get(result.status.value, "")


@dataclass(frozen=True)
class _Archive:
    """State of the archives a member sits in, for the zip-bomb limits."""

    depth: int = 0
    budget: list[int] | None = None  # one-element list: uncompressed bytes still allowed

    def enter(self, options: ScanOptions) -> _Archive:
        budget = self.budget if self.budget is not None else [options.zip_max_total_bytes]
        return _Archive(depth=self.depth + 1, budget=budget)


def scan_path(path: str, options: ScanOptions) -> list[FileResult]:
    """Scan one file on disk; return its result and one per archive member or attachment."""
    try:
        # O_NONBLOCK: opening a FIFO would otherwise wait for a writer. Regular files
        # ignore the flag.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        details = os.fstat(descriptor)
        if not stat.S_ISREG(details.st_mode):
            os.close(descriptor)
            message = "not a regular file (FIFO, socket or device)"
            return [_not_scanned(path, FileStatus.UNSUPPORTED, message)]
        size = details.st_size
        with os.fdopen(descriptor, "rb") as stream:
            head = stream.read(8)
            stream.seek(0)
            if is_plain_text_candidate(head, path):
                return [_scan_text_stream(path, stream, size, options)]
            content = stream.read()
    except OSError as error:
        return [_not_scanned(path, FileStatus.UNREADABLE, f"{READ_ERROR_PREFIX} {error.strerror}")]
    return scan_content(path, content, options, _Archive())


def scan_small_files(paths: list[str], options: ScanOptions) -> list[list[FileResult]]:
    """Scan files shorter than ``options.block_bytes``; return the results of each, in order.

    The UTF-8 text files among them are scanned together (see
    :func:`shoumi.scanner.text.scan_utf8_files`), and every other file, or one that grew
    past the limit, by :func:`scan_path`. The results are those that :func:`scan_path`
    gives for each file.
    """
    results: list[list[FileResult]] = [[] for _ in paths]
    batched: list[tuple[int, int, str]] = []
    contents: list[bytes] = []
    for index, path in enumerate(paths):
        # Shorter than a block, so that scan_stream scans the file as one block too.
        loaded = _read_small_utf8(path, options.block_bytes - 1)
        if loaded is None:
            results[index] = scan_path(path, options)
            continue
        content, size, encoding = loaded
        batched.append((index, size, encoding))
        contents.append(content)
    for (index, size, encoding), tables in zip(
        batched, text.scan_utf8_files(contents, options), strict=True
    ):
        results[index] = [
            FileResult(
                path=paths[index], file_format="text", size=size, encoding=encoding, tables=tables
            )
        ]
    return results


def _read_small_utf8(path: str, limit: int) -> tuple[bytes, int, str] | None:
    """Return a regular file's content, size and encoding if it is UTF-8 text of at most
    ``limit`` bytes, else None (also when it cannot be read: :func:`scan_path` reports why)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        details = os.fstat(descriptor)
    except OSError:
        os.close(descriptor)
        return None

    # Checked before os.fdopen, which raises IsADirectoryError for a folder: the path may
    # have become one since the walk.
    if not stat.S_ISREG(details.st_mode) or details.st_size > limit:
        os.close(descriptor)
        return None
    try:
        with os.fdopen(descriptor, "rb") as stream:
            content = stream.read(limit + 1)
    except OSError:
        return None

    if len(content) > limit or not is_plain_text_candidate(content[:8], path):
        return None
    try:
        encoding = text.detect_encoding(content[: text.SAMPLE_BYTES])
    except UnreadableFileError:
        return None
    if encoding not in ("utf-8", "utf-8-sig"):
        return None
    return content, details.st_size, encoding


def scan_content(
    path: str, content: bytes, options: ScanOptions, archive: _Archive | None = None
) -> list[FileResult]:
    """Scan a file held in memory; ``path`` names it in the results and gives its extension."""
    archive = archive or _Archive()
    suffix = PurePosixPath(path.lower()).suffix
    try:
        if content.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
            if suffix in (".xlsx", ".xlsm"):
                return [_scan_xlsx(path, content, options)]
            if suffix in (".docx", ".docm"):
                return [_scan_docx(path, content, options)]
            return _scan_zip(path, content, options, archive)
        if content.startswith(_PDF_MAGIC):
            return [_scan_pdf(path, content, options)]
        if content.startswith(_OLE2_MAGIC):
            return [_scan_ole2(path, content, suffix, options)]
        if suffix == ".eml":
            return _scan_eml(path, content, options, archive)
        return [_scan_text_bytes(path, content, options)]
    except UnreadableFileError as error:
        return [_not_scanned(path, FileStatus(error.status), error.message, size=len(content))]
    except ArchiveLimitError as error:
        return [_not_scanned(path, FileStatus.LIMIT_EXCEEDED, error.message, size=len(content))]
    except Exception as error:  # noqa: BLE001 - one damaged file must not end the scan
        # The parsers (xlrd, openpyxl, pypdf) raise many undocumented errors on damaged
        # files. Only the error's type is kept: its message may quote the file's content.
        # The suffix is part of a file name, which may hold a client's name or number, so
        # only a short ASCII one without an identifier's digits is logged.
        if may_contain_identifier(suffix):
            logged_suffix = "(digits)"
        elif _LOGGED_SUFFIX.fullmatch(suffix):
            logged_suffix = suffix
        else:
            logged_suffix = "(other)"
        logger.warning("scanner_parse_failed", error=type(error).__name__, suffix=logged_suffix)
        message = f"cannot parse file: {type(error).__name__}"
        return [_not_scanned(path, FileStatus.UNREADABLE, message, size=len(content))]


def is_plain_text_candidate(head: bytes, path: str) -> bool:
    """Return whether :func:`scan_path` scans a file with these first bytes as a text stream."""
    if head.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC, _PDF_MAGIC, _OLE2_MAGIC)):
        return False
    return not path.lower().endswith(".eml")


def _not_scanned(path: str, status: FileStatus, message: str, size: int = 0) -> FileResult:
    return FileResult(path=path, status=status, size=size, message=message)


def _scan_text_stream(path: str, stream, size: int, options: ScanOptions) -> FileResult:
    notes: list[str] = []
    try:
        tables, encoding, _ = text.scan_stream(stream, options, notes)
    except UnreadableFileError as error:
        return _not_scanned(path, FileStatus(error.status), error.message, size=size)
    return FileResult(
        path=path,
        file_format="text",
        size=size,
        encoding=encoding,
        tables=tables,
        message="; ".join(notes),
    )


def _scan_text_bytes(path: str, content: bytes, options: ScanOptions) -> FileResult:
    notes: list[str] = []
    tables, encoding = text.scan_bytes(content, options, notes)
    return FileResult(
        path=path,
        file_format="text",
        size=len(content),
        encoding=encoding,
        tables=tables,
        message="; ".join(notes),
    )


def _findings(
    path: str, texts: list[str], locations: list[Location], options: ScanOptions
) -> list[Finding]:
    """Scan short strings and give each finding the location of its string."""
    found = []
    for segment, line, column, kind, confidence, length, masked in text.scan_segments(
        texts, options
    ):
        base = locations[segment]
        multi_line = "\n" in texts[segment]
        # ``line`` counts from 1 within the string. A string that has a line of its own,
        # such as a paragraph or a PDF line, adds that line number.
        if base.line is not None:
            line_number: int | None = base.line + line - 1
        else:
            line_number = line if multi_line else None
        location = Location(
            sheet=base.sheet,
            cell=base.cell,
            page=base.page,
            part=base.part,
            line=line_number,
            column=column if base.cell is None or multi_line else None,
        )
        found.append(Finding(path, location, Kind(kind), masked, Confidence(confidence), length))
    return found


def _cell_text(value) -> str | None:
    """Text of a spreadsheet cell; whole-number floats lose their ``.0``."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _scan_xlsx(path: str, content: bytes, options: ScanOptions) -> FileResult:
    from openpyxl import load_workbook
    from openpyxl.utils.cell import get_column_letter

    # openpyxl opens the package itself; its parts are checked against the limits first.
    _check_parts(_open_zip(content), options)
    try:
        with _quiet_parser():
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        raise UnreadableFileError(f"cannot open workbook: {type(error).__name__}") from error
    texts: list[str] = []
    locations: list[Location] = []
    titles: list[str] = []
    try:
        with _quiet_parser():
            for sheet in workbook.worksheets:
                titles.append(sheet.title)
                title = hide_digits(sheet.title)
                for row in sheet.iter_rows():
                    for cell in row:
                        value = _cell_text(getattr(cell, "value", None))
                        if value:
                            reference = f"{get_column_letter(cell.column)}{cell.row}"
                            texts.append(value)
                            locations.append(Location(sheet=title, cell=reference))
    finally:
        workbook.close()
    found = _findings(path, texts, locations, options) + _sheet_name_findings(path, titles, options)
    return FileResult(path=path, file_format="xlsx", size=len(content), extra_findings=found)


def _sheet_name_findings(path: str, titles: list[str], options: ScanOptions) -> list[Finding]:
    """Report the identifiers in worksheet names, which locations show with digits hidden."""
    named = [title for title in titles if may_contain_identifier(title)]
    locations = [Location(part=SHEET_NAME, sheet=hide_digits(title)) for title in named]
    return _findings(path, named, locations, options)


def _scan_ole2(path: str, content: bytes, suffix: str, options: ScanOptions) -> FileResult:
    if suffix in (".xlsx", ".xlsm", ".docx", ".docm", ".pptx"):
        # Password-protected OOXML files are stored as an OLE2 "EncryptedPackage".
        raise UnreadableFileError("password-protected Office file", status="encrypted")
    if suffix != ".xls":
        raise UnreadableFileError(
            "OLE2 file other than .xls (old Word or PowerPoint)", status="unsupported"
        )
    import xlrd
    from xlrd.biffh import XLRDError
    from xlrd.compdoc import CompDocError

    try:
        # xlrd writes its notes on damaged files (and names of linked workbooks) to
        # standard output unless given a log file, which would put them into the report.
        with _quiet_parser():
            book = xlrd.open_workbook(file_contents=content, on_demand=True, logfile=_DISCARDED)
    except XLRDError as error:
        status = "encrypted" if "encrypt" in str(error).lower() else "unreadable"
        raise UnreadableFileError(f"cannot open .xls: {error}", status=status) from error
    except CompDocError as error:
        # A damaged OLE2 container; CompDocError is not an XLRDError.
        raise UnreadableFileError(f"cannot open .xls: {type(error).__name__}") from error
    texts: list[str] = []
    locations: list[Location] = []
    titles: list[str] = []
    for sheet in book.sheets():
        titles.append(sheet.name)
        title = hide_digits(sheet.name)
        for row in range(sheet.nrows):
            for column, value in enumerate(sheet.row_values(row)):
                value_text = _cell_text(value)
                if value_text:
                    texts.append(value_text)
                    locations.append(Location(sheet=title, cell=xlrd.formula.cellname(row, column)))
    found = _findings(path, texts, locations, options) + _sheet_name_findings(path, titles, options)
    return FileResult(path=path, file_format="xls", size=len(content), extra_findings=found)


def _scan_docx(path: str, content: bytes, options: ScanOptions) -> FileResult:
    package = _open_zip(content)
    _check_parts(package, options)
    try:
        names = [
            name
            for name in package.namelist()
            if name.startswith("word/")
            and name.endswith(".xml")
            and PurePosixPath(name).stem.rstrip("0123456789")
            in ("document", "header", "footer", "footnotes", "endnotes", "comments")
        ]
        found: list[Finding] = []
        texts: list[str] = []
        locations: list[Location] = []
        for name in sorted(names):
            # A part's name is a word and a number ("header2"). A number long enough to be an
            # identifier is hidden whole, because the engine does not find one glued to letters.
            stem = PurePosixPath(name).stem
            word = stem.rstrip("0123456789")
            suffix = stem[len(word) :]
            part = word + ("*" * len(suffix) if may_contain_identifier(suffix) else suffix)
            with package.open(name) as xml:
                for number, paragraph in enumerate(_word_paragraphs(xml), start=1):
                    if not paragraph:
                        continue
                    texts.append(paragraph)
                    locations.append(Location(part=part, line=number))
                    if len(texts) == _PARAGRAPH_BATCH:
                        # Scanned in batches, so a long document's text is not held whole.
                        found.extend(_findings(path, texts, locations, options))
                        texts, locations = [], []
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError) as error:
        raise UnreadableFileError(f"cannot read .docx: {type(error).__name__}") from error
    found.extend(_findings(path, texts, locations, options))
    return FileResult(path=path, file_format="docx", size=len(content), extra_findings=found)


def _word_paragraphs(xml: IO[bytes]) -> Iterator[str]:
    """Yield the text of each ``w:p`` paragraph; runs are joined, so a number split over runs
    stays whole.

    The part is parsed as it is unpacked, and each paragraph is dropped from the tree once
    read, so a long document is never held whole in memory.
    """
    open_elements: list[ElementTree.Element] = []
    # Python 3.11's bundled expat (2.4.1 or later) stops entity-expansion bombs, and ElementTree
    # never loads external entities, so defusedxml adds nothing here.
    parser = ElementTree.iterparse(xml, events=("start", "end"))  # noqa: S314
    for event, element in parser:
        if event == "start":
            open_elements.append(element)
            continue
        open_elements.pop()
        if element.tag != f"{_WORD_NAMESPACE}p":
            continue
        pieces = []
        for node in element.iter():
            if node.tag == f"{_WORD_NAMESPACE}t" and node.text:
                pieces.append(node.text)
            elif node.tag == f"{_WORD_NAMESPACE}tab":
                pieces.append("\t")
        yield "".join(pieces)
        element.clear()
        if open_elements and len(open_elements[-1]) and open_elements[-1][-1] is element:
            del open_elements[-1][-1]


def _scan_pdf(path: str, content: bytes, options: ScanOptions) -> FileResult:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

    _silence_pypdf()
    try:
        with _quiet_parser():
            reader = PdfReader(io.BytesIO(content))
            if reader.is_encrypted and not reader.decrypt(""):
                raise UnreadableFileError("password-protected PDF", status="encrypted")
            pages = []
            for page in reader.pages:
                _use_two_byte_codes(page.get("/Resources"))
                pages.append(page.extract_text() or "")
    except LimitReachedError as error:
        # pypdf stops unpacking a stream or reading pages beyond its own limits.
        raise ArchiveLimitError(PDF_LIMIT_MESSAGE) from error
    except (PdfReadError, ValueError, KeyError) as error:
        raise UnreadableFileError(f"cannot read PDF: {type(error).__name__}") from error
    if pages and not any(page.strip() for page in pages):
        # Only images, such as a scanned ID card: listed as not scanned, not as clean.
        return _not_scanned(path, FileStatus.UNSUPPORTED, NO_TEXT_LAYER_MESSAGE, size=len(content))
    locations = [Location(page=number, line=1) for number in range(1, len(pages) + 1)]
    found = _findings(path, pages, locations, options)
    return FileResult(path=path, file_format="pdf", size=len(content), extra_findings=found)


# A codespace range of an embedded CMap, as hexadecimal start and end codes.
_CODESPACE_RANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


def _use_two_byte_codes(resources, depth: int = 0) -> None:
    """Read Type0 fonts whose embedded CMap has two-byte codes as ``/Identity-H``.

    fpdf2 (2.8) embeds such a CMap as the font's ``/Encoding`` stream. pypdf (7.1) does not
    parse it and reads the text one byte per code, so each character of a CJK PDF comes out
    as a NUL followed by another character, and codes above 255 come out as two wrong
    characters. With ``/Identity-H`` pypdf reads two bytes per code and maps each through
    the font's ``/ToUnicode`` table, which is what the embedded CMap describes. Fonts of form
    XObjects are fixed too, down to a few levels.
    """
    from pypdf.generic import DictionaryObject, NameObject, StreamObject

    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject) or depth > 3:
        return
    fonts = resources.get("/Font")
    fonts = fonts.get_object() if fonts is not None else None
    if isinstance(fonts, DictionaryObject):
        for reference in fonts.values():
            font = reference.get_object()
            if not isinstance(font, DictionaryObject) or font.get("/Subtype") != "/Type0":
                continue
            encoding = font.get("/Encoding")
            encoding = encoding.get_object() if encoding is not None else None
            if isinstance(encoding, StreamObject) and _has_two_byte_codespace(encoding.get_data()):
                font[NameObject("/Encoding")] = NameObject("/Identity-H")
    forms = resources.get("/XObject")
    forms = forms.get_object() if forms is not None else None
    if isinstance(forms, DictionaryObject):
        for reference in forms.values():
            form = reference.get_object()
            if isinstance(form, DictionaryObject) and form.get("/Subtype") == "/Form":
                _use_two_byte_codes(form.get("/Resources"), depth + 1)


def _has_two_byte_codespace(cmap: bytes) -> bool:
    """Whether every codespace range of a CMap program spans two-byte codes."""
    start = cmap.find(b"begincodespacerange")
    end = cmap.find(b"endcodespacerange", start)
    if start < 0 or end < 0:
        return False
    ranges = _CODESPACE_RANGE.findall(cmap[start:end])
    return bool(ranges) and all(len(low) == 4 and len(high) == 4 for low, high in ranges)


# Headers that mail software fills with random digits (MIME boundaries, message
# ids, signatures); one in ten of those 19-digit boundaries passes as a bank card.
_MACHINE_HEADERS = frozenset(
    {
        "content-type",
        "content-transfer-encoding",
        "content-id",
        "mime-version",
        "message-id",
        "in-reply-to",
        "references",
        "dkim-signature",
        "arc-seal",
        "arc-message-signature",
    }
)


def _scan_eml(
    path: str, content: bytes, options: ScanOptions, archive: _Archive
) -> list[FileResult]:
    message = email.message_from_bytes(content, policy=email.policy.default)
    texts = [
        f"{name}: {value}"
        for name, value in message.items()
        if name.lower() not in _MACHINE_HEADERS
    ]
    locations = [Location(part="headers", line=number) for number in range(1, len(texts) + 1)]
    nested: list[FileResult] = []
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        filename = part.get_filename()
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
        if filename:
            nested.extend(scan_content(f"{path}!{filename}", payload, options, archive))
        elif part.get_content_maintype() == "text":
            texts.append(part.get_content())
            locations.append(Location(part=f"body{index}", line=1))
    found = _findings(path, texts, locations, options)
    return [
        FileResult(path=path, file_format="eml", size=len(content), extra_findings=found),
        *nested,
    ]


def _scan_zip(
    path: str, content: bytes, options: ScanOptions, archive: _Archive
) -> list[FileResult]:
    inner = archive.enter(options)
    if inner.depth > options.zip_max_depth:
        raise ArchiveLimitError(f"archive nested deeper than {options.zip_max_depth} levels")
    package = _open_zip(content)
    members = [info for info in package.infolist() if not info.is_dir()]
    results = [FileResult(path=path, file_format="zip", size=len(content))]
    _check_entry_count(len(members), options)
    for info in members:
        member_path = f"{path}!{_member_name(info)}"
        if info.flag_bits & 0x1:
            results.append(
                _not_scanned(member_path, FileStatus.ENCRYPTED, "password-protected archive member")
            )
            continue
        try:
            data = _read_member(package, info, inner, options)
        except ArchiveLimitError as error:
            results.append(
                _not_scanned(
                    member_path, FileStatus.LIMIT_EXCEEDED, error.message, size=info.file_size
                )
            )
            logger.warning("scanner_zip_limit_exceeded", code=error.code, depth=inner.depth)
            if inner.budget is not None and inner.budget[0] <= 0:
                break
            continue
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
            results.append(
                _not_scanned(
                    member_path, FileStatus.UNREADABLE, f"cannot extract: {type(error).__name__}"
                )
            )
            continue
        results.extend(scan_content(member_path, data, options, inner))
    return results


def _open_zip(content: bytes) -> zipfile.ZipFile:
    """Open a ZIP package (an archive, .xlsx or .docx) that starts with a member.

    zipfile finds the central directory from the end of the data. Cut short, an archive
    loses its own, and zipfile then reads the directory of a stored archive inside it
    and takes the bytes in front for a self-extractor's stub: most of the members would
    be passed over without a word. So a package whose first member is not at its start
    is damaged.

    Raises:
        UnreadableFileError: not a readable ZIP package.
    """
    try:
        package = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, EOFError, ValueError) as error:
        raise UnreadableFileError("damaged ZIP archive") from error
    offsets = [info.header_offset for info in package.infolist()]
    if content.startswith(_ZIP_MAGIC) and 0 not in offsets:
        raise UnreadableFileError("damaged ZIP archive: its directory does not list its start")
    return package


def _check_parts(package: zipfile.ZipFile, options: ScanOptions) -> None:
    """Apply the ZIP limits to the parts of an Office package before it is parsed.

    zipfile stops each part at the size its directory gives, so those sizes bound what a
    parser can unpack, and a .docx or .xlsx made as a zip bomb is rejected here.

    Raises:
        ArchiveLimitError: too many parts, a part compressed more than ``zip_max_ratio``, or
            more than ``zip_max_total_bytes`` in all.
    """
    parts = package.infolist()
    _check_entry_count(len(parts), options)
    total = 0
    for info in parts:
        _check_ratio(info, options)
        total += info.file_size
    if total > options.zip_max_total_bytes:
        raise ArchiveLimitError(f"archive expands beyond {options.zip_max_total_bytes} bytes")


def _check_entry_count(count: int, options: ScanOptions) -> None:
    if count > options.zip_max_entries:
        raise ArchiveLimitError(f"archive has {count} entries, more than {options.zip_max_entries}")


def _check_ratio(info: zipfile.ZipInfo, options: ScanOptions) -> None:
    """Raise ArchiveLimitError if a member declares a ratio above ``zip_max_ratio``."""
    if info.compress_size and info.file_size / info.compress_size > options.zip_max_ratio:
        raise ArchiveLimitError(_ratio_message(options))


def _ratio_message(options: ScanOptions) -> str:
    """Return the message of a member compressed beyond the limit.

    The ratio itself is left out: it comes from sizes that the archive declares, and a
    crafted archive could make it a number shaped like an identifier in the report.
    """
    return f"compression ratio exceeds {options.zip_max_ratio:.0f}"


@contextmanager
def _quiet_parser() -> Iterator[None]:
    """Drop the warnings that a parser of Office and PDF files issues while the block runs.

    Their texts come from the file (a PDF's names, an .xls's linked workbooks) and may
    hold the identifiers the scan hides, and the file's result already records what failed.
    pypdf logs through the standard library's logging instead; see _silence_pypdf.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _silence_pypdf() -> None:
    """Keep pypdf's log records out of every log: they quote names and bytes from the file.

    A PDF with a repeated dictionary key logged "Multiple definitions in dictionary ... for
    key /N" and the key's name, which the file can make an identifier.
    """
    pypdf_logger = logging.getLogger("pypdf")
    if pypdf_logger.propagate:
        pypdf_logger.addHandler(logging.NullHandler())
        pypdf_logger.propagate = False


def _member_name(info: zipfile.ZipInfo) -> str:
    """Return an archive member's name in the encoding its archiver wrote it in.

    Without the UTF-8 flag (bit 11), zipfile reads a name as code page 437. The archivers
    of Chinese Windows write GBK there, and some others UTF-8 without the flag, so such a
    name is read as UTF-8 if it decodes as UTF-8, else as GB18030 (a superset of GBK).
    A reading that takes ASCII bytes into other characters is not used. GB18030 reads a
    byte above 0x80 and the next ASCII letter or digit as one character, which would hide
    a digit of an identifier, or ``ü`` and the next letter of a code page 437 name.
    """
    if info.flag_bits & _UTF8_NAME_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    if raw.isascii():
        return info.filename
    ascii_bytes = sum(byte < 0x80 for byte in raw)
    for encoding in ("utf-8", "gb18030"):
        try:
            name = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if sum(char.isascii() for char in name) == ascii_bytes:
            return name
    return info.filename


def _read_member(
    package: zipfile.ZipFile, info: zipfile.ZipInfo, archive: _Archive, options: ScanOptions
) -> bytes:
    """Extract one member; stop at the ratio and total-size limits whatever its header claims."""
    budget = archive.budget
    if budget is None:
        raise ValueError("_read_member needs an archive entered with _Archive.enter")
    _check_ratio(info, options)
    if info.file_size > budget[0]:
        budget[0] = 0
        raise ArchiveLimitError(f"archive expands beyond {options.zip_max_total_bytes} bytes")
    allowed_by_ratio = int(max(info.compress_size, 1) * options.zip_max_ratio)
    limit = min(budget[0], allowed_by_ratio)
    with package.open(info) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        if limit == budget[0]:
            budget[0] = 0
            raise ArchiveLimitError(f"archive expands beyond {options.zip_max_total_bytes} bytes")
        raise ArchiveLimitError(_ratio_message(options))
    budget[0] -= len(data)
    return data
