"""The audit log viewer: audit administrator only, search, proof status, audited export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from shoumi.accounts.roles import Role
from shoumi.audit import services
from shoumi.audit.actions import Action, Result
from shoumi.audit.checkpoints import checkpoint_create
from shoumi.audit.models import AuditEvent, CheckpointReason
from shoumi.audit.verification import verify_stored_log
from shoumi.config import clock
from shoumi.config.navigation import nav_items_for
from tests.accounts.conftest import log_in
from tests.accounts.factories import UserFactory, enrolled_staff
from tests.audit.helpers import append_events, execute, without_guards
from tests.clients.factories import make_bank_account, make_client

pytestmark = pytest.mark.django_db


def _browser(role: str) -> tuple[HttpClient, object]:
    browser = HttpClient()
    staff = enrolled_staff(roles=[role])
    log_in(browser, staff)
    return browser, staff.user


@pytest.fixture
def auditor() -> tuple[HttpClient, object]:
    return _browser(Role.AUDIT_ADMIN)


def _rows(page: str) -> list[str]:
    return [line for line in page.splitlines() if "<tr data-seq=" in line]


def _statuses(page: str) -> dict[int, str]:
    """Return each listed event's proof status class, by sequence number."""
    return {
        int(seq): status
        for seq, status in re.findall(
            r'<tr data-seq="(\d+)">.*?<td class="proof-(\w+)">', page, re.DOTALL
        )
    }


@pytest.mark.parametrize(
    "role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.ADMINISTRATOR, Role.CLERK, Role.MANAGER]
)
def test_everyone_but_the_audit_administrator_gets_403(role: str) -> None:
    browser, _user = _browser(role)

    assert browser.get("/audit/").status_code == 403
    assert browser.post("/audit/export/", {"purpose": "季度审计"}).status_code == 403


def test_nav_entry_for_audit_admin_only() -> None:
    auditor = UserFactory(roles=[Role.AUDIT_ADMIN])
    system_admin = UserFactory(roles=[Role.SYSTEM_ADMIN])

    assert "audit:events" in [item.url_name for item in nav_items_for(auditor)]
    assert "audit:events" not in [item.url_name for item in nav_items_for(system_admin)]


def test_page_lists_events_newest_first(auditor) -> None:
    browser, _user = auditor
    append_events(3, object_type="test.thing")

    page = browser.get("/audit/").content.decode()

    rows = _rows(page)
    seqs = [int(row.split('data-seq="')[1].split('"')[0]) for row in rows]
    assert seqs == sorted(seqs, reverse=True)
    assert "审计日志" in page


def test_search_by_employee_number(auditor) -> None:
    browser, _user = auditor
    actor = UserFactory(roles=[Role.CLERK], employee_number="E31337")
    services.append(action=Action.LOGOUT, actor=actor)
    services.append(action=Action.LOGOUT)

    page = browser.get("/audit/", {"actor": "e31337"}).content.decode()

    assert len(_rows(page)) == 1
    assert "E31337" in page


def test_search_by_client_id_or_credit_code(auditor) -> None:
    browser, _user = auditor
    client = make_client()
    account = make_bank_account(client)
    other = make_client()

    by_id = browser.get("/audit/", {"client": str(client.pk)}).content.decode()
    by_code = browser.get("/audit/", {"client": client.uscc.lower()}).content.decode()

    expected = AuditEvent.objects.filter(object_id__in=[str(client.pk), str(account.pk)]).count()
    assert expected >= 2
    assert len(_rows(by_id)) == expected
    assert len(_rows(by_code)) == expected
    assert str(other.pk) not in by_id


def test_unknown_client_matches_nothing(auditor) -> None:
    browser, _user = auditor
    make_client()

    page = browser.get("/audit/", {"client": "91350100M000100Y43"}).content.decode()

    assert _rows(page) == []


def test_search_by_action_and_time_range(auditor, monkeypatch: pytest.MonkeyPatch) -> None:
    browser, _user = auditor
    moment = [dt.datetime(2026, 4, 30, 15, 0, tzinfo=dt.UTC)]  # 23:00 in Shanghai
    monkeypatch.setattr(clock, "now", lambda: moment[0])
    services.append(action=Action.EXPORT)
    moment[0] = dt.datetime(2026, 4, 30, 16, 30, tzinfo=dt.UTC)  # 00:30 on 1 May in Shanghai
    services.append(action=Action.EXPORT)
    services.append(action=Action.LOGOUT)

    page = browser.get(
        "/audit/", {"action": Action.EXPORT, "since": "2026-05-01", "until": "2026-05-01"}
    ).content.decode()

    assert len(_rows(page)) == 1


def test_reversed_time_range_is_an_error(auditor) -> None:
    browser, _user = auditor

    page = browser.get("/audit/", {"since": "2026-05-02", "until": "2026-05-01"}).content.decode()

    assert "结束日期" in page


def test_proof_status_of_covered_and_uncovered_events(auditor) -> None:
    browser, _user = auditor
    covered = append_events(5)
    checkpoint_create(reason=CheckpointReason.MANUAL)
    uncovered = append_events(2)

    statuses = _statuses(browser.get("/audit/").content.decode())

    assert [statuses[event.seq] for event in covered] == ["proven"] * 5
    assert [statuses[event.seq] for event in uncovered] == ["pending"] * 2


