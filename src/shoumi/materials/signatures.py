"""Client signatures on intakes: check the image, then keep it only as an encrypted file.

A signature arrives either drawn on screen (a PNG data URL from the canvas
script) or as a scan of a paper signature (PNG or JPEG). Either way it is
decoded with Pillow, checked for size and for ink, flattened onto white and
encoded again as a small grey-scale PNG, so no metadata of the original
file survives. The PNG is sealed with the intake's data key
(``shoumi.vault.services.seal_bytes``) and written to
``<data directory>/materials/signatures/<intake id>.sealed``; plaintext
never reaches the disk.

What this does not protect against: bugs in Pillow's decoders, which parse
the uploaded bytes in this process. A file written for an intake whose
transaction then rolls back stays on disk, but its data key was never
stored, so it can never be opened (it is removed when noticed).
"""

from __future__ import annotations

import base64
import binascii
import io
import os
from dataclasses import dataclass
from pathlib import Path

import structlog
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from shoumi.materials.errors import SignatureInvalidError
from shoumi.materials.models import Intake
from shoumi.vault import services as vault

logger = structlog.get_logger(__name__)

SIGNATURE_FIELD = "signature"
DATA_URL_PREFIX = "data:image/png;base64,"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SOURCE_PIXELS = 25_000_000
# Stored signatures are scaled down to this width: enough to print sharply
# on a receipt, small enough to keep each file at a few kilobytes.
MAX_STORED_WIDTH = 1200
# A pixel darker than this (0 = black, 255 = white) counts as ink.
INK_LEVEL = 160
# Fewer ink pixels than this is an empty canvas or a blank scan.
MIN_INK_PIXELS = 150
ACCEPTED_SCAN_FORMATS = frozenset({"PNG", "JPEG"})


@dataclass(frozen=True)
class SignatureImage:
    """A checked signature as grey-scale PNG bytes."""

    png: bytes
    width: int
    height: int


def from_data_url(data_url: str) -> SignatureImage:
    """Check a signature drawn on the canvas (a ``data:image/png;base64,`` URL)."""
    if not data_url.startswith(DATA_URL_PREFIX):
        raise SignatureInvalidError(
            _("The drawn signature is missing. Ask the client to sign in the box."),
            field="signature_drawn",
        )
    encoded = data_url[len(DATA_URL_PREFIX) :]
    if len(encoded) > MAX_UPLOAD_BYTES * 4 // 3 + 4:
        raise SignatureInvalidError(_("The signature image is too large."), field="signature_drawn")
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalidError(
            _("The drawn signature could not be read. Ask the client to sign again."),
            field="signature_drawn",
        ) from None
    return _normalise(content, accepted={"PNG"}, field="signature_drawn")


def scan_too_large_message() -> str:
    return _("The scan is larger than 5 MB. Scan at a lower resolution.")


def from_scan(content: bytes) -> SignatureImage:
    """Check a scan or photo of a paper signature (PNG or JPEG, at most 5 MiB)."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise SignatureInvalidError(scan_too_large_message(), field="signature_scan")
    return _normalise(content, accepted=ACCEPTED_SCAN_FORMATS, field="signature_scan")


def _normalise(
    content: bytes, *, accepted: set[str] | frozenset[str], field: str
) -> SignatureImage:
    unreadable = SignatureInvalidError(
        _("The signature image could not be read. Use a PNG or JPEG file."), field=field
    )
    try:
        with Image.open(io.BytesIO(content)) as source:
            if source.format not in accepted:
                raise unreadable
            width, height = source.size
            if width * height > MAX_SOURCE_PIXELS:
                raise SignatureInvalidError(
                    _("The signature image has too many pixels. Scan at a lower resolution."),
                    field=field,
                )
            source.load()
            image = _flatten(source)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise unreadable from None

    if image.width > MAX_STORED_WIDTH:
        height = max(1, round(image.height * MAX_STORED_WIDTH / image.width))
        image = image.resize((MAX_STORED_WIDTH, height), Image.Resampling.LANCZOS)
    histogram = image.histogram()
    if sum(histogram[:INK_LEVEL]) < MIN_INK_PIXELS:
        raise SignatureInvalidError(
            _("The signature is empty. Ask the client to sign."), field=field
        )
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return SignatureImage(png=output.getvalue(), width=image.width, height=image.height)


def _flatten(source: Image.Image) -> Image.Image:
    """Return the image in grey scale with any transparency laid onto white."""
    if source.mode in ("RGBA", "LA", "P", "PA"):
        rgba = source.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        white.alpha_composite(rgba)
        return white.convert("L")
    return source.convert("L")


def signature_directory() -> Path:
    return Path(settings.DATA_DIR) / "materials" / "signatures"


def signature_path(intake_id: object) -> Path:
    return signature_directory() / f"{intake_id}.sealed"


def store(*, intake: Intake, signature: SignatureImage) -> Path:
    """Seal the signature with the intake's data key and write it; the caller saves the intake.

    The file is written to a temporary name and renamed, so a reader never
    sees half a file. Mode 0600, in a 0700 directory.
    """
    directory = signature_directory()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    sealed = vault.seal_bytes(record=intake, field_name=SIGNATURE_FIELD, content=signature.png)
    path = signature_path(intake.pk)
    partial = path.with_suffix(".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(sealed)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    return path


def discard(intake_id: object) -> None:
    """Remove the file of an intake that was not saved."""
    signature_path(intake_id).unlink(missing_ok=True)


def load(*, intake: Intake) -> bytes:
    """Return the signature PNG; the caller has checked the policy and written the audit event.

    Raises FileNotFoundError when the file is missing and
    crypto.DecryptionError when it was altered or belongs to another intake.
    """
    sealed = signature_path(intake.pk).read_bytes()
    return vault.open_bytes(record=intake, field_name=SIGNATURE_FIELD, sealed=sealed)


def image_size(png: bytes) -> tuple[int, int]:
    """Return (width, height) in pixels of a stored signature PNG."""
    with Image.open(io.BytesIO(png)) as image:
        return image.size
