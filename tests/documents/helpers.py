"""Synthetic scans and logged-in staff for the documents app tests.

Scans are drawn here: a card-like page with sample text and random texture,
so every scan has bytes no other file has. No real document is used.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from django.conf import settings
from django.test import Client as HttpClient
from PIL import Image, ImageDraw

from shoumi.accounts.models import User
from shoumi.clients.models import Client
from shoumi.documents import services
from shoumi.documents.imaging import find_cjk_font
from shoumi.documents.models import Document, DocumentType
from tests.accounts.conftest import log_in
from tests.accounts.factories import EnrolledStaff, enrolled_staff
from tests.staff.factories import pass_gates


def synthetic_scan(width: int = 856, height: int = 540, *, seed: int = 11) -> Image.Image:
    """Draw a card-like scan: tinted noise texture, a photo box and sample text."""
    generator = np.random.default_rng(seed)
    texture = generator.integers(200, 245, size=(height, width, 3), dtype=np.uint8)
    card = Image.fromarray(texture, "RGB")
    draw = ImageDraw.Draw(card)
    draw.rectangle(
        (int(width * 0.66), int(height * 0.16), int(width * 0.92), int(height * 0.72)),
        fill=(205, 210, 215),
        outline=(150, 150, 150),
        width=2,
    )
    font = find_cjk_font().truetype(max(12, height // 18))
    for index, line in enumerate(["姓名  样本", "住址  示例市示例路 1 号", "号码  999999 0000"]):
        draw.text(
            (int(width * 0.06), int(height * (0.14 + 0.2 * index))),
            line,
            font=font,
            fill=(30, 30, 30),
        )
    return card


def encode(image: Image.Image, image_format: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def scan_png(*, seed: int = 11) -> bytes:
    return encode(synthetic_scan(seed=seed), "PNG")


def scan_jpeg(*, seed: int = 11) -> bytes:
    return encode(synthetic_scan(seed=seed), "JPEG", quality=92)


def logged_in(role: str, department: object, **fields: object) -> tuple[HttpClient, User]:
    """Return a browser logged in as a new staff member who passes the gates, and the user."""
    browser = HttpClient()
    staff: EnrolledStaff = enrolled_staff(roles=[role], department=department, **fields)
    pass_gates(staff.user)
    log_in(browser, staff)
    return browser, staff.user


def upload(client: Client, actor: User, content: bytes | None = None) -> Document:
    """Upload a scan through the service, as ``actor``."""
    return services.document_upload(
        actor=actor,
        client=client,
        document_type=DocumentType.ID_CARD_FRONT,
        content=content or scan_png(),
    )


def files_under(directory: Path | None = None) -> list[Path]:
    root = Path(directory or settings.DATA_DIR)
    return [path for path in root.rglob("*") if path.is_file()]


def contains_bytes(needle: bytes, directory: Path | None = None) -> list[Path]:
    """Return the files under ``directory`` (default: the data directory) containing ``needle``."""
    return [path for path in files_under(directory) if needle in path.read_bytes()]
