"""Ledger files for import tests, built in memory from synthetic rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import openpyxl
import xlwt

from shoumi.clients.imports.columns import parse_mapping
from shoumi.clients.imports.services import ImportOptions, ImportResult, ledger_import

HEADERS = ("企业名称", "统一社会信用代码", "法定代表人", "身份证号", "手机", "开户行", "银行账号")

Cell = str | int | float | None


def csv_bytes(
    rows: Sequence[Sequence[Cell]], headers: Sequence[str] = HEADERS, encoding: str = "utf-8"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Cell]], headers: Sequence[str] = HEADERS) -> bytes:
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.append(list(headers))
    for row in rows:
        worksheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xls_bytes(rows: Sequence[Sequence[Cell]], headers: Sequence[str] = HEADERS) -> bytes:
    workbook = xlwt.Workbook(encoding="utf-8")
    worksheet = workbook.add_sheet("台账")
    for column, header in enumerate(headers):
        worksheet.write(0, column, header)
    for row_index, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is not None:
                worksheet.write(row_index, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_import(
    data: bytes,
    *,
    suffix: str = ".csv",
    actor: object = None,
    is_only_valid: bool = False,
    mapping: Sequence[str] = (),
    department: object = None,
    assigned_staff: Sequence[object] = (),
) -> ImportResult:
    return ledger_import(
        actor=actor,  # type: ignore[arg-type]
        data=data,
        suffix=suffix,
        options=ImportOptions(
            is_only_valid=is_only_valid,
            mapping=parse_mapping(mapping),
            department=department,  # type: ignore[arg-type]
            assigned_staff=list(assigned_staff),  # type: ignore[arg-type]
        ),
    )


def statuses(result: ImportResult) -> list[str]:
    assert result.plan is not None, result.error
    return [str(row.status) for row in result.plan.rows]
