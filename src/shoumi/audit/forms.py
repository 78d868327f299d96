"""Forms of the audit log viewer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shoumi.audit.actions import Action
from shoumi.audit.selectors import EventFilters
from shoumi.vault.free_text import validate_free_text


class EventSearchForm(forms.Form):
    actor = forms.CharField(label=_("Employee number"), required=False, max_length=32)
    client = forms.CharField(label=_("Client"), required=False, max_length=64)
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("All actions")), *Action.choices], required=False
    )
    since = forms.DateField(
        label=_("Start date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("End date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].widget.attrs.update(
            {"placeholder": _("Client id or credit code"), "autocomplete": "off"}
        )
        self.fields["actor"].widget.attrs.update({"autocomplete": "off"})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date must not be before the start date."))
        return cleaned

    def filters(self) -> EventFilters:
        """Return the search criteria; call only after ``is_valid()`` returned True."""
        data = self.cleaned_data
        return EventFilters(
            actor=data["actor"].strip(),
            client=data["client"].strip(),
            action=data["action"],
            since=data["since"],
            until=data["until"],
        )


class AuditExportForm(forms.Form):
    purpose = forms.CharField(
        validators=[validate_free_text], label=_("Purpose"), min_length=2, max_length=200
    )
