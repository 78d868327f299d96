"""Staff, locations, signatures and intakes for the materials tests (synthetic data only)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from shoumi.accounts.models import Department, User
from shoumi.accounts.roles import Role
from shoumi.clients.models import Client
from shoumi.materials import services, signatures
from shoumi.materials.models import (
    Intake,
    LocationKind,
    MaterialKind,
    SignatureMethod,
    StorageLocation,
)
from shoumi.materials.retention import RetentionPeriod
from shoumi.vault.sensitivity import Sensitivity
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_client


def signature_png(*, width: int = 600, height: int = 200, strokes: int = 3) -> bytes:
    """Return a PNG with a few dark strokes on a transparent background, like the canvas draws."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for index in range(strokes):
        offset = 40 + index * 50
        draw.line([(offset, 150), (offset + 60, 40), (offset + 120, 150)], fill="black", width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def drawn_signature() -> signatures.SignatureImage:
    import base64

    return signatures.from_data_url(
        "data:image/png;base64," + base64.b64encode(signature_png()).decode("ascii")
    )


@dataclass
class Office:
    """One department's staff and one of its clients, with an archive room and a cabinet."""

    department: Department
    clerk: User
    reviewer: User
    manager: User
    second_manager: User
    archivist: User
    second_archivist: User
    client: Client
    room: StorageLocation
    cabinet: StorageLocation


def make_office() -> Office:
    department = DepartmentFactory()

    def staff(role: str, email: str = "") -> User:
        return UserFactory(roles=[role], department=department, email=email)

    archivist = staff(Role.ARCHIVIST, "archivist@example.test")
    room = services.location_create(
        actor=archivist, kind=LocationKind.ROOM, name="一号档案室", is_archive_room=True
    )
    cabinet = services.location_create(
        actor=archivist, kind=LocationKind.CABINET, name="A01 柜", parent=room
    )
    return Office(
        department=department,
        clerk=staff(Role.CLERK, "clerk@example.test"),
        reviewer=staff(Role.REVIEWER),
        manager=staff(Role.MANAGER, "manager@example.test"),
        second_manager=staff(Role.MANAGER),
        archivist=archivist,
        second_archivist=staff(Role.ARCHIVIST),
        client=make_client(department=department),
        room=room,
        cabinet=cabinet,
    )


def item_line(
    *,
    name: str = "营业执照副本复印件",
    quantity: int = 2,
    kind: str = MaterialKind.COPY,
    sensitivity: int = Sensitivity.SENSITIVE,
    retention_period: str = RetentionPeriod.NONE,
    fiscal_year: int | None = None,
    location: StorageLocation | None = None,
) -> services.ItemInput:
    return services.ItemInput(
        name=name,
        quantity=quantity,
        kind=kind,
        sensitivity=sensitivity,
        retention_period=retention_period,
        fiscal_year=fiscal_year,
        location=location,
    )


def make_intake(
    office: Office, *lines: services.ItemInput, handed_over_by: str = "王小明"
) -> Intake:
    return services.intake_create(
        actor=office.clerk,
        client=office.client,
        items=list(lines) or [item_line(location=office.cabinet)],
        signature=drawn_signature(),
        signature_method=SignatureMethod.DRAWN,
        handed_over_by=handed_over_by,
    )
