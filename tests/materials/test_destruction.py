"""Destruction: retention periods, two-person overrides, retain marks, permanent records."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.config import clock
from shoumi.materials import services
from shoumi.materials.errors import (
    CustodyStateError,
    MaterialsPermissionError,
    RetentionPeriodError,
    SeparationOfDutiesError,
)
from shoumi.materials.models import (
    DestructionList,
    DestructionRecord,
    DestructionRecordItem,
    EntryOutcome,
    ItemStatus,
    MaterialItem,
)
from shoumi.materials.retention import RetentionPeriod
from shoumi.materials.services.common import today
from tests.materials.factories import Office, item_line, make_intake

pytestmark = pytest.mark.django_db


def _items(office: Office, *lines: services.ItemInput) -> list[MaterialItem]:
    return list(make_intake(office, *lines).items.order_by("created_at"))


def _list(office: Office, items: list[MaterialItem]) -> DestructionList:
    return services.destruction_list_create(
        actor=office.archivist, supervisor=office.manager, method="shredder", items=items
    )


def _confirm_both(office: Office, destruction_list: DestructionList) -> None:
    services.destruction_confirm(actor=office.archivist, destruction_list=destruction_list)
    services.destruction_confirm(actor=office.manager, destruction_list=destruction_list)


def _early_line(office: Office) -> services.ItemInput:
    return item_line(
        name="记账凭证复印件",
        retention_period=RetentionPeriod.YEARS_30,
        fiscal_year=today().year - 1,
        location=office.cabinet,
    )


def test_early_destruction_is_refused_without_override(office: Office) -> None:
    [item] = _items(office, _early_line(office))
    destruction_list = _list(office, [item])
    services.destruction_confirm(actor=office.archivist, destruction_list=destruction_list)

    with pytest.raises(RetentionPeriodError) as raised:
        services.destruction_confirm(actor=office.manager, destruction_list=destruction_list)

    assert "保管期限未满" in raised.value.message
    item.refresh_from_db()
    destruction_list.refresh_from_db()
    assert item.status == ItemStatus.IN_CUSTODY
    assert destruction_list.supervisor_confirmed_at is None
    assert not DestructionRecord.objects.exists()


def test_expired_retention_needs_no_override(office: Office) -> None:
    line = item_line(
        retention_period=RetentionPeriod.YEARS_10, fiscal_year=2010, location=office.cabinet
    )
    [item] = _items(office, line)
    destruction_list = _list(office, [item])

    _confirm_both(office, destruction_list)

    item.refresh_from_db()
    assert item.status == ItemStatus.DESTROYED


def test_approved_override_allows_early_destruction(office: Office) -> None:
    [item] = _items(office, _early_line(office))
    destruction_list = _list(office, [item])
    override = services.destruction_override_request(
        actor=office.archivist, destruction_list=destruction_list, reason="客户解约，要求销毁复印件"
    )
    services.destruction_override_approve(actor=office.second_manager, override=override)

    _confirm_both(office, destruction_list)

    item.refresh_from_db()
    override.refresh_from_db()
    record = DestructionRecord.objects.get()
    assert item.status == ItemStatus.DESTROYED
    assert override.used_at is not None
    assert record.override_id == override.pk
    assert record.items.get().was_early is True


def test_override_cannot_be_approved_by_its_requester(office: Office) -> None:
    [item] = _items(office, _early_line(office))
    destruction_list = _list(office, [item])
    override = services.destruction_override_request(
        actor=office.manager, destruction_list=destruction_list, reason="客户解约，要求销毁复印件"
    )

    with pytest.raises(SeparationOfDutiesError) as raised:
        services.destruction_override_approve(actor=office.manager, override=override)

    assert raised.value.message == "不能批准自己提出的提前销毁申请，请找另一位部门经理。"


def test_override_expires_after_one_hour(office: Office) -> None:
    [item] = _items(office, _early_line(office))
    destruction_list = _list(office, [item])
    override = services.destruction_override_request(
        actor=office.archivist, destruction_list=destruction_list, reason="客户解约，要求销毁复印件"
    )

    with time_machine.travel(clock.now() + timedelta(minutes=61)):
        with pytest.raises(RetentionPeriodError) as raised:
            services.destruction_override_approve(actor=office.manager, override=override)

    assert raised.value.message == "该例外审批申请已过期（有效期1小时），请重新申请。"


def test_approved_override_is_void_after_the_hour(office: Office) -> None:
    [item] = _items(office, _early_line(office))
    destruction_list = _list(office, [item])
    override = services.destruction_override_request(
        actor=office.archivist, destruction_list=destruction_list, reason="客户解约，要求销毁复印件"
    )
    services.destruction_override_approve(actor=office.second_manager, override=override)
    services.destruction_confirm(actor=office.archivist, destruction_list=destruction_list)

    with time_machine.travel(clock.now() + timedelta(minutes=61)):
        with pytest.raises(RetentionPeriodError):
            services.destruction_confirm(actor=office.manager, destruction_list=destruction_list)

    item.refresh_from_db()
    assert item.status == ItemStatus.IN_CUSTODY


def test_retain_mark_survives_bulk_confirmation(office: Office) -> None:
    kept, destroyed = _items(
        office,
        item_line(name="银行对账单复印件", location=office.cabinet),
        item_line(name="身份证复印件", location=office.cabinet),
    )
    destruction_list = _list(office, [kept, destroyed])
    services.item_retain(actor=office.reviewer, item=kept, reason="税务稽查未结，需留存")

    _confirm_both(office, destruction_list)

    kept.refresh_from_db()
    destroyed.refresh_from_db()
    assert kept.status == ItemStatus.IN_CUSTODY
    assert kept.is_retained
    assert destroyed.status == ItemStatus.DESTROYED
    outcomes = dict(destruction_list.entries.values_list("item_id", "outcome"))
    assert outcomes == {kept.pk: EntryOutcome.RETAINED, destroyed.pk: EntryOutcome.DESTROYED}
    record = DestructionRecord.objects.get()
    assert [line.item_id for line in record.items.all()] == [destroyed.pk]


def test_only_a_reviewer_marks_retain(office: Office) -> None:
    [item] = _items(office, item_line(location=office.cabinet))

    with pytest.raises(MaterialsPermissionError):
        services.item_retain(actor=office.manager, item=item, reason="想留着")

    item.refresh_from_db()
    assert not item.is_retained


def test_permanent_records_cannot_be_listed(office: Office) -> None:
    line = item_line(
        name="年度财务报告", retention_period=RetentionPeriod.PERMANENT, location=office.cabinet
    )
    [item] = _items(office, line)

    with pytest.raises(CustodyStateError) as raised:
        _list(office, [item])

    assert raised.value.message == "永久保管的档案不能销毁。"


def test_each_destroyed_item_has_an_audit_event(office: Office) -> None:
    items = _items(office, *[item_line(name=f"草稿{n}", location=office.cabinet) for n in range(3)])
    destruction_list = _list(office, items)

    _confirm_both(office, destruction_list)

    events = AuditEvent.objects.filter(action=Action.MATERIAL_DESTROYED)
    assert sorted(events.values_list("object_id", flat=True)) == sorted(str(i.pk) for i in items)
    for event in events:
        assert event.actor_id == office.manager.pk


def _destroyed_record(office: Office) -> DestructionRecord:
    [item] = _items(office, item_line(location=office.cabinet))
    _confirm_both(office, _list(office, [item]))
    return DestructionRecord.objects.get()


@pytest.mark.parametrize(
    "table", ["materials_destructionrecord", "materials_destructionrecorditem"]
)
def test_database_refuses_delete_of_destruction_records(office: Office, table: str) -> None:
    _destroyed_record(office)

    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608

    assert DestructionRecord.objects.count() == 1
    assert DestructionRecordItem.objects.count() == 1


def test_database_refuses_update_of_destruction_records(office: Office) -> None:
    record = _destroyed_record(office)

    with pytest.raises(IntegrityError), transaction.atomic():
        DestructionRecord.objects.filter(pk=record.pk).update(supervisor_name="别人")

    record.refresh_from_db()
    assert record.supervisor_name == office.manager.full_name


def test_orm_delete_of_destruction_record_fails(office: Office) -> None:
    record = _destroyed_record(office)

    with pytest.raises(IntegrityError), transaction.atomic():
        DestructionRecordItem.objects.filter(record=record).delete()

    assert DestructionRecordItem.objects.filter(record=record).count() == 1


def test_stranger_cannot_request_override(office: Office) -> None:
    [item] = _items(office, _early_line(office))
    destruction_list = _list(office, [item])

    with pytest.raises(MaterialsPermissionError):
        services.destruction_override_request(
            actor=office.second_manager, destruction_list=destruction_list, reason="理由充分理由"
        )


def test_postgresql_refuses_truncate_of_destruction_records(office: Office) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE triggers exist on PostgreSQL only; run with DATABASE_URL")
    _destroyed_record(office)

    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            # Deferred foreign-key checks of the test transaction would block TRUNCATE first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE materials_destructionrecorditem")

    assert DestructionRecordItem.objects.count() == 1
