import inspect
import io
import os
import subprocess
import sys
import threading
import zipfile
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
import structlog
import xlwt

from shoumi.scanner import FileStatus, Kind, ScanOptions, formats, scan_paths
from shoumi.scanner.names import SHEET_NAME
from shoumi.scanner.scan import iter_files
from tests.scanner.helpers import bank_card, resident_id

ID = resident_id()
LINE = f"客户身份证号{ID}，手机13800138000。\n"


def scan(path, **options):
    return list(scan_paths([str(path)], ScanOptions(**options)))


def kinds(results) -> list[Kind]:
    return sorted(finding.kind for result in results for finding in result.findings)


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le"]
)
def test_text_encodings(tmp_path, encoding):
    path = tmp_path / "notes.txt"
    path.write_bytes(("前言\n" + LINE).encode(encoding))

    [result] = scan(path)

    assert result.status is FileStatus.SCANNED
    expected = {"gbk": "gb18030", "utf-16-le": "utf-16"}.get(encoding, encoding)
    assert result.encoding.startswith(expected)
    assert [(f.kind, f.location.line, f.location.column) for f in result.findings] == [
        (Kind.RESIDENT_ID, 2, 7),
        (Kind.MOBILE, 2, 28),
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("clients.csv", f"姓名,身份证号,手机\n王小明,{ID},13800138000\n"),
        ("clients.tsv", f"姓名\t身份证号\t手机\n王小明\t{ID}\t13800138000\n"),
        ("clients.json", f'{{"name": "王小明", "id": "{ID}", "phone": "13800138000"}}\n'),
        ("clients.xml", f"<clients><c><id>{ID}</id><phone>13800138000</phone></c></clients>\n"),
        ("clients.html", f"<table><tr><td>{ID}</td><td>13800138000</td></tr></table>\n"),
    ],
)
def test_structured_text_formats(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    assert kinds(scan(path)) == [Kind.RESIDENT_ID, Kind.MOBILE]


def test_xlsx_finding_names_sheet_and_cell(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet["A1"] = "身份证号"
    sheet["C7"] = ID
    sheet["D9"] = 13800138000
    path = tmp_path / "clients.xlsx"
    workbook.save(path)

    [result] = scan(path)

    assert [str(finding.location) for finding in result.findings] == ["Sheet1!C7", "Sheet1!D9"]
    assert result.file_format == "xlsx"


def test_xls_finding_names_sheet_and_cell(tmp_path):
    # Written with xlwt, the last library that writes the BIFF8 format.
    book = xlwt.Workbook()
    sheet = book.add_sheet("客户")
    sheet.write(6, 2, ID)
    sheet.write(1, 1, float(bank_card()[:15]))
    path = tmp_path / "clients.xls"
    book.save(str(path))

    [result] = scan(path)

    assert [str(finding.location) for finding in result.findings] == ["客户!C7"]
    assert result.findings[0].kind is Kind.RESIDENT_ID


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_sheet_name_identifier_is_masked(tmp_path, suffix):
    title = f"客户{ID}"
    path = tmp_path / f"clients{suffix}"
    if suffix == ".xlsx":
        workbook = openpyxl.Workbook()
        workbook.active.title = title
        workbook.active["C7"] = "无"
        workbook.save(path)
    else:
        book = xlwt.Workbook()
        book.add_sheet(title).write(6, 2, "无")
        book.save(str(path))

    [result] = scan(path)

    assert [(f.kind, f.location.part) for f in result.findings] == [
        (Kind.RESIDENT_ID, "sheet name")
    ]
    assert result.findings[0].location.sheet == "客户" + "*" * 18
    assert ID not in repr(result)


@pytest.mark.parametrize(
    "title",
    [f"ID{ID}", f"{ID[:6]}\u3000{ID[6:14]}\u3000{ID[14:]}", f"{ID[:6]}_{ID[6:]}"],
    ids=["glued", "ideographic-spaces", "underscore"],
)
def test_sheet_name_digits_are_hidden(tmp_path, title):
    # Every location prints the sheet's name, also where the engine finds no identifier in
    # it (glued to letters or split by underscores).
    workbook = openpyxl.Workbook()
    workbook.active.title = title
    workbook.active["C7"] = ID
    path = tmp_path / "clients.xlsx"
    workbook.save(path)

    [result] = scan(path)

    cells = [f.location.cell for f in result.findings if f.location.part != SHEET_NAME]
    assert cells == ["C7"]
    assert not any(char.isdigit() for f in result.findings for char in f.location.sheet)


@pytest.mark.parametrize(
    ("suffix", "logged"),
    [(f".{ID}", "(digits)"), (".张三丰", "(other)"), (".pdf", ".pdf")],
    ids=["digits", "name", "extension"],
)
def test_parse_failure_log_suffix(tmp_path, monkeypatch, suffix, logged):
    path = tmp_path / f"c{suffix}"
    path.write_bytes(b"%PDF-1.4\n")

    def fail(*arguments):
        raise RecursionError

    monkeypatch.setattr(formats, "_scan_pdf", fail)
    with structlog.testing.capture_logs() as logs:
        [result] = scan(path)

    assert result.status is FileStatus.UNREADABLE
    assert [(entry["event"], entry["suffix"]) for entry in logs] == [
        ("scanner_parse_failed", logged)
    ]


def test_multi_line_cell_lines_count_from_one(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = f"{ID}\n备注"
    workbook.active["A2"] = f"备注\n{ID}"
    path = tmp_path / "clients.xlsx"
    workbook.save(path)

    [result] = scan(path)

    assert [(f.location.cell, f.location.line) for f in result.findings] == [("A1", 1), ("A2", 2)]


def test_docx_part_name_is_masked(tmp_path):
    path = tmp_path / "contract.docx"
    content = make_docx([["身份证号", ID]])
    with zipfile.ZipFile(io.BytesIO(content)) as source:
        document = source.read("word/document.xml")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(f"word/header{ID}.xml", document)
    path.write_bytes(buffer.getvalue())

    [result] = scan(path)

    assert [f.kind for f in result.findings] == [Kind.RESIDENT_ID]
    assert ID not in repr(result)


def make_docx(paragraphs: list[list[str]]) -> bytes:
    """A minimal .docx: one paragraph per list, one run per string."""
    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(
        "<w:p>" + "".join(f"<w:r><w:t>{run}</w:t></w:r>" for run in runs) + "</w:p>"
        for runs in paragraphs
    )
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{namespace}">'
        f"<w:body>{body}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", document)
    return buffer.getvalue()


def test_docx_scanned_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(formats, "_PARAGRAPH_BATCH", 2)
    path = tmp_path / "contract.docx"
    path.write_bytes(make_docx([["说明"], [ID], [""], [ID], [ID], ["结束"]]))

    [result] = scan(path)

    assert [f.location.line for f in result.findings] == [2, 4, 5]


def test_docx_number_split_over_runs(tmp_path):
    path = tmp_path / "contract.docx"
    path.write_bytes(make_docx([["甲方："], ["身份证号", ID[:9], ID[9:], "。"]]))

    [result] = scan(path)

    assert [(f.kind, f.location.part, f.location.line) for f in result.findings] == [
        (Kind.RESIDENT_ID, "document", 2)
    ]


def make_pdf(lines: list[str], page_entries: str = "") -> bytes:
    """A one-page PDF with a text layer (Helvetica, ASCII text); ``page_entries`` join the
    page's dictionary."""
    content = (
        "BT /F1 12 Tf 72 720 Td " + " ".join(f"({line}) Tj 0 -16 Td" for line in lines) + " ET"
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        f"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R {page_entries}>>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def test_pdf_text_layer(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf(["Client list", f"ID {ID}"]))

    [result] = scan(path)

    assert [(f.kind, f.location.page) for f in result.findings] == [(Kind.RESIDENT_ID, 1)]


def test_pdf_without_text_not_scanned(tmp_path):
    # A scanned ID card is an image: nothing in it was checked, so it is not reported clean.
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([]))

    [result] = scan(path)

    assert result.status is FileStatus.UNSUPPORTED
    assert formats.message_zh(result) == "PDF 没有文字层（可能是扫描件），其中的图像未检查"


def test_pdf_over_pypdf_limit_is_listed(tmp_path, monkeypatch):
    from pypdf.errors import LimitReachedError

    def over_limit(resources):
        raise LimitReachedError("limit reached")

    monkeypatch.setattr(formats, "_use_two_byte_codes", over_limit)
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf(["Client list"]))

    [result] = scan(path)

    assert result.status is FileStatus.LIMIT_EXCEEDED
    assert formats.message_zh(result) == "PDF 解压后超出安全限制，未扫描"


def test_pdf_parser_logs_nothing(tmp_path):
    # pypdf logs a repeated dictionary key with the key's name, which the file chooses.
    # Run as a command: pytest attaches its own log handlers to every logger.
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf(["Client list"], page_entries=f"/N{ID} 1 /N{ID} 2 "))
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    completed = subprocess.run(  # noqa: S603 - fixed command, no user input
        [sys.executable, "-m", "shoumi.scanner", str(path), "--format", "csv"],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=60,
    )

    assert completed.stderr == ""
    assert ID not in completed.stdout


NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def make_cjk_pdf(lines: list[str]) -> bytes:
    """Write ``lines`` with fpdf2 and Noto Sans CJK, as the receipts in materials.pdf are."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("noto", "", str(NOTO_CJK), collection_font_number=2)
    pdf.set_font("noto", size=12)
    for line in lines:
        pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@pytest.mark.skipif(not NOTO_CJK.exists(), reason="fonts-noto-cjk is not installed")
def test_pdf_with_embedded_cjk_font(tmp_path):
    path = tmp_path / "receipt.pdf"
    path.write_bytes(make_cjk_pdf(["材料接收登记", f"法定代表人身份证号：{ID}"]))

    [result] = scan(path)

    assert [(f.kind, f.location.page) for f in result.findings] == [(Kind.RESIDENT_ID, 1)]


@pytest.mark.skipif(not NOTO_CJK.exists(), reason="fonts-noto-cjk is not installed")
def test_pdf_with_more_than_255_glyphs(tmp_path):
    # Glyph codes above 255 have a non-zero high byte, so dropping NULs would not decode them.
    common = "".join(chr(code) for code in range(0x4E00, 0x4E00 + 600))
    lines = [common[index : index + 40] for index in range(0, len(common), 40)]
    path = tmp_path / "contract.pdf"
    path.write_bytes(make_cjk_pdf([*lines, f"身份证号：{ID}"]))

    [result] = scan(path)

    assert [f.kind for f in result.findings] == [Kind.RESIDENT_ID]


def test_eml_body_and_attachment(tmp_path):
    message = EmailMessage()
    message["Subject"] = "客户资料"
    message["From"] = "clerk@example.invalid"
    message.set_content("请查收，联系电话13800138000。\n")
    message.add_attachment(
        f"身份证号\n{ID}\n".encode(), maintype="text", subtype="csv", filename="list.csv"
    )
    path = tmp_path / "mail.eml"
    path.write_bytes(message.as_bytes())

    results = scan(path)

    assert [result.path.rsplit("/", 1)[-1] for result in results] == [
        "mail.eml",
        "mail.eml!list.csv",
    ]
    assert [f.kind for f in results[0].findings] == [Kind.MOBILE]
    assert [f.kind for f in results[1].findings] == [Kind.RESIDENT_ID]


def test_eml_boundary_and_message_id_digits_are_not_findings(tmp_path):
    card_like = bank_card()
    message = EmailMessage()
    message["Subject"] = "月度报表"
    message["Message-ID"] = f"<{card_like}@mail.example.invalid>"
    message.set_content("见附件。\n")
    message.add_attachment(b"a,b\n", maintype="text", subtype="csv", filename="r.csv")
    message.set_boundary(f"=============={card_like}==")
    path = tmp_path / "mail.eml"
    path.write_bytes(message.as_bytes())
    assert card_like in path.read_text()

    results = scan(path)

    assert [finding for result in results for finding in result.findings] == []


def test_zip_members_are_scanned_recursively(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("deep/notes.txt", LINE)
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("inner.zip", inner.getvalue())
        package.writestr("a.txt", LINE)

    results = scan(path)

    paths = [result.path.removeprefix(f"{tmp_path}/") for result in results]
    assert paths == [
        "export.zip",
        "export.zip!inner.zip",
        "export.zip!inner.zip!deep/notes.txt",
        "export.zip!a.txt",
    ]
    assert kinds(results) == [Kind.RESIDENT_ID, Kind.RESIDENT_ID, Kind.MOBILE, Kind.MOBILE]


def zip_with_raw_names(names: list[bytes], content: str) -> bytes:
    """A ZIP archive whose member names are the given bytes, without the UTF-8 flag.

    zipfile writes a name that is not ASCII as UTF-8 with the flag set, so each member is
    written under an ASCII placeholder of the same length, which is then replaced.
    """
    buffer = io.BytesIO()
    placeholders = [bytes([ord("A") + index]) * len(name) for index, name in enumerate(names)]
    with zipfile.ZipFile(buffer, "w") as package:
        for placeholder in placeholders:
            package.writestr(placeholder.decode("ascii"), content)
    data = buffer.getvalue()
    for placeholder, name in zip(placeholders, names, strict=True):
        data = data.replace(placeholder, name)
    return data


def test_zip_gbk_member_names_readable(tmp_path):
    # Archivers on Chinese Windows write names in GBK without the UTF-8 flag, and zipfile
    # reads them as code page 437.
    names = ["客户名单.txt".encode("gbk"), "资料/备注.txt".encode(), b"plain.txt"]
    path = tmp_path / "export.zip"
    path.write_bytes(zip_with_raw_names(names, LINE))

    results = scan(path)

    members = [result.path.split("!", 1)[1] for result in results[1:]]
    assert members == ["客户名单.txt", "资料/备注.txt", "plain.txt"]
    assert kinds(results) == [Kind.RESIDENT_ID] * 3 + [Kind.MOBILE] * 3


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        # GB18030 would read 0x82 and the next digit as one character, hiding a digit.
        (b"\x821\x82" + ID.encode() + b".txt", f"é1é{ID[:3]}{'*' * 11}{ID[14:]}.txt"),
        ("Müller_résumé.txt".encode("cp437"), "Müller_résumé.txt"),
    ],
    ids=["digit-after-high-byte", "code-page-437"],
)
def test_member_name_keeps_its_ascii_characters(tmp_path, raw, shown):
    path = tmp_path / "export.zip"
    path.write_bytes(zip_with_raw_names([raw], "没有号码。\n"))

    results = scan(path)

    assert results[1].path.split("!", 1)[1] == shown


def test_gbk_member_name_identifier_is_masked(tmp_path):
    name = f"张三{ID}.txt"
    path = tmp_path / "export.zip"
    path.write_bytes(zip_with_raw_names([name.encode("gbk")], "没有号码。\n"))

    results = scan(path)

    assert results[1].path.endswith(f"!张三{ID[:3]}{'*' * 11}{ID[14:]}.txt")
    assert [finding.kind for finding in results[1].findings] == [Kind.RESIDENT_ID]


def test_zip_bomb_stops_at_ratio_limit(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("zeros.txt", b"0" * (20 << 20))

    results = scan(path)

    member = results[1]
    assert member.status is FileStatus.LIMIT_EXCEEDED
    # Without the ratio itself, which comes from sizes the archive declares.
    assert member.message == "compression ratio exceeds 200"


def deflate_package(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return buffer.getvalue()


def test_docx_bomb_stops_at_ratio_limit(tmp_path):
    # 20 MiB of blanks in the document part, compressed about a thousand times.
    with zipfile.ZipFile(io.BytesIO(make_docx([[ID]]))) as source:
        document = source.read("word/document.xml")
    padded = document.replace(b"<w:body>", b"<w:body>" + b" " * (20 << 20))
    path = tmp_path / "bomb.docx"
    path.write_bytes(
        deflate_package({"[Content_Types].xml": b"<Types/>", "word/document.xml": padded})
    )

    [result] = scan(path)

    assert result.status is FileStatus.LIMIT_EXCEEDED
    assert "compression ratio" in result.message


def test_xlsx_bomb_stops_at_total_limit(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active["C7"] = ID
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as source:
        members = {name: source.read(name) for name in source.namelist()}
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(deflate_package(members))

    [scanned] = scan(path)
    [limited] = scan(path, zip_max_total_bytes=1000)

    assert [str(finding.location) for finding in scanned.findings] == ["Sheet!C7"]
    assert limited.status is FileStatus.LIMIT_EXCEEDED
    assert "expands beyond" in limited.message


def test_truncated_zip_is_damaged(tmp_path):
    # Cut short, the archive loses its directory. zipfile then finds the directory of the
    # stored archive inside and would list only that archive's members.
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as package:
        package.writestr("photo_list.txt", "照片清单\n")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as package:
        package.writestr("客户台账.csv", LINE * 50, zipfile.ZIP_DEFLATED)
        package.writestr("inner.zip", inner.getvalue(), zipfile.ZIP_STORED)
    path = tmp_path / "outer.zip"
    path.write_bytes(outer.getvalue()[:-30])

    results = scan(path)

    assert [(result.path, result.status) for result in results] == [
        (str(path), FileStatus.UNREADABLE)
    ]
    assert results[0].message.startswith("damaged ZIP archive")


def test_zip_stops_at_total_size_limit(tmp_path):
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as package:
        for index in range(3):
            package.writestr(f"part{index}.txt", LINE * 100)

    results = scan(path, zip_max_total_bytes=len(LINE.encode()) * 150)

    statuses = [result.status for result in results[1:]]
    assert statuses[0] is FileStatus.SCANNED
    assert statuses[1] is FileStatus.LIMIT_EXCEEDED
    assert "expands beyond" in results[2].message


def test_zip_nesting_depth_limit(tmp_path):
    payload = LINE.encode()
    name = "notes.txt"
    for level in range(3):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            package.writestr(name, payload)
        payload, name = buffer.getvalue(), f"level{level}.zip"
    path = tmp_path / "nested.zip"
    path.write_bytes(payload)

    results = scan(path, zip_max_depth=2)

    limited = [result for result in results if result.status is FileStatus.LIMIT_EXCEEDED]
    assert len(limited) == 1
    assert "nested deeper" in limited[0].message


def test_encrypted_zip_member_is_listed(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("secret.txt", b"not really encrypted")
    content = bytearray(buffer.getvalue())
    # Set the "encrypted" bit of the general-purpose flags in the local and central headers.
    content[6] |= 0x1
    central = content.index(b"PK\x01\x02")
    content[central + 8] |= 0x1
    path = tmp_path / "secret.zip"
    path.write_bytes(bytes(content))

    results = scan(path)

    assert results[1].status is FileStatus.ENCRYPTED


def test_encrypted_office_file_is_listed(tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)

    [result] = scan(path)

    assert result.status is FileStatus.ENCRYPTED


def test_binary_and_unknown_files_are_listed(tmp_path):
    (tmp_path / "image.bin").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "garbled.txt").write_bytes(bytes([0x81, 0x20, 0xFF, 0xFE, 0x80]) * 10)

    results = scan(tmp_path)

    assert [result.status for result in results] == [FileStatus.UNREADABLE, FileStatus.UNSUPPORTED]


def test_missing_path_is_listed(tmp_path):
    [result] = scan(tmp_path / "missing")

    assert result.status is FileStatus.UNREADABLE
    assert result.message == "path not found"


def _deny_listing(monkeypatch, denied):
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) in denied:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


@pytest.mark.parametrize("workers", [1, 2])
def test_unlistable_folder_is_reported(tmp_path, monkeypatch, workers, job_per_file):
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notes.txt").write_text(LINE, encoding="utf-8")
    _deny_listing(monkeypatch, {str(tmp_path / "b")})

    results = scan(tmp_path, workers=workers)

    # With workers, results arrive in completion order.
    results.sort(key=lambda result: result.path)
    assert [(Path(r.path).relative_to(tmp_path).as_posix(), r.status) for r in results] == [
        ("a/notes.txt", FileStatus.SCANNED),
        ("b", FileStatus.UNREADABLE),
        ("c/notes.txt", FileStatus.SCANNED),
    ]
    assert results[1].file_format == "folder"
    assert results[1].message == "cannot list folder: Permission denied"


def test_unlistable_root_and_last_folder(tmp_path, monkeypatch):
    (tmp_path / "root").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "z").mkdir()
    _deny_listing(monkeypatch, {str(tmp_path / "root"), str(tmp_path / "other" / "z")})

    results = list(scan_paths([str(tmp_path / "root"), str(tmp_path / "other")]))

    assert [(r.path, r.status) for r in results] == [
        (str(tmp_path / "root"), FileStatus.UNREADABLE),
        (str(tmp_path / "other" / "z"), FileStatus.UNREADABLE),
    ]


def test_tree_deeper_than_recursion_limit(tmp_path):
    # Python 3.11's os.walk recursed once per level. The test lowers the recursion limit to
    # 150 frames above its own depth instead of building 1,000 levels, which pytest's
    # removal of old temporary folders (shutil.rmtree, recursive too) could not delete.
    deepest = tmp_path.joinpath(*["d"] * 400)
    deepest.mkdir(parents=True)
    (deepest / "notes.txt").write_text(LINE, encoding="utf-8")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 150)
    try:
        results = scan(tmp_path)
    finally:
        sys.setrecursionlimit(limit)

    assert [(r.path, r.finding_count) for r in results] == [(str(deepest / "notes.txt"), 2)]


def test_walk_order_matches_os_walk(tmp_path):
    for folder in ("b", "a/z", "a/y/x", "c", "a/y/w"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    for file in ("1.txt", "a/2.txt", "a/y/3.txt", "a/y/x/4.txt", "c/5.txt", "a/0.txt"):
        (tmp_path / file).write_text("x\n", encoding="utf-8")
    expected = [str(tmp_path)]
    for directory, subfolders, files in os.walk(tmp_path):
        subfolders.sort()
        expected += [os.path.join(directory, name) for name in subfolders]
        expected += [os.path.join(directory, name) for name in sorted(files)]

    walked = [item.path for item in iter_files([str(tmp_path)])]

    assert walked == expected


def test_folder_name_under_root_with_slash(tmp_path):
    (tmp_path / f"客户{ID}").mkdir()

    results = list(scan_paths([str(tmp_path) + "/"]))

    assert [finding.location.part for r in results for finding in r.findings] == ["folder name"]
    assert ID not in results[0].path


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX links")
def test_broken_links_are_listed(tmp_path):
    walked = tmp_path / "walked"
    walked.mkdir()
    (walked / "dangling").symlink_to(tmp_path / "gone")
    (walked / "loop").symlink_to(walked / "loop")
    (walked / f"{ID}-folder").symlink_to(tmp_path)

    followed = scan(walked, follow_symlinks=True)
    on_command_line = list(scan_paths([str(walked / "dangling")]))
    listed = scan(walked)
    not_followed = [r for r in listed if r.file_format == "symlink"]

    assert [(r.status, r.file_format) for r in followed if r.file_format == "symlink"] == [
        (FileStatus.UNREADABLE, "symlink"),
        (FileStatus.UNREADABLE, "symlink"),
    ]
    assert [(r.status, r.file_format) for r in on_command_line] == [
        (FileStatus.UNREADABLE, "symlink")
    ]
    assert on_command_line[0].message.startswith("symbolic link target not found")
    assert [finding.location.part for r in listed for finding in r.findings] == ["folder name"]
    # Without following, a link with no target is named so too, not "not followed".
    assert [(r.status, r.message.split(" (")[0]) for r in not_followed] == [
        (FileStatus.UNSUPPORTED, "symbolic link not followed"),
        (FileStatus.UNREADABLE, "symbolic link target not found"),
        (FileStatus.UNREADABLE, "symbolic link target not found"),
    ]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may list any folder"
)
def test_locked_folder_is_reported(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "notes.txt").write_text(LINE, encoding="utf-8")
    locked.chmod(0)
    try:
        [result] = scan(tmp_path)
    finally:
        locked.chmod(0o700)

    assert (result.path, result.status) == (str(locked), FileStatus.UNREADABLE)


def _linked_tree(tmp_path):
    """A folder with a file, a link to a file outside, a link to a folder outside and a
    link back to itself."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.txt").write_text(LINE, encoding="utf-8")
    (outside / "folder").mkdir()
    (outside / "folder" / "inner.txt").write_text(LINE, encoding="utf-8")
    walked = tmp_path / "walked"
    walked.mkdir()
    (walked / "own.txt").write_text(LINE, encoding="utf-8")
    (walked / "file-link.txt").symlink_to(outside / "target.txt")
    (walked / "folder-link").symlink_to(outside / "folder")
    (walked / "loop").symlink_to(walked)
    return walked


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX links")
@pytest.mark.parametrize("workers", [1, 2])
def test_links_are_listed_not_followed(tmp_path, workers, job_per_file):
    walked = _linked_tree(tmp_path)

    results = sorted(scan(walked, workers=workers), key=lambda result: result.path)

    assert [
        (os.path.relpath(r.path, walked), r.status, r.file_format, r.finding_count) for r in results
    ] == [
        ("file-link.txt", FileStatus.UNSUPPORTED, "symlink", 0),
        ("folder-link", FileStatus.UNSUPPORTED, "symlink", 0),
        ("loop", FileStatus.UNSUPPORTED, "symlink", 0),
        ("own.txt", FileStatus.SCANNED, "text", 2),
    ]
    assert results[0].message == "symbolic link not followed"


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX links")
@pytest.mark.parametrize("workers", [1, 2])
def test_followed_links_end_at_loops(tmp_path, workers, job_per_file):
    walked = _linked_tree(tmp_path)

    results = scan(walked, workers=workers, follow_symlinks=True)

    # The link back to the walked folder is not walked again, so each file comes once.
    assert sorted((os.path.relpath(r.path, walked), r.finding_count) for r in results) == [
        ("file-link.txt", 2),
        ("folder-link/inner.txt", 2),
        ("own.txt", 2),
    ]


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX links")
def test_link_name_identifier_is_masked(tmp_path):
    (tmp_path / "target.txt").write_text("nothing here\n", encoding="utf-8")
    walked = tmp_path / "walked"
    walked.mkdir()
    (walked / f"{ID}.txt").symlink_to(tmp_path / "target.txt")

    [result] = scan(walked)

    assert ID not in result.path
    assert result.file_format == "symlink"
    assert [finding.kind for finding in result.findings] == [Kind.RESIDENT_ID]


