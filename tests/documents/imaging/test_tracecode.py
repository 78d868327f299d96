from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoumi.documents.imaging.errors import InvalidTraceCodeError
from shoumi.documents.imaging.tracecode import (
    CODED_BITS,
    TraceCode,
    crc24,
    decode_trace_code,
    encode_trace_code,
)


def test_printed_form_round_trips():
    code = TraceCode(0x12_3456_789A)

    printed = str(code)

    assert printed == "28T5-CY4T"
    assert TraceCode.parse(printed) == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0000-0001", 1),
        ("zzzz-zzzz", (1 << 40) - 1),
        (" 0000 000z ", 31),
        ("OOOO-OOOL", 1),
        # Eight base32 digits of value 1: the sum of 1 << 5k for k in 0..7.
        ("iiii-iiii", 35_468_117_025),
    ],
)
def test_parse_accepts_crockford_variants(text, expected):
    assert TraceCode.parse(text).value == expected


@pytest.mark.parametrize("text", ["", "1234-567", "1234-56789", "UUUU-UUUU", "1234-567!"])
def test_parse_rejects_invalid_text(text):
    with pytest.raises(InvalidTraceCodeError) as raised:
        TraceCode.parse(text)

    assert raised.value.code == "invalid_trace_code"


def test_value_must_fit_in_40_bits():
    with pytest.raises(InvalidTraceCodeError):
        TraceCode(1 << 40)


def test_crc24_matches_openpgp_check_value():
    # RFC 4880 CRC-24 of the ASCII string "123456789" is 0x21CF02.
    message = int.from_bytes(b"123456789", "big")

    assert crc24(message, 72) == 0x21CF02


def test_clean_channel_decodes_exactly():
    code = TraceCode.generate()
    soft = encode_trace_code(code).astype(float) * 2 - 1

    decoded, bit_error_rate = decode_trace_code(soft)

    assert decoded == code
    assert bit_error_rate == 0.0


def test_decoder_corrects_flipped_bits():
    generator = np.random.default_rng(11)
    code = TraceCode.generate()
    soft = encode_trace_code(code).astype(float) * 2 - 1
    flipped = generator.choice(CODED_BITS, size=8, replace=False)
    soft[flipped] *= -1

    decoded, bit_error_rate = decode_trace_code(soft)

    assert decoded == code
    assert bit_error_rate == pytest.approx(8 / CODED_BITS)


def test_noise_does_not_decode_to_a_code():
    generator = np.random.default_rng(5)

    results = [decode_trace_code(generator.normal(size=CODED_BITS))[0] for _ in range(300)]

    assert all(result is None for result in results)


def test_decoder_rejects_wrong_length():
    with pytest.raises(ValueError, match="140 soft bits"):
        decode_trace_code(np.zeros(10))


@given(st.integers(min_value=0, max_value=(1 << 40) - 1))
def test_any_code_round_trips(value):
    code = TraceCode(value)

    assert TraceCode.parse(str(code)) == code
    assert TraceCode.parse(str(code).lower()) == code
