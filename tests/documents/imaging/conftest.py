"""Synthetic pages for the imaging tests: no real documents, faces or numbers.

The imaging engine touches no database, so its tests are left out of the
PostgreSQL pass of ``make test`` (``--database-pass``).
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from shoumi.documents.imaging import TraceCode, VisibleMark, find_cjk_font

IMAGING_TESTS_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--database-pass"):
        return
    imaging_items = [
        item for item in items if IMAGING_TESTS_DIR in Path(str(item.fspath)).resolve().parents
    ]
    if imaging_items:
        config.hook.pytest_deselected(items=imaging_items)
        items[:] = [item for item in items if item not in imaging_items]


def synthetic_id_card(width: int = 856, height: int = 540, *, seed: int = 7) -> Image.Image:
    """Draw a card-like page: tinted background, pattern, a blank photo box and sample text.

    The name is a sample word and the number field is filled with 9s and
    0s in a layout no real resident ID uses, so nothing drawn is personal data.
    """
    generator = np.random.default_rng(seed)
    card = Image.new("RGB", (width, height), (226, 236, 246))
    draw = ImageDraw.Draw(card)
    for _ in range(30):
        x, y = generator.integers(0, width), generator.integers(0, height)
        radius = int(generator.integers(20, 120))
        draw.ellipse(
            [x - radius, y - radius, x + radius, y + radius], outline=(196, 214, 232), width=2
        )
    photo = (int(width * 0.66), int(height * 0.16), int(width * 0.92), int(height * 0.72))
    draw.rectangle(photo, fill=(205, 210, 215), outline=(150, 150, 150), width=2)
    font = find_cjk_font().truetype(max(12, height // 18))
    lines = [
        "姓名  样本",
        "性别  男    民族  汉",
        "出生  2000 年 1 月 1 日",
        "住址  示例市示例路 1 号",
    ]
    for index, line in enumerate(lines):
        draw.text(
            (int(width * 0.06), int(height * (0.14 + 0.13 * index))),
            line,
            font=font,
            fill=(30, 30, 30),
        )
    draw.text(
        (int(width * 0.06), int(height * 0.82)),
        "公民身份号码  999999 00000000 0000",
        font=font,
        fill=(20, 20, 20),
    )
    return card


def synthetic_text_page(width: int = 1240, height: int = 1754, *, seed: int = 3) -> Image.Image:
    """Draw a white page with dark bars standing in for lines of text."""
    generator = np.random.default_rng(seed)
    page = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    margin = width // 12
    for top in range(margin, height - margin, max(12, height // 45)):
        left = margin
        while left < width - margin - 40:
            word = int(generator.integers(10, 80))
            draw.rectangle([left, top, left + word, top + max(4, height // 160)], fill=(25, 25, 25))
            left += word + 10
    return page


def encode(image: Image.Image, image_format: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def decode(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def make_mark(recipient: str = "测试员甲", *, statement: str | None = None) -> VisibleMark:
    return VisibleMark(
        purpose="办理税务登记",
        recipient=recipient,
        issued_on=date(2026, 3, 1),
        trace_code=TraceCode.generate(),
        statement=statement,
    )


@pytest.fixture
def mark() -> VisibleMark:
    return make_mark()
