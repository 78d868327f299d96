"""Marked copies: what they carry, who may issue them, approvals, the original, the register."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from PIL import Image

from shoumi.access import approvals
from shoumi.access.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action, Result
from shoumi.audit.models import AuditEvent
from shoumi.documents import services
from shoumi.documents.errors import DocumentAccessDeniedError, DocumentInputInvalidError
from shoumi.documents.imaging import read_trace_code, sanitize
from shoumi.documents.models import CopyChannel, IssuedCopy, RecipientKind
from tests.accounts.factories import DepartmentFactory, enrolled_staff
from tests.clients.factories import make_client
from tests.documents.helpers import logged_in, scan_png, upload
from tests.staff.factories import pass_gates

pytestmark = pytest.mark.django_db

COPY_FORM = {
    "purpose": "办理税务登记",
    "recipient_kind": RecipientKind.VENDOR,
    "vendor_name": "示例银行城东支行",
}


@pytest.fixture
def department():
    return DepartmentFactory(name="记账一部")


@pytest.fixture
def own_client(department):
    return make_client(department=department, name="杭州明远财税咨询有限公司")


@pytest.fixture
def clerk(department):
    staff = enrolled_staff(roles=[Role.CLERK], department=department)
    return pass_gates(staff.user)


@pytest.fixture
def document(own_client, clerk):
    return upload(own_client, clerk, scan_png(seed=21))


def _approve(kind: str, requester, approver_role: str, department, document_id, field="scan"):
    approval = ApprovalRequest.objects.get(kind=kind, requester=requester)
    assert approval.subject_key == f"documents.document:{document_id}:{field}"
    approver = enrolled_staff(roles=[approver_role], department=department).user
    approvals.approval_approve(actor=approver, approval=approval)
    return approval


# What a copy carries ---------------------------------------------------------------


def test_copy_traces_to_a_not_b(document, department) -> None:
    _browser, reviewer = logged_in(Role.REVIEWER, department)
    for_a = services.copy_issue(
        actor=reviewer,
        document=document,
        channel=CopyChannel.VIEW,
        purpose="办理税务登记",
        recipient=services.Recipient.for_vendor("甲方代理公司"),
    )
    for_b = services.copy_issue(
        actor=reviewer,
        document=document,
        channel=CopyChannel.VIEW,
        purpose="办理银行开户",
        recipient=services.Recipient.for_vendor("乙方银行支行"),
    )
    security_admin = enrolled_staff(roles=[Role.SECURITY_ADMIN]).user

    traced = services.trace_upload(actor=security_admin, content=for_a.content)

    assert traced.issued_copy is not None
    assert traced.issued_copy.pk == for_a.copy.pk
    assert traced.issued_copy.recipient_name == "甲方代理公司"
    assert traced.issued_copy.purpose == "办理税务登记"
    assert traced.issued_copy.pk != for_b.copy.pk
    assert str(traced.trace_code) != for_b.copy.trace_code


def test_copy_is_marked_not_original(document, department) -> None:
    _browser, reviewer = logged_in(Role.REVIEWER, department)
    original = sanitize(scan_png(seed=21)).content

    issued = services.copy_issue(
        actor=reviewer,
        document=document,
        channel=CopyChannel.VIEW,
        purpose="仅供办理工商变更使用",
        recipient=services.Recipient.for_staff(reviewer),
    )

    assert issued.content != original
    assert issued.media_type == "image/jpeg"
    assert issued.copy.purpose == "办理工商变更"
    assert issued.copy.recipient_name == f"{reviewer.full_name}（{reviewer.employee_number}）"
    assert str(read_trace_code(issued.content).trace_code) == issued.copy.trace_code
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", issued.copy.trace_code)


def test_each_view_issues_a_new_trace_code(document, department) -> None:
    browser, _reviewer = logged_in(Role.REVIEWER, department)

    first = browser.post(f"/documents/{document.pk}/copy/", {**COPY_FORM, "channel": "view"})
    second = browser.post(f"/documents/{document.pk}/copy/", {**COPY_FORM, "channel": "view"})

    assert first.status_code == 200
    assert first["Cache-Control"] == "no-store"
    codes = list(IssuedCopy.objects.values_list("trace_code", flat=True))
    assert len(set(codes)) == 2
    for response in (first, second):
        assert "data:image/jpeg;base64," in response.content.decode()


def test_pdf_copy_stays_pdf_with_every_page_marked(own_client, clerk, department) -> None:
    pages = [Image.new("RGB", (620, 877), (255, 255, 255)) for _ in range(2)]
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=75.0)
    document = upload(own_client, clerk, buffer.getvalue())
    _browser, reviewer = logged_in(Role.REVIEWER, department)

    issued = services.copy_issue(
        actor=reviewer,
        document=document,
        channel=CopyChannel.VIEW,
        purpose="办理税务登记",
        recipient=services.Recipient.for_staff(reviewer),
    )
    page_jpegs = services.page_images(issued)

    assert issued.media_type == "application/pdf"
    assert document.page_count == 2
    assert len(page_jpegs) == 2
    for page in page_jpegs:
        assert str(read_trace_code(page).trace_code) == issued.copy.trace_code


def test_thumbnail_is_marked_and_registered(document, department) -> None:
    browser, reviewer = logged_in(Role.REVIEWER, department)

    response = browser.get(f"/documents/{document.pk}/thumbnail/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "no-store"
    copy = IssuedCopy.objects.get(channel=CopyChannel.THUMBNAIL)
    assert copy.issued_by == reviewer
    assert str(read_trace_code(response.content).trace_code) == copy.trace_code
    thumbnail = Image.open(io.BytesIO(response.content))
    assert max(thumbnail.size) <= 480
    assert AuditEvent.objects.filter(action=Action.DOCUMENT_PREVIEWED).count() == 1


def test_download_is_an_attachment_and_print_inline(document, department) -> None:
    browser, clerk = logged_in(Role.CLERK, department)
    from shoumi.access import grants

    manager = enrolled_staff(roles=[Role.MANAGER], department=department).user
    grant = grants.grant_request(
        actor=clerk,
        clients=[document.client],
        fields=["documents.document.scan"],
        actions=["export"],
        purpose="银行开户",
        duration_minutes=60,
    )
    grants.grant_approve(actor=manager, grant=grant)

    download = browser.post(f"/documents/{document.pk}/copy/", {**COPY_FORM, "channel": "download"})
    printed = browser.post(f"/documents/{document.pk}/copy/", {**COPY_FORM, "channel": "print"})

    assert download.status_code == 200, download.content.decode()[:300]
    assert download["Content-Disposition"].startswith("attachment;")
    assert printed["Content-Disposition"].startswith("inline;")
    channels = sorted(IssuedCopy.objects.values_list("channel", flat=True))
    assert channels == ["download", "print"]
    assert AuditEvent.objects.filter(action=Action.EXPORT, result=Result.SUCCESS).count() == 2


# Input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("办理税务登记", "办理税务登记"),
        ("仅供办理税务登记使用", "办理税务登记"),
        ("仅供办理税务登记使用，再复印无效", "办理税务登记"),
        ("  办理   银行开户 ", "办理 银行开户"),
    ],
)
def test_clean_purpose_strips_the_fixed_wording(text, expected) -> None:
    assert services.clean_purpose(text) == expected


@pytest.mark.parametrize("text", ["", "办", "仅供使用", "很" * 31])
def test_clean_purpose_rejects_bad_length(text) -> None:
    with pytest.raises(DocumentInputInvalidError) as raised:
        services.clean_purpose(text)

    assert raised.value.field == "purpose"


def test_unprintable_vendor_name_is_rejected(document, department) -> None:
    _browser, reviewer = logged_in(Role.REVIEWER, department)

    with pytest.raises(DocumentInputInvalidError) as raised:
        services.copy_issue(
            actor=reviewer,
            document=document,
            channel=CopyChannel.VIEW,
            purpose="办理税务登记",
            recipient=services.Recipient.for_vendor("示例\U0001f600公司"),
        )

    assert raised.value.code == "recipient_unprintable"
    assert not IssuedCopy.objects.exists()


def test_copy_form_needs_a_vendor_name(document, department) -> None:
    browser, _reviewer = logged_in(Role.REVIEWER, department)

    response = browser.post(
        f"/documents/{document.pk}/copy/",
        {"purpose": "办理税务登记", "recipient_kind": "vendor", "channel": "view"},
    )

    assert response.status_code == 200
    assert "请填写副本的接收方" in response.content.decode()
    assert not IssuedCopy.objects.exists()


# Who may -------------------------------------------------------------------------------


def test_reviewer_views_own_clients_scan(document, department) -> None:
    browser, reviewer = logged_in(Role.REVIEWER, department)

    response = browser.post(f"/documents/{document.pk}/copy/", {**COPY_FORM, "channel": "view"})

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=Action.REVEAL)
    assert event.result == Result.SUCCESS
    assert event.actor_id == reviewer.pk
    assert event.object_type == "documents.document"
    assert event.field == "scan"
    assert event.details["trace_code"] == IssuedCopy.objects.get().trace_code
    assert event.details["recipient"] == "示例银行城东支行"


def test_clerk_is_refused_without_a_grant(document, department) -> None:
    browser, _clerk = logged_in(Role.CLERK, department)

    response = browser.post(f"/documents/{document.pk}/copy/", {**COPY_FORM, "channel": "view"})

    page = response.content.decode()
    assert "data:image/jpeg" not in page
    assert "只能查看脱敏" in page
    assert not IssuedCopy.objects.exists()
    event = AuditEvent.objects.get(action=Action.REVEAL)
    assert event.result == Result.DENIED
    assert event.details["reason"] == "role_cannot_reveal"
    assert browser.get(f"/documents/{document.pk}/thumbnail/").status_code == 403


def test_clerk_with_a_grant_views(document, department) -> None:
    _browser, clerk = logged_in(Role.CLERK, department)
    from shoumi.access import grants

    manager = enrolled_staff(roles=[Role.MANAGER], department=department).user
    grant = grants.grant_request(
        actor=clerk,
        clients=[document.client],
        fields=["documents.document.scan"],
        actions=["reveal"],
        purpose="核对证照",
        duration_minutes=60,
    )
    grants.grant_approve(actor=manager, grant=grant)

    issued = services.copy_issue(
        actor=clerk,
        document=document,
        channel=CopyChannel.VIEW,
        purpose="核对证照",
        recipient=services.Recipient.for_staff(clerk),
    )

    event = AuditEvent.objects.get(action=Action.REVEAL, result=Result.SUCCESS)
    assert event.details["grant"] == str(grant.pk)
    assert issued.copy.approval is None


def test_administrator_needs_an_approval_used_once(document, department) -> None:
    _browser, administrator = logged_in(Role.ADMINISTRATOR, department)

    def view():
        return services.copy_issue(
            actor=administrator,
            document=document,
            channel=CopyChannel.VIEW,
            purpose="核对证照",
            recipient=services.Recipient.for_staff(administrator),
        )

    with pytest.raises(DocumentAccessDeniedError) as first:
        view()
    services.copy_approval_request(
        actor=administrator, document=document, channel=CopyChannel.VIEW, reason="客户投诉核查"
    )
    approval = _approve(
        ApprovalKind.BREAK_GLASS_REVEAL, administrator, Role.MANAGER, department, document.pk
    )
    issued = view()
    with pytest.raises(DocumentAccessDeniedError) as third:
        view()

    assert first.value.needs_approval
    assert str(issued.copy.approval_id) == str(approval.pk)
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.USED
    assert third.value.needs_approval


def test_thumbnail_does_not_use_up_an_approval(document, department) -> None:
    browser, administrator = logged_in(Role.ADMINISTRATOR, department)
    services.copy_approval_request(
        actor=administrator, document=document, channel=CopyChannel.VIEW, reason="客户投诉核查"
    )
    approval = _approve(
        ApprovalKind.BREAK_GLASS_REVEAL, administrator, Role.MANAGER, department, document.pk
    )

    response = browser.get(f"/documents/{document.pk}/thumbnail/")

    assert response.status_code == 403
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED


def test_reviewer_download_needs_a_copy_export_approval(document, department) -> None:
    browser, reviewer = logged_in(Role.REVIEWER, department)

    refused = browser.post(f"/documents/{document.pk}/copy/", {**COPY_FORM, "channel": "download"})
    requested = browser.post(
        f"/documents/{document.pk}/approval/", {"channel": "download", "reason": "银行开户需要"}
    )
    _approve(ApprovalKind.COPY_EXPORT, reviewer, Role.MANAGER, department, document.pk)
    allowed = browser.post(f"/documents/{document.pk}/copy/", {**COPY_FORM, "channel": "download"})

    assert 'id="approval-form"' in refused.content.decode()
    assert requested.status_code == 302
    assert allowed["Content-Disposition"].startswith("attachment;")


def test_gates_apply_to_copies(document, department) -> None:
    from django.test import Client as HttpClient

    from tests.accounts.conftest import log_in

    staff = enrolled_staff(roles=[Role.REVIEWER], department=department)
    browser = HttpClient()
    log_in(browser, staff)

    response = browser.post(f"/documents/{document.pk}/copy/", {**COPY_FORM, "channel": "view"})

    assert "保密协议" in response.content.decode()
    assert not IssuedCopy.objects.exists()
    event = AuditEvent.objects.get(action=Action.REVEAL)
    assert event.details["reason"] == "agreement_missing"


@pytest.mark.parametrize(
    "path",
    ["/documents/{id}/", "/documents/{id}/thumbnail/"],
)
def test_other_departments_document_is_not_found(path, department, clerk) -> None:
    other = DepartmentFactory(name="记账二部")
    hidden_client = make_client(department=other)
    hidden = upload(hidden_client, enrolled_staff(roles=[Role.CLERK], department=other).user)
    browser, _reviewer = logged_in(Role.REVIEWER, department)

    response = browser.get(path.format(id=hidden.pk))

    assert response.status_code == 404
    assert not IssuedCopy.objects.exists()


def test_copy_of_other_departments_document_is_not_found(department) -> None:
    other = DepartmentFactory(name="记账二部")
    hidden_client = make_client(department=other)
    hidden = upload(hidden_client, enrolled_staff(roles=[Role.CLERK], department=other).user)
    browser, _reviewer = logged_in(Role.REVIEWER, department)

    response = browser.post(f"/documents/{hidden.pk}/copy/", {**COPY_FORM, "channel": "view"})

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()


def test_security_administrator_sees_no_documents(document) -> None:
    browser, _security_admin = logged_in(Role.SECURITY_ADMIN, None)

    assert browser.get(f"/documents/{document.pk}/").status_code == 404
    assert browser.get(f"/documents/clients/{document.client_id}/").status_code == 404


# The original ---------------------------------------------------------------------------


def test_administrator_exports_original_once_after_approval(document, department) -> None:
    browser, administrator = logged_in(Role.ADMINISTRATOR, department)

    refused = browser.post(f"/documents/{document.pk}/original/")
    browser.post(f"/documents/{document.pk}/approval/", {"reason": "客户解约，交还原件"})
    _approve(
        ApprovalKind.ORIGINAL_EXPORT,
        administrator,
        Role.SECURITY_ADMIN,
        None,
        document.pk,
        field="original",
    )
    exported = browser.post(f"/documents/{document.pk}/original/")
    again = browser.post(f"/documents/{document.pk}/original/")

    assert refused.status_code == 302
    assert exported.status_code == 200
    assert exported["Content-Disposition"].startswith("attachment;")
    assert exported.content == sanitize(scan_png(seed=21)).content
    assert again.status_code == 302
    events = AuditEvent.objects.filter(action=Action.DOCUMENT_ORIGINAL_EXPORTED)
    assert sorted(events.values_list("result", flat=True)) == ["denied", "denied", "success"]


def test_reviewer_cannot_ask_for_the_original(document, department) -> None:
    _browser, reviewer = logged_in(Role.REVIEWER, department)

    with pytest.raises(DocumentAccessDeniedError) as raised:
        services.original_export_request(actor=reviewer, document=document, reason="客户要求")

    assert raised.value.code == "approval_not_applicable"


def test_grant_never_exports_the_original(document, department) -> None:
    from shoumi.access.models import AccessGrant, GrantStatus
    from shoumi.config import clock

    _browser, clerk = logged_in(Role.CLERK, department)
    now = clock.now()
    grant = AccessGrant.objects.create(
        requester=clerk,
        fields=["documents.document.original"],
        actions=["export"],
        purpose="测试",
        duration_minutes=60,
        status=GrantStatus.APPROVED,
        requested_at=now,
        starts_at=now,
        expires_at=now + datetime.timedelta(hours=1),
    )
    grant.clients.set([document.client])

    with pytest.raises(DocumentAccessDeniedError) as raised:
        services.original_export(actor=clerk, document=document)

    assert raised.value.needs_approval


# The register -----------------------------------------------------------------------------


def test_clerk_does_not_see_the_register(document, department) -> None:
    reviewer_browser, reviewer = logged_in(Role.REVIEWER, department)
    services.copy_issue(
        actor=reviewer,
        document=document,
        channel=CopyChannel.VIEW,
        purpose="办理税务登记",
        recipient=services.Recipient.for_vendor("示例银行城东支行"),
    )
    clerk_browser, _clerk = logged_in(Role.CLERK, department)

    reviewer_page = reviewer_browser.get(f"/documents/{document.pk}/").content.decode()
    clerk_page = clerk_browser.get(f"/documents/{document.pk}/").content.decode()

    assert 'id="issued-copies"' in reviewer_page
    assert "示例银行城东支行" in reviewer_page
    assert 'id="issued-copies"' not in clerk_page


def test_client_documents_partial_queries_do_not_grow(own_client, clerk, department) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser, _reviewer = logged_in(Role.REVIEWER, department)
    upload(own_client, clerk)
    url = f"/documents/clients/{own_client.pk}/"
    browser.get(url, HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as one_document:
        browser.get(url, HTTP_HX_REQUEST="true")
    for seed in range(4):
        upload(own_client, clerk, scan_png(seed=seed))

    with CaptureQueriesContext(connection) as five_documents:
        response = browser.get(url, HTTP_HX_REQUEST="true")

    assert response.content.decode().count('class="document-card"') == 5
    assert len(five_documents) == len(one_document)


def test_copy_logs_no_names_or_purpose(document, department, caplog) -> None:
    _browser, reviewer = logged_in(Role.REVIEWER, department)
    caplog.set_level("DEBUG")

    services.copy_issue(
        actor=reviewer,
        document=document,
        channel=CopyChannel.VIEW,
        purpose="办理税务登记",
        recipient=services.Recipient.for_vendor("示例银行城东支行"),
    )

    assert "document_copy_issued" in caplog.text
    assert "示例银行城东支行" not in caplog.text
    assert "办理税务登记" not in caplog.text
    assert reviewer.full_name not in caplog.text
