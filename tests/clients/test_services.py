"""Client services: validation, warnings, duplicates and the audit of every change."""

from __future__ import annotations

import pytest
from django.db import connection

from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.clients import services
from shoumi.clients.errors import (
    ClientDataInvalidError,
    DuplicateRecordError,
    EditDeniedError,
    WarningsNeedConfirmationError,
)
from shoumi.clients.models import AccountKind, BankAccount, Person
from shoumi.vault.models import SealedUpdateError
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_bank_account, make_client, make_person

pytestmark = pytest.mark.django_db


def _text(value: object) -> str:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _audit_storage_text() -> str:
    """Return every column of every audit table as text, canonical encodings decoded."""
    tables = ["audit_auditevent", "audit_subtreehash", "audit_signedcheckpoint"]
    lines = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            lines += [" ".join(_text(value) for value in row) for row in cursor.fetchall()]
    return "\n".join(lines)


def test_bulk_and_single_changes_are_audited_with_masks_only() -> None:
    """Case A1: three bulk-changed cards and one edited ID, audited without plaintext."""
    actor = UserFactory(roles=[Role.ADMINISTRATOR])
    accounts = [
        make_bank_account(make_client(staff=[actor]), number="6217000000123456786")
        for _ in range(3)
    ]
    person = make_person(accounts[0].client, resident_id="320106197809230418")
    first_seq = AuditEvent.objects.count()

    services.bank_account_bulk_change_number(
        actor=actor, accounts=accounts, account_number="6217000000654321094"
    )
    services.person_save(
        actor=actor,
        client=person.client,
        person=person,
        role=person.role,
        resident_id="33010619880315019X",
    )

    card_events = AuditEvent.objects.filter(
        seq__gte=first_seq, action=Action.RECORD_UPDATED, object_type="clients.bankaccount"
    )
    assert sorted(card_events.values_list("object_id", flat=True)) == sorted(
        str(a.pk) for a in accounts
    )
    for event in card_events:
        assert event.actor_id == actor.pk
        assert event.occurred_at is not None
        assert event.details["fields"] == ["account_number"]
        assert event.details["account_number_change"] == "621700*********6786 → 621700*********1094"
    id_event = AuditEvent.objects.get(
        seq__gte=first_seq, action=Action.RECORD_UPDATED, object_type="clients.person"
    )
    assert id_event.details["resident_id_change"] == "320***********0418 → 330***********019X"
    storage = _audit_storage_text()
    for plaintext in (
        "6217000000123456786",
        "6217000000654321094",
        "320106197809230418",
        "33010619880315019X",
    ):
        assert plaintext not in storage


def test_queryset_update_cannot_bypass_the_audit() -> None:
    account = make_bank_account(make_client())

    with pytest.raises(SealedUpdateError):
        BankAccount.objects.filter(pk=account.pk).update(account_number=None)


def test_card_failing_luhn_needs_confirmation_then_is_kept() -> None:
    """Case L4: some genuine debit cards fail Luhn; they are kept after confirmation."""
    client = make_client()

    with pytest.raises(WarningsNeedConfirmationError) as raised:
        services.bank_account_save(
            actor=None,
            client=client,
            bank_name="中国银行",
            account_kind=AccountKind.CARD,
            account_number="6217001234567890123",
        )
    account = services.bank_account_save(
        actor=None,
        client=client,
        bank_name="中国银行",
        account_kind=AccountKind.CARD,
        account_number="6217001234567890123",
        confirmation=services.Confirmation(reason="客户出示了银行卡原件"),
    )

    assert "Luhn" in raised.value.message
    assert str(account.account_number) == "621700*********0123"
    event = AuditEvent.objects.filter(object_id=str(account.pk)).get()
    assert event.details["confirmation_reason"] == "客户出示了银行卡原件"


def test_corporate_account_has_no_luhn_check() -> None:
    account = services.bank_account_save(
        actor=None,
        client=make_client(),
        bank_name="中国工商银行",
        account_kind=AccountKind.CORPORATE,
        account_number="1234 5678 9012 345",
    )

    assert str(account.account_number).endswith("2345")


def test_uscc_check_mismatch_needs_confirmation() -> None:
    with pytest.raises(WarningsNeedConfirmationError):
        services.client_create(actor=None, name="旧码企业", uscc="91350100M000100Y44")

    client = services.client_create(
        actor=None,
        name="旧码企业",
        uscc="91350100M000100Y44",
        confirmation=services.Confirmation(reason="与营业执照核对一致"),
    )
    assert client.uscc == "91350100M000100Y44"


def test_lower_case_uscc_is_stored_canonical() -> None:
    client = services.client_create(actor=None, name="示例企业", uscc="91310115ma1k2r0080")

    assert client.uscc == "91310115MA1K2R0080"


def test_duplicate_uscc_is_refused() -> None:
    services.client_create(actor=None, name="甲", uscc="91310115MA1K2R0080")

    with pytest.raises(DuplicateRecordError):
        services.client_create(actor=None, name="乙", uscc="91310115ma1k2r0080")


@pytest.mark.parametrize(
    ("field", "value", "expected_code"),
    [
        ("resident_id", "440305199902291232", "invalid_birth_date"),
        ("resident_id", "1.10105E+17", "excel_scientific_notation"),
        ("resident_id", "110105194912310000", "excel_truncated"),
        ("mobile", "15412345678", "unallocated_mobile_prefix"),
    ],
)
def test_invalid_values_are_refused_with_chinese_message(
    field: str, value: str, expected_code: str
) -> None:
    client = make_client()

    with pytest.raises(ClientDataInvalidError) as raised:
        services.person_save(actor=None, client=client, name="张三", **{field: value})

    assert raised.value.field == field
    assert raised.value.code == expected_code
    assert any("\u4e00" <= character <= "\u9fff" for character in raised.value.message)
    assert not Person.objects.exists()


def test_same_person_in_three_spellings_is_a_duplicate() -> None:
    """Case I1: lower-case x, spaces and full-width digits are one person."""
    client = make_client()
    make_person(client, resident_id="33010619880315019x")

    for spelling in (" 33010619880315019X ", "３３０１０６１９８８０３１５０１９Ｘ"):
        with pytest.raises(DuplicateRecordError):
            services.person_save(actor=None, client=client, name="李四", resident_id=spelling)

    assert Person.objects.count() == 1


def test_clerk_of_another_department_cannot_edit() -> None:
    client = make_client(department=DepartmentFactory(name="记账一部"))
    outsider = UserFactory(roles=[Role.CLERK], department=DepartmentFactory(name="记账二部"))

    with pytest.raises(EditDeniedError):
        services.person_save(
            actor=outsider, client=client, name="王五", resident_id="33010619880315019X"
        )


def test_audit_admin_cannot_edit_client_data() -> None:
    client = make_client()
    auditor = UserFactory(roles=[Role.AUDIT_ADMIN])
    client.assigned_staff.add(auditor)

    with pytest.raises(EditDeniedError):
        services.client_update(actor=auditor, client=client, name="改名")


def test_delegated_tax_login_keeps_no_password() -> None:
    staff = UserFactory(roles=[Role.CLERK])
    login = services.tax_login_save(
        actor=None, client=make_client(), method="delegated", delegated_staff=staff
    )

    assert login.password.is_empty
    assert login.username.is_empty


def test_stored_tax_password_is_sealed_and_masked() -> None:
    login = services.tax_login_save(
        actor=None,
        client=make_client(),
        method="stored",
        username="91310115MA1K2R0080",
        password="Tax#Pass-2026",
    )

    assert str(login.password) == "******"
    assert "Tax#Pass-2026" not in _audit_storage_text()
