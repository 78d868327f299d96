"""Where paper is kept: rooms, cabinets and locked bags, and who holds each cabinet's keys."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class LocationKind(models.TextChoices):
    ROOM = "room", _("Room")
    CABINET = "cabinet", _("Cabinet")
    BAG = "bag", _("Locked bag")


# Which kind of location may contain which: cabinets stand in rooms, locked
# bags lie in cabinets or rooms. Rooms are the top level.
ALLOWED_PARENTS = {
    LocationKind.ROOM: frozenset(),
    LocationKind.CABINET: frozenset({LocationKind.ROOM}),
    LocationKind.BAG: frozenset({LocationKind.ROOM, LocationKind.CABINET}),
}


class StorageLocation(models.Model):
    """A room, a cabinet or a locked bag that holds paper."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=LocationKind.choices)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("inside"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_archive_room = models.BooleanField(_("archive room"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("storage location")
        verbose_name_plural = _("storage locations")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="materials_location_name_unique_in_parent"
            ),
            models.CheckConstraint(
                condition=models.Q(is_archive_room=False) | models.Q(kind="room"),
                name="materials_location_archive_room_is_room",
            ),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        """The names from the room down to this location, joined by " / "."""
        names = [self.name]
        parent = self.parent
        while parent is not None:
            names.append(parent.name)
            parent = parent.parent
        return " / ".join(reversed(names))

    @property
    def is_locked(self) -> bool:
        """Whether the location locks (cabinets and bags; a room alone does not count)."""
        return self.kind != LocationKind.ROOM

    def clean(self) -> None:
        super().clean()
        allowed = ALLOWED_PARENTS[LocationKind(self.kind)]
        parent_kind = self.parent.kind if self.parent is not None else None
        if self.kind == LocationKind.ROOM and self.parent is not None:
            raise ValidationError({"parent": _("A room cannot be inside another location.")})
        if self.kind != LocationKind.ROOM and parent_kind not in allowed:
            raise ValidationError(
                {"parent": _("A cabinet stands in a room; a locked bag lies in a room or cabinet.")}
            )


class KeySlot(models.TextChoices):
    # Dual control (双人双锁): the key and the combination are held by two
    # different people, so no one opens the cabinet alone.
    KEY = "key", _("Key")
    COMBINATION = "combination", _("Combination")


class CabinetKeyHolder(models.Model):
    """Who holds one of the two means of opening a cabinet."""

    cabinet = models.ForeignKey(
        StorageLocation, on_delete=models.PROTECT, related_name="key_holders"
    )
    slot = models.CharField(_("slot"), max_length=16, choices=KeySlot.choices)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("cabinet key holder")
        verbose_name_plural = _("cabinet key holders")
        constraints = [
            models.UniqueConstraint(
                fields=["cabinet", "slot"], name="materials_one_holder_per_slot"
            ),
            models.UniqueConstraint(
                fields=["cabinet", "holder"], name="materials_cabinet_slots_held_by_two_people"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cabinet_id}:{self.slot}"