def test_edited_event_fails_its_proof(auditor) -> None:
    browser, _user = auditor
    events = append_events(4)
    checkpoint_create(reason=CheckpointReason.MANUAL)
    edited = bytes(events[2].encoded).replace("核对资料".encode(), "删改资料".encode())
    with without_guards():
        execute("UPDATE audit_auditevent SET encoded = %s WHERE seq = %s", [edited, events[2].seq])

    statuses = _statuses(browser.get("/audit/").content.decode())

    assert [statuses[event.seq] for event in events] == ["proven", "proven", "failed", "proven"]


def test_forged_checkpoint_is_shown_as_invalid(auditor) -> None:
    browser, _user = auditor
    events = append_events(2)
    checkpoint_create(reason=CheckpointReason.MANUAL)
    with without_guards():
        execute("UPDATE audit_signedcheckpoint SET note = replace(note, 'sha256', 'sm3')")

    page = browser.get("/audit/").content.decode()

    assert _statuses(page)[events[0].seq] == "checkpoint_invalid"
    assert "签名" in page.split('id="log-status"')[1].split("</section>")[0]


def test_edited_search_column_is_flagged(auditor) -> None:
    browser, _user = auditor
    events = append_events(2)
    with without_guards():
        execute("UPDATE audit_auditevent SET action = 'logout' WHERE seq = %s", [events[1].seq])

    statuses = _statuses(browser.get("/audit/").content.decode())

    assert statuses[events[1].seq] == "index_mismatch"
    assert statuses[events[0].seq] != "index_mismatch"


def test_page_shows_the_last_verification(auditor) -> None:
    browser, _user = auditor
    append_events(2)
    never = browser.get("/audit/").content.decode()
    verify_stored_log()

    page = browser.get("/audit/").content.decode()

    assert "shoumi audit verify" in never
    assert "验证通过" in page.split('id="last-verification"')[1]


def test_htmx_search_renders_the_table_only(auditor) -> None:
    browser, _user = auditor
    append_events(2)

    response = browser.get("/audit/", HTTP_HX_REQUEST="true")

    assert b"<html" not in response.content
    assert b'id="event-rows"' in response.content


def test_page_query_count_does_not_grow_with_events(auditor) -> None:
    browser, _user = auditor
    append_events(3)
    with CaptureQueriesContext(connection) as few:
        browser.get("/audit/")
    append_events(40)

    with CaptureQueriesContext(connection) as many:
        browser.get("/audit/")

    assert len(many) == len(few)


def test_export_is_csv_and_is_audited(auditor) -> None:
    browser, user = auditor
    append_events(3, object_type="test.thing", details={"mask": "6217 **** **** 6786"})

    response = browser.post("/audit/export/?object=x", {"purpose": "季度审计"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert user.employee_number in rows[0][0]
    assert len(rows) == 2 + 3 + 1  # watermark, header, events, the auditor's login
    export_event = AuditEvent.objects.get(action=Action.AUDIT_EXPORTED)
    assert export_event.actor_id == user.pk
    assert export_event.purpose == "季度审计"
    assert export_event.details["rows"] == 4
    assert export_event.result == Result.SUCCESS


def test_export_with_filters_records_them(auditor) -> None:
    browser, _user = auditor
    client = make_client()

    browser.post(f"/audit/export/?client={client.uscc}&action=record_created", {"purpose": "抽查"})

    details = AuditEvent.objects.get(action=Action.AUDIT_EXPORTED).details
    assert details["client_filter"] == str(client.pk)
    assert details["action_filter"] == "record_created"
    assert (
        client.uscc
        not in bytes(AuditEvent.objects.get(action=Action.AUDIT_EXPORTED).encoded).decode()
    )


def test_export_needs_a_purpose(auditor) -> None:
    browser, _user = auditor

    response = browser.post("/audit/export/", {"purpose": ""})

    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).exists()


def test_export_fails_closed_without_event(auditor, monkeypatch: pytest.MonkeyPatch) -> None:
    from shoumi.audit import exports
    from shoumi.audit.errors import AuditError

    browser, _user = auditor

    def broken_append(**kwargs: object) -> None:
        raise AuditError("The audit event could not be stored.")

    monkeypatch.setattr(exports.services, "append", broken_append)

    response = browser.post("/audit/export/", {"purpose": "季度审计"})

    assert response.status_code == 400
    assert not response.get("Content-Disposition")


def test_viewer_labels_in_chinese(auditor) -> None:
    clerk = UserFactory(roles=[Role.CLERK], employee_number="E20301")
    client = make_client()
    account = make_bank_account(client)
    services.append(
        action=Action.REVEAL,
        actor=clerk,
        object_type="clients.bankaccount",
        object_id=account.pk,
        field="account_number",
        purpose="核对 110105194912310021",
        details={"client": str(client.pk)},
    )
    browser, _user = auditor

    page = browser.get("/audit/", {"actor": "E20301"}).content.decode()

    assert "登记员" in page
    assert "银行账户" in page
    assert "银行账户：账号" in page
    assert "核对 （已删除：其中含有证件号码等标识）" in page
    assert "clients.bankaccount" not in page
    assert "account number" not in page
