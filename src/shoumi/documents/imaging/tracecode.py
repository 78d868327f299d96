"""Trace codes and the channel code that carries them inside an image.

A trace code is a random 40-bit number that the registry of issued copies
maps to one copy (who issued it, to whom, for what). People read it as eight
Crockford base32 characters in two groups, ``7K3M-Q9TX``, which is how the
visible watermark prints it.

Inside the invisible watermark the 40 bits are followed by a CRC-24, the
OpenPGP one with polynomial 0x864CFB (RFC 4880 section 6.1). The 64 bits
and six zero tail bits are encoded with the rate-1/2, constraint-length-7
convolutional code whose generators are 171 and 133 octal, the code of
IEEE 802.11 and CCSDS 131.0-B.
The decoder is a soft-decision Viterbi decoder. The CRC makes a false reading
unlikely: a decoding of noise passes it with probability 2**-24 per attempt.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from shoumi.documents.imaging.errors import InvalidTraceCodeError

TRACE_CODE_BITS = 40
CRC_BITS = 24
PAYLOAD_BITS = TRACE_CODE_BITS + CRC_BITS
CONSTRAINT_LENGTH = 7
TAIL_BITS = CONSTRAINT_LENGTH - 1
CODED_BITS = 2 * (PAYLOAD_BITS + TAIL_BITS)

_CRC24_INIT = 0xB704CE
_CRC24_POLYNOMIAL = 0x864CFB
_GENERATORS = (0o171, 0o133)
_STATE_COUNT = 1 << (CONSTRAINT_LENGTH - 1)

# Crockford's base32 alphabet leaves out I, L, O and U, so a code copied by
# hand off a paper copy survives the usual misreadings.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_ALIASES = {"O": "0", "I": "1", "L": "1"}


@dataclass(frozen=True, order=True)
class TraceCode:
    """A 40-bit trace code; ``str()`` is the printed form ``XXXX-XXXX``."""

    value: int

    def __post_init__(self) -> None:
        if not 0 <= self.value < (1 << TRACE_CODE_BITS):
            raise InvalidTraceCodeError("Trace code value must fit in 40 bits.")

    @classmethod
    def generate(cls) -> TraceCode:
        """Return a new random trace code from the operating system's CSPRNG."""
        return cls(secrets.randbits(TRACE_CODE_BITS))

    @classmethod
    def parse(cls, text: str) -> TraceCode:
        """Parse the printed form, ignoring case, spaces and hyphens.

        The letters O, I and L read as 0, 1 and 1, as Crockford's base32
        specifies. Raises ``InvalidTraceCodeError`` for any other input.
        """
        compact = text.strip().upper().replace("-", "").replace(" ", "")
        if len(compact) != TRACE_CODE_BITS // 5:
            raise InvalidTraceCodeError("追踪码应为 8 位字母或数字，例如 7K3M-Q9TX。")
        value = 0
        for character in compact:
            digit = _ALPHABET.find(_READ_ALIASES.get(character, character))
            if digit < 0:
                raise InvalidTraceCodeError("追踪码含有无效字符，请核对后重新输入。")
            value = (value << 5) | digit
        return cls(value)

    def __str__(self) -> str:
        characters = [_ALPHABET[(self.value >> shift) & 0x1F] for shift in range(35, -1, -5)]
        return "".join(characters[:4]) + "-" + "".join(characters[4:])


def crc24(value: int, bit_count: int) -> int:
    """Return the OpenPGP CRC-24 of the ``bit_count`` low bits of ``value``, MSB first."""
    register = _CRC24_INIT
    for shift in range(bit_count - 1, -1, -1):
        bit = (value >> shift) & 1
        feedback = ((register >> 23) & 1) ^ bit
        register = (register << 1) & 0xFFFFFF
        if feedback:
            register ^= _CRC24_POLYNOMIAL
    return register


