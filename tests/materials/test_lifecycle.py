"""An item's life from intake to destruction, and every illegal step on the way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.materials import services
from shoumi.materials.errors import (
    CustodyStateError,
    MaterialsInputInvalidError,
    MaterialsPermissionError,
    SeparationOfDutiesError,
)
from shoumi.materials.models import (
    CustodyEventKind,
    DestructionListStatus,
    DestructionMethod,
    DestructionRecord,
    ItemStatus,
    LoanStatus,
    MaterialItem,
)
from shoumi.materials.services.common import today
from tests.materials.factories import Office, item_line, make_intake

pytestmark = pytest.mark.django_db


def _stored_item(office: Office) -> MaterialItem:
    intake = make_intake(office, item_line(location=office.cabinet))
    item = intake.items.get()
    return services.item_move(actor=office.archivist, item=item, holder=office.archivist)


def _lend(office: Office, item: MaterialItem) -> None:
    loan = services.loan_request(
        actor=office.clerk, item=item, purpose="办理税务登记", due_on=today() + timedelta(days=3)
    )
    services.loan_approve(actor=office.manager, loan=loan)
    services.loan_hand_out(actor=office.archivist, loan=loan)


def test_item_goes_from_intake_to_destruction(office: Office) -> None:
    intake = make_intake(office, item_line(location=office.cabinet))
    item = intake.items.get()

    services.item_move(actor=office.archivist, item=item, holder=office.archivist)
    loan = services.loan_request(
        actor=office.clerk, item=item, purpose="办理税务登记", due_on=today() + timedelta(days=3)
    )
    services.loan_approve(actor=office.manager, loan=loan)
    services.loan_hand_out(actor=office.archivist, loan=loan)
    item.refresh_from_db()
    lent_holder = item.holder
    services.loan_return(actor=office.archivist, item=item)
    destruction_list = services.destruction_list_create(
        actor=office.archivist,
        supervisor=office.manager,
        method=DestructionMethod.SHREDDER,
        items=[item],
    )
    services.destruction_confirm(actor=office.archivist, destruction_list=destruction_list)
    services.destruction_confirm(actor=office.manager, destruction_list=destruction_list)

    item.refresh_from_db()
    loan.refresh_from_db()
    destruction_list.refresh_from_db()
    assert lent_holder == office.clerk
    assert loan.status == LoanStatus.RETURNED
    assert item.status == ItemStatus.DESTROYED
    assert item.holder is None
    assert destruction_list.status == DestructionListStatus.COMPLETED
    record = DestructionRecord.objects.get(destruction_list=destruction_list)
    assert record.operator_name == office.archivist.full_name
    assert record.supervisor_name == office.manager.full_name
    assert [line.item_id for line in record.items.all()] == [item.pk]
    kinds = list(item.custody_events.values_list("kind", flat=True))
    assert kinds == [
        CustodyEventKind.RECEIVED,
        CustodyEventKind.MOVED,
        CustodyEventKind.LENT,
        CustodyEventKind.RETURNED,
        CustodyEventKind.DESTROYED,
    ]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    for action in (
        Action.MATERIAL_INTAKE_RECORDED,
        Action.MATERIAL_MOVED,
        Action.LOAN_REQUESTED,
        Action.LOAN_APPROVED,
        Action.LOAN_HANDED_OUT,
        Action.LOAN_RETURNED,
        Action.DESTRUCTION_LIST_CREATED,
        Action.DESTRUCTION_CONFIRMED,
        Action.MATERIAL_DESTROYED,
    ):
        assert action in actions


def test_lending_a_destroyed_item_is_rejected(office: Office) -> None:
    item = _stored_item(office)
    destruction_list = services.destruction_list_create(
        actor=office.archivist, supervisor=office.manager, method="shredder", items=[item]
    )
    services.destruction_confirm(actor=office.archivist, destruction_list=destruction_list)
    services.destruction_confirm(actor=office.manager, destruction_list=destruction_list)

    with pytest.raises(CustodyStateError) as raised:
        services.loan_request(
            actor=office.clerk, item=item, purpose="查阅", due_on=today() + timedelta(days=1)
        )

    assert raised.value.message == "该材料已销毁，不能移动或借阅。"


def test_moving_a_destroyed_item_is_rejected(office: Office) -> None:
    item = _stored_item(office)
    destruction_list = services.destruction_list_create(
        actor=office.archivist, supervisor=office.manager, method="shredder", items=[item]
    )
    services.destruction_confirm(actor=office.archivist, destruction_list=destruction_list)
    services.destruction_confirm(actor=office.manager, destruction_list=destruction_list)

    with pytest.raises(CustodyStateError) as raised:
        services.item_move(actor=office.archivist, item=item, location=office.room)

    assert raised.value.message == "该材料已销毁，不能移动或借阅。"


def test_destroying_without_a_supervisor_is_rejected(office: Office) -> None:
    item = _stored_item(office)

    with pytest.raises(MaterialsInputInvalidError) as raised:
        services.destruction_list_create(
            actor=office.archivist, supervisor=None, method="shredder", items=[item]
        )

    assert raised.value.message == "销毁必须有一名部门经理监销，请选择监销人。"
    assert raised.value.field == "supervisor"


def test_operator_confirmation_alone_destroys_nothing(office: Office) -> None:
    item = _stored_item(office)
    destruction_list = services.destruction_list_create(
        actor=office.archivist, supervisor=office.manager, method="shredder", items=[item]
    )

    services.destruction_confirm(actor=office.archivist, destruction_list=destruction_list)

    item.refresh_from_db()
    assert item.status == ItemStatus.IN_CUSTODY
    assert not DestructionRecord.objects.exists()


def test_same_operator_and_supervisor_is_rejected(office: Office) -> None:
    item = _stored_item(office)
    office.archivist.role_assignments.create(role="manager")
    office.archivist.forget_roles()

    with pytest.raises(SeparationOfDutiesError) as raised:
        services.destruction_list_create(
            actor=office.archivist, supervisor=office.archivist, method="shredder", items=[item]
        )

    assert raised.value.message == "销毁的操作人和监销人必须是两个不同的人。"


def test_returning_an_item_never_lent_is_rejected(office: Office) -> None:
    item = _stored_item(office)

    with pytest.raises(CustodyStateError) as raised:
        services.loan_return(actor=office.archivist, item=item)

    assert raised.value.message == "该材料没有借出，不能办理归还。"
    assert not AuditEvent.objects.filter(action=Action.LOAN_RETURNED).exists()


def test_borrower_cannot_approve_own_loan(office: Office) -> None:
    item = _stored_item(office)
    loan = services.loan_request(
        actor=office.manager, item=item, purpose="核对账簿", due_on=today() + timedelta(days=2)
    )

    with pytest.raises(SeparationOfDutiesError) as raised:
        services.loan_approve(actor=office.manager, loan=loan)

    assert raised.value.message == "不能审批自己的借阅申请，请找另一位部门经理。"


def test_non_manager_cannot_approve_loan(office: Office) -> None:
    item = _stored_item(office)
    loan = services.loan_request(
        actor=office.clerk, item=item, purpose="核对账簿", due_on=today() + timedelta(days=2)
    )

    with pytest.raises(MaterialsPermissionError):
        services.loan_approve(actor=office.reviewer, loan=loan)

    loan.refresh_from_db()
    assert loan.status == LoanStatus.REQUESTED


def test_unapproved_loan_cannot_be_handed_out(office: Office) -> None:
    item = _stored_item(office)
    loan = services.loan_request(
        actor=office.clerk, item=item, purpose="核对账簿", due_on=today() + timedelta(days=2)
    )

    with pytest.raises(CustodyStateError):
        services.loan_hand_out(actor=office.archivist, loan=loan)


def test_item_on_loan_cannot_be_listed_for_destruction(office: Office) -> None:
    item = _stored_item(office)
    _lend(office, item)

    with pytest.raises(CustodyStateError) as raised:
        services.destruction_list_create(
            actor=office.archivist, supervisor=office.manager, method="shredder", items=[item]
        )

    assert raised.value.message == "借出中的材料不能销毁，请先办理归还。"


def test_originals_cannot_be_destroyed(office: Office) -> None:
    intake = make_intake(office, item_line(kind="original", location=office.cabinet))

    with pytest.raises(CustodyStateError) as raised:
        services.destruction_list_create(
            actor=office.archivist,
            supervisor=office.manager,
            method="shredder",
            items=list(intake.items.all()),
        )

    assert raised.value.message == "原件属于客户，应退还客户，不能销毁。"


def test_item_on_destruction_list_cannot_be_lent(office: Office) -> None:
    item = _stored_item(office)
    services.destruction_list_create(
        actor=office.archivist, supervisor=office.manager, method="shredder", items=[item]
    )

    with pytest.raises(CustodyStateError):
        services.loan_request(
            actor=office.clerk, item=item, purpose="查阅", due_on=today() + timedelta(days=1)
        )


def test_stranger_to_the_list_cannot_confirm(office: Office) -> None:
    item = _stored_item(office)
    destruction_list = services.destruction_list_create(
        actor=office.archivist, supervisor=office.manager, method="shredder", items=[item]
    )

    with pytest.raises(MaterialsPermissionError):
        services.destruction_confirm(actor=office.second_manager, destruction_list=destruction_list)


def test_sensitive_item_cannot_lie_loose_in_a_room(office: Office) -> None:
    item = _stored_item(office)

    with pytest.raises(MaterialsInputInvalidError) as raised:
        services.item_move(actor=office.archivist, item=item, location=office.room)

    assert raised.value.message == "敏感材料必须存放在档案柜或密封袋中，不能散放在房间里。"
