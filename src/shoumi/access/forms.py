from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shoumi.access.models import GRANTABLE_ACTIONS, GRANTABLE_FIELD_LABELS
from shoumi.clients.models import Client
from shoumi.vault.free_text import validate_free_text
from shoumi.vault.sensitivity import Sensitivity, registry

DURATION_CHOICES = [
    (60, _("1 hour")),
    (120, _("2 hours")),
    (240, _("4 hours")),
    (480, _("8 hours")),
    (1440, _("24 hours")),
]


def grantable_field_choices() -> list[tuple[str, Any]]:
    """Sealed client fields that a grant can open, with their labels."""
    choices = []
    for key, label in GRANTABLE_FIELD_LABELS.items():
        model_label, _separator, field = key.rpartition(".")
        if registry.level_of(model_label, field) >= Sensitivity.INTERNAL:
            choices.append((key, label))
    return choices


class ClientChoiceField(forms.ModelMultipleChoiceField):
    """Clients by name, with the credit code where the client has one."""

    def label_from_instance(self, obj: Client) -> str:
        if obj.uscc:
            return f"{obj.name}（{obj.uscc}）"
        return obj.name

    def clean(self, value: Any) -> Any:
        # A value that is no client id would otherwise fail with the UUID field's own
        # message, which names the value but not what to do.
        for client_id in value if isinstance(value, list | tuple) else []:
            try:
                uuid.UUID(str(client_id))
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                ) from None
        return super().clean(value)


class GrantRequestForm(forms.Form):
    """A request for temporary access to clients that the requester may see.

    ``clients`` is the queryset of those clients (``client_choice_list``). A
    client outside it gets the same "not found" error whether it does not
    exist or is hidden from the requester.
    """

    clients = ClientChoiceField(
        label=_("Clients"),
        queryset=Client.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several clients."),
        error_messages={
            "required": _("Choose at least one client."),
            "invalid_choice": _(
                "The chosen client was not found among the clients you may see. "
                "Choose one from the list."
            ),
            "invalid_pk_value": _(
                "The chosen client was not found among the clients you may see. "
                "Choose one from the list."
            ),
        },
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

    def __init__(self, *args: Any, clients: QuerySet[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client_field = self.fields["clients"]
        if isinstance(client_field, forms.ModelMultipleChoiceField):
            client_field.queryset = clients
        field_keys = self.fields["field_keys"]
        if isinstance(field_keys, forms.ChoiceField):
            field_keys.choices = grantable_field_choices()


class DecisionForm(forms.Form):
    note = forms.CharField(
        validators=[validate_free_text], label=_("Note"), max_length=200, required=False
    )


class BreakGlassForm(forms.Form):
    reason = forms.CharField(validators=[validate_free_text], label=_("Reason"), max_length=200)


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(
        label=_("Format"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")]
    )
    purpose = forms.CharField(validators=[validate_free_text], label=_("Purpose"), max_length=200)
