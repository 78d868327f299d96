"""Print the intake receipt, the lending register and the destruction record as PDFs.

Each print is an audit event, written before the document is built. PDFs
are built in memory and returned; none is stored, so a receipt with the
client's signature never lands on disk in clear.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumi.accounts.models import User
from shoumi.audit import services as audit
from shoumi.audit.actions import Action
from shoumi.config import clock
from shoumi.materials import permissions, signatures
from shoumi.materials.errors import MaterialsPermissionError
from shoumi.materials.models import (
    DestructionMethod,
    DestructionRecord,
    Intake,
    Loan,
    MaterialKind,
    SignatureMethod,
)
from shoumi.materials.pdf.layout import Fact, PdfDocument
from shoumi.materials.retention import RetentionPeriod
from shoumi.materials.services.common import record_event
from shoumi.vault.sensitivity import Sensitivity


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _staff(user: User | None) -> str:
    return f"{user.full_name}（{user.employee_number}）" if user else "—"


def intake_url(intake: Intake) -> str:
    """Return the absolute address of the intake's page, built from settings.BASE_URL."""
    return settings.BASE_URL + reverse("materials:intake_detail", args=[intake.pk])


def intake_receipt_pdf(*, actor: User, intake: Intake, request: HttpRequest | None = None) -> bytes:
    """Build the intake receipt in duplicate: a client copy and an agency copy, one page each.

    Each copy shows the items, the receiver, the client's signature and a
    QR code leading to the intake's page. Raises MaterialsNotFoundError for
    a client the user may not see.
    """
    permissions.require_role(
        actor, permissions.BUSINESS_ROLES, _("Your role cannot print intake receipts.")
    )
    permissions.require_client_visible(actor, intake.client)
    with transaction.atomic():
        record_event(
            action=Action.MATERIAL_RECEIPT_PRINTED,
            actor=actor,
            record=intake,
            request=request,
            details={"client": str(intake.client_id)},
        )

    signature_png = signatures.load(intake=intake)
    signature_size = signatures.image_size(signature_png)

    document = PdfDocument(title=_("Intake receipt") + " " + intake.number)
    facts = [
        Fact(_("Receipt number"), intake.number),
        Fact(_("Client"), intake.client.name),
        Fact(_("Unified social credit code"), intake.client.uscc or "—"),
        Fact(_("Received at"), _local(intake.received_at)),
        Fact(_("Received by"), _staff(intake.receiver)),
        Fact(_("Handed over by"), str(intake.handed_over_by) or "—"),
        Fact(_("Signature"), str(SignatureMethod(intake.signature_method).label)),
    ]
    headings = [
        _("No."),
        _("Material"),
        _("Kind"),
        _("Quantity"),
        _("Confidentiality level"),
        _("Retention period"),
        _("Fiscal year"),
    ]
    rows = [
        [
            str(number),
            item.name,
            str(MaterialKind(item.kind).label),
            str(item.quantity),
            str(Sensitivity(item.sensitivity).label),
            str(RetentionPeriod(item.retention_period).label),
            str(item.fiscal_year or "—"),
        ]
        for number, item in enumerate(intake.items.order_by("created_at"), start=1)
    ]

    for copy_label in (_("Client copy"), _("Agency copy")):
        document.new_page()
        top = document.pdf.get_y()
        document.qr_code(intake_url(intake), x=document.pdf.w - 15 - 30, y=top, size=30)
        document.title(_("Intake receipt"), f"（{copy_label}）")
        document.facts(facts, width=document.width - 36)
        document.table(headings, rows, widths=(7, 32, 10, 8, 13, 24, 11))
        document.paragraph(_("Client's signature:"))
        document.image(signature_png, pixel_size=signature_size, width=70, height=28)
        document.signature_lines([_("Receiver's signature")])
        document.paragraph(
            _(
                "This receipt is made out in duplicate: the client keeps the client copy, the "
                "agency files the agency copy. Scan the QR code to open the intake record "
                "(staff login required)."
            ),
            size=8,
        )
    return document.output()


