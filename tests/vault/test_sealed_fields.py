"""Sealed fields: masks everywhere, ciphertext bound to its row, no plaintext stored."""

from __future__ import annotations

import json

import pytest
from django.core import serializers
from django.core.exceptions import FieldError
from django.db import connection
from django.template import Context, Template

from shoumi import crypto
from shoumi.clients.models import BankAccount, Person
from shoumi.vault import services as vault
from shoumi.vault.fields import PlaintextInSealedFieldError, SealedValue
from shoumi.vault.models import SealedUpdateError
from tests.clients.factories import make_bank_account, make_client, make_person

pytestmark = pytest.mark.django_db

RESIDENT_ID = "33010619880315019X"
MOBILE = "13912345678"
CARD = "6217001234567890122"


@pytest.fixture
def person() -> Person:
    return make_person(make_client(), resident_id=RESIDENT_ID, mobile=MOBILE, name="欧阳明华")


def _all_table_text() -> str:
    """Read every row of every table with plain SQL, as a thief with a database copy would."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                chunks.append(" ".join(str(value) for value in row))
    return "\n".join(chunks)


def test_database_holds_no_plaintext_identifier(person: Person) -> None:
    make_bank_account(person.client, number=CARD)

    dump = _all_table_text()

    assert RESIDENT_ID not in dump
    assert RESIDENT_ID.lower() not in dump
    assert MOBILE not in dump
    assert CARD not in dump
    assert "欧阳明华" not in dump
    assert "330***********019X" in dump


def test_sealed_value_renders_as_mask_everywhere(person: Person) -> None:
    value = Person.objects.get(pk=person.pk).resident_id

    assert isinstance(value, SealedValue)
    assert str(value) == "330***********019X"
    assert repr(value) == "<SealedValue resident_id '330***********019X'>"
    assert f"{value}" == "330***********019X"
    assert json.dumps({"id": value}) == '{"id": "330***********019X"}'
    assert Template("{{ v }}").render(Context({"v": value})) == "330***********019X"
    assert RESIDENT_ID not in json.dumps(vars(value))


def test_sealed_value_has_no_plaintext_attribute(person: Person) -> None:
    value = Person.objects.get(pk=person.pk).resident_id

    for name in dir(value):
        attribute = getattr(value, name)
        if isinstance(attribute, str):
            assert RESIDENT_ID not in attribute, name


def test_serializer_exports_only_masks(person: Person) -> None:
    exported = serializers.serialize("json", Person.objects.all())

    assert RESIDENT_ID not in exported
    assert "330***********019X" in exported
    assert "shoumi:v1" not in exported


def test_name_mask_keeps_compound_surname(person: Person) -> None:
    assert str(Person.objects.get(pk=person.pk).name) == "欧阳**"


def test_ciphertext_copied_to_another_row_fails(person: Person) -> None:
    other = make_person(person.client)
    stolen = Person.objects.filter(pk=person.pk).values_list("resident_id", flat=True).get()
    Person.objects.filter(pk=other.pk).allow_sealed_update().update(resident_id=stolen)

    copied = Person.objects.get(pk=other.pk)

    with pytest.raises(crypto.DecryptionError):
        vault.open_for_reveal(record=copied, field_name="resident_id")


def test_ciphertext_copied_to_another_field_fails(person: Person) -> None:
    sealed_id = Person.objects.filter(pk=person.pk).values_list("resident_id", flat=True).get()
    Person.objects.filter(pk=person.pk).allow_sealed_update().update(mobile=sealed_id)

    moved = Person.objects.get(pk=person.pk)

    with pytest.raises(crypto.DecryptionError):
        vault.open_for_reveal(record=moved, field_name="mobile")


def test_plaintext_assignment_is_refused_on_save(person: Person) -> None:
    person.resident_id = RESIDENT_ID  # type: ignore[assignment]

    with pytest.raises(PlaintextInSealedFieldError):
        person.save()


def test_bulk_update_of_sealed_field_is_refused(person: Person) -> None:
    with pytest.raises(SealedUpdateError):
        Person.objects.filter(pk=person.pk).update(resident_id_mask="x")


@pytest.mark.parametrize("lookup", ["exact", "contains", "startswith", "icontains", "range", "in"])
def test_unsupported_lookup_raises_clear_error(lookup: str) -> None:
    value = ("a", "b") if lookup in {"range", "in"} else "a"

    with pytest.raises(FieldError, match="blind index"):
        list(BankAccount.objects.filter(**{f"account_number__{lookup}": value}))


def test_switching_suite_keeps_old_values_readable(person: Person, settings) -> None:
    from shoumi.vault.runtime import reset_vault

    settings.CRYPTO_SUITE = "sm4-gcm"
    reset_vault()
    vault.seal(record=person, field_name="mobile", canonical_value="13800138000")
    person.save()

    stored = Person.objects.filter(pk=person.pk).values_list("resident_id", "mobile").get()
    reloaded = Person.objects.get(pk=person.pk)
    assert ":aes-256-gcm:" in stored[0]
    assert ":sm4-gcm:" in stored[1]
    assert vault.open_for_reveal(record=reloaded, field_name="resident_id") == RESIDENT_ID
    assert vault.open_for_reveal(record=reloaded, field_name="mobile") == "13800138000"
