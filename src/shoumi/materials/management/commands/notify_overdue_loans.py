"""Mail borrowers and archivists about overdue loans; run it daily (cron or a systemd timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from shoumi.materials import services


class Command(BaseCommand):
    help = (
        "E-mail the borrower and the archivists about every loan past its due date. Each "
        "loan is mailed at most once a day, so running the command more often sends nothing "
        "twice. Exits 0 also when nothing is overdue."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.loans_notify_overdue()
        self.stdout.write(f"Overdue loans notified: {count}")
