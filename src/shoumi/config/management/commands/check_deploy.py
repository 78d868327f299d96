"""Run Django's deployment checks plus shoumi's own; exit non-zero on any finding."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class Command(BaseCommand):
    help = (
        "Run Django's deployment checks and shoumi's own (DEBUG, HTTPS, an https base URL, "
        "lockout and session limits, secret-file permissions, key-file location). Exits with "
        "status 1 if any warning or error is found."
    )
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        findings = [
            message
            for message in checks.run_checks(include_deployment_checks=True)
            if message.level >= checks.WARNING and not message.is_silenced()
        ]
        if not findings:
            self.stdout.write(_("Deployment check passed: no problems found."))
            return
        for message in sorted(findings, key=lambda item: (-item.level, item.id or "")):
            level = _("error") if message.level >= checks.ERROR else _("warning")
            self.stdout.write(f"[{level}] {message.id}: {message.msg}")
            if message.hint:
                self.stdout.write("    " + _("Fix: %(hint)s") % {"hint": message.hint})
        raise CommandError(
            ngettext(
                "The deployment check found %(count)d problem.",
                "The deployment check found %(count)d problems.",
                len(findings),
            )
            % {"count": len(findings)}
        )
