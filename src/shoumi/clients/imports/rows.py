"""The validation phase: check every row and decide what each one would create.

Nothing is written here. Each cell is checked by the rules of
``shoumi.clients.services`` (the same functions the forms use), then rows
are matched against the database and against earlier rows:

* clients by credit code, or, for rows without one, by exact name among the
  clients that have no credit code;
* people by the blind index of their ID number within the client (by the
  blind index of their name when the row has no ID number);
* bank accounts by the blind index of the number within the client.

A row whose every record exists already is a duplicate. Values whose
warnings need a reviewer (a credit code's check character, a card failing
Luhn, a 15-digit ID number) are accepted and listed as pending warnings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Model
from django.utils.translation import gettext as _

from shoumi import identifiers
from shoumi.access import policy
from shoumi.accounts.models import User
from shoumi.clients import services
from shoumi.clients.errors import ClientDataInvalidError
from shoumi.clients.imports.columns import ColumnMap, ImportField
from shoumi.clients.imports.errors import LedgerFileError
from shoumi.clients.imports.readers import CellValue, Sheet, max_rows
from shoumi.clients.models import AccountKind, BankAccount, Client, ClientStatus, Person
from shoumi.clients.warnings import LEGACY_ID_IN_18_DIGIT_COLUMN
from shoumi.vault import services as vault

Progress = Callable[[str, int, int], None]

# Excel keeps 15 significant digits of a number.
EXCEL_DIGITS = 15

# Chinese words in a status column, checked in this order (吊销 before 注销,
# because "吊销，未注销" means revoked).
STATUS_WORDS: tuple[tuple[str, str], ...] = (
    ("吊销", ClientStatus.REVOKED),
    ("注销", ClientStatus.DEREGISTERED),
    ("迁出", ClientStatus.MOVED_OUT),
    ("停业", ClientStatus.SUSPENDED),
    ("歇业", ClientStatus.SUSPENDED),
    ("存续", ClientStatus.ACTIVE),
    ("在业", ClientStatus.ACTIVE),
    ("开业", ClientStatus.ACTIVE),
    ("在营", ClientStatus.ACTIVE),
    ("在册", ClientStatus.ACTIVE),
    ("正常", ClientStatus.ACTIVE),
)

# How many values go into one ``__in`` query.
QUERY_CHUNK = 500


class RowStatus(StrEnum):
    NEW_CLIENT = "new_client"
    ADDED = "added"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    NOT_IMPORTED = "not_imported"


@dataclass
class CellProblem:
    """The reason one cell was rejected."""

    field: ImportField
    header: str
    message: str


@dataclass
class ClientTarget:
    """A client that rows refer to: one in the database, or one the import creates."""

    key: str
    first_row: int
    name: str
    uscc: identifiers.Identifier | None = None
    registered_address: str = ""
    status: str = ClientStatus.ACTIVE
    existing_id: uuid.UUID | None = None
    resident_id_indexes: set[str] = field(default_factory=set)
    name_indexes: set[str] = field(default_factory=set)
    account_indexes: set[str] = field(default_factory=set)
    client: Client | None = None


@dataclass
class PersonValues:
    """The checked values of a row's person, with the blind indexes of name and ID number.

    Each ``*_index_next`` is the index under the next blind-index key while a
    rotation runs, otherwise "". The write phase stores both as they are.
    """

    name: str
    resident_id: identifiers.Identifier | None
    mobile: identifiers.Identifier | None
    resident_id_index: str = ""
    name_index: str = ""
    resident_id_index_next: str = ""
    name_index_next: str = ""


@dataclass
class AccountValues:
    """The checked values of a row's bank account, with blind indexes as in PersonValues."""

    bank_name: str
    account_kind: str
    number: identifiers.Identifier
    number_index: str = ""
    number_index_next: str = ""


