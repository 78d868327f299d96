"""Forms of the materials pages; the services check every rule again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.clients.models import Client
from shoumi.materials.models import (
    DestructionMethod,
    InspectionCheck,
    ItemStatus,
    KeySlot,
    LocationKind,
    MaterialItem,
    MaterialKind,
    SignatureMethod,
    StorageLocation,
)
from shoumi.materials.retention import RetentionPeriod
from shoumi.vault.free_text import validate_free_text
from shoumi.vault.sensitivity import Sensitivity


def _set_queryset(field: forms.Field, queryset: QuerySet[Any]) -> None:
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{field!r} is not a model choice field")
    field.queryset = queryset


def _staff_with(role: str) -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, role_assignments__role=role)
        .distinct()
        .order_by("employee_number")
    )


def _active_staff() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("employee_number")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name}（{obj.employee_number}）"


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.path}（{obj.get_kind_display()}）"


class IntakeForm(forms.Form):
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none())
    handed_over_by = forms.CharField(
        label=_("Handed over by"),
        max_length=64,
        required=False,
        help_text=_("Stored encrypted; receipts and lists show the surname only."),
    )
    signature_method = forms.ChoiceField(
        label=_("Client's signature"),
        choices=SignatureMethod.choices,
        initial=SignatureMethod.DRAWN,
        widget=forms.RadioSelect,
    )
    signature_drawn = forms.CharField(required=False, widget=forms.HiddenInput)
    signature_scan = forms.FileField(
        label=_("Scan of the paper signature"),
        required=False,
        help_text=_("PNG or JPEG, at most 5 MB."),
    )
    note = forms.CharField(
        validators=[validate_free_text], label=_("Note"), max_length=200, required=False
    )

    def __init__(self, *args: Any, clients: QuerySet[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self.fields["client"], clients.order_by("name"))


class ItemForm(forms.Form):
    name = forms.CharField(
        validators=[validate_free_text], label=_("Material"), max_length=100, required=False
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10_000, initial=1)
    kind = forms.ChoiceField(label=_("Kind"), choices=MaterialKind.choices, initial="copy")
    sensitivity = forms.TypedChoiceField(
        label=_("Confidentiality level"),
        choices=Sensitivity.choices,
        coerce=int,
        initial=Sensitivity.SENSITIVE,
    )
    retention_period = forms.ChoiceField(
        label=_("Retention period"), choices=RetentionPeriod.choices, initial=RetentionPeriod.NONE
    )
    fiscal_year = forms.IntegerField(
        label=_("Fiscal year"), min_value=1950, max_value=2200, required=False
    )
    location = LocationChoiceField(
        label=_("Storage location"), queryset=StorageLocation.objects.none(), required=False
    )

    def __init__(self, *args: Any, locations: QuerySet[StorageLocation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self.fields["location"], locations)


ItemFormSet = forms.formset_factory(ItemForm, extra=4, max_num=50)


class ItemFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *ItemStatus.choices], required=False
    )


class MoveForm(forms.Form):
    location = LocationChoiceField(
        label=_("New location"), queryset=StorageLocation.objects.none(), required=False
    )
    holder = StaffChoiceField(label=_("New holder"), queryset=User.objects.none(), required=False)
    note = forms.CharField(
        validators=[validate_free_text], label=_("Note"), max_length=200, required=False
    )

    def __init__(self, *args: Any, locations: QuerySet[StorageLocation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self.fields["location"], locations)
        _set_queryset(self.fields["holder"], _active_staff())


class LoanRequestForm(forms.Form):
    purpose = forms.CharField(
        validators=[validate_free_text], label=_("Purpose"), min_length=2, max_length=200
    )
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        validators=[validate_free_text], label=_("Reason"), max_length=200, required=False
    )


class ReturnForm(forms.Form):
    location = LocationChoiceField(
        label=_("Put back into"), queryset=StorageLocation.objects.none(), required=False
    )

    def __init__(self, *args: Any, locations: QuerySet[StorageLocation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self.fields["location"], locations)


class LoanFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            ("", "—"),
            ("requested", _("Waiting for approval")),
            ("approved", _("Approved, not yet handed out")),
            ("lent", _("On loan")),
            ("overdue", _("Overdue")),
            ("returned", _("Returned")),
            ("rejected", _("Rejected")),
        ],
        required=False,
    )


class LocationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LocationKind.choices)
    name = forms.CharField(validators=[validate_free_text], label=_("Name"), max_length=100)
    parent = LocationChoiceField(
        label=_("Inside"), queryset=StorageLocation.objects.none(), required=False
    )
    is_archive_room = forms.BooleanField(label=_("Archive room"), required=False)

    def __init__(self, *args: Any, locations: QuerySet[StorageLocation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self.fields["parent"], locations.exclude(kind=LocationKind.BAG))


class KeyHolderForm(forms.Form):
    cabinet = LocationChoiceField(label=_("Cabinet"), queryset=StorageLocation.objects.none())
    slot = forms.ChoiceField(label=_("Slot"), choices=KeySlot.choices)
    holder = StaffChoiceField(label=_("Holder"), queryset=User.objects.none())

    def __init__(self, *args: Any, locations: QuerySet[StorageLocation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self.fields["cabinet"], locations.filter(kind=LocationKind.CABINET))
        _set_queryset(self.fields["holder"], _active_staff())


class ItemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.client.name} · {obj.name} ×{obj.quantity}（{obj.intake.number}）"


class DestructionListForm(forms.Form):
    supervisor = StaffChoiceField(
        label=_("Supervising manager"), queryset=User.objects.none(), required=False
    )
    method = forms.ChoiceField(
        label=_("Destruction method"),
        choices=DestructionMethod.choices,
        initial=DestructionMethod.SHREDDER,
    )
    items = ItemChoiceField(
        label=_("Items to destroy"),
        queryset=MaterialItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, items: QuerySet[MaterialItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self.fields["supervisor"], _staff_with(Role.MANAGER))
        _set_queryset(self.fields["items"], items)


class InspectionForm(forms.Form):
    room = LocationChoiceField(label=_("Archive room"), queryset=StorageLocation.objects.none())
    month = forms.DateField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    locks_ok = forms.BooleanField(label=_("Locks in order"), required=False)
    fire_equipment_ok = forms.BooleanField(label=_("Fire equipment in order"), required=False)
    cctv_ok = forms.BooleanField(label=_("CCTV recording works"), required=False)
    cctv_retention_days = forms.IntegerField(
        label=_("Days of CCTV recording kept"),
        min_value=0,
        max_value=3650,
        help_text=_("At least 90 days (3 months)."),
    )
    windows_ok = forms.BooleanField(label=_("Windows in order"), required=False)
    notes = forms.CharField(
        validators=[validate_free_text], label=_("Notes"), max_length=500, required=False
    )

    def __init__(self, *args: Any, rooms: QuerySet[StorageLocation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self.fields["room"], rooms)


class FindingForm(forms.Form):
    check_name = forms.ChoiceField(
        label=_("Check"), choices=[("", "—"), *InspectionCheck.choices], required=False
    )
    description = forms.CharField(
        validators=[validate_free_text], label=_("Finding"), max_length=300, required=False
    )
    follow_up = forms.CharField(
        validators=[validate_free_text], label=_("Follow-up"), max_length=300, required=False
    )
    assignee = StaffChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False)
    due_on = forms.DateField(
        label=_("Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self.fields["assignee"], _active_staff())


FindingFormSet = forms.formset_factory(FindingForm, extra=2, max_num=20)


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        validators=[validate_free_text], label=_("What was done"), max_length=300
    )


class SensorForm(forms.Form):
    room = LocationChoiceField(label=_("Archive room"), queryset=StorageLocation.objects.none())
    name = forms.CharField(validators=[validate_free_text], label=_("Name"), max_length=100)

    def __init__(self, *args: Any, rooms: QuerySet[StorageLocation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self.fields["room"], rooms)
