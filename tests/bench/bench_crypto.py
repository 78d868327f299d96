"""Throughput of shoumi.crypto: seal, open, data-key unwrap and blind index.

Run from the repository root: ``.venv/bin/python -m tests.bench.bench_crypto``.

Each operation runs in a timed loop of ``--iterations`` calls, repeated ``--repeats``
times. The table reports the best repeat (the least disturbed by other load) as
operations per second, with the median beside it. Peers run in the same process
and the same loop: the raw AEAD primitive (the floor under shoumi's envelope),
pyca/cryptography's Fernet recipe (AES-128-CBC + HMAC-SHA256, the usual
ready-made alternative), and a bare ``hmac.digest`` for blind indexes. Values are
32 random bytes, the size of a resident ID number with room to spare.
"""

from __future__ import annotations

import argparse
import hmac
import os
import platform
import statistics
import time
from collections.abc import Callable

import cryptography
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shoumi.crypto import BlindIndexKey, Keyring, LocalKek, RecordContext
from shoumi.crypto.suites import AES_256_GCM

VALUE = os.urandom(32)
VALUE_TEXT = "33010619880315019X"


def measure(operation: Callable[[], object], iterations: int, repeats: int) -> tuple[float, float]:
    """Return the best and the median operations per second over ``repeats`` timed loops."""
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(iterations):
            operation()
        elapsed = time.perf_counter() - started
        rates.append(iterations / elapsed)
    return max(rates), statistics.median(rates)


def sm4_gcm_encrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(data) + encryptor.finalize() + encryptor.tag


def sm4_gcm_decrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, data[-16:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(data[:-16]) + decryptor.finalize()


def build_cases() -> list[tuple[str, str, Callable[[], object]]]:
    """Return (group, label, operation) for every measured operation."""
    keyring = Keyring([LocalKek("kek-bench", os.urandom(32), AES_256_GCM)], current="kek-bench")
    record = RecordContext("clients.Person", 1)
    data_key, wrapped = keyring.new_data_key(record)
    sealed = {
        suite: data_key.seal("resident_id", VALUE, suite=suite)
        for suite in ("aes-256-gcm", "sm4-gcm")
    }

    aes_key, sm4_key, nonce, aad = os.urandom(32), os.urandom(16), os.urandom(12), os.urandom(40)
    aesgcm = AESGCM(aes_key)
    aes_sealed = aesgcm.encrypt(nonce, VALUE, aad)
    sm4_sealed = sm4_gcm_encrypt(sm4_key, nonce, VALUE, aad)
    fernet = Fernet(Fernet.generate_key())
    fernet_token = fernet.encrypt(VALUE)

    index_sha = BlindIndexKey.create(keyring, suite="aes-256-gcm")[0].indexer(
        "clients.Person", "resident_id"
    )
    index_sm3 = BlindIndexKey.create(keyring, suite="sm4-gcm")[0].indexer(
        "clients.Person", "resident_id"
    )
    hmac_key = os.urandom(32)
    value_bytes = VALUE_TEXT.encode()

    return [
        ("seal", "shoumi seal aes-256-gcm", lambda: data_key.seal("resident_id", VALUE)),
        (
            "seal",
            "shoumi seal sm4-gcm",
            lambda: data_key.seal("resident_id", VALUE, suite="sm4-gcm"),
        ),
        ("seal", "peer: raw AESGCM.encrypt", lambda: aesgcm.encrypt(os.urandom(12), VALUE, aad)),
        (
            "seal",
            "peer: raw SM4-GCM encrypt",
            lambda: sm4_gcm_encrypt(sm4_key, os.urandom(12), VALUE, aad),
        ),
        ("seal", "peer: Fernet.encrypt", lambda: fernet.encrypt(VALUE)),
        (
            "open",
            "shoumi open aes-256-gcm",
            lambda: data_key.open("resident_id", sealed["aes-256-gcm"]),
        ),
        ("open", "shoumi open sm4-gcm", lambda: data_key.open("resident_id", sealed["sm4-gcm"])),
        ("open", "peer: raw AESGCM.decrypt", lambda: aesgcm.decrypt(nonce, aes_sealed, aad)),
        (
            "open",
            "peer: raw SM4-GCM decrypt",
            lambda: sm4_gcm_decrypt(sm4_key, nonce, sm4_sealed, aad),
        ),
        ("open", "peer: Fernet.decrypt", lambda: fernet.decrypt(fernet_token)),
        (
            "reveal path",
            "unwrap data key + open (local KEK)",
            lambda: keyring.unwrap_data_key(wrapped, record).open(
                "resident_id", sealed["aes-256-gcm"]
            ),
        ),
        ("blind index", "shoumi blind index HMAC-SHA256", lambda: index_sha.compute(VALUE_TEXT)),
        ("blind index", "shoumi blind index HMAC-SM3", lambda: index_sm3.compute(VALUE_TEXT)),
        (
            "blind index",
            "peer: raw hmac.digest sha256",
            lambda: hmac.digest(hmac_key, value_bytes, "sha256"),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20_000, help="calls per timed loop")
    parser.add_argument("--repeats", type=int, default=5, help="timed loops per operation")
    arguments = parser.parse_args()

    print(f"Python {platform.python_version()}, cryptography {cryptography.__version__}, ", end="")
    from cryptography.hazmat.backends.openssl.backend import backend

    print(backend.openssl_version_text())
    print(f"{arguments.iterations} calls x {arguments.repeats} repeats, 32-byte values\n")
    print("| group | operation | best ops/s | median ops/s | µs/op | vs first in group |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")

    baselines: dict[str, float] = {}
    for group, label, operation in build_cases():
        best, median = measure(operation, arguments.iterations, arguments.repeats)
        baseline = baselines.setdefault(group, best)
        print(
            f"| {group} | {label} | {best:,.0f} | {median:,.0f} | {1e6 / best:.2f} "
            f"| {best / baseline:.2f}x |"
        )


if __name__ == "__main__":
    main()
