"""Forms of the document pages: upload, marked copy, approval request, trace."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shoumi.accounts.models import User
from shoumi.documents.models import CopyChannel, DocumentType, RecipientKind
from shoumi.documents.selectors import recipient_staff_list
from shoumi.vault.free_text import validate_free_text

ISSUABLE_CHANNELS = [
    (CopyChannel.VIEW.value, _("View on screen")),
    (CopyChannel.DOWNLOAD.value, _("Download")),
    (CopyChannel.PRINT.value, _("Print")),
]


class DocumentUploadForm(forms.Form):
    document_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    # The file type is detected from the content by the service; the
    # browser's hint only filters the file picker.
    file = forms.FileField(
        label=_("Scan or photo"),
        help_text=_("JPEG, PNG or HEIC image, or PDF. Metadata such as GPS is removed."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/heic,application/pdf"}
        ),
    )


class CopyForm(forms.Form):
    """The purpose and the recipient of a marked copy."""

    # Set by the button that submits the form (view, download or print).
    channel = forms.ChoiceField(choices=ISSUABLE_CHANNELS, widget=forms.HiddenInput)
    purpose = forms.CharField(
        validators=[validate_free_text],
        label=_("Purpose (printed as 仅供…使用)"),
        max_length=40,
        help_text=_("For example: 办理税务登记. Printed on the copy with “再复印无效”."),
    )
    recipient_kind = forms.ChoiceField(
        label=_("Recipient"), choices=RecipientKind.choices, widget=forms.RadioSelect
    )
    recipient_staff = forms.ModelChoiceField(
        label=_("Staff member"), queryset=User.objects.none(), required=False
    )
    vendor_name = forms.CharField(
        validators=[validate_free_text],
        label=_("Vendor or other party"),
        max_length=40,
        required=False,
        help_text=_("For example: 某某银行某某支行. Printed on the copy."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff_field = self.fields["recipient_staff"]
        if isinstance(staff_field, forms.ModelChoiceField):
            staff_field.queryset = recipient_staff_list()
        self.fields["purpose"].widget.attrs.update({"autocomplete": "off"})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("recipient_kind")
        if kind == RecipientKind.STAFF and not cleaned.get("recipient_staff"):
            self.add_error("recipient_staff", _("Choose the staff member who receives the copy."))
        if kind == RecipientKind.VENDOR and not (cleaned.get("vendor_name") or "").strip():
            self.add_error("vendor_name", _("Enter who receives the copy."))
        return cleaned


class ApprovalRequestForm(forms.Form):
    channel = forms.ChoiceField(choices=ISSUABLE_CHANNELS, required=False)
    reason = forms.CharField(
        validators=[validate_free_text],
        label=_("Reason for the two-person approval"),
        max_length=200,
    )


class TraceForm(forms.Form):
    file = forms.FileField(
        label=_("Leaked copy"),
        required=False,
        help_text=_("The leaked file, or a flat scan of the paper copy: JPEG, PNG, HEIC or PDF."),
    )
    trace_code = forms.CharField(
        label=_("Or the trace code printed on it"),
        max_length=20,
        required=False,
        help_text=_("8 letters and digits, for example 7K3M-Q9TX."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("file") and not (cleaned.get("trace_code") or "").strip():
            raise forms.ValidationError(_("Upload the leaked copy or type its trace code."))
        return cleaned
