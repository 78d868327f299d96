"""Invisible watermark that carries a trace code in the brightness of a page.

Scheme: spread spectrum with a periodic tile, the approach of Kutter's
self-referencing watermarks (Kutter, "Watermarking resisting to translation,
rotation, and scaling", SPIE 3528, 1998). A 125×125-pixel tile of 25×25
chips, each 5 pixels wide and softened by a Gaussian, is repeated over the
whole image and added to the brightness (the same amount to R, G and B, so
a greyscale conversion keeps it). A quarter of the chips are pilots with
key-derived signs. The others carry the 140 coded bits of the trace code
(see ``tracecode``), each bit spread over three or four chips with
key-derived signs and positions.

The reader needs no original and no side information:

1. A high-pass filter removes most of the page content.
2. Because the tile repeats, the autocorrelation of the residual has a peak
   lattice whose spacing is the tile period in the suspect image. The
   period gives the scale factor, so a rescaled copy is read at its own size.
3. The residual is folded modulo the period into one tile, which sums
   the watermark of every tile and averages out the page.
4. Cross-correlation with the pilot pattern finds the tile's offset, so a
   cropped copy is read wherever the crop starts.
5. Matched filtering per chip gives soft bits for the Viterbi decoder, and
   the CRC-24 accepts or rejects the result.

Why not an existing library: ``invisible-watermark`` 0.2.0 (DWT-DCT) needs
the original image size to decode, is known to fail after rescaling, and
imports PyTorch at package import. ``blind-watermark`` 0.4.4 (DWT-DCT-SVD)
also decodes only at the embedding size and needs the crop rectangle to read
a cropped image. Neither has had a release since 2023. ``tests/bench/
bench_watermark.py`` compares this scheme with ``blind-watermark``, and
BENCHMARKS.md records the measured limits.

What this protects against: a recipient who leaks a copy as is, recompressed,
resized, blurred, cropped, printed small, or converted to greyscale, within
the limits that the benchmark measures. What it does not protect against:
rotation by more than about a degree, perspective distortion (a photo of a
screen or of paper), and a deliberate attacker who knows the key. The key
only spreads the signs; it is not a cryptographic secret, and an attacker
with many copies can estimate and subtract the pattern. The visible
watermark, which prints the trace code, is the fallback for all of these.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from PIL import Image
from scipy import ndimage

from shoumi.documents.imaging.tracecode import (
    CODED_BITS,
    TraceCode,
    decode_trace_code,
    encode_trace_code,
)
from shoumi.documents.imaging.visible import flatten_onto_white

CHIP_SIZE = 5
CHIPS_PER_SIDE = 25
TILE_SIZE = CHIP_SIZE * CHIPS_PER_SIDE
PILOT_FRACTION = 0.25
CHIP_SOFTENING_SIGMA = 1.0

DEFAULT_KEY = b"shoumi-trace-v1"
DEFAULT_STRENGTH = 3.0

# The reader looks for tile periods between a quarter and twice the
# embedding size, so copies scaled from 25 % to 200 % can be read.
MIN_SCALE = 0.25
MAX_SCALE = 2.0

# A sync score is the height of the pilot correlation peak in standard
# deviations of the correlation surface. On 30 unmarked synthetic pages and
# noise images the best score over every candidate period and all 15,625
# offsets had a median of 3.5 and a maximum of 4.8. A threshold of 6 keeps
# chance peaks out, and the CRC-24 rejects whatever passes it anyway.
MIN_SYNC_SCORE = 6.0
PERIOD_CANDIDATES = 6
# Longest side, in pixels, at which an image is read. A copy marked at 3000
# pixels or more is read at a scale of 3000 / its side, which stays above
# MIN_SCALE for copies up to 12,000 pixels long.
MAX_READ_SIDE = 3000
_HIGH_PASS_SIGMA = 2.0
_EDGE_THRESHOLD = 12.0


@dataclass(frozen=True)
class TraceReading:
    """A trace code read from an image, with how it was found.

    ``sync_score`` is the pilot correlation peak in standard deviations.
    ``bit_error_rate`` is the share of coded bits the channel flipped,
    estimated by re-encoding the decoded code. ``scale`` is the size of the
    suspect image relative to the marked copy.
    """

    trace_code: TraceCode
    sync_score: float
    bit_error_rate: float
    scale: float

    @property
    def confidence(self) -> str:
        """Return ``"high"`` or ``"medium"``: how far the reading is from the limit.

        Any reading has passed the CRC-24, so it is a trace code that was
        embedded with high probability. ``"medium"`` means the channel was
        close to the point where decoding fails, so a second copy of the
        leak, if there is one, is worth reading too.

        NOTE: the split at a sync score of 10 and a bit error rate of 15 %
        is a judgement, not a calibrated probability. Correct reads during
        development scored about 7 to 16, unmarked images at most 4.8.
        """
        if self.sync_score >= 10.0 and self.bit_error_rate <= 0.15:
            return "high"
        return "medium"


@dataclass(frozen=True)
class _TileLayout:
    chip_signs: np.ndarray  # (CHIPS_PER_SIDE**2,) of ±1
    is_pilot: np.ndarray  # (CHIPS_PER_SIDE**2,) of bool
    bit_of_chip: np.ndarray  # (CHIPS_PER_SIDE**2,) coded-bit index, -1 for pilots
    pilot_pattern: np.ndarray  # (TILE_SIZE, TILE_SIZE) unit-RMS pattern of pilots only


def embed(
    image: Image.Image,
    code: TraceCode,
    *,
    strength: float = DEFAULT_STRENGTH,
    key: bytes = DEFAULT_KEY,
) -> Image.Image:
    """Return an RGB copy of ``image`` with ``code`` embedded, transparency flattened onto white.

    ``strength`` is the RMS of the pattern in 8-bit grey levels: at the
    default of 3 the pattern alone has a PSNR of 38.6 dB. The page's
    brightness range is first compressed by ``1.5 × strength`` grey levels
    at each end, so the pattern is not clipped on white paper or black ink.
    With that compression the PSNR over a marked page is about 34 dB, as
    measured by ``tests/bench/bench_watermark.py``.
    """
    layout = _layout(key)
    coded_bits = encode_trace_code(code)
    chip_values = layout.chip_signs.copy()
    payload = ~layout.is_pilot
    chip_values[payload] *= 2.0 * coded_bits[layout.bit_of_chip[payload]] - 1.0
    tile = _render_chips(chip_values)

    rgb = np.asarray(flatten_onto_white(image), dtype=np.float32)
    height, width = rgb.shape[:2]
    repeats = (-(-height // TILE_SIZE), -(-width // TILE_SIZE))
    pattern = np.tile(tile, repeats)[:height, :width] * strength

    headroom = 1.5 * strength
    rgb = headroom + rgb * ((255.0 - 2.0 * headroom) / 255.0)
    rgb += pattern[:, :, None]
    return Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), "RGB")


def read(image: Image.Image, *, key: bytes = DEFAULT_KEY) -> TraceReading | None:
    """Read the trace code embedded in ``image``, or return ``None`` if none is found."""
    layout = _layout(key)
    # Very large images are read at reduced size: memory and time grow with
    # the pixel count, and the reader handles the smaller scale.
    reduction = min(1.0, MAX_READ_SIDE / max(image.size))
    if reduction < 1.0:
        reduced_size = (round(image.width * reduction), round(image.height * reduction))
        image = image.resize(reduced_size, Image.Resampling.BOX)
    residual = _residual(image)
    height, width = residual.shape
    if min(height, width) < TILE_SIZE * MIN_SCALE * 2:
        return None

    for period in _period_candidates(residual):
        reading = _read_at_period(residual, period, layout)
        if reading is not None:
            return replace(reading, scale=reading.scale / reduction)
    return None


def _residual(image: Image.Image) -> np.ndarray:
    """Return the high-pass brightness with page edges set to zero.

    Edges of text, rules and photos are tens of grey levels strong, the
    pattern a few. A pixel whose residual exceeds ``_EDGE_THRESHOLD`` is
    content, and so are its neighbours (JPEG ringing), so they carry no
    weight. Zero is a neutral value for the autocorrelation and the
    folding, which divides by the weights of ``_weights``.
    """
    luminance = np.asarray(flatten_onto_white(image).convert("L"), dtype=np.float32)
    residual = luminance - ndimage.gaussian_filter(luminance, _HIGH_PASS_SIGMA)
    edges = ndimage.binary_dilation(np.abs(residual) > _EDGE_THRESHOLD, iterations=3)
    residual[edges] = 0.0
    return residual


def _period_candidates(residual: np.ndarray) -> list[float]:
    """Return likely tile periods in pixels, best first, from the autocorrelation."""
    along_rows = _axis_autocorrelation(residual, axis=1)
    along_columns = _axis_autocorrelation(residual, axis=0)
    autocorrelation = np.zeros(max(along_rows.size, along_columns.size))
    autocorrelation[: along_rows.size] += along_rows
    autocorrelation[: along_columns.size] += along_columns
    # Page content (long rules, table borders) raises the autocorrelation
    # over wide ranges of lags; only the narrow peaks belong to the tile.
    autocorrelation -= ndimage.median_filter(
        autocorrelation, size=6 * CHIP_SIZE + 1, mode="nearest"
    )
    # The high-pass filter and the chip shape correlate neighbouring pixels.
    autocorrelation[: 2 * CHIP_SIZE] = 0.0

    max_lag = autocorrelation.size - 1
    lag_axis = np.arange(max_lag + 1)
    periods = np.arange(TILE_SIZE * MIN_SCALE, TILE_SIZE * MAX_SCALE, 0.05)
    scores = np.zeros(periods.size)
    for index, period in enumerate(periods):
        lags = np.arange(1, int(max_lag // period) + 1) * period
        if lags.size == 0:
            continue
        # Dividing by the square root of the number of lattice points makes
        # the true period beat its half and its double, which hit the same
        # peaks together with more noise samples or with fewer peaks.
        scores[index] = np.interp(lags, lag_axis, autocorrelation).sum() / np.sqrt(lags.size)

    candidates: list[float] = []
    for index in np.argsort(scores)[::-1]:
        period = float(periods[index])
        if all(abs(period - other) > 1.5 for other in candidates):
            candidates.append(period)
        if len(candidates) == PERIOD_CANDIDATES:
            break
    return candidates


def _axis_autocorrelation(residual: np.ndarray, *, axis: int) -> np.ndarray:
    """Return the autocorrelation along one axis, summed over the other.

    Each lag is divided by its number of overlapping pixels, and lags stop
    at half the image so that every value averages at least half of it.
    """
    size = residual.shape[axis]
    spectrum = np.fft.rfft(residual, n=2 * size, axis=axis)
    power = (spectrum.real**2 + spectrum.imag**2).sum(axis=1 - axis)
    correlation = np.fft.irfft(power)[: size // 2]
    correlation /= size - np.arange(correlation.size)
    if correlation.size and correlation[0] > 0:
        correlation /= correlation[0]
    return correlation


def _read_at_period(
    residual: np.ndarray, period: float, layout: _TileLayout
) -> TraceReading | None:
    best_x, best_y, folded, offset, score = period, period, None, (0, 0), -np.inf
    # The autocorrelation gives the period to within a few hundredths of a
    # pixel, but folding many tiles magnifies the error, so refine each axis
    # on the pilot correlation itself.
    for relative in np.linspace(-0.006, 0.006, 7):
        candidate = period * (1.0 + relative)
        tile, candidate_offset, candidate_score = _synchronise(
            residual, candidate, candidate, layout
        )
        if candidate_score > score:
            best_x = best_y = candidate
            folded, offset, score = tile, candidate_offset, candidate_score
    if score < MIN_SYNC_SCORE * 0.7:
        return None
    for axis in ("x", "y"):
        for relative in np.linspace(-0.002, 0.002, 5):
            period_x = best_x * (1.0 + relative) if axis == "x" else best_x
            period_y = best_y * (1.0 + relative) if axis == "y" else best_y
            tile, candidate_offset, candidate_score = _synchronise(
                residual, period_x, period_y, layout
            )
            if candidate_score > score:
                best_x, best_y = period_x, period_y
                folded, offset, score = tile, candidate_offset, candidate_score
    if score < MIN_SYNC_SCORE or folded is None:
        return None

    soft_bits = _soft_bits(folded, offset, layout)
    code, bit_error_rate = decode_trace_code(soft_bits)
    if code is None:
        return None
    scale = float(np.sqrt(best_x * best_y)) / TILE_SIZE
    return TraceReading(code, float(score), bit_error_rate, scale)


def _synchronise(
    residual: np.ndarray, period_x: float, period_y: float, layout: _TileLayout
) -> tuple[np.ndarray, tuple[int, int], float]:
    """Fold the residual into one tile and find the pilot offset in it."""
    folded = _fold(residual, period_x, period_y)
    correlation = np.fft.irfft2(
        np.fft.rfft2(folded) * np.conj(np.fft.rfft2(layout.pilot_pattern)), s=folded.shape
    )
    peak = np.unravel_index(int(np.argmax(correlation)), correlation.shape)
    spread = float(correlation.std())
    score = float((correlation[peak] - correlation.mean()) / spread) if spread > 0 else 0.0
    return folded, (int(peak[0]), int(peak[1])), score


def _fold(residual: np.ndarray, period_x: float, period_y: float) -> np.ndarray:
    height, width = residual.shape
    rows = np.floor((np.arange(height) + 0.5) * (TILE_SIZE / period_y)).astype(np.int64) % TILE_SIZE
    columns = (
        np.floor((np.arange(width) + 0.5) * (TILE_SIZE / period_x)).astype(np.int64) % TILE_SIZE
    )
    bins = (rows[:, None] * TILE_SIZE + columns[None, :]).ravel()
    values = residual.ravel()
    sums = np.bincount(bins, weights=values, minlength=TILE_SIZE * TILE_SIZE)
    counts = np.bincount(bins, weights=values != 0, minlength=TILE_SIZE * TILE_SIZE)
    folded = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return folded.reshape(TILE_SIZE, TILE_SIZE)


def _soft_bits(folded: np.ndarray, offset: tuple[int, int], layout: _TileLayout) -> np.ndarray:
    aligned = np.roll(folded, (-offset[0], -offset[1]), axis=(0, 1))
    # Matched filter for one chip: the chip's own rendered shape.
    impulse = np.zeros((TILE_SIZE, TILE_SIZE))
    impulse[:CHIP_SIZE, :CHIP_SIZE] = 1.0
    impulse = ndimage.gaussian_filter(impulse, CHIP_SOFTENING_SIGMA, mode="wrap")
    filtered = np.fft.irfft2(
        np.fft.rfft2(aligned) * np.conj(np.fft.rfft2(impulse)), s=aligned.shape
    )
    chip_values = filtered[::CHIP_SIZE, ::CHIP_SIZE].ravel() * layout.chip_signs

    pilots = chip_values[layout.is_pilot]
    noise = float(pilots.std()) or 1.0
    soft_bits = np.zeros(CODED_BITS)
    payload = ~layout.is_pilot
    np.add.at(soft_bits, layout.bit_of_chip[payload], chip_values[payload] / noise)
    return soft_bits


@lru_cache(maxsize=8)
def _layout(key: bytes) -> _TileLayout:
    seed = int.from_bytes(hashlib.sha256(b"shoumi-watermark-layout|" + key).digest()[:8], "big")
    generator = np.random.default_rng(seed)
    chip_count = CHIPS_PER_SIDE * CHIPS_PER_SIDE
    chip_signs = generator.choice(np.array([-1.0, 1.0]), size=chip_count)

    order = generator.permutation(chip_count)
    pilot_count = round(chip_count * PILOT_FRACTION)
    is_pilot = np.zeros(chip_count, dtype=bool)
    is_pilot[order[:pilot_count]] = True
    bit_of_chip = np.full(chip_count, -1, dtype=np.int64)
    payload_chips = order[pilot_count:]
    bit_of_chip[payload_chips] = np.arange(payload_chips.size) % CODED_BITS

    pilot_pattern = _render_chips(np.where(is_pilot, chip_signs, 0.0))
    return _TileLayout(chip_signs, is_pilot, bit_of_chip, pilot_pattern)


def _render_chips(chip_values: np.ndarray) -> np.ndarray:
    """Render chip values into a seamless, softened, unit-RMS tile."""
    grid = chip_values.reshape(CHIPS_PER_SIDE, CHIPS_PER_SIDE)
    tile = np.kron(grid, np.ones((CHIP_SIZE, CHIP_SIZE)))
    tile = ndimage.gaussian_filter(tile, CHIP_SOFTENING_SIGMA, mode="wrap")
    rms = float(np.sqrt(np.mean(tile**2)))
    return tile / rms if rms > 0 else tile
