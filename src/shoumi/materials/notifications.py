"""E-mails about overdue loans and archive-room alerts.

Mails go out through Django's configured e-mail backend (SMTP in
production). They name the item, the client company and dates, never
personal data of the client's people, and they are written in the site's
default language.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shoumi.materials.models import EnvironmentAlert, Loan


def send_overdue_notice(*, loan: Loan, recipients: Sequence[str], today: date) -> None:
    """Send one mail about ``loan`` to all ``recipients``; raises OSError (smtplib) on failure."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Overdue loan: %(material)s") % {"material": loan.item.name}
        body = _(
            "The following paper was due back on %(due_on)s and has not been returned "
            "(%(days)d days overdue).\n\n"
            "Material: %(material)s ×%(quantity)d\n"
            "Client: %(client)s\n"
            "Borrower: %(borrower)s\n"
            "Purpose: %(purpose)s\n\n"
            "Return it to the archivist, or ask for a new loan.\n%(url)s\n"
        ) % {
            "due_on": loan.due_on.isoformat(),
            "days": (today - loan.due_on).days,
            "material": loan.item.name,
            "quantity": loan.item.quantity,
            "client": loan.item.client.name,
            "borrower": loan.borrower.full_name,
            "purpose": loan.purpose,
            "url": settings.BASE_URL + reverse("materials:loan_list"),
        }
    send_mail(subject, body, None, list(recipients), fail_silently=False)


def send_alert_notice(*, alerts: Sequence[EnvironmentAlert], recipients: Sequence[str]) -> None:
    """Send one mail listing newly opened archive-room alerts."""
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("%(time)s %(room)s, sensor %(sensor)s: %(alert)s (reading %(value)s)")
            % {
                "time": timezone.localtime(alert.opened_at).strftime("%Y-%m-%d %H:%M"),
                "room": alert.sensor.room.name,
                "sensor": alert.sensor.name,
                "alert": alert.get_kind_display(),
                "value": alert.first_value,
            }
            for alert in alerts
        ]
        subject = _("Archive-room alert: temperature or humidity out of range")
        body = (
            _("The archive room is outside 18–22 °C or 50–60 % relative humidity:")
            + "\n\n"
            + "\n".join(lines)
            + "\n\n"
            + _("Check the air conditioning and dehumidifier.")
            + "\n"
            + settings.BASE_URL
            + reverse("materials:archive_room")
            + "\n"
        )
    send_mail(subject, body, None, list(recipients), fail_silently=False)
