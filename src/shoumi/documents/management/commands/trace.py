"""``shoumi trace FILE``: read the trace code of a leaked copy and show who received it.

Exit status: 0 when the code was read and found in the register of issued
copies, and 1 when the file carries no readable code. 2 means the file
cannot be read or intake rejects it, and 3 that the code was read but no
copy with it was issued here. Every run is audited, with the system as the
actor, because the operator on the server has no staff account here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumi.documents import services
from shoumi.documents.errors import TraceFailedError
from shoumi.documents.imaging.cli import EXIT_INVALID_INPUT, EXIT_NOT_FOUND
from shoumi.documents.imaging.errors import IntakeError
from shoumi.documents.services.common import intake_limits

EXIT_NOT_REGISTERED = 3


class Command(BaseCommand):
    help = (
        "Read the trace code of a leaked copy (JPEG, PNG, HEIC or PDF) and show, from the "
        "register of issued copies, who received it, when and for what."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="path of the leaked copy")
        parser.add_argument(
            "--json",
            action="store_true",
            help="print one JSON object (trace_code, registered, recipient, purpose, ...)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            result = services.trace_path(path=path)
        except TraceFailedError as error:
            raise CommandError(error.message, returncode=EXIT_NOT_FOUND) from error
        except IntakeError as error:
            message = services.intake_error_message(error, intake_limits())
            raise CommandError(message, returncode=EXIT_INVALID_INPUT) from error
        except OSError as error:
            raise CommandError(
                _("The file %(path)s cannot be read: %(reason)s.")
                % {"path": path, "reason": error.strerror},
                returncode=EXIT_INVALID_INPUT,
            ) from error

        report = _report(result)
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
        else:
            self.stdout.write(_text(report))
        if result.issued_copy is None:
            raise CommandError(
                _("This trace code is not in the register of issued copies."),
                returncode=EXIT_NOT_REGISTERED,
            )


def _report(result: services.TraceResult) -> dict[str, Any]:
    report: dict[str, Any] = {
        "trace_code": str(result.trace_code),
        "confidence": result.confidence,
        "registered": result.issued_copy is not None,
    }
    copy = result.issued_copy
    if copy is not None:
        report.update(
            {
                "copy_id": str(copy.pk),
                "document_id": str(copy.document_id),
                "document_type": copy.document.get_document_type_display(),
                "client": copy.document.client.name,
                "channel": copy.channel,
                "issued_by": f"{copy.issued_by.full_name}（{copy.issued_by.employee_number}）",
                "recipient_kind": copy.recipient_kind,
                "recipient": copy.recipient_name,
                "purpose": copy.purpose,
                "issued_at": timezone.localtime(copy.issued_at).isoformat(timespec="minutes"),
                "approval_id": str(copy.approval_id or ""),
            }
        )
    return report


def _text(report: dict[str, Any]) -> str:
    lines = [_("Trace code: %(code)s") % {"code": report["trace_code"]}]
    if report["confidence"]:
        level = _("high") if report["confidence"] == "high" else _("medium")
        lines.append(_("Confidence: %(level)s") % {"level": level})
    if report["registered"]:
        lines += [
            _("Recipient: %(recipient)s") % {"recipient": report["recipient"]},
            _("Purpose: %(purpose)s") % {"purpose": report["purpose"]},
            _("Issued at: %(time)s") % {"time": report["issued_at"]},
            _("Issued by: %(name)s") % {"name": report["issued_by"]},
            _("Document: %(type)s of %(client)s")
            % {"type": report["document_type"], "client": report["client"]},
        ]
    return "\n".join(lines)
