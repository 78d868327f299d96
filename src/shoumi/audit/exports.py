"""CSV export of audit log search results, itself recorded as an audit event.

The file contains what the viewer shows: the index columns and the values
read from each event's encoding, which hold ids and masks only. Its first
row names the exporting user, the time and the purpose. Cells that a
spreadsheet would run as a formula get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Final

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumi.accounts.models import User
from shoumi.audit import selectors, services
from shoumi.audit.actions import Action
from shoumi.audit.errors import AuditError
from shoumi.clients import selectors as client_selectors
from shoumi.config import clock

MAX_EXPORT_ROWS: Final = 100_000
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditExport:
    content: bytes
    filename: str
    row_count: int


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def audit_log_export(
    *,
    actor: User,
    filters: selectors.EventFilters,
    purpose: str,
    request: HttpRequest | None = None,
) -> AuditExport:
    """Return the matching events as CSV (newest first) and record the export.

    Raises:
        PermissionDenied: ``actor`` is not the audit administrator.
        AuditError: more than ``MAX_EXPORT_ROWS`` events match, or the
            export event cannot be stored (then no file is returned).
    """
    events = selectors.event_list(user=actor, filters=filters)
    row_count = events.count()
    if row_count > MAX_EXPORT_ROWS:
        raise AuditError(
            _("%(count)d events match; narrow the search to at most %(maximum)d events.")
            % {"count": row_count, "maximum": MAX_EXPORT_ROWS},
            code="audit_export_too_large",
        )
    now = clock.now()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("shoumi audit log export · by %(number)s · %(time)s · for: %(purpose)s")
            % {
                "number": actor.employee_number,
                "time": f"{timezone.localtime(now):%Y-%m-%d %H:%M}",
                "purpose": _cell(purpose),
            }
        ]
    )
    writer.writerow(
        [
            _("Sequence number"),
            _("Time"),
            _("Employee number"),
            _("Roles"),
            _("Action"),
            _("Result"),
            _("Object type"),
            _("Object id"),
            _("Field"),
            _("Purpose"),
            _("Client IP"),
            _("Request id"),
            _("Details"),
        ]
    )
    for event in events.iterator(chunk_size=2000):
        writer.writerow(
            [
                _cell(value)
                for value in (
                    event.seq,
                    f"{timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M:%S}",
                    event.actor_employee_number,
                    event.actor_roles,
                    event.action,
                    event.result,
                    event.object_type,
                    event.object_id,
                    event.field,
                    event.purpose,
                    event.client_ip,
                    event.request_id,
                    json.dumps(event.details, ensure_ascii=False, sort_keys=True),
                )
            ]
        )

    client_filter = ""
    if filters.client:
        # The client's id, never the typed text, which could be any string.
        object_ids = client_selectors.client_audit_object_ids(user=actor, client_key=filters.client)
        client_filter = object_ids[0] if object_ids else "no client matched"
    with transaction.atomic():
        services.append(
            action=Action.AUDIT_EXPORTED,
            actor=actor,
            object_type="audit.auditevent",
            purpose=purpose,
            request=request,
            details={
                "rows": row_count,
                "format": "csv",
                "actor_filter": filters.actor,
                "client_filter": client_filter,
                "action_filter": filters.action,
                "since": filters.since.isoformat() if filters.since else "",
                "until": filters.until.isoformat() if filters.until else "",
            },
        )
    filename = f"shoumi-audit-{timezone.localtime(now):%Y%m%d-%H%M%S}.csv"
    # A byte-order mark so that Excel on Windows opens the Chinese text as UTF-8.
    content = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return AuditExport(content=content, filename=filename, row_count=row_count)
