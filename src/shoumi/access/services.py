"""The reveal service: the only path from a sealed value to its plaintext.

Order of a reveal: validate the purpose, ask the policy, write the audit
event, then decrypt. A refused reveal is audited too. If the audit event
cannot be written, nothing is decrypted (fail closed). The plaintext is
returned to the one caller and never logged or stored.
"""

from __future__ import annotations

import structlog
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi import crypto
from shoumi.access import policy
from shoumi.access.errors import PurposeInvalidError, RevealDeniedError, RevealFailedError
from shoumi.accounts.models import User
from shoumi.audit import services as audit
from shoumi.audit.actions import Action, Result
from shoumi.vault import services as vault

logger = structlog.get_logger(__name__)

PURPOSE_MIN_LENGTH = 2
PURPOSE_MAX_LENGTH = 200


def client_of(record: Model) -> Model:
    """Return the client a record belongs to (the record itself for a client)."""
    return getattr(record, "client", record)


def reveal(
    *,
    user: User,
    record: Model,
    field: str,
    purpose: str,
    request: HttpRequest | None = None,
) -> str | None:
    """Return the plaintext of ``record.<field>`` for ``user`` and one stated purpose.

    Raises PurposeInvalidError for a missing purpose, RevealDeniedError when
    the policy refuses (audited as denied), AuditError when the event cannot
    be stored (nothing is decrypted then), RevealFailedError when the stored
    value cannot be decrypted.
    """
    purpose = " ".join(purpose.split())
    if not PURPOSE_MIN_LENGTH <= len(purpose) <= PURPOSE_MAX_LENGTH:
        raise PurposeInvalidError(_("State what the value is needed for (2 to 200 characters)."))

    client = client_of(record)
    label = record._meta.label_lower
    decision = policy.reveal_decision(user, client, label, field)
    event_fields = {
        "actor": user,
        "object_type": label,
        "object_id": record.pk,
        "field": field,
        "purpose": purpose,
        "request": request,
        "details": {"client": str(client.pk)},
    }
    if not decision.allowed:
        audit.append(action=Action.REVEAL, result=Result.DENIED, **event_fields)
        logger.warning(
            "reveal_denied", user_id=user.pk, object_type=label, field=field, reason=decision.code
        )
        raise RevealDeniedError(decision.message, code=decision.code)

    try:
        with transaction.atomic():
            audit.append(action=Action.REVEAL, result=Result.SUCCESS, **event_fields)
            plaintext = vault.open_for_reveal(record=record, field_name=field)
    except crypto.DecryptionError as error:
        audit.append(action=Action.REVEAL, result=Result.FAILURE, **event_fields)
        logger.error(
            "reveal_decrypt_failed", object_type=label, object_id=str(record.pk), field=field
        )
        raise RevealFailedError(
            _("The stored value could not be decrypted. Tell the security administrator.")
        ) from error
    logger.info("reveal_succeeded", user_id=user.pk, object_type=label, field=field)
    return plaintext
