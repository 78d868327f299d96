"""Intake notes, material names, loan purposes and other materials texts reject identifiers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoumi.clients.synthetic import SyntheticData
from shoumi.materials import services
from shoumi.materials.errors import MaterialsInputInvalidError
from shoumi.materials.forms import ReasonForm
from shoumi.materials.models import Intake, SignatureMethod
from shoumi.materials.services.common import today
from shoumi.vault import free_text
from tests.materials.factories import Office, drawn_signature, item_line, make_intake

synthetic = SyntheticData(seed=20260615)
RESIDENT_ID = synthetic.resident_id()
MOBILE = synthetic.mobile()


def _intake(office: Office, *, note: str = "", name: str = "营业执照副本复印件") -> Intake:
    return services.intake_create(
        actor=office.clerk,
        client=office.client,
        items=[item_line(name=name, location=office.cabinet)],
        signature=drawn_signature(),
        signature_method=SignatureMethod.DRAWN,
        note=note,
    )


def test_intake_note_with_mobile_is_rejected(office: Office) -> None:
    with pytest.raises(MaterialsInputInvalidError) as raised:
        _intake(office, note=f"客户手机 {MOBILE}")

    assert raised.value.field == "note"
    assert raised.value.code == free_text.CODE
    assert not Intake.objects.exists()


def test_material_name_with_resident_id_is_rejected(office: Office) -> None:
    with pytest.raises(MaterialsInputInvalidError) as raised:
        _intake(office, name=f"身份证复印件 {RESIDENT_ID}")

    assert raised.value.field == "items"
    assert not Intake.objects.exists()


def test_loan_purpose_with_resident_id_is_rejected(office: Office) -> None:
    item = make_intake(office).items.get()

    with pytest.raises(MaterialsInputInvalidError) as raised:
        services.loan_request(
            actor=office.clerk,
            item=item,
            purpose=f"核对 {RESIDENT_ID}",
            due_on=today() + timedelta(days=7),
        )

    assert raised.value.code == free_text.CODE


def test_reason_form_shows_message_on_field() -> None:
    form = ReasonForm(data={"reason": f"客户手机 {MOBILE}"})

    assert not form.is_valid()
    assert form.has_error("reason", free_text.CODE)
