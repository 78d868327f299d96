"""Robustness of the invisible watermark, with blind-watermark as the peer.

Run from the repository root:
``.venv/bin/python -m tests.bench.bench_watermark`` (add ``--quick`` for a
smaller corpus). The peer comes from the ``bench`` extra
(``pip install -e '.[bench]'``); without it only shoumi is measured.

Method. The corpus is synthetic: ID-card-like pages at two sizes and text
pages, several seeds each, with no real documents. Each page is marked with
a fresh random trace code, visible mark first and invisible mark over it,
then put through each transformation below and read back. A transformation
"passes" on a page when the reader returns exactly the embedded code, and
a different valid code is counted as a wrong code. The false-positive rate
is measured on unmarked pages, unmarked pages after recompression and
resizing, and Gaussian noise images.

The peer, blind-watermark 0.4.4 (DWT-DCT-SVD), embeds the same 64 payload
bits (trace code and CRC-24) into the same visibly marked page with its
default settings. It takes seconds per read, so by default it runs on the
small card pages only, and its column shows how many pages it saw. It has
no synchronisation, so it is read as a leak would arrive: at the attacked
size and offset, without the original. A peer read passes when all 64 bits
are right.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from PIL import Image, ImageFilter

from shoumi.documents.imaging import TraceCode, VisibleMark, invisible
from shoumi.documents.imaging.tracecode import CRC_BITS, TRACE_CODE_BITS, crc24
from shoumi.documents.imaging.visible import apply_visible_mark
from tests.documents.imaging.conftest import synthetic_id_card, synthetic_text_page

Transformation = Callable[[Image.Image], Image.Image]


def _jpeg(quality: int) -> Transformation:
    def transform(image: Image.Image) -> Image.Image:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=quality)
        return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")

    return transform


def _scale(factor: float) -> Transformation:
    def transform(image: Image.Image) -> Image.Image:
        size = (round(image.width * factor), round(image.height * factor))
        return image.resize(size, Image.Resampling.BICUBIC)

    return transform


def _blur(radius: float) -> Transformation:
    return lambda image: image.filter(ImageFilter.GaussianBlur(radius))


def _crop_edges(fraction: float) -> Transformation:
    """Cut ``fraction`` of the width and of the height away, half on each side."""

    def transform(image: Image.Image) -> Image.Image:
        dx, dy = round(image.width * fraction / 2), round(image.height * fraction / 2)
        return image.crop((dx, dy, image.width - dx, image.height - dy))

    return transform


def _crop_corner(fraction: float) -> Transformation:
    """Keep the bottom-right part, cutting ``fraction`` off the left and the top."""

    def transform(image: Image.Image) -> Image.Image:
        return image.crop(
            (
                round(image.width * fraction),
                round(image.height * fraction),
                image.width,
                image.height,
            )
        )

    return transform


def _rotate(degrees: float) -> Transformation:
    return lambda image: image.rotate(
        degrees, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255)
    )


def _noise(sigma: float) -> Transformation:
    def transform(image: Image.Image) -> Image.Image:
        generator = np.random.default_rng(int(sigma * 1000))
        pixels = np.asarray(image.convert("RGB"), dtype=np.float64)
        noisy = pixels + generator.normal(0, sigma, pixels.shape)
        return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))

    return transform


def _chain(*steps: Transformation) -> Transformation:
    def transform(image: Image.Image) -> Image.Image:
        for step in steps:
            image = step(image)
        return image

    return transform


TRANSFORMATIONS: dict[str, Transformation] = {
    "none": lambda image: image,
    "JPEG q90": _jpeg(90),
    "JPEG q70": _jpeg(70),
    "JPEG q50": _jpeg(50),
    "JPEG q30": _jpeg(30),
    "JPEG q20": _jpeg(20),
    "JPEG q10": _jpeg(10),
    "scale 150 %": _scale(1.5),
    "scale 75 %": _scale(0.75),
    "scale 50 %": _scale(0.5),
    "scale 40 %": _scale(0.4),
    "scale 30 %": _scale(0.3),
    "scale 25 %": _scale(0.25),
    "scale 50 % + JPEG q70": _chain(_scale(0.5), _jpeg(70)),
    "blur r=0.5": _blur(0.5),
    "blur r=1": _blur(1.0),
    "blur r=1.5": _blur(1.5),
    "blur r=2": _blur(2.0),
    "blur r=3": _blur(3.0),
    "blur r=1 + JPEG q70": _chain(_blur(1.0), _jpeg(70)),
    "crop 20 % of edges": _crop_edges(0.2),
    "crop 40 % of edges": _crop_edges(0.4),
    "crop 60 % of edges": _crop_edges(0.6),
    "crop 80 % of edges": _crop_edges(0.8),
    "crop 20 % top-left": _crop_corner(0.2),
    "crop 50 % top-left": _crop_corner(0.5),
    "crop 20 % + scale 50 %": _chain(_crop_edges(0.2), _scale(0.5)),
    "greyscale": lambda image: image.convert("L"),
    "noise sigma=5": _noise(5),
    "noise sigma=10": _noise(10),
    "rotate 0.5 deg": _rotate(0.5),
    "rotate 1 deg": _rotate(1.0),
    "rotate 2 deg": _rotate(2.0),
}


@dataclass
class Outcome:
    passed: int = 0
    wrong: int = 0
    total: int = 0
    seconds: list[float] = field(default_factory=list)
    # Read times on the pages the peer also ran on, for a like-for-like ratio.
    seconds_on_peer_pages: list[float] = field(default_factory=list)

    def rate(self) -> str:
        return f"{self.passed}/{self.total}"


@dataclass
class Results:
    strength: float
    page_count: int = 0
    ours: dict[str, Outcome] = field(default_factory=dict)
    theirs: dict[str, Outcome] | None = None
    our_psnr: list[float] = field(default_factory=list)
    peer_psnr: list[float] = field(default_factory=list)
    embed_seconds: list[float] = field(default_factory=list)
    peer_embed_seconds: list[float] = field(default_factory=list)
    false_positives: int = 0
    unmarked_total: int = 0


def corpus(seeds: int) -> list[tuple[str, Image.Image]]:
    pages = []
    for seed in range(seeds):
        pages.append((f"card 856x540 #{seed}", synthetic_id_card(856, 540, seed=seed)))
        pages.append((f"card 1712x1080 #{seed}", synthetic_id_card(1712, 1080, seed=seed + 100)))
        pages.append((f"text page 1240x1754 #{seed}", synthetic_text_page(1240, 1754, seed=seed)))
    return pages


def payload_bits(code: TraceCode) -> list[int]:
    payload = (code.value << CRC_BITS) | crc24(code.value, TRACE_CODE_BITS)
    return [(payload >> shift) & 1 for shift in range(TRACE_CODE_BITS + CRC_BITS - 1, -1, -1)]


def load_peer() -> object | None:
    try:
        import blind_watermark
    except ImportError:
        return None
    blind_watermark.bw_notes.close()
    return blind_watermark


def peer_embed(peer, image: Image.Image, bits: list[int]) -> Image.Image:
    watermark = peer.WaterMark(password_img=1, password_wm=1)
    with contextlib.redirect_stdout(io.StringIO()):
        watermark.read_img(img=np.asarray(image.convert("RGB"))[:, :, ::-1].astype(np.float32))
        watermark.read_wm(np.array(bits, dtype=bool), mode="bit")
        marked = watermark.embed()
    return Image.fromarray(np.clip(marked, 0, 255).astype(np.uint8)[:, :, ::-1])


def peer_read(peer, image: Image.Image, bit_count: int) -> list[int] | None:
    watermark = peer.WaterMark(password_img=1, password_wm=1)
    array = np.asarray(image.convert("RGB"))[:, :, ::-1].astype(np.float32)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            values = watermark.extract(embed_img=array, wm_shape=bit_count, mode="bit")
    except (ValueError, IndexError, AssertionError):
        return None
    return [int(value >= 0.5) for value in values]


def psnr(before: Image.Image, after: Image.Image) -> float:
    a = np.asarray(before.convert("RGB"), dtype=np.float64)
    b = np.asarray(after.convert("RGB"), dtype=np.float64)
    return float(10 * np.log10(255**2 / np.mean((a - b) ** 2)))


def run(
    seeds: int, unmarked_count: int, strength: float, *, with_peer: bool, peer_max_pixels: int
) -> Results:
    peer = load_peer() if with_peer else None
    pages = corpus(seeds)
    results = Results(strength, page_count=len(pages))
    results.ours = {name: Outcome() for name in TRANSFORMATIONS}
    if peer is not None:
        results.theirs = {name: Outcome() for name in TRANSFORMATIONS}

    for page_name, page in pages:
        code = TraceCode.generate()
        mark = VisibleMark("办理税务登记", "测试员甲", date(2026, 3, 1), code)
        visible = apply_visible_mark(page, mark)

        started = time.perf_counter()
        marked = invisible.embed(visible, code, strength=strength)
        results.embed_seconds.append(time.perf_counter() - started)
        results.our_psnr.append(psnr(visible, marked))

        bits = payload_bits(code)
        peer_marked = None
        if peer is not None and page.width * page.height <= peer_max_pixels:
            started = time.perf_counter()
            peer_marked = peer_embed(peer, visible, bits)
            results.peer_embed_seconds.append(time.perf_counter() - started)
            results.peer_psnr.append(psnr(visible, peer_marked))

        for name, transform in TRANSFORMATIONS.items():
            outcome = results.ours[name]
            started = time.perf_counter()
            reading = invisible.read(transform(marked))
            elapsed = time.perf_counter() - started
            outcome.seconds.append(elapsed)
            if peer_marked is not None:
                outcome.seconds_on_peer_pages.append(elapsed)
            outcome.total += 1
            if reading is not None and reading.trace_code == code:
                outcome.passed += 1
            elif reading is not None:
                outcome.wrong += 1

            if peer_marked is not None and results.theirs is not None:
                peer_outcome = results.theirs[name]
                started = time.perf_counter()
                extracted = peer_read(peer, transform(peer_marked), len(bits))
                peer_outcome.seconds.append(time.perf_counter() - started)
                peer_outcome.total += 1
                if extracted == bits:
                    peer_outcome.passed += 1
        print(f"# done: {page_name}", file=sys.stderr)

    results.false_positives, results.unmarked_total = measure_false_positives(unmarked_count)
    return results


def measure_false_positives(count: int) -> tuple[int, int]:
    """Read ``count`` unmarked images of several kinds; return (codes found, images read)."""
    found = 0
    generator = np.random.default_rng(2026)
    kinds = [
        lambda seed: synthetic_id_card(856, 540, seed=1000 + seed),
        lambda seed: _jpeg(70)(synthetic_text_page(1240, 1754, seed=1000 + seed)),
        lambda seed: _scale(0.6)(synthetic_id_card(1712, 1080, seed=2000 + seed)),
        lambda seed: Image.fromarray(
            generator.normal(128, 40, (600, 800)).clip(0, 255).astype(np.uint8)
        ),
    ]
    for index in range(count):
        image = kinds[index % len(kinds)](index)
        if invisible.read(image) is not None:
            found += 1
    return found, count


def report(results: Results) -> None:
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    print(
        f"Machine: {os.cpu_count()} cores, {model}; Python {platform.python_version()}; "
        f"NumPy {np.__version__}; Pillow {Image.__version__}"
    )
    print(
        f"Date: {date.today():%Y-%m-%d}; pages: {results.page_count}; strength: {results.strength}"
    )
    print()
    psnr_line = f"PSNR over the visibly marked page: shoumi median {_median(results.our_psnr)} dB"
    embed_line = f"Embed time per page: shoumi median {_median_ms(results.embed_seconds)} ms"
    if results.theirs is not None:
        psnr_line += f", blind-watermark median {_median(results.peer_psnr)} dB"
        embed_line += (
            f", blind-watermark median {_median_ms(results.peer_embed_seconds)} ms"
            f" (on the {len(results.peer_embed_seconds)} pages it ran on)"
        )
    print(psnr_line)
    print(embed_line)
    print(f"False positives on unmarked images: {results.false_positives}/{results.unmarked_total}")
    print()

    header = "| transformation | shoumi read | shoumi wrong code | shoumi median read ms |"
    rule = "| --- | --- | --- | --- |"
    if results.theirs is not None:
        header += (
            " blind-watermark all 64 bits | blind-watermark median read ms |"
            " read time blind-watermark / shoumi, same pages |"
        )
        rule += " --- | --- | --- |"
    print(header)
    print(rule)
    for name, outcome in results.ours.items():
        row = f"| {name} | {outcome.rate()} | {outcome.wrong} | {_median_ms(outcome.seconds)} |"
        if results.theirs is not None:
            peer_outcome = results.theirs[name]
            ratio = statistics.median(peer_outcome.seconds) / statistics.median(
                outcome.seconds_on_peer_pages
            )
            row += f" {peer_outcome.rate()} | {_median_ms(peer_outcome.seconds)} | {ratio:.1f}x |"
        print(row)


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}"


def _median_ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4, help="seeds per page kind (3 pages each)")
    parser.add_argument(
        "--unmarked", type=int, default=400, help="unmarked images for the false-positive rate"
    )
    parser.add_argument(
        "--strength",
        type=float,
        default=invisible.DEFAULT_STRENGTH,
        help="RMS brightness change of the mark in grey levels",
    )
    parser.add_argument("--quick", action="store_true", help="1 seed and 40 unmarked images")
    parser.add_argument("--no-peer", action="store_true", help="measure shoumi only")
    parser.add_argument(
        "--peer-max-pixels",
        type=int,
        default=600_000,
        help="run the peer only on pages up to this many pixels (it reads a 1240×1754 page "
        "in about 25 s here)",
    )
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.seeds, arguments.unmarked = 1, 40
    results = run(
        arguments.seeds,
        arguments.unmarked,
        arguments.strength,
        with_peer=not arguments.no_peer,
        peer_max_pixels=arguments.peer_max_pixels,
    )
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
