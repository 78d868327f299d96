"""Mapping of ledger columns to client fields.

Headers are matched after normalisation (NFKC, whitespace and required-field
markers removed, a bracketed note such as "（必填）" dropped) against the
names agencies commonly use. An explicit mapping (``表头=字段``) wins over the
built-in names; the field may be given by its code (``resident_id``), its
Chinese label or any of its usual header names. A header that matches no
field is reported, never dropped silently.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumi.clients.imports.errors import ColumnMappingError, LedgerFileError

# The header row is looked for among this many rows at the top of the sheet,
# because ledgers often start with a title line or two.
HEADER_SEARCH_ROWS = 10


class ImportField(StrEnum):
    NAME = "name"
    USCC = "uscc"
    REGISTERED_ADDRESS = "registered_address"
    STATUS = "status"
    LEGAL_REP_NAME = "legal_rep_name"
    RESIDENT_ID = "resident_id"
    MOBILE = "mobile"
    BANK_NAME = "bank_name"
    ACCOUNT_NUMBER = "account_number"
    CARD_NUMBER = "card_number"
    CORPORATE_ACCOUNT_NUMBER = "corporate_account_number"
    IGNORE = "ignore"


FIELD_LABELS = {
    ImportField.NAME: gettext_lazy("Company name"),
    ImportField.USCC: gettext_lazy("Unified social credit code"),
    ImportField.REGISTERED_ADDRESS: gettext_lazy("Registered address"),
    ImportField.STATUS: gettext_lazy("Status"),
    ImportField.LEGAL_REP_NAME: gettext_lazy("Legal representative"),
    ImportField.RESIDENT_ID: gettext_lazy("ID number"),
    ImportField.MOBILE: gettext_lazy("Mobile"),
    ImportField.BANK_NAME: gettext_lazy("Bank"),
    ImportField.ACCOUNT_NUMBER: gettext_lazy("Account number"),
    ImportField.CARD_NUMBER: gettext_lazy("Bank card number"),
    ImportField.CORPORATE_ACCOUNT_NUMBER: gettext_lazy("Corporate account number"),
    ImportField.IGNORE: gettext_lazy("Not imported"),
}

# Header names in common use, after normalisation. A generic account column
# (银行账号, 账号) contains cards and corporate accounts alike (see infer_account_kind).
HEADER_ALIASES: dict[ImportField, tuple[str, ...]] = {
    ImportField.NAME: (
        "企业名称",
        "公司名称",
        "客户名称",
        "单位名称",
        "企业全称",
        "名称",
        "纳税人名称",
        "客户",
    ),
    ImportField.USCC: (
        "统一社会信用代码",
        "社会信用代码",
        "信用代码",
        "统一代码",
        "税号",
        "纳税人识别号",
    ),
    ImportField.REGISTERED_ADDRESS: ("注册地址", "地址", "住所", "企业地址", "公司地址"),
    ImportField.STATUS: ("经营状态", "登记状态", "企业状态", "状态"),
    ImportField.LEGAL_REP_NAME: (
        "法定代表人",
        "法人",
        "法人代表",
        "法定代表人姓名",
        "法人姓名",
        "负责人",
        "姓名",
    ),
    ImportField.RESIDENT_ID: (
        "身份证号",
        "身份证号码",
        "身份证",
        "证件号码",
        "证件号",
        "法人身份证号",
        "法人身份证号码",
        "法定代表人身份证号",
        "法定代表人身份证号码",
        "法定代表人证件号码",
    ),
    ImportField.MOBILE: (
        "手机",
        "手机号",
        "手机号码",
        "联系电话",
        "电话",
        "联系方式",
        "法人手机",
        "法人手机号",
        "法人电话",
        "法定代表人手机",
    ),
    ImportField.BANK_NAME: ("开户行", "开户银行", "开户行名称", "银行", "基本户开户行"),
    ImportField.ACCOUNT_NUMBER: ("银行账号", "账号", "开户账号", "银行账户", "账户"),
    ImportField.CARD_NUMBER: ("银行卡号", "卡号"),
    ImportField.CORPORATE_ACCOUNT_NUMBER: ("对公账号", "对公账户", "基本户账号", "基本账户账号"),
    ImportField.IGNORE: (),
}

# Fields that hold the same kind of value; one ledger may use only one of them.
ACCOUNT_FIELDS = frozenset(
    {ImportField.ACCOUNT_NUMBER, ImportField.CARD_NUMBER, ImportField.CORPORATE_ACCOUNT_NUMBER}
)

_BRACKETED_NOTE = re.compile(r"[(\[【（][^)\]】）]*[)\]】）]$")
_MARKERS = "*＊:："


def normalise_header(text: object) -> str:
    """Return a header cell as compared with the known names."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text))
    compact = "".join(folded.split()).strip(_MARKERS)
    return compact.lower()


