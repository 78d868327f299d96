"""Report rendering: identifier cells stay text, formulas never run, storage round-trips."""

from __future__ import annotations

import csv
import io

import openpyxl

from shoumi.clients.imports.reports import Report, render_csv, render_xlsx

FORMULA = '=HYPERLINK("http://127.0.0.1/","点击")'


def _report() -> Report:
    return Report(
        summary=[("结果", "已导入。")],
        columns=["行号", "结果", "企业名称", "统一社会信用代码", "银行账号", "待确认", "错误原因"],
        identifier_columns=[3, 4],
        rows=[
            ["2", "已导入：新客户", FORMULA, "911101080000000017", "****0123", "", ""],
            ["3", "有错误", "乙公司", "", "", "", "企业名称：企业名称为空。"],
        ],
    )


def test_csv_keeps_number_like_identifiers_as_text() -> None:
    rows = list(csv.reader(io.StringIO(render_csv(_report()).decode("utf-8-sig"))))

    assert rows[-2][3] == '="911101080000000017"'
    assert rows[-2][4] == "****0123"


def test_csv_neutralises_formulas() -> None:
    rows = list(csv.reader(io.StringIO(render_csv(_report()).decode("utf-8-sig"))))

    assert rows[-2][2] == "'" + FORMULA
    assert rows[-2][0] == "2"


def test_xlsx_cells_are_all_text() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(_report())))

    cells = [cell for row in workbook.active.iter_rows() for cell in row if cell.value is not None]
    assert {cell.data_type for cell in cells} == {"s"}
    assert FORMULA in [cell.value for cell in cells]
    assert "911101080000000017" in [cell.value for cell in cells]


def test_stored_report_round_trips() -> None:
    report = _report()

    restored = Report.from_bytes(report.to_bytes())

    assert restored == report
    assert [row[0] for row in restored.problem_rows] == ["3"]
