import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoumi.identifiers import InvalidIdentifier, normalise, parse

from .strategies import VALID_VALUES, messy_forms

CANONICAL_ID = "11010519491231002X"


@pytest.mark.parametrize(
    "text",
    [
        "11010519491231002x",
        "11010519491231002X ",
        "11010519491231002X\u00a0",
        "11010519491231002X\u3000",
        "11010519491231002X\t\r\n",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105 1949 1231 002X",
        "110105-19491231-002X",
        "'11010519491231002X",
        "\u201811010519491231002X\u2019",
        "`11010519491231002X",
        "=11010519491231002X",
        '="11010519491231002X"',
        "11010519491231\u200b002X",
        "\ufeff11010519491231002X",
        "11010519491231002\u00d7",
        "110.105.1949.1231.002X",
        "110105/19491231/002X",
        "110105_19491231_002X",
        "110105\u201419491231\u2212002X",
        "110105·19491231·002X",
    ],
)
def test_normalise_accepts_typed_and_pasted_forms(text):
    assert normalise(text) == CANONICAL_ID


@pytest.mark.parametrize(
    "text",
    ["1.10105E+17", "1.10105e+17", "'1.10105E+17", "６．２１７Ｅ＋１８", "6.217E18", " 1E+17 "],
)
def test_normalise_refuses_scientific_notation(text):
    with pytest.raises(InvalidIdentifier) as caught:
        normalise(text)

    assert caught.value.code == "excel_scientific_notation"


@pytest.mark.parametrize(
    "text",
    ["110105194912310000", "6217001234567890000", "62170012345678900", "11010519491231000000"],
)
def test_normalise_refuses_excel_truncation(text):
    with pytest.raises(InvalidIdentifier) as caught:
        normalise(text)

    assert caught.value.code == "excel_truncated"


def test_normalise_keeps_sixteen_digits_ending_in_zero():
    # One genuine 16-digit card in ten ends in 0; truncation cannot be told from it.
    assert normalise("6222021234567890") == "6222021234567890"


def test_normalise_keeps_zeros_before_the_sixteenth_digit():
    assert normalise("110105194900000012") == "110105194900000012"


def test_normalise_strips_float_suffix():
    assert normalise("13800138000.0") == "13800138000"


@pytest.mark.parametrize("text", [None, 13800138000, 1.10105e17, b"13800138000"])
def test_normalise_rejects_non_text(text):
    with pytest.raises(InvalidIdentifier) as caught:
        normalise(text)

    assert caught.value.code == "not_text"


@pytest.mark.parametrize("text", ["", "   ", "\u200b", "'", " - "])
def test_normalise_rejects_empty_values(text):
    with pytest.raises(InvalidIdentifier) as caught:
        normalise(text)

    assert caught.value.code == "empty"


def test_normalise_never_corrects_letters_to_digits():
    assert normalise("91350100M000100O43") == "91350100M000100O43"


@given(st.text())
def test_normalise_is_idempotent_on_any_text(text):
    try:
        once = normalise(text)
    except InvalidIdentifier:
        return

    assert normalise(once) == once


@st.composite
def messy_values(draw):
    kind = draw(st.sampled_from(sorted(VALID_VALUES)))
    value = draw(VALID_VALUES[kind])
    return kind, value, draw(messy_forms(value))


@given(messy_values())
def test_parse_recovers_canonical_value_from_messy_form(example):
    kind, value, messy = example

    assert parse(kind, messy).value == parse(kind, value).value


def test_marker_uncovered_by_removed_separator_is_stripped_too():
    """Hypothesis found "'·`0": the middle dot went and left a leading backtick."""
    once = normalise("'·`0")

    assert once == "0"
    assert normalise(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [(")\x1f0", "0"), ("0(\x1c", "0"), ("(\x85138 0013 8000)", "13800138000"), ("0'", "0'")],
)
def test_whitespace_uncovered_by_removed_separator_is_stripped(text, expected):
    # Hypothesis found ")\x1f0": the parenthesis went and left the unit separator, which
    # str.isspace() counts as whitespace, at the start. "0'" shows the pass stops.
    once = normalise(text)

    assert once == expected
    assert normalise(once) == once


def test_notation_uncovered_by_removed_separator_is_rejected():
    # Hypothesis found "0E_0": without the underscore it is scientific notation,
    # which a second pass would reject.
    with pytest.raises(InvalidIdentifier) as caught:
        normalise("0E_0")

    assert caught.value.code == "excel_scientific_notation"
