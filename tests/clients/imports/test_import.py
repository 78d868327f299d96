"""Importing ledgers: the ledger and identifier cases, modes, duplicates and the audit."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.utils import translation

from shoumi import crypto
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action, Result
from shoumi.audit.models import AuditEvent
from shoumi.clients import selectors, services
from shoumi.clients.imports.readers import Encoding
from shoumi.clients.imports.reports import render_csv, render_xlsx
from shoumi.clients.imports.rows import RowStatus
from shoumi.clients.imports.services import ImportOptions, ledger_import
from shoumi.clients.models import (
    AccountKind,
    BankAccount,
    Client,
    ClientStatus,
    Person,
    ValueWarning,
)
from shoumi.clients.warnings import LEGACY_ID_IN_18_DIGIT_COLUMN
from shoumi.vault import services as vault
from shoumi.vault.models import StoredKey
from shoumi.vault.runtime import BLIND_INDEX_NEXT, get_vault, reset_vault
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_bank_account, make_client, make_person, synthetic
from tests.clients.imports.ledgers import csv_bytes, run_import, statuses, xls_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

RESIDENT_ID = "33010619880315019X"
USCC = "91310115MA1K2R0080"


def _row(name: str = "甲公司", uscc: str = USCC, **values: object) -> list[object]:
    return [
        name,
        uscc,
        values.get("legal_rep", "王小明"),
        values.get("resident_id", RESIDENT_ID),
        values.get("mobile", "13800138000"),
        values.get("bank", "中国银行"),
        values.get("account", "6217001234567890122"),
    ]


def _database_text() -> str:
    tables = [Client, Person, BankAccount, ValueWarning, AuditEvent]
    lines = []
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608
            lines.extend(" ".join(str(value) for value in row) for row in cursor.fetchall())
    return "\n".join(lines)


# Case L1: CSV encodings -------------------------------------------------------------


def test_bom_csv_imports_the_id_column() -> None:
    """Case L1.1 with a company column: the BOM does not hide the first header."""
    data = (
        b"\xef\xbb\xbf" + "身份证号,姓名,企业名称\r\n320106197809230418,王小明,甲公司\r\n".encode()
    )

    result = run_import(data)

    assert result.is_written
    assert result.encoding == Encoding.UTF_8_BOM
    person = Person.objects.get()
    assert str(person.resident_id) == "320***********0418"
    assert ("文件编码", "UTF-8 (BOM)") in result.report.summary


def test_bom_csv_without_company_column_names_the_problem() -> None:
    """Case L1.1 exactly: decoded, ID column found, the missing company column reported."""
    data = b"\xef\xbb\xbf" + "身份证号,姓名\r\n320106197809230418,王小明\r\n".encode()

    result = run_import(data)

    assert not result.is_written
    assert result.encoding == Encoding.UTF_8_BOM
    assert "没有找到企业名称列" in result.error
    assert Person.objects.count() == 0


def test_gb18030_csv_keeps_the_rare_character() -> None:
    """Case L1.2: the legal representative 刘䶮 survives GB18030 decoding and sealing."""
    data = csv_bytes([_row(legal_rep="刘䶮")], encoding="gb18030")

    result = run_import(data)

    assert result.encoding == Encoding.GB18030
    person = Person.objects.get()
    assert vault.open_for_reveal(record=person, field_name="name") == "刘䶮"


def test_utf8_csv_is_read_as_utf8() -> None:
    """Case L1.3."""
    result = run_import(csv_bytes([_row()]))

    assert result.encoding == Encoding.UTF_8
    assert Client.objects.get().name == "甲公司"


def test_garbled_csv_is_rejected_and_nothing_imported() -> None:
    data = csv_bytes([_row(legal_rep="王\ue000明")], encoding="utf-8")

    result = run_import(data)

    assert not result.is_written
    assert "乱码" in result.error
    assert Client.objects.count() == 0


# Case L2 and I1: spellings of one ID number ----------------------------------------------


def test_three_spellings_are_one_client_and_two_duplicates() -> None:
    """Case I1: x, spaces and full-width characters are the same person."""
    rows = [
        _row(resident_id="33010619880315019x"),
        _row(resident_id=" 33010619880315019X "),
        _row(resident_id="３３０１０６１９８８０３１５０１９Ｘ"),
    ]

    result = run_import(csv_bytes(rows))

    assert statuses(result) == [RowStatus.NEW_CLIENT, RowStatus.DUPLICATE, RowStatus.DUPLICATE]
    assert Client.objects.count() == 1
    assert Person.objects.count() == 1
    administrator = UserFactory(roles=[Role.ADMINISTRATOR])
    found = selectors.client_list(
        user=administrator, filters=selectors.ClientFilters(query=RESIDENT_ID)
    ).clients
    assert list(found) == [Client.objects.get()]


def test_lower_case_x_row_is_a_duplicate_of_stored_person() -> None:
    """Case L2: a client exists with 33010619880315019X; the import sees the same person."""
    client = make_client(name="甲公司")
    client.uscc = USCC
    client.save()
    make_person(client, resident_id=RESIDENT_ID, name="王小明")
    make_bank_account(client, number="6217001234567890122")

    result = run_import(csv_bytes([_row(resident_id="33010619880315019x")]))

    assert statuses(result) == [RowStatus.DUPLICATE]
    assert Person.objects.count() == 1
    assert RESIDENT_ID not in _database_text()


def test_same_person_at_another_client_is_added() -> None:
    rows = [_row(), _row(name="乙公司", uscc="", account="6222029876543214")]

    result = run_import(csv_bytes(rows))

    assert statuses(result) == [RowStatus.NEW_CLIENT, RowStatus.NEW_CLIENT]
    assert Person.objects.count() == 2


def test_reimporting_the_same_file_creates_nothing() -> None:
    data = csv_bytes([_row(), _row(name="乙公司", uscc="", resident_id="320106197809230418")])
    run_import(data)
    counts = (Client.objects.count(), Person.objects.count(), BankAccount.objects.count())

    again = run_import(data)

    assert statuses(again) == [RowStatus.DUPLICATE, RowStatus.DUPLICATE]
    assert (Client.objects.count(), Person.objects.count(), BankAccount.objects.count()) == counts


def test_new_account_for_stored_client_is_added() -> None:
    run_import(csv_bytes([_row()]))

    result = run_import(csv_bytes([_row(account="6222029876543214")]))

    assert statuses(result) == [RowStatus.ADDED]
    assert BankAccount.objects.count() == 2
    assert Person.objects.count() == 1


def test_same_credit_code_with_other_name_is_rejected() -> None:
    result = run_import(csv_bytes([_row(), _row(name="乙公司")]), is_only_valid=True)

    assert statuses(result) == [RowStatus.NEW_CLIENT, RowStatus.REJECTED]
    assert result.report.rows[1][-1] == "企业名称：第 2 行的信用代码相同，但企业名称不同。"


# Case L4 and warned values ----------------------------------------------------------------


def test_card_failing_luhn_is_imported_with_a_warning() -> None:
    """Case L4: a 16-digit card failing Luhn is imported, masked, and flagged."""
    headers = ("企业名称", "开户行", "银行卡号")
    data = csv_bytes([["甲公司", "中国农业银行", "6220229876543214"]], headers=headers)

    with translation.override("zh-hans"):
        result = run_import(data)

    account = BankAccount.objects.get()
    assert account.account_kind == AccountKind.CARD
    assert str(account.account_number) == "622022******3214"
    assert "6220229876543214" not in _database_text()
    warning = ValueWarning.objects.get()
    assert warning.field == "account_number"
    assert warning.warning_codes == ["luhn_failed"]
    assert warning.record_id == account.pk
    assert result.report.rows[0][-2] == "银行卡号：未通过 Luhn 校验：请向客户核实"


def test_generic_account_column_reads_unionpay_numbers_as_cards() -> None:
    rows = [
        _row(account="6220229876543214"),
        _row(name="乙公司", uscc="", resident_id="320106197809230418", account="1234567890123"),
    ]

    run_import(csv_bytes(rows))

    kinds = dict(BankAccount.objects.values_list("client__name", "account_kind"))
    assert kinds == {"甲公司": AccountKind.CARD, "乙公司": AccountKind.CORPORATE}


def test_uscc_check_mismatch_is_imported_for_review() -> None:
    result = run_import(csv_bytes([_row(uscc="91350100M000100Y44")]))

    assert statuses(result) == [RowStatus.NEW_CLIENT]
    warning = ValueWarning.objects.get()
    assert warning.field == "uscc"
    assert warning.warning_codes == ["check_character_mismatch"]
    assert warning.record_type == "clients.client"


def test_15_digit_id_among_18_digit_ones_is_flagged() -> None:
    """Case I3: 320106201008080 is legacy (born 1920) or the start of 320106201008080818."""
    rows = [
        _row(),
        _row(name="乙公司", uscc="", resident_id="320106201008080", account="", bank=""),
    ]

    with translation.override("zh-hans"):
        result = run_import(csv_bytes(rows))

    assert statuses(result) == [RowStatus.NEW_CLIENT, RowStatus.NEW_CLIENT]
    warning = ValueWarning.objects.get(field="resident_id")
    assert warning.warning_codes == [
        "converted_from_15_or_truncated_18",
        LEGACY_ID_IN_18_DIGIT_COLUMN,
    ]
    assert "15位" in result.report.rows[1][-2]


def test_unambiguous_15_digit_id_is_flagged_only_among_18_digit_ones() -> None:
    """320106780923041 cannot be a cut 18-digit number (year 7809), but the column decides."""
    legacy = _row(name="乙公司", uscc="", resident_id="320106780923041", account="", bank="")
    mixed = run_import(csv_bytes([_row(), legacy]))
    assert list(ValueWarning.objects.values_list("warning_codes", flat=True)) == [
        [LEGACY_ID_IN_18_DIGIT_COLUMN]
    ]
    Client.objects.all().delete()
    ValueWarning.objects.all().delete()

    alone = run_import(csv_bytes([legacy]))

    assert mixed.is_written
    assert alone.is_written
    assert ValueWarning.objects.count() == 0
    person = Person.objects.get()
    assert str(person.resident_id) == "320***********0418"


# Excel damage --------------------------------------------------------------------------


def test_numbers_excel_damaged_in_xlsx_are_rejected() -> None:
    rows = [
        _row(resident_id=330106198803150000),
        _row(name="乙公司", uscc="", resident_id=3.3010619880315e17),
        _row(name="丙公司", uscc="", resident_id="320106197809230418", mobile=13800138000),
    ]

    with translation.override("zh-hans"):
        result = run_import(xlsx_bytes(rows), suffix=".xlsx", is_only_valid=True)

    assert statuses(result) == [RowStatus.REJECTED, RowStatus.REJECTED, RowStatus.NEW_CLIENT]
    problems = [row[-1] for row in result.report.rows]
    assert "科学计数法" in problems[0] or "截断" in problems[0]
    assert "科学计数法" in problems[1]
    assert problems[2] == ""
    assert str(Person.objects.get().mobile) == "138****8000"


def test_scientific_notation_text_in_csv_is_rejected() -> None:
    with translation.override("zh-hans"):
        result = run_import(csv_bytes([_row(resident_id="3.30106E+17")]))

    assert statuses(result) == [RowStatus.REJECTED]
    assert "身份证号：" in result.report.rows[0][-1]
    assert "科学计数法" in result.report.rows[0][-1]


def test_xls_float_identifier_is_rejected() -> None:
    rows = [_row(resident_id=3.3010619880315e17), _row(name="乙公司", uscc="")]

    result = run_import(xls_bytes(rows), suffix=".xls", is_only_valid=True)

    assert statuses(result) == [RowStatus.REJECTED, RowStatus.NEW_CLIENT]


# Modes -----------------------------------------------------------------------------------


def test_one_rejected_row_imports_nothing_by_default() -> None:
    rows = [_row(), _row(name="乙公司", uscc="", resident_id="330106198803150191")]

    result = run_import(csv_bytes(rows))

    assert not result.is_written
    assert statuses(result) == [RowStatus.NOT_IMPORTED, RowStatus.REJECTED]
    assert Client.objects.count() == 0
    assert result.report.rows[1][-1] == "身份证号：居民身份证号码校验码不正确，请逐位核对原件。"


def test_only_valid_imports_the_valid_rows() -> None:
    rows = [_row(), _row(name="乙公司", uscc="", resident_id="330106198803150191")]

    result = run_import(csv_bytes(rows), is_only_valid=True)

    assert result.is_written
    assert statuses(result) == [RowStatus.NEW_CLIENT, RowStatus.REJECTED]
    assert list(Client.objects.values_list("name", flat=True)) == ["甲公司"]


def test_every_rejected_cell_has_its_reason() -> None:
    row = ["", "91310115MA1K2R0O80", "", "12345", "12345678901", "", "6217"]

    result = run_import(csv_bytes([row]))

    problems = result.report.rows[0][-1]
    for header in (
        "企业名称",
        "统一社会信用代码",
        "法定代表人",
        "身份证号",
        "手机",
        "开户行",
        "银行账号",
    ):
        assert f"{header}：" in problems


def test_status_words_are_mapped() -> None:
    headers = ("企业名称", "经营状态")

    result = run_import(
        csv_bytes(
            [["甲公司", "注销"], ["乙公司", "吊销，未注销"], ["丙公司", "关门"]], headers=headers
        ),
        is_only_valid=True,
    )

    assert dict(Client.objects.values_list("name", "status")) == {
        "甲公司": ClientStatus.DEREGISTERED,
        "乙公司": ClientStatus.REVOKED,
    }
    assert statuses(result)[2] == RowStatus.REJECTED


def test_explicit_mapping_imports_an_unusual_header() -> None:
    headers = ("客户全称", "法人证件", "法定代表人")

    result = run_import(
        csv_bytes([["甲公司", RESIDENT_ID, "王小明"]], headers=headers),
        mapping=["客户全称=name", "法人证件=身份证号"],
    )

    assert result.is_written
    assert str(Person.objects.get().resident_id) == "330***********019X"


def test_unknown_headers_are_reported() -> None:
    headers = ("序号", "企业名称", "备注")

    result = run_import(csv_bytes([["1", "甲公司", "老客户"]], headers=headers))

    assert ("无法识别的列（未导入）", "序号、备注") in result.report.summary


# Access -------------------------------------------------------------------------------------


def test_client_of_another_department_is_not_changed() -> None:
    clerk = UserFactory(roles=[Role.CLERK], department=DepartmentFactory(name="记账一部"))
    other = make_client(department=DepartmentFactory(name="记账二部"))
    other.uscc = USCC
    other.save()

    result = run_import(csv_bytes([_row()]), actor=clerk)

    assert statuses(result) == [RowStatus.REJECTED]
    assert "未分配给您" in result.report.rows[0][-1]
    assert Person.objects.count() == 0


def test_new_clients_go_to_the_department_and_staff() -> None:
    clerk = UserFactory(roles=[Role.CLERK])

    run_import(
        csv_bytes([_row()]),
        actor=clerk,
        department=clerk.department,
        assigned_staff=[clerk],
    )

    client = Client.objects.get()
    assert client.department == clerk.department
    assert list(client.assigned_staff.all()) == [clerk]


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.MANAGER, Role.ARCHIVIST])
def test_roles_that_cannot_edit_sensitive_fields_cannot_import(role: str) -> None:
    user = UserFactory(roles=[role])

    result = run_import(csv_bytes([_row()]), actor=user)

    assert not result.is_written
    assert result.error == "您的角色不能导入客户数据。"
    assert Client.objects.count() == 0
    assert AuditEvent.objects.get(action=Action.IMPORT).result == Result.FAILURE


# Audit and report -----------------------------------------------------------------------------


def test_import_writes_one_import_event_and_names_every_record() -> None:
    data = csv_bytes([_row(), _row(name="乙公司", uscc="", resident_id="320106197809230418")])

    run_import(data)

    event = AuditEvent.objects.get(action=Action.IMPORT)
    assert event.result == Result.SUCCESS
    assert event.details["sha256"] == hashlib.sha256(data).hexdigest()
    assert event.details["encoding"] == "UTF-8"
    assert event.details["rows"] == 2
    assert event.details["imported_rows"] == 2
    assert event.details["created_people"] == 2
    named = {
        record
        for batch in AuditEvent.objects.filter(action=Action.RECORD_CREATED)
        for record in batch.details["records"]
    }
    created = [
        *Client.objects.values_list("pk", flat=True),
        *Person.objects.values_list("pk", flat=True),
        *BankAccount.objects.values_list("pk", flat=True),
    ]
    assert named == {pk.hex for pk in created}


def test_imported_records_match_the_services_builders() -> None:
    run_import(csv_bytes([_row()]))

    client = Client.objects.get()
    person = Person.objects.get()
    account = BankAccount.objects.get()
    built_person = services.person_build(
        client=client, name="王小明", resident_id=RESIDENT_ID, mobile="13800138000"
    ).record
    built_account = services.bank_account_build(
        client=client,
        bank_name="中国银行",
        account_kind=AccountKind.CARD,
        account_number="6217001234567890122",
    ).record
    for column in _SIBLING_COLUMNS[Person]:
        assert getattr(person, column) == getattr(built_person, column), column
    for column in _SIBLING_COLUMNS[BankAccount]:
        assert getattr(account, column) == getattr(built_account, column), column
    assert (client.name, client.uscc, client.status) == ("甲公司", USCC, ClientStatus.ACTIVE)


_SIBLING_COLUMNS = {
    Person: [
        "role",
        "resident_id_kind",
        *(
            f"{name}{suffix}"
            for name in ("name", "resident_id", "mobile")
            for suffix in ("_mask", "_blind_index", "_blind_index_next")
        ),
    ],
    BankAccount: [
        "bank_name",
        "account_kind",
        "account_number_mask",
        "account_number_blind_index",
        "account_number_blind_index_next",
    ],
}


def test_imported_values_open_with_the_records_data_keys() -> None:
    run_import(csv_bytes([_row()]))

    person = Person.objects.get()
    account = BankAccount.objects.get()
    assert vault.open_for_reveal(record=person, field_name="name") == "王小明"
    assert vault.open_for_reveal(record=person, field_name="resident_id") == RESIDENT_ID
    assert vault.open_for_reveal(record=person, field_name="mobile") == "13800138000"
    assert vault.open_for_reveal(record=account, field_name="account_number") == (
        "6217001234567890122"
    )


def test_blind_index_rotation_started_while_checking_is_indexed() -> None:
    def start_rotation(phase: str, done: int, total: int) -> None:
        if phase == "validating" and done == total:
            _start_blind_index_rotation()

    ledger_import(
        actor=None,
        data=csv_bytes([_row()]),
        suffix=".csv",
        options=ImportOptions(),
        progress=start_rotation,
    )

    person = Person.objects.get()
    current, upcoming = vault.blind_indexes("clients.person", "resident_id", RESIDENT_ID)
    assert upcoming
    assert person.resident_id_blind_index == current
    assert person.resident_id_blind_index_next == upcoming
    account = BankAccount.objects.get()
    assert (
        account.account_number_blind_index_next
        == vault.blind_indexes("clients.bankaccount", "account_number", "6217001234567890122")[1]
    )


def _start_blind_index_rotation() -> None:
    """Store a next blind-index key, as a rotation does, and reload the vault's keys."""
    key, wrapped = crypto.BlindIndexKey.create(get_vault().keyring)
    key.destroy()
    StoredKey.objects.create(name=BLIND_INDEX_NEXT, wrapped=wrapped.to_text())
    reset_vault()


def test_refused_import_is_audited_as_failure() -> None:
    run_import(csv_bytes([_row(resident_id="1")]))

    event = AuditEvent.objects.get(action=Action.IMPORT)
    assert event.result == Result.FAILURE
    assert event.details["rejected_rows"] == 1
    assert not AuditEvent.objects.filter(action=Action.RECORD_CREATED).exists()


def test_reports_hold_no_plaintext() -> None:
    card = synthetic.bank_card()
    valid_id = synthetic.resident_id()
    rows = [
        _row(resident_id=valid_id, account=card, mobile="13912345678"),
        _row(name="乙公司", uscc="", resident_id="330106198803150191", account="62170012345"),
    ]

    result = run_import(csv_bytes(rows), is_only_valid=True)

    csv_text = render_csv(result.report).decode("utf-8-sig")
    xlsx = render_xlsx(result.report)
    for plaintext in (valid_id, card, "13912345678", "330106198803150191", "62170012345"):
        assert plaintext not in csv_text
        assert plaintext.encode() not in xlsx
    assert valid_id[:3] + "*" * 11 + valid_id[-4:] in csv_text