def test_large_text_file_across_blocks(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text(LINE * 5000, encoding="utf-8")

    [result] = scan(path, block_bytes=4096)

    lines = [f.location.line for f in result.findings if f.kind is Kind.RESIDENT_ID]
    assert lines == list(range(1, 5001))


def test_workers_give_same_results(tmp_path, job_per_file):
    for index in range(6):
        (tmp_path / f"f{index}.txt").write_text(LINE * (index + 1), encoding="utf-8")

    serial = sorted((r.path, r.finding_count) for r in scan(tmp_path))
    parallel = sorted((r.path, r.finding_count) for r in scan(tmp_path, workers=2))

    assert serial == parallel


def test_damaged_xls_is_listed(tmp_path):
    # An OLE2 signature with a byte-order marker that is not little-endian: xlrd raises
    # CompDocError, which is not an XLRDError.
    (tmp_path / "damaged.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (tmp_path / "notes.txt").write_text(LINE, encoding="utf-8")

    damaged, notes = scan(tmp_path)

    assert damaged.status is FileStatus.UNREADABLE
    assert damaged.message == "cannot open .xls: CompDocError"
    assert notes.finding_count == 2


@pytest.mark.parametrize("where", ["file", "zip-member"])
def test_gbk_bad_byte_replaced(tmp_path, where):
    # One byte that is no GBK, after the sample that named the encoding: the rest is scanned.
    rows = [f"客户{index}，手机 138{index:08d}\n".encode("gbk") for index in range(6000)]
    rows[5000] = rows[5000].replace("客户".encode("gbk"), b"\xff\xff")
    content = b"".join(rows)
    path = tmp_path / "clients.csv"
    if where == "file":
        path.write_bytes(content)
    else:
        path = tmp_path / "clients.zip"
        with zipfile.ZipFile(path, "w") as package:
            package.writestr("clients.csv", content)

    result = scan(path)[-1]

    assert len(content) > 64 * 1024
    assert result.status is FileStatus.SCANNED
    assert result.encoding == "gb18030"
    assert result.finding_count == 6000
    assert result.message.startswith("2 byte sequence(s) did not decode as gb18030")


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_bad_byte_in_sample_replaced(tmp_path, encoding):
    # Damage inside the 64 KiB sample that names the encoding.
    rows = [f"{index},张三,{ID},13912345678,备注\n".encode(encoding) for index in range(2000)]
    rows[500] = b"\xff" + rows[500]
    path = tmp_path / "clients.csv"
    path.write_bytes(b"".join(rows))

    [result] = scan(path)

    assert result.status is FileStatus.SCANNED
    assert result.finding_count == 4000


def test_truncated_xls_prints_nothing(tmp_path, capsys):
    # xlrd's default log file is standard output, where the report goes.
    book = xlwt.Workbook()
    book.add_sheet("客户").write(6, 2, ID)
    path = tmp_path / "clients.xls"
    book.save(str(path))
    path.write_bytes(path.read_bytes() + b"\x00" * 100)

    [result] = scan(path)

    assert capsys.readouterr().out == ""
    assert [str(finding.location) for finding in result.findings] == ["客户!C7"]


@pytest.mark.parametrize("workers", [1, 2])
def test_parser_error_is_listed_without_message(tmp_path, monkeypatch, workers, job_per_file):
    def fail(path, content, options):
        raise RecursionError(f"deep structure near {ID}")

    monkeypatch.setattr("shoumi.scanner.formats._scan_pdf", fail)
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4\n" + b"x" * 100)
    (tmp_path / "notes.txt").write_text(LINE, encoding="utf-8")

    results = sorted(scan(tmp_path, workers=workers), key=lambda result: result.path)

    assert [result.status for result in results] == [FileStatus.SCANNED, FileStatus.UNREADABLE]
    assert results[1].message == "cannot parse file: RecursionError"
    assert ID not in results[1].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("workers", [1, 2])
def test_fifo_is_listed_not_opened(tmp_path, workers):
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "notes.txt").write_text(LINE, encoding="utf-8")

    outputs: dict[str, list] = {}

    def scan_both():
        outputs["folder"] = scan(tmp_path, workers=workers)
        outputs["given"] = scan(tmp_path / "pipe.txt", workers=workers)

    # Opening the FIFO for reading would wait for a writer that never comes, so the scan
    # runs in a thread that the test stops waiting for.
    thread = threading.Thread(target=scan_both, daemon=True)
    thread.start()
    thread.join(timeout=30)

    assert not thread.is_alive(), "the scan waits on the FIFO"
    from_folder = sorted(outputs["folder"], key=lambda result: result.path)
    [given] = outputs["given"]

    assert [result.status for result in from_folder] == [FileStatus.SCANNED, FileStatus.UNSUPPORTED]
    assert from_folder[1].message == "not a regular file (FIFO, socket or device)"
    assert given.status is FileStatus.UNSUPPORTED
