"""Synthetic demo data: clients in the database and a messy sample ledger to import.

Every value comes from :class:`~shoumi.clients.synthetic.SyntheticData`
(generated check digits, Faker zh_CN names), so none belongs to a real
person or company. The sample ledger mixes clean rows with the damage found
in agencies' spreadsheets. It has full-width digits, a lower-case ``x``,
spaces, a leading apostrophe, numbers Excel turned into floats, wrong check
digits, cards failing Luhn, 15-digit legacy ID numbers and repeated clients.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass

import openpyxl

from shoumi.clients.synthetic import SyntheticData
from shoumi.identifiers.normalise import is_excel_truncated

LEDGER_HEADERS = (
    "序号",
    "企业名称",
    "统一社会信用代码",
    "注册地址",
    "经营状态",
    "法定代表人",
    "身份证号",
    "手机",
    "开户行",
    "银行账号",
    "备注",
)
CLEAN_LEDGER_HEADERS = (
    "企业名称",
    "统一社会信用代码",
    "注册地址",
    "法定代表人",
    "身份证号",
    "手机",
    "开户行",
    "银行账号",
)
LEDGER_TITLE = "客户台账（演示数据，全部为虚构信息）"

_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@dataclass(frozen=True)
class DemoRow:
    """One synthetic client row with canonical values."""

    name: str
    uscc: str
    address: str
    legal_rep: str
    resident_id: str
    mobile: str
    bank: str
    account: str

    def cells(self) -> tuple[str, ...]:
        """Return the values in the order of ``CLEAN_LEDGER_HEADERS``."""
        return (
            self.name,
            self.uscc,
            self.address,
            self.legal_rep,
            self.resident_id,
            self.mobile,
            self.bank,
            self.account,
        )


def demo_rows(count: int, synthetic: SyntheticData) -> list[DemoRow]:
    """Return ``count`` clean synthetic clients with unique names and credit codes.

    Numbers whose digits after the 15th are all 0 are drawn again: the import
    refuses that shape as Excel damage, although a genuine number can have it.
    """
    rows: list[DemoRow] = []
    names: set[str] = set()
    while len(rows) < count:
        name = synthetic.company_name()
        if name in names:
            name = f"{name}（{len(rows) + 1}）"
        names.add(name)
        is_card = synthetic.random.random() < 0.3
        resident_id = _drawn(synthetic.resident_id)
        account = _drawn(synthetic.bank_card if is_card else synthetic.corporate_account)
        rows.append(
            DemoRow(
                name=name,
                uscc=synthetic.uscc(),
                address=synthetic.address(),
                legal_rep=synthetic.person_name(),
                resident_id=resident_id,
                mobile=synthetic.mobile(),
                bank=synthetic.bank_name(),
                account=account,
            )
        )
    return rows


def _drawn(generate: Callable[[], str]) -> str:
    value = generate()
    while is_excel_truncated(value):
        value = generate()
    return value


def clean_ledger_csv(rows: list[DemoRow]) -> bytes:
    """Return the rows as a clean UTF-8 CSV ledger (how ``shoumi demo`` creates its clients)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CLEAN_LEDGER_HEADERS)
    writer.writerows(row.cells() for row in rows)
    return buffer.getvalue().encode("utf-8")


def _messy_id(value: str, rng: random.Random) -> str | int | float:
    roll = rng.random()
    if roll < 0.06:
        return value.lower() if value.endswith("X") else f" {value} "
    if roll < 0.12:
        return f"{value[:6]} {value[6:14]} {value[14:]}"
    if roll < 0.16:
        return value.translate(_FULL_WIDTH)
    if roll < 0.20:
        return "'" + value
    if roll < 0.23:
        # Excel stored the number as a float and kept 15 significant digits.
        return float(value[:15] + "000")
    if roll < 0.25:
        wrong = str((int(value[16]) + 1) % 10)
        return value[:16] + wrong + value[17]
    if roll < 0.28:
        # A legacy 15-digit number: drop the century and the check character.
        return value[:6] + value[8:17]
    return value


def _messy_account(value: str, rng: random.Random) -> str | float:
    roll = rng.random()
    if roll < 0.05 and value.startswith("62"):
        last = str((int(value[-1]) + 1) % 10)
        return value[:-1] + last
    if roll < 0.07 and len(value) > 15:
        return float(value)
    if roll < 0.12:
        return " ".join(value[index : index + 4] for index in range(0, len(value), 4))
    return value


def _messy_uscc(value: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.04:
        return value.lower()
    if roll < 0.06:
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        return value[:17] + alphabet[(alphabet.index(value[17]) + 1) % len(alphabet)]
    return value


def _messy_mobile(value: str, rng: random.Random) -> str | int:
    roll = rng.random()
    if roll < 0.05:
        return f"+86 {value[:3]} {value[3:7]} {value[7:]}"
    if roll < 0.08:
        return int(value)
    return value


def write_demo_ledger(rows: list[DemoRow], synthetic: SyntheticData) -> bytes:
    """Return a sample .xlsx ledger of ``rows`` with a realistic share of messy cells."""
    rng = synthetic.random
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = "客户台账"
    worksheet.append([LEDGER_TITLE])
    worksheet.append(list(LEDGER_HEADERS))

    written: list[DemoRow] = []
    for index, row in enumerate(rows, start=1):
        if written and rng.random() < 0.03:
            worksheet.append(_repeated_row(index, rng.choice(written)))
            continue
        written.append(row)
        worksheet.append(_messy_row(index, row, rng))

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _repeated_row(index: int, row: DemoRow) -> list[object]:
    """Return a client entered a second time, with another spelling of the ID number."""
    return [
        index,
        row.name,
        row.uscc,
        row.address,
        "存续",
        row.legal_rep,
        row.resident_id.lower() + " ",
        row.mobile,
        row.bank,
        row.account,
        "重复录入",
    ]


def _messy_row(index: int, row: DemoRow, rng: random.Random) -> list[object]:
    return [
        index,
        row.name,
        _messy_uscc(row.uscc, rng),
        row.address,
        rng.choice(("存续", "存续", "存续", "在业", "注销", "")),
        row.legal_rep,
        _messy_id(row.resident_id, rng),
        _messy_mobile(row.mobile, rng),
        row.bank,
        _messy_account(row.account, rng),
        "",
    ]
