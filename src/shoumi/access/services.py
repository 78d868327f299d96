"""The reveal service, the only path from a sealed value to its plaintext.

Order of a reveal: validate the purpose, check the gates, decide by the
policy (matrix, assignment, temporary grant or two-person approval), write
the audit event, then decrypt. A refused reveal is audited too. If the audit
event cannot be written, nothing is decrypted (fail closed). The plaintext is
returned to the one caller and never logged or stored.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi import crypto
from shoumi.access import alerts, approvals, gates, policy
from shoumi.access.errors import PurposeInvalidError, RevealDeniedError, RevealFailedError
from shoumi.access.matrix import Action
from shoumi.accounts.models import User
from shoumi.audit import services as audit
from shoumi.audit.actions import Action as AuditAction
from shoumi.audit.actions import Result
from shoumi.config import clock
from shoumi.vault import services as vault
from shoumi.vault.free_text import reject_identifiers

logger = structlog.get_logger(__name__)

PURPOSE_MIN_LENGTH = 2
PURPOSE_MAX_LENGTH = 200


def client_of(record: Model) -> Model:
    """Return the client a record belongs to (the record itself for a client)."""
    return getattr(record, "client", record)


def clean_purpose(purpose: str) -> str:
    """Collapse whitespace in a reveal or export purpose and check it.

    Raises PurposeInvalidError for a purpose that is too short or too long,
    or that contains a personal identifier. The purpose goes into the
    append-only audit log, where it cannot be corrected later, so such a
    purpose is rejected before anything is recorded rather than redacted.
    """
    purpose = " ".join(purpose.split())
    if not PURPOSE_MIN_LENGTH <= len(purpose) <= PURPOSE_MAX_LENGTH:
        raise PurposeInvalidError(_("State what the value is needed for (2 to 200 characters)."))
    reject_identifiers(PurposeInvalidError, purpose=purpose)
    return purpose


def reveal(
    *,
    user: User,
    record: Model,
    field: str,
    purpose: str,
    request: HttpRequest | None = None,
) -> str | None:
    """Return the plaintext of ``record.<field>`` for ``user`` and one stated purpose.

    Raises PurposeInvalidError for a missing purpose, RevealDeniedError when a
    gate or the policy refuses (audited as denied; the error's
    ``needs_approval`` says whether a two-person approval would help),
    AuditError when the event cannot be stored (nothing is decrypted then),
    RevealFailedError when the stored value cannot be decrypted.
    """
    purpose = clean_purpose(purpose)
    client = client_of(record)
    label = record._meta.label_lower
    event_fields = {
        "actor": user,
        "object_type": label,
        "object_id": record.pk,
        "field": field,
        "purpose": purpose,
        "request": request,
    }
    details: dict[str, object] = {"client": str(client.pk)}

    # One query reads the gates, whether the client is the user's own (for the
    # policy), and the offboarding state, the count of the last hour's reveals and
    # whether their alert was raised (for the alerts).
    since = clock.now() - timedelta(hours=1)
    state = gates.gate_state(user, client=client, extra=alerts.reveal_columns(user, since))
    reveals_before = int(state.extra[0]) if state.extra else None
    many_reveals_raised = bool(state.extra[1]) if state.extra else False
    failures = gates.failed_gates(user, request=request, state=state)
    if failures:
        _deny(
            event_fields,
            {**details, "gate": failures[0].code},
            user,
            failures[0].code,
            is_offboarding=state.is_offboarding,
            reveals_before=reveals_before,
        )
        raise RevealDeniedError(failures[0].message, code=failures[0].code)

    decision = policy.decide(
        user,
        Action.REVEAL,
        client,
        label,
        field,
        subject_id=str(record.pk),
        own_client=state.own_client,
    )
    if not decision.allowed:
        _deny(
            event_fields,
            {**details, "reason": decision.code},
            user,
            decision.code,
            is_offboarding=state.is_offboarding,
            reveals_before=reveals_before,
        )
        error = RevealDeniedError(decision.message, code=decision.code)
        error.needs_approval = decision.needs_approval  # type: ignore[attr-defined]
        raise error
    if decision.grant_id:
        details["grant"] = decision.grant_id
    if decision.approval_id:
        details["approval"] = decision.approval_id

    try:
        with transaction.atomic():
            if decision.approval_id:
                approvals.approval_consume(approval_id=decision.approval_id, actor=user)
            # No savepoint: an error here ends this block, which rolls back
            # the whole transaction, the consumed approval included.
            audit.append(
                action=AuditAction.REVEAL,
                result=Result.SUCCESS,
                details=details,
                savepoint=False,
                **event_fields,
            )
            plaintext = vault.open_for_reveal(record=record, field_name=field)
    except crypto.DecryptionError as error:
        audit.append(
            action=AuditAction.REVEAL, result=Result.FAILURE, details=details, **event_fields
        )
        logger.error(
            "reveal_decrypt_failed", object_type=label, object_id=str(record.pk), field=field
        )
        raise RevealFailedError(
            _("The stored value could not be decrypted. Tell the security administrator.")
        ) from error
    alerts.evaluate(
        user=user,
        action=AuditAction.REVEAL,
        result=Result.SUCCESS,
        is_offboarding=state.is_offboarding,
        reveals_before=reveals_before,
        many_reveals_raised=many_reveals_raised,
    )
    logger.info("reveal_succeeded", user_id=user.pk, object_type=label, field=field)
    return plaintext


def record_out_of_reach(
    *,
    user: User,
    object_type: str,
    object_id: object,
    field: str,
    request: HttpRequest | None = None,
) -> None:
    """Audit a reveal aimed at a record that does not exist or that ``user`` may not see.

    The caller returns 404 either way. The event and the unassigned-client alert
    make repeated probing visible to the security administrator.
    """
    audit.append(
        action=AuditAction.REVEAL,
        result=Result.DENIED,
        actor=user,
        object_type=object_type,
        object_id=object_id,
        field=field,
        request=request,
        details={"reason": "not_found_or_hidden"},
    )
    logger.warning("reveal_out_of_reach", user_id=user.pk, object_type=object_type)
    alerts.evaluate(
        user=user,
        action=AuditAction.REVEAL,
        result=Result.DENIED,
        reason_code="client_not_assigned",
    )


def _deny(
    event_fields: dict[str, object],
    details: dict[str, object],
    user: User,
    code: str,
    *,
    is_offboarding: bool,
    reveals_before: int | None,
) -> None:
    audit.append(action=AuditAction.REVEAL, result=Result.DENIED, details=details, **event_fields)  # type: ignore[arg-type]
    logger.warning("reveal_denied", user_id=user.pk, reason=code)
    alerts.evaluate(
        user=user,
        action=AuditAction.REVEAL,
        result=Result.DENIED,
        reason_code=code,
        is_offboarding=is_offboarding,
        reveals_before=reveals_before,
    )


def break_glass_request(
    *, user: User, record: Model, field: str, reason: str, request: HttpRequest | None = None
) -> object:
    """Ask a second person to approve one reveal of ``record.<field>`` by ``user``."""
    from shoumi.access.models import ApprovalKind, field_label

    label = record._meta.label_lower
    if not policy.is_own_client(user, client_of(record)):
        raise RevealDeniedError(
            _("This client is not assigned to you or your department."), code="client_not_assigned"
        )
    return approvals.approval_request(
        actor=user,
        kind=ApprovalKind.BREAK_GLASS_REVEAL,
        subject={"model": label, "id": str(record.pk), "field": field},
        subject_key=policy.subject_key(label, str(record.pk), field),
        summary=_("Reveal %(field)s of %(client)s")
        % {"field": field_label(f"{label}.{field}"), "client": str(client_of(record))},
        reason=reason,
        request=request,
    )