def encode_trace_code(code: TraceCode) -> np.ndarray:
    """Return the 140 coded bits (0/1, ``uint8``) that carry ``code`` and its CRC."""
    payload = (code.value << CRC_BITS) | crc24(code.value, TRACE_CODE_BITS)
    bits = [(payload >> shift) & 1 for shift in range(PAYLOAD_BITS - 1, -1, -1)]
    return _convolve(bits + [0] * TAIL_BITS)


def decode_trace_code(soft_bits: np.ndarray) -> tuple[TraceCode | None, float]:
    """Decode soft coded bits into a trace code.

    ``soft_bits`` contains one value per coded bit, positive for 1 and negative
    for 0, with magnitude as reliability. Returns the code, or ``None`` when
    the CRC does not match, together with the fraction of coded bits whose
    sign disagrees with the re-encoded result (an estimate of the raw bit
    error rate of the channel).
    """
    if soft_bits.shape != (CODED_BITS,):
        raise ValueError(f"Expected {CODED_BITS} soft bits, got shape {soft_bits.shape}.")
    bits = _viterbi(soft_bits.astype(np.float64))
    payload = 0
    for bit in bits[:PAYLOAD_BITS]:
        payload = (payload << 1) | int(bit)

    reencoded = _convolve(list(bits))
    disagreements = np.count_nonzero((soft_bits > 0) != (reencoded == 1))
    bit_error_rate = float(disagreements) / CODED_BITS

    value = payload >> CRC_BITS
    if crc24(value, TRACE_CODE_BITS) != payload & 0xFFFFFF:
        return None, bit_error_rate
    return TraceCode(value), bit_error_rate


def _parity(value: int) -> int:
    return bin(value).count("1") & 1


def _convolve(bits: list[int]) -> np.ndarray:
    register = 0
    output: list[int] = []
    for bit in bits:
        register = ((register << 1) | bit) & ((1 << CONSTRAINT_LENGTH) - 1)
        output.extend(_parity(register & generator) for generator in _GENERATORS)
    return np.array(output, dtype=np.uint8)


def _branch_table() -> tuple[np.ndarray, np.ndarray]:
    """Return, per (state, input bit), the next state and the two output bits as ±1."""
    next_states = np.zeros((_STATE_COUNT, 2), dtype=np.int64)
    outputs = np.zeros((_STATE_COUNT, 2, 2), dtype=np.float64)
    for state in range(_STATE_COUNT):
        for bit in (0, 1):
            register = (state << 1) | bit
            next_states[state, bit] = register & (_STATE_COUNT - 1)
            for index, generator in enumerate(_GENERATORS):
                outputs[state, bit, index] = 1.0 if _parity(register & generator) else -1.0
    return next_states, outputs


_NEXT_STATES, _OUTPUTS = _branch_table()


def _viterbi(soft_bits: np.ndarray) -> np.ndarray:
    step_count = soft_bits.size // 2
    metrics = np.full(_STATE_COUNT, -np.inf)
    metrics[0] = 0.0
    survivors = np.zeros((step_count, _STATE_COUNT), dtype=np.int64)
    survivor_bits = np.zeros((step_count, _STATE_COUNT), dtype=np.uint8)

    for step in range(step_count):
        received = soft_bits[2 * step : 2 * step + 2]
        candidate = metrics[:, None] + _OUTPUTS @ received
        new_metrics = np.full(_STATE_COUNT, -np.inf)
        for bit in (0, 1):
            targets = _NEXT_STATES[:, bit]
            for state in range(_STATE_COUNT):
                score = candidate[state, bit]
                if score > new_metrics[targets[state]]:
                    new_metrics[targets[state]] = score
                    survivors[step, targets[state]] = state
                    survivor_bits[step, targets[state]] = bit
        metrics = new_metrics

    # The tail bits drive the encoder back to state 0, so the path ends there.
    state = 0
    decoded = np.zeros(step_count, dtype=np.uint8)
    for step in range(step_count - 1, -1, -1):
        decoded[step] = survivor_bits[step, state]
        state = survivors[step, state]
    return decoded