@dataclass
class RowPlan:
    """The check result of one data row and the records it would create."""

    number: int
    status: RowStatus = RowStatus.REJECTED
    problems: list[CellProblem] = field(default_factory=list)
    masks: dict[ImportField, str] = field(default_factory=dict)
    company_name: str = ""
    bank_name: str = ""
    target: ClientTarget | None = None
    creates_client: bool = False
    person: PersonValues | None = None
    account: AccountValues | None = None
    # Model field -> warning codes a reviewer must confirm, for the records this row creates.
    pending: dict[str, list[str]] = field(default_factory=dict)
    # Warnings that need no confirmation, and notes such as "name differs".
    notes: list[str] = field(default_factory=list)
    # Warning codes found while parsing, per field, before matching.
    parsed_pending: dict[str, list[str]] = field(default_factory=dict)
    resident_id_length: int = 0
    converted_from_15: bool = False
    key: str = ""

    @property
    def is_rejected(self) -> bool:
        return bool(self.problems)

    @property
    def creates_person(self) -> bool:
        return self.person is not None

    @property
    def creates_account(self) -> bool:
        return self.account is not None


@dataclass
class ImportPlan:
    """The checked rows of one ledger and the clients they refer to."""

    encoding: str
    column_map: ColumnMap
    notices: list[str]
    rows: list[RowPlan]
    targets: list[ClientTarget]
    # Ids of the (current, next) blind-index keys the rows' indexes were computed with.
    index_key_ids: tuple[str, str] = ("", "")

    def count(self, status: RowStatus) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def rejected_rows(self) -> int:
        return sum(1 for row in self.rows if row.is_rejected)

    @property
    def pending_warnings(self) -> int:
        return sum(len(row.pending) for row in self.rows if row.status != RowStatus.NOT_IMPORTED)


# Cell text ------------------------------------------------------------------------


def identifier_text(value: CellValue, kind: str) -> str:
    """Return an identifier cell as text, refusing numbers that Excel has damaged.

    A number cell with up to 15 digits is exact and becomes its digits. A
    longer number, or one in scientific notation, lost digits to Excel's
    15-digit precision; a fraction or any other number is no identifier.
    Raises identifiers.InvalidIdentifier with the identifiers' Excel messages.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise identifiers.InvalidIdentifier("not_text", kind=kind)
        if abs(value) >= 10**EXCEL_DIGITS:
            raise identifiers.InvalidIdentifier("excel_scientific_notation", kind=kind)
        value = int(value)
    digits = str(abs(value))
    if len(digits) > EXCEL_DIGITS:
        code = "excel_truncated" if not digits[EXCEL_DIGITS:].strip("0") else "not_text"
        raise identifiers.InvalidIdentifier(code, kind=kind)
    return digits


def plain_text(value: CellValue) -> str:
    """Return a text cell (name, address, bank) as trimmed text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_status(text: str) -> str:
    """Map a status cell (存续, 注销, ...) to a ClientStatus; "" is active."""
    cleaned = "".join(text.split())
    if not cleaned:
        return ClientStatus.ACTIVE
    if cleaned in ClientStatus.values:
        return cleaned
    for word, status in STATUS_WORDS:
        if word in cleaned and not (word == "注销" and "未注销" in cleaned):
            return status
    raise ClientDataInvalidError(
        _("Unknown status. Use 存续, 停业, 迁出, 吊销 or 注销."),
        field="status",
        code="status_unknown",
    )


def infer_account_kind(import_field: ImportField, text: str) -> str:
    """Return the account kind of a number in a card, corporate or generic account column.

    In a generic column, 16 to 19 digits starting with the UnionPay prefix 62
    are read as a card, so that its Luhn check applies. Anything else is a
    corporate account, which has no check digit.
    """
    if import_field == ImportField.CARD_NUMBER:
        return AccountKind.CARD
    if import_field == ImportField.CORPORATE_ACCOUNT_NUMBER:
        return AccountKind.CORPORATE
    try:
        digits = identifiers.normalise(text)
    except identifiers.InvalidIdentifier:
        return AccountKind.CORPORATE
    if 16 <= len(digits) <= 19 and digits.isdigit() and digits.startswith("62"):
        return AccountKind.CARD
    return AccountKind.CORPORATE


# Checking one row -------------------------------------------------------------------


# (field, cell text) -> the identifier parsed from it; see parse_identifier_columns.
ParsedCells = dict[tuple[ImportField, str], identifiers.Identifier]

# Columns parsed for the whole sheet at once, with the kind the row check tries first.
# A person's ID that is no resident ID may still be a foreign permanent residence ID,
# which the row check then tries itself.
_PARSED_COLUMNS = (
    (ImportField.USCC, identifiers.Kind.USCC),
    (ImportField.RESIDENT_ID, identifiers.Kind.RESIDENT_ID),
    (ImportField.MOBILE, identifiers.Kind.MOBILE),
)


