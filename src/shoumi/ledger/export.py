"""Export of a signed checkpoint for keeping outside the system: text and QR code.

The exported text is the signed note itself, so what a manager prints or
emails can be fed back to verification unchanged. The QR code contains the
same bytes (byte mode, UTF-8, error correction level M), so a phone or
scanner reproduces the exact note.
"""

from __future__ import annotations

import io

import segno

from shoumi.ledger.checkpoints import SIGNATURE_DASH, parse_signed_note


def checkpoint_qr(note: str) -> segno.QRCode:
    """Return a QR code that encodes ``note`` byte for byte.

    Raises:
        CheckpointFormatError: ``note`` is not a signed note.
    """
    parse_signed_note(note)
    return segno.make(note, error="m", mode="byte", encoding="utf-8", micro=False)


def checkpoint_qr_svg(note: str, *, scale: int = 4) -> str:
    """Return the checkpoint's QR code as an SVG document, ``scale`` pixels per module."""
    output = io.BytesIO()
    checkpoint_qr(note).save(output, kind="svg", scale=scale, xmldecl=False)
    return output.getvalue().decode("utf-8")


def checkpoint_qr_png(note: str, *, scale: int = 4) -> bytes:
    """Return the checkpoint's QR code as PNG bytes, ``scale`` pixels per module."""
    output = io.BytesIO()
    checkpoint_qr(note).save(output, kind="png", scale=scale)
    return output.getvalue()


def checkpoint_qr_text(note: str) -> str:
    """Return the checkpoint's QR code drawn with block characters, for a terminal."""
    output = io.StringIO()
    checkpoint_qr(note).terminal(out=output, compact=True)
    return output.getvalue()


def read_checkpoint_export(text: str) -> str:
    """Return the signed note in an exported checkpoint that passed through email or a file.

    Carriage returns, trailing spaces and blank lines around the note are
    removed; the note's own blank separator line is kept. Whatever follows
    the note's signature lines is ignored, so the whole output of
    ``shoumi audit checkpoint --export`` (note, QR code, public key) can be
    saved to a file and read back.

    Raises:
        CheckpointFormatError: no signed note remains.
    """
    lines = [line.rstrip(" \t\r") for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    if "" in lines:
        end = lines.index("") + 1
        while end < len(lines) and lines[end].startswith(SIGNATURE_DASH):
            end += 1
        if end > lines.index("") + 1:
            lines = lines[:end]
    while lines and not lines[-1]:
        lines.pop()
    note = "\n".join(lines) + "\n"
    parse_signed_note(note)
    return note
