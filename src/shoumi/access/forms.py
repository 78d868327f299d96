from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shoumi.access.models import GRANTABLE_ACTIONS
from shoumi.vault.free_text import validate_free_text
from shoumi.vault.sensitivity import Sensitivity, registry

DURATION_CHOICES = [
    (60, _("1 hour")),
    (120, _("2 hours")),
    (240, _("4 hours")),
    (480, _("8 hours")),
    (1440, _("24 hours")),
]

FIELD_LABELS = {
    "clients.person.name": _("Person: name"),
    "clients.person.resident_id": _("Person: ID number"),
    "clients.person.mobile": _("Person: mobile"),
    "clients.bankaccount.account_number": _("Bank account: account number"),
    "clients.taxlogin.username": _("Tax-bureau login: login name"),
    "clients.taxlogin.password": _("Tax-bureau login: password"),
    "documents.document.scan": _("Document scan: marked copies"),
}


def grantable_field_choices() -> list[tuple[str, Any]]:
    """Sealed client fields that a grant can open, with their labels."""
    choices = []
    for key, label in FIELD_LABELS.items():
        model_label, _separator, field = key.rpartition(".")
        if registry.level_of(model_label, field) >= Sensitivity.INTERNAL:
            choices.append((key, label))
    return choices


class GrantRequestForm(forms.Form):
    client_codes = forms.CharField(
        label=_("Clients"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Unified social credit codes, one per line."),
    )
    field_keys = forms.MultipleChoiceField(
        label=_("Fields"), widget=forms.CheckboxSelectMultiple, choices=[]
    )
    actions = forms.MultipleChoiceField(
        label=_("Actions"), widget=forms.CheckboxSelectMultiple, choices=GRANTABLE_ACTIONS
    )
    duration_minutes = forms.TypedChoiceField(
        label=_("Duration"), choices=DURATION_CHOICES, coerce=int
    )
    purpose = forms.CharField(validators=[validate_free_text], label=_("Purpose"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_keys = self.fields["field_keys"]
        if isinstance(field_keys, forms.ChoiceField):
            field_keys.choices = grantable_field_choices()

    def clean_client_codes(self) -> list[str]:
        text = self.cleaned_data["client_codes"]
        codes = [
            line.strip().upper() for line in text.replace(",", "\n").splitlines() if line.strip()
        ]
        if not codes:
            raise forms.ValidationError(_("Enter at least one credit code."))
        return codes


class DecisionForm(forms.Form):
    note = forms.CharField(
        validators=[validate_free_text], label=_("Note"), max_length=200, required=False
    )


class BreakGlassForm(forms.Form):
    reason = forms.CharField(validators=[validate_free_text], label=_("Reason"), max_length=300)


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(
        label=_("Format"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")]
    )
    purpose = forms.CharField(validators=[validate_free_text], label=_("Purpose"), max_length=200)
