"""Sealed-value and wrapped-key formats: both forms, strict parsing, is_sealed."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoumi.crypto.errors import DecryptionError
from shoumi.crypto.formats import (
    Ciphertext,
    WrappedKey,
    check_key_id,
    decode_base64url,
    encode_base64url,
    is_sealed,
)
from shoumi.crypto.suites import AES_256_GCM, SM4_GCM


def make_sealed(suite=AES_256_GCM, key_id="dek-0123456789abcdef", size=30) -> Ciphertext:
    return Ciphertext(suite=suite, key_id=key_id, payload=os.urandom(size + 28))


@pytest.mark.parametrize("suite", [AES_256_GCM, SM4_GCM], ids=["aes", "sm4"])
def test_sealed_value_text_round_trip(suite):
    sealed = make_sealed(suite)

    text = sealed.to_text()

    assert text.startswith(f"shoumi:v1:{suite.name}:dek-0123456789abcdef:")
    assert Ciphertext.parse(text) == sealed


@pytest.mark.parametrize("suite", [AES_256_GCM, SM4_GCM], ids=["aes", "sm4"])
def test_sealed_value_binary_round_trip(suite):
    sealed = make_sealed(suite)

    data = sealed.to_bytes()

    assert data.startswith(b"SHM\x01" + bytes([suite.code]))
    assert Ciphertext.parse(data) == sealed


def test_sealed_text_given_as_bytes_parses():
    sealed = make_sealed()

    assert Ciphertext.parse(sealed.to_text().encode("ascii")) == sealed


def test_wrapped_key_round_trips():
    wrapped = WrappedKey(kek_id="kek-1", key_id="dek-2", payload=b"vault:v3:abc=")

    assert WrappedKey.parse(wrapped.to_text()) == wrapped
    assert WrappedKey.parse(wrapped.to_bytes()) == wrapped
    assert wrapped.to_text().startswith("shoumi-key:v1:kek-1:dek-2:")


def test_shredded_key_round_trips_without_payload():
    tombstone = WrappedKey.shredded("dek-2")

    assert tombstone.is_shredded
    assert tombstone.to_text() == "shoumi-key:v1:!shredded:dek-2:"
    assert WrappedKey.parse(tombstone.to_text()) == tombstone
    assert WrappedKey.parse(tombstone.to_bytes()) == tombstone


@pytest.mark.parametrize(
    "value",
    [
        "",
        "33010619880315019X",
        "shoumi:v1:aes-256-gcm:dek-1",
        "shoumi:v2:aes-256-gcm:dek-1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "shoumi:v1:aes-128-gcm:dek-1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "shoumi:v1:aes-256-gcm:dek:1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "shoumi:v1:aes-256-gcm:dek-1:AAAA",
        "shoumi:v1:aes-256-gcm:dek-1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "shoumi:v1:aes-256-gcm:密钥:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        b"SHM\x01",
        b"SHM\x01\x07\x01a" + bytes(40),
        b"SHM\x01\x01\x40a",
        b"\xff\xfe",
    ],
)
def test_sealed_value_parse_rejects_malformed(value):
    with pytest.raises(DecryptionError):
        Ciphertext.parse(value)


def test_sealed_value_parse_rejects_non_string():
    with pytest.raises(DecryptionError):
        Ciphertext.parse(12345)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        "shoumi-key:v1:kek-1:dek-2:",
        "shoumi-key:v1::dek-2:AAAA",
        "shoumi-key:v1:!shredded:dek-2:AAAA",
        "shoumi-key:v1:kek-1:dek-2",
        b"SHK\x01\x05kek-1",
    ],
)
def test_wrapped_key_parse_rejects_malformed(value):
    with pytest.raises(DecryptionError):
        WrappedKey.parse(value)


def test_base64url_rejects_non_canonical_last_character():
    canonical = encode_base64url(b"\x00\x01")

    assert canonical == "AAE"
    assert decode_base64url(canonical) == b"\x00\x01"
    with pytest.raises(DecryptionError):
        decode_base64url("AAF")


@given(st.binary(max_size=200))
def test_base64url_round_trips(data):
    assert decode_base64url(encode_base64url(data)) == data


@given(
    st.one_of(
        st.text(max_size=120),
        st.text(max_size=120).map(lambda tail: "shoumi:v1:" + tail),
        st.text(max_size=120).map(lambda tail: "shoumi:v1:sm4-gcm:dek-1:" + tail),
    )
)
def test_sealed_parse_fuzz_is_opaque(text):
    try:
        Ciphertext.parse(text)
    except DecryptionError:
        pass


@given(
    st.one_of(
        st.binary(max_size=120),
        st.binary(max_size=120).map(lambda tail: b"SHK\x01" + tail),
        st.binary(max_size=120).map(lambda tail: b"shoumi-key:v1:" + tail),
    )
)
def test_wrapped_parse_fuzz_is_opaque(data):
    try:
        WrappedKey.parse(data)
    except DecryptionError:
        pass


def test_is_sealed_recognises_both_forms_only():
    sealed = make_sealed()

    assert is_sealed(sealed.to_text())
    assert is_sealed(sealed.to_bytes())
    assert not is_sealed("33010619880315019X")
    assert not is_sealed("shoumi:v1:")
    assert not is_sealed(None)
    assert not is_sealed(42)


@pytest.mark.parametrize("key_id", ["", "a:b", "a b", "键", "x" * 65, "!shredded"])
def test_check_key_id_rejects_invalid(key_id):
    with pytest.raises(ValueError, match="Invalid key id"):
        check_key_id(key_id)