def parse_identifier_columns(
    column_map: ColumnMap, rows: Sequence[tuple[int, Sequence[CellValue]]]
) -> ParsedCells:
    """Parse the credit-code, ID and mobile cells of all rows with one ``parse_many`` call.

    Returns the identifiers that parsed. The row check uses them instead of parsing those
    cells again. It parses every other cell itself and reports its own message for it.
    """
    keys: list[tuple[ImportField, str]] = []
    pairs: list[tuple[identifiers.Kind, str]] = []
    for import_field, kind in _PARSED_COLUMNS:
        index = column_map.columns.get(import_field)
        if index is None:
            continue
        for _number, cells in rows:
            if index >= len(cells):
                continue
            try:
                text = identifier_text(cells[index], kind)
            except identifiers.InvalidIdentifier:
                continue
            if text.strip():
                keys.append((import_field, text))
                pairs.append((kind, text))
    return {
        key: result
        for key, result in zip(keys, identifiers.parse_many(pairs), strict=True)
        if isinstance(result, identifiers.Identifier)
    }


class _RowChecker:
    """Check the cells of one row, collecting a problem per rejected cell."""

    def __init__(
        self,
        column_map: ColumnMap,
        cells: Sequence[CellValue],
        row: RowPlan,
        parsed: ParsedCells | None = None,
    ) -> None:
        self.column_map = column_map
        self.cells = cells
        self.row = row
        self.parsed = parsed or {}

    def value(self, import_field: ImportField) -> CellValue:
        index = self.column_map.columns.get(import_field)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    def reject(self, import_field: ImportField, message: str) -> None:
        header = (
            self.column_map.header_of(import_field) if self.column_map.has(import_field) else ""
        )
        self.row.problems.append(CellProblem(import_field, header, message))

    def text(self, import_field: ImportField) -> str:
        return plain_text(self.value(import_field))

    def identifier(self, import_field: ImportField, kind: str) -> str | None:
        """Return the identifier cell's text, or None after recording its problem."""
        try:
            return identifier_text(self.value(import_field), kind)
        except identifiers.InvalidIdentifier as error:
            self.reject(import_field, str(error))
            self.row.masks[import_field] = (
                identifiers.mask(kind, str(self.value(import_field))) or ""
            )
            return None

    def parse(
        self,
        import_field: ImportField,
        kind: str,
        parse: Callable[[services.IdentifierInput], identifiers.Identifier | None],
        text: str,
    ) -> identifiers.Identifier | None:
        """Parse an identifier cell with a services parser, recording its mask or problem."""
        try:
            parsed = parse(self.parsed.get((import_field, text), text))
        except ClientDataInvalidError as error:
            self.reject(import_field, error.message)
            self.row.masks[import_field] = identifiers.mask(kind, text) or ""
            return None
        if parsed is not None:
            self.row.masks[import_field] = parsed.masked
        return parsed


def _check_model_value(
    checker: _RowChecker, import_field: ImportField, model: type, name: str, value: str
) -> None:
    try:
        services.clean_model_value(model, name, value)
    except ClientDataInvalidError as error:
        checker.reject(import_field, error.message)


def _sort_warnings(row: RowPlan, model_field: str, parsed: identifiers.Identifier) -> None:
    pending = services.warning_codes_to_confirm(parsed)
    if pending:
        row.parsed_pending[model_field] = pending
    row.notes.extend(
        warning.message for warning in parsed.warnings if not warning.requires_confirmation
    )


def check_row(
    column_map: ColumnMap,
    number: int,
    cells: Sequence[CellValue],
    parsed: ParsedCells | None = None,
) -> RowPlan:
    """Check one data row's cells; the result lists a problem for every rejected cell.

    ``parsed`` maps cells of this sheet to the identifiers already parsed from them.
    """
    row = RowPlan(number=number)
    checker = _RowChecker(column_map, cells, row, parsed)
    _check_client_cells(checker)
    _check_person_cells(checker)
    _check_account_cells(checker)
    return row


