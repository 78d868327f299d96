"""Reading ledger files: CSV encodings (case L1), spreadsheets and limits."""

from __future__ import annotations

import pytest

from shoumi.clients.imports.columns import ImportField, field_for_name
from shoumi.clients.imports.errors import LedgerFileError
from shoumi.clients.imports.readers import Encoding, decode_text, read_sheet
from tests.clients.imports.ledgers import xls_bytes, xlsx_bytes

L1_CONTENT = "身份证号,姓名\r\n320106197809230418,王小明\r\n"


def test_utf8_bom_is_stripped_and_id_column_recognised() -> None:
    """Case L1.1: Excel's "CSV UTF-8" starts with EF BB BF."""
    data = b"\xef\xbb\xbf" + L1_CONTENT.encode("utf-8")

    sheet = read_sheet(data, ".csv")

    assert sheet.encoding == Encoding.UTF_8_BOM
    assert sheet.rows[0] == ["身份证号", "姓名"]
    assert field_for_name(sheet.rows[0][0]) == ImportField.RESIDENT_ID
    assert sheet.rows[1] == ["320106197809230418", "王小明"]


def test_gb18030_keeps_a_character_gbk_cannot_encode() -> None:
    """Case L1.2: 䶮 exists in GB18030 but not in GBK or GB2312."""
    text = L1_CONTENT + "330106198803150000,刘䶮\r\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    data = text.encode("gb18030")

    sheet = read_sheet(data, ".csv")

    assert sheet.encoding == Encoding.GB18030
    assert sheet.rows[2][1] == "刘䶮"


def test_gbk_file_is_read_as_gb18030() -> None:
    sheet = read_sheet(L1_CONTENT.encode("gbk"), ".csv")

    assert sheet.encoding == Encoding.GB18030
    assert sheet.rows[1][1] == "王小明"


def test_utf8_without_bom_is_read_as_utf8() -> None:
    """Case L1.3; GB18030 would also decode these bytes, into garbage."""
    data = L1_CONTENT.encode("utf-8")
    header = "身份证号,姓名".encode()
    assert header.decode("gb18030") != "身份证号,姓名"

    sheet = read_sheet(data, ".csv")

    assert sheet.encoding == Encoding.UTF_8
    assert sheet.rows[1] == ["320106197809230418", "王小明"]


def test_tab_separated_utf16_is_read() -> None:
    data = L1_CONTENT.replace(",", "\t").encode("utf-16")

    sheet = read_sheet(data, ".csv")

    assert sheet.encoding == Encoding.UTF_16
    assert sheet.rows[0] == ["身份证号", "姓名"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        # GBK's user-defined area decodes to private-use characters.
        ("身份证号,姓名\r\n".encode("gb18030") + b"\xaa\xa1\r\n", "encoding_garbled"),
        (("身份证号,姓名\r\n" + "\ufffd\r\n").encode("utf-8"), "encoding_garbled"),
        ("身份证号,姓名\r\n".encode() + b"\x80\r\n", "encoding_unknown"),
    ],
)
def test_garbled_or_undecodable_file_is_rejected(data: bytes, code: str) -> None:
    with pytest.raises(LedgerFileError) as raised:
        decode_text(data)

    assert raised.value.code == code


def test_xlsx_keeps_numbers_as_numbers() -> None:
    data = xlsx_bytes([["甲公司", 13800138000, 3.3010619880315e17, "33010619880315019X"]])

    sheet = read_sheet(data, ".xlsx")

    assert sheet.encoding == Encoding.XLSX
    assert sheet.rows[1] == ["甲公司", 13800138000, 3.3010619880315e17, "33010619880315019X"]


def test_xls_text_and_number_cells() -> None:
    data = xls_bytes([["甲公司", 13800138000.0, "33010619880315019X", 6.217e18]])

    sheet = read_sheet(data, ".xls")

    assert sheet.encoding == Encoding.XLS
    assert sheet.rows[1] == ["甲公司", 13800138000, "33010619880315019X", 6.217e18]


def test_not_a_workbook_is_rejected() -> None:
    with pytest.raises(LedgerFileError) as raised:
        read_sheet(b"not a zip file", ".xlsx")

    assert raised.value.code == "xlsx_unreadable"


def test_unsupported_extension_is_rejected() -> None:
    with pytest.raises(LedgerFileError) as raised:
        read_sheet(b"", ".pdf")

    assert raised.value.code == "unsupported_file_type"


def test_file_over_size_limit_is_rejected(settings) -> None:
    settings.IMPORT_MAX_FILE_MB = 1

    with pytest.raises(LedgerFileError) as raised:
        read_sheet(b"a" * (1024 * 1024 + 1), ".csv")

    assert raised.value.code == "file_too_large"
    assert "1 MB" in raised.value.message


def test_file_over_row_limit_is_rejected(settings) -> None:
    settings.IMPORT_MAX_ROWS = 5
    data = ("企业名称\r\n" + "甲\r\n" * 30).encode("utf-8")

    with pytest.raises(LedgerFileError) as raised:
        read_sheet(data, ".csv")

    assert raised.value.code == "too_many_rows"


def test_xlsx_declaring_too_many_rows_is_refused_before_reading(settings) -> None:
    """A small file may declare millions of rows; it is refused without reading them."""
    import io
    import re
    import zipfile

    import openpyxl

    settings.IMPORT_MAX_ROWS = 100
    workbook = openpyxl.Workbook()
    workbook.active.append(["企业名称", "统一社会信用代码"])
    workbook.active.append(["甲公司", ""])
    plain = io.BytesIO()
    workbook.save(plain)
    rewritten = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(rewritten, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(
                    rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B3000000"', content
                )
            target.writestr(item, content)

    with pytest.raises(LedgerFileError) as raised:
        read_sheet(rewritten.getvalue(), ".xlsx")

    assert raised.value.code == "too_many_rows"