def _without_note(header: str) -> str:
    return _BRACKETED_NOTE.sub("", header).strip(_MARKERS)


_ALIAS_TO_FIELD: dict[str, ImportField] = {
    normalise_header(alias): import_field
    for import_field, aliases in HEADER_ALIASES.items()
    for alias in aliases
}


def field_for_name(text: str) -> ImportField | None:
    """Return the field that a field code, Chinese label or usual header name stands for."""
    name = normalise_header(text)
    if not name:
        return None
    for import_field in ImportField:
        if name in (import_field.value, normalise_header(FIELD_LABELS[import_field])):
            return import_field
    return _ALIAS_TO_FIELD.get(name) or _ALIAS_TO_FIELD.get(_without_note(name))


def parse_mapping(entries: Iterable[str]) -> dict[str, ImportField]:
    """Parse ``表头=字段`` entries into {normalised header: field}.

    Raises ColumnMappingError naming the entry that is malformed or whose
    field is unknown.
    """
    mapping: dict[str, ImportField] = {}
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        header, separator, target = text.partition("=")
        if not separator:
            header, separator, target = text.partition("＝")
        if not separator or not header.strip() or not target.strip():
            raise ColumnMappingError(
                _("The column mapping %(entry)s is not of the form header=field.") % {"entry": text}
            )
        import_field = field_for_name(target)
        if import_field is None:
            raise ColumnMappingError(
                _("The column mapping %(entry)s names an unknown field. Known fields: %(fields)s.")
                % {"entry": text, "fields": ", ".join(choice.value for choice in ImportField)}
            )
        mapping[normalise_header(header)] = import_field
    return mapping


@dataclass
class ColumnMap:
    """The column index of each field, and the headers that are not imported."""

    header_row_number: int
    headers: list[str]
    columns: dict[ImportField, int] = field(default_factory=dict)
    unknown_headers: list[str] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)

    def header_of(self, import_field: ImportField) -> str:
        return self.headers[self.columns[import_field]]

    def has(self, import_field: ImportField) -> bool:
        return import_field in self.columns


def _resolve(header: str, explicit: dict[str, ImportField]) -> ImportField | None:
    name = normalise_header(header)
    if not name:
        return None
    return explicit.get(name) or field_for_name(name)


def locate_header(rows: Sequence[Sequence[object]], explicit: dict[str, ImportField]) -> int:
    """Return the index of the header row: the first near the top naming two known fields.

    Falls back to the first non-empty row, so that a file with unusual
    headers is reported with its own headers rather than as empty.
    """
    first_filled = None
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [cell for cell in row if normalise_header(cell)]
        if not cells:
            continue
        if first_filled is None:
            first_filled = index
        if sum(_resolve(str(cell), explicit) is not None for cell in cells) >= 2:
            return index
    if first_filled is None:
        raise LedgerFileError(_("The file contains no rows."), code="file_empty")
    return first_filled


def map_columns(
    header_cells: Sequence[object], header_row_number: int, explicit: dict[str, ImportField]
) -> ColumnMap:
    """Assign every header to a field.

    Raises ColumnMappingError when an explicitly mapped header is missing,
    when two columns map to the same field, or when no column contains the
    company name.
    """
    headers = ["" if cell is None else str(cell).strip() for cell in header_cells]
    column_map = ColumnMap(header_row_number=header_row_number, headers=headers)
    present = {normalise_header(header) for header in headers}
    missing = [header for header in explicit if header not in present]
    if missing:
        raise ColumnMappingError(
            _("The column mapping names headers that are not in the file: %(headers)s.")
            % {"headers": "、".join(missing)}
        )

    for index, header in enumerate(headers):
        import_field = _resolve(header, explicit)
        if import_field is None:
            if header:
                column_map.unknown_headers.append(header)
            continue
        if import_field == ImportField.IGNORE:
            column_map.ignored_headers.append(header)
            continue
        if import_field in column_map.columns:
            raise ColumnMappingError(
                _(
                    "The columns %(first)s and %(second)s both hold %(field)s. Map one of them "
                    "to another field or to ignore."
                )
                % {
                    "first": headers[column_map.columns[import_field]],
                    "second": header,
                    "field": FIELD_LABELS[import_field],
                }
            )
        column_map.columns[import_field] = index

    account_columns = sorted(ACCOUNT_FIELDS & set(column_map.columns))
    if len(account_columns) > 1:
        raise ColumnMappingError(
            _(
                "The file has more than one account-number column (%(headers)s). "
                "Map all but one of them to ignore and import them one at a time."
            )
            % {"headers": "、".join(column_map.header_of(name) for name in account_columns)}
        )
    if ImportField.NAME not in column_map.columns:
        raise ColumnMappingError(
            _(
                "No column holds the company name. Name it 企业名称 or 公司名称, or map it "
                "explicitly, for example 客户全称=name."
            ),
            code="name_column_missing",
        )
    return column_map