def lending_register_pdf(
    *, actor: User, loans: Sequence[Loan], request: HttpRequest | None = None
) -> bytes:
    """Build the lending register (借阅登记簿) of the given loans, which the caller selected."""
    if not permissions.has_any_role(actor, permissions.BUSINESS_ROLES):
        raise MaterialsPermissionError(_("Your role cannot print the lending register."))
    with transaction.atomic():
        audit.append(
            action=Action.LENDING_REGISTER_PRINTED,
            actor=actor,
            object_type="materials.loan",
            request=request,
            details={"loans": len(loans)},
        )

    document = PdfDocument(title=_("Lending register"), landscape=True)
    document.new_page()
    document.title(
        _("Lending register"),
        _("Printed %(time)s by %(staff)s") % {"time": _local(clock.now()), "staff": _staff(actor)},
    )
    headings = [
        _("No."),
        _("Material"),
        _("Client"),
        _("Borrower"),
        _("Purpose"),
        _("Approved by"),
        _("Handed out at"),
        _("Due on"),
        _("Returned at"),
        _("Status"),
    ]
    rows = [
        [
            str(number),
            f"{loan.item.name} ×{loan.item.quantity}",
            loan.item.client.name,
            loan.borrower.full_name,
            loan.purpose,
            loan.decided_by.full_name if loan.decided_by else "—",
            _local(loan.handed_out_at),
            loan.due_on.isoformat(),
            _local(loan.returned_at),
            str(loan.get_status_display()),
        ]
        for number, loan in enumerate(loans, start=1)
    ]
    document.table(headings, rows, widths=(5, 22, 22, 10, 22, 10, 15, 11, 15, 17))
    return document.output()


def destruction_record_pdf(
    *, actor: User, record: DestructionRecord, request: HttpRequest | None = None
) -> bytes:
    """Build the destruction record (销毁记录表): both names, method, time and item list."""
    if not permissions.has_any_role(actor, permissions.BUSINESS_ROLES):
        raise MaterialsPermissionError(_("Your role cannot print destruction records."))
    with transaction.atomic():
        record_event(
            action=Action.DESTRUCTION_RECORD_PRINTED,
            actor=actor,
            record=record,
            request=request,
            details={"number": record.number},
        )

    document = PdfDocument(title=_("Destruction record") + " " + record.number)
    document.new_page()
    document.title(_("Destruction record"))
    facts = [
        Fact(_("Record number"), record.number),
        Fact(_("Destruction method"), str(DestructionMethod(record.method).label)),
        Fact(_("Destroyed at"), _local(record.destroyed_at)),
        Fact(_("Operator"), record.operator_name),
        Fact(_("Supervisor"), record.supervisor_name),
    ]
    if record.override is not None:
        override = record.override
        facts.append(
            Fact(
                _("Early destruction approved"),
                _("requested by %(requester)s, approved by %(approver)s: %(reason)s")
                % {
                    "requester": override.requested_by.full_name,
                    "approver": override.approved_by.full_name if override.approved_by else "—",
                    "reason": override.reason,
                },
            )
        )
    document.facts(facts)

    headings = [
        _("No."),
        _("Client"),
        _("Receipt number"),
        _("Material"),
        _("Kind"),
        _("Quantity"),
        _("Retention period"),
        _("Fiscal year"),
    ]
    rows = [
        [
            str(number),
            line.client_name,
            line.intake_number,
            line.material_name + (" *" if line.was_early else ""),
            str(MaterialKind(line.kind).label),
            str(line.quantity),
            str(RetentionPeriod(line.retention_period).label),
            str(line.fiscal_year or "—"),
        ]
        for number, line in enumerate(record.items.order_by("id"), start=1)
    ]
    document.table(headings, rows, widths=(7, 24, 25, 26, 9, 8, 22, 11))

    if any(line.was_early for line in record.items.all()):
        document.paragraph(_("* destroyed before the end of its retention period"), size=8)
    document.signature_lines([_("Operator's signature"), _("Supervisor's signature")])
    document.paragraph(_("This record is kept permanently."), size=8)
    return document.output()