def _check_client_cells(checker: _RowChecker) -> None:
    row = checker.row
    name = checker.text(ImportField.NAME)
    row.company_name = name
    if not name:
        checker.reject(ImportField.NAME, _("The company name is missing."))
    else:
        _check_model_value(checker, ImportField.NAME, Client, "name", name)

    uscc_text = checker.identifier(ImportField.USCC, identifiers.Kind.USCC)
    uscc_value = ""
    parsed_uscc = None
    if uscc_text:
        parsed_uscc = checker.parse(
            ImportField.USCC, identifiers.Kind.USCC, services.parse_uscc_text, uscc_text
        )
        if parsed_uscc is not None:
            uscc_value = parsed_uscc.value
            _sort_warnings(row, "uscc", parsed_uscc)

    address = checker.text(ImportField.REGISTERED_ADDRESS)
    if address:
        _check_model_value(
            checker, ImportField.REGISTERED_ADDRESS, Client, "registered_address", address
        )
    status: str = ClientStatus.ACTIVE
    try:
        status = parse_status(checker.text(ImportField.STATUS))
    except ClientDataInvalidError as error:
        checker.reject(ImportField.STATUS, error.message)

    row.key = f"uscc:{uscc_value}" if uscc_value else f"name:{name}"
    row.target = ClientTarget(
        key=row.key,
        first_row=row.number,
        name=name,
        uscc=parsed_uscc,
        registered_address=address,
        status=status,
    )


def _check_person_cells(checker: _RowChecker) -> None:
    row = checker.row
    name = services.clean_person_name(checker.text(ImportField.LEGAL_REP_NAME))
    if name:
        row.masks[ImportField.LEGAL_REP_NAME] = identifiers.mask_name(name) or ""
    resident_id_text = checker.identifier(ImportField.RESIDENT_ID, identifiers.Kind.RESIDENT_ID)
    mobile_text = checker.identifier(ImportField.MOBILE, identifiers.Kind.MOBILE)
    resident_id_value = ""
    parsed_id = parsed_mobile = None

    if resident_id_text:
        parsed_id = checker.parse(
            ImportField.RESIDENT_ID,
            identifiers.Kind.RESIDENT_ID,
            services.parse_resident_id_text,
            resident_id_text,
        )
        if parsed_id is not None:
            resident_id_value = parsed_id.value
            row.resident_id_length = len(identifiers.normalise(resident_id_text))
            row.converted_from_15 = bool(getattr(parsed_id, "converted_from_15", False))
            _sort_warnings(row, "resident_id", parsed_id)
    if mobile_text:
        parsed_mobile = checker.parse(
            ImportField.MOBILE, identifiers.Kind.MOBILE, services.parse_mobile_text, mobile_text
        )

    has_person_values = bool(resident_id_text or mobile_text)
    if has_person_values and not name:
        checker.reject(ImportField.LEGAL_REP_NAME, _("The legal representative's name is missing."))
    if name or has_person_values:
        resident_id_index, resident_id_index_next = _blind_indexes(
            Person, "resident_id", resident_id_value
        )
        name_index, name_index_next = _blind_indexes(Person, "name", name)
        row.person = PersonValues(
            name=name,
            resident_id=parsed_id,
            mobile=parsed_mobile,
            resident_id_index=resident_id_index,
            name_index=name_index,
            resident_id_index_next=resident_id_index_next,
            name_index_next=name_index_next,
        )


def _check_account_cells(checker: _RowChecker) -> None:
    row = checker.row
    column_map = checker.column_map
    account_field = next(
        (
            name
            for name in (
                ImportField.ACCOUNT_NUMBER,
                ImportField.CARD_NUMBER,
                ImportField.CORPORATE_ACCOUNT_NUMBER,
            )
            if column_map.has(name)
        ),
        None,
    )
    bank_name = checker.text(ImportField.BANK_NAME)
    row.bank_name = bank_name
    number_text = (
        checker.identifier(account_field, identifiers.Kind.BANK_ACCOUNT) if account_field else ""
    )
    if account_field is None or not (number_text or bank_name):
        return
    if number_text is None:
        return
    if not number_text:
        checker.reject(account_field, _("The account number is missing."))
        return
    if not bank_name:
        checker.reject(ImportField.BANK_NAME, _("The bank is missing."))
    else:
        _check_model_value(checker, ImportField.BANK_NAME, BankAccount, "bank_name", bank_name)

    account_kind = infer_account_kind(account_field, number_text)
    mask_kind = (
        identifiers.Kind.BANK_CARD
        if account_kind == AccountKind.CARD
        else identifiers.Kind.BANK_ACCOUNT
    )
    parsed = checker.parse(
        account_field,
        mask_kind,
        lambda text: services.parse_account_number_text(text, account_kind),
        number_text,
    )
    if parsed is None:
        return
    _sort_warnings(row, "account_number", parsed)
    number_index, number_index_next = _blind_indexes(BankAccount, "account_number", parsed.value)
    row.account = AccountValues(
        bank_name=bank_name,
        account_kind=account_kind,
        number=parsed,
        number_index=number_index,
        number_index_next=number_index_next,
    )


