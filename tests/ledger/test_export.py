from __future__ import annotations

import datetime as dt
import os

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shoumi.ledger.checkpoints import Checkpoint, CheckpointSigner
from shoumi.ledger.errors import CheckpointFormatError
from shoumi.ledger.export import (
    checkpoint_qr,
    checkpoint_qr_png,
    checkpoint_qr_svg,
    checkpoint_qr_text,
    read_checkpoint_export,
)

ORIGIN = "shoumi.test/audit"


@pytest.fixture(params=[False, True], ids=["ed25519", "gm_mode"])
def signer(request) -> CheckpointSigner:
    hmac_key = os.urandom(32) if request.param else None
    return CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate(), hmac_key)


@pytest.fixture
def note(signer: CheckpointSigner) -> str:
    checkpoint = Checkpoint(
        ORIGIN, 1_000_000, bytes(range(32)), dt.datetime(2026, 3, 1, tzinfo=dt.UTC), "sm3"
    )
    return signer.sign(checkpoint)


def _decode(qr) -> bytes:
    rows = [[0 if dark else 255 for dark in row] for row in qr.matrix_iter(scale=3, border=4)]
    pixels = bytes(value for row in rows for value in row)
    image = memoryview(pixels).cast("B", shape=[len(rows), len(rows[0])])
    # QR codes only: zxing-cpp 3.1 also read a one-dimensional symbol (Codabar, UPC-E,
    # ITF) out of the modules of 23 codes in 6,000 random notes, which failed a CI run.
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(results) == 1
    return results[0].bytes


def test_qr_code_decodes_to_exact_note(signer: CheckpointSigner, note: str) -> None:
    qr = checkpoint_qr(note)

    decoded = _decode(qr).decode("utf-8")

    assert decoded == note
    assert signer.verifier().verify(decoded).size == 1_000_000
    assert qr.error == "M"
    assert qr.mode == "byte"


def test_qr_outputs_are_produced(note: str) -> None:
    assert checkpoint_qr_svg(note).startswith("<svg")
    assert checkpoint_qr_png(note).startswith(b"\x89PNG")
    assert "█" in checkpoint_qr_text(note) or "▀" in checkpoint_qr_text(note)


def test_qr_of_non_note_is_refused() -> None:
    with pytest.raises(CheckpointFormatError):
        checkpoint_qr("just text")


def test_export_survives_email_line_endings(signer: CheckpointSigner, note: str) -> None:
    mangled = "\r\n\r\n" + note.replace("\n", "  \r\n") + "\r\n\r\n"

    recovered = read_checkpoint_export(mangled)

    assert recovered == note
    assert signer.verifier().verify(recovered).size == 1_000_000


@pytest.mark.parametrize("text", ["", "\n\n", "no signature here\n"])
def test_export_without_note_raises(text: str) -> None:
    with pytest.raises(CheckpointFormatError):
        read_checkpoint_export(text)


def test_text_after_the_signatures_is_ignored(signer: CheckpointSigner, note: str) -> None:
    exported = note + "\n" + checkpoint_qr_text(note) + "\n用于验证的公钥：shoumi+abcd+AAAA\n"

    recovered = read_checkpoint_export(exported)

    assert recovered == note
    assert signer.verifier().verify(recovered).size == 1_000_000
