"""Copy purposes and vendor names reject identifiers, so none is printed on a copy."""

from __future__ import annotations

import pytest

from shoumi.accounts.roles import Role
from shoumi.clients.synthetic import SyntheticData
from shoumi.documents import services
from shoumi.documents.errors import DocumentInputInvalidError
from shoumi.documents.forms import CopyForm
from shoumi.documents.models import CopyChannel, IssuedCopy, RecipientKind
from shoumi.vault import free_text
from tests.accounts.factories import DepartmentFactory, enrolled_staff
from tests.clients.factories import make_client
from tests.documents.helpers import scan_png, upload
from tests.staff.factories import pass_gates

pytestmark = pytest.mark.django_db

synthetic = SyntheticData(seed=20260614)
RESIDENT_ID = synthetic.resident_id()


@pytest.fixture
def document_and_reviewer():
    department = DepartmentFactory(name="记账一部")
    clerk = pass_gates(enrolled_staff(roles=[Role.CLERK], department=department).user)
    reviewer = pass_gates(enrolled_staff(roles=[Role.REVIEWER], department=department).user)
    document = upload(make_client(department=department), clerk, scan_png(seed=23))
    return document, reviewer


@pytest.mark.parametrize(
    ("field", "purpose", "vendor"),
    [
        ("vendor_name", "办理银行开户", f"工商银行 {RESIDENT_ID}"),
        ("purpose", f"核对{RESIDENT_ID}", "示例银行城东支行"),
    ],
)
def test_copy_with_identifier_is_rejected(
    document_and_reviewer, field: str, purpose: str, vendor: str
) -> None:
    document, reviewer = document_and_reviewer

    with pytest.raises(DocumentInputInvalidError) as raised:
        services.copy_issue(
            actor=reviewer,
            document=document,
            channel=CopyChannel.VIEW,
            purpose=purpose,
            recipient=services.Recipient.for_vendor(vendor),
        )

    assert raised.value.field == field
    assert raised.value.code == free_text.CODE
    assert not IssuedCopy.objects.exists()


def test_copy_form_shows_message_on_vendor_name() -> None:
    form = CopyForm(
        data={
            "channel": CopyChannel.VIEW,
            "purpose": "办理银行开户",
            "recipient_kind": RecipientKind.VENDOR,
            "vendor_name": f"工商银行 {RESIDENT_ID}",
        }
    )

    assert not form.is_valid()
    assert form.has_error("vendor_name", free_text.CODE)