def _blind_indexes(model: type[Model], field_name: str, canonical: str) -> tuple[str, str]:
    if not canonical:
        return ("", "")
    return vault.blind_indexes(model._meta.label_lower, field_name, canonical)


# Checking the whole sheet ---------------------------------------------------------------


def check_sheet(
    sheet: Sheet,
    column_map: ColumnMap,
    *,
    actor: User | None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Check every data row below the header and match it against the database.

    Raises LedgerFileError when the file has more data rows than the limit.
    """
    data_rows = [
        (index + 1, cells)
        for index, cells in enumerate(sheet.rows)
        if index + 1 > column_map.header_row_number and any(plain_text(cell) for cell in cells)
    ]
    if len(data_rows) > max_rows():
        raise LedgerFileError(
            _("The file has more than %(limit)d rows. Split it into several files.")
            % {"limit": max_rows()},
            code="too_many_rows",
        )

    if not data_rows:
        raise LedgerFileError(_("The file has a header row but no data rows."), code="no_data_rows")
    notices = list(sheet.notices)
    has_account_column = any(
        column_map.has(name)
        for name in (
            ImportField.ACCOUNT_NUMBER,
            ImportField.CARD_NUMBER,
            ImportField.CORPORATE_ACCOUNT_NUMBER,
        )
    )
    if column_map.has(ImportField.BANK_NAME) and not has_account_column:
        notices.append(
            _("The column %(header)s was not imported because the file has no account column.")
            % {"header": column_map.header_of(ImportField.BANK_NAME)}
        )

    index_key_ids = vault.blind_index_key_ids()
    rows: list[RowPlan] = []
    total = len(data_rows)
    parsed = parse_identifier_columns(column_map, data_rows)
    for done, (number, cells) in enumerate(data_rows, start=1):
        rows.append(check_row(column_map, number, cells, parsed))
        if progress is not None and (done % 500 == 0 or done == total):
            progress("validating", done, total)

    _flag_legacy_ids_in_long_column(rows)
    targets = _match_rows(rows, actor=actor)
    return ImportPlan(
        encoding=sheet.encoding,
        column_map=column_map,
        notices=notices,
        rows=rows,
        targets=targets,
        index_key_ids=index_key_ids,
    )


def _flag_legacy_ids_in_long_column(rows: list[RowPlan]) -> None:
    """Ask for confirmation of every 15-digit ID number in a column that has 18-character ones.

    The identifiers package upgrades a 15-digit number to 18 characters. In
    a column of 18-character numbers a 15-digit one is more likely an
    18-character number that lost its last three characters, so it is never
    upgraded silently.
    """
    if not any(row.resident_id_length == 18 for row in rows):
        return
    for row in rows:
        if row.converted_from_15:
            codes = row.parsed_pending.setdefault("resident_id", [])
            if LEGACY_ID_IN_18_DIGIT_COLUMN not in codes:
                codes.append(LEGACY_ID_IN_18_DIGIT_COLUMN)


def _match_rows(rows: list[RowPlan], *, actor: User | None) -> list[ClientTarget]:
    valid = [row for row in rows if not row.is_rejected]
    existing = _existing_clients(valid, actor=actor)
    targets: dict[str, ClientTarget] = {}

    for row in valid:
        if row.target is None:
            raise TypeError("check_row sets a target on every row")
        target = targets.get(row.key)
        if target is None:
            found = existing.get(row.key)
            if isinstance(found, str):
                row.problems.append(CellProblem(ImportField.NAME, "", found))
                continue
            target = row.target
            if found is not None:
                target.existing_id = found.existing_id
                target.resident_id_indexes = found.resident_id_indexes
                target.name_indexes = found.name_indexes
                target.account_indexes = found.account_indexes
                if found.name != target.name:
                    row.notes.append(
                        _("The stored company name differs from this row; it was not changed.")
                    )
            else:
                row.creates_client = True
            targets[row.key] = target
        elif target.name != row.target.name:
            row.problems.append(
                CellProblem(
                    ImportField.NAME,
                    "",
                    _("Row %(row)d has the same credit code with another company name.")
                    % {"row": target.first_row},
                )
            )
            continue
        row.target = target
        _match_records(row, target)
    return list(targets.values())


def _match_records(row: RowPlan, target: ClientTarget) -> None:
    """Drop the person or account of ``row`` that ``target`` already has, then set the status."""
    if row.creates_client and "uscc" in row.parsed_pending:
        row.pending["uscc"] = row.parsed_pending["uscc"]

    person = row.person
    if person is not None:
        if person.resident_id_index:
            is_known = person.resident_id_index in target.resident_id_indexes
        else:
            is_known = person.name_index in target.name_indexes
        if is_known:
            row.person = None
        else:
            if person.resident_id_index:
                target.resident_id_indexes.add(person.resident_id_index)
            target.name_indexes.add(person.name_index)
            if "resident_id" in row.parsed_pending:
                row.pending["resident_id"] = row.parsed_pending["resident_id"]

    account = row.account
    if account is not None:
        if account.number_index in target.account_indexes:
            row.account = None
        else:
            target.account_indexes.add(account.number_index)
            if "account_number" in row.parsed_pending:
                row.pending["account_number"] = row.parsed_pending["account_number"]

    if row.creates_client:
        row.status = RowStatus.NEW_CLIENT
    elif row.person is not None or row.account is not None:
        row.status = RowStatus.ADDED
    else:
        row.status = RowStatus.DUPLICATE


def _existing_clients(rows: list[RowPlan], *, actor: User | None) -> dict[str, ClientTarget | str]:
    """Return the stored clients the rows refer to, by row key.

    A key maps to a message instead when the stored client may not be
    changed by ``actor`` or when the name matches several clients.
    """
    uscc_values = sorted({row.key[5:] for row in rows if row.key.startswith("uscc:")})
    names = sorted({row.key[5:] for row in rows if row.key.startswith("name:")})
    found: dict[str, list[tuple[uuid.UUID, str]]] = {}
    for chunk in _chunks(uscc_values):
        for pk, name, uscc in Client.objects.filter(uscc__in=chunk).values_list(
            "pk", "name", "uscc"
        ):
            found.setdefault(f"uscc:{uscc}", []).append((pk, name))
    for chunk in _chunks(names):
        for pk, name in Client.objects.filter(uscc="", name__in=chunk).values_list("pk", "name"):
            found.setdefault(f"name:{name}", []).append((pk, name))

    all_ids = [pk for matches in found.values() for pk, _name in matches]
    editable = set(all_ids) if actor is None else policy.editable_client_ids(actor, all_ids)
    result: dict[str, ClientTarget | str] = {}
    targets_by_id: dict[uuid.UUID, ClientTarget] = {}
    for key, matches in found.items():
        if len(matches) > 1:
            result[key] = _(
                "Several clients without a credit code have this name. Add the credit code."
            )
            continue
        pk, name = matches[0]
        if pk not in editable:
            result[key] = _(
                "A client with this credit code exists but is not assigned to you or your "
                "department."
            )
            continue
        target = ClientTarget(key=key, first_row=0, name=name, existing_id=pk)
        result[key] = target
        targets_by_id[pk] = target
    _load_existing_records(targets_by_id)
    return result


def _load_existing_records(targets_by_id: dict[uuid.UUID, ClientTarget]) -> None:
    for chunk in _chunks(sorted(targets_by_id, key=str)):
        people = Person.objects.filter(client_id__in=chunk).values_list(
            "client_id", "resident_id_blind_index", "name_blind_index"
        )
        for client_id, resident_id_index, name_index in people:
            target = targets_by_id[client_id]
            if resident_id_index:
                target.resident_id_indexes.add(resident_id_index)
            target.name_indexes.add(name_index)
        accounts = BankAccount.objects.filter(client_id__in=chunk).values_list(
            "client_id", "account_number_blind_index"
        )
        for client_id, number_index in accounts:
            targets_by_id[client_id].account_indexes.add(number_index)


def _chunks(values: list) -> list[list]:
    return [values[start : start + QUERY_CHUNK] for start in range(0, len(values), QUERY_CHUNK)]
