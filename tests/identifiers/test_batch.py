"""``parse_many`` must give, for every value, what ``parse`` gives for it alone."""

import gc
import random
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoumi.identifiers import (
    DEFAULT_PREFIX_TABLE,
    Identifier,
    InvalidIdentifier,
    Kind,
    MobilePrefixTable,
    bulk,
    parse,
    parse_many,
    set_prefix_table,
)
from shoumi.identifiers import batch as batch_module
from shoumi.identifiers.checksums import mod_11_2
from tests.bench.bench_identifiers import build_corpus

from .strategies import VALID_VALUES, messy_forms


@pytest.fixture(autouse=True)
def chunk_every_group(monkeypatch):
    """Send even the few values of a test through the chunk path."""
    monkeypatch.setattr(batch_module, "MIN_CHUNK", 1)


def with_check(body):
    return body + mod_11_2(body)


def outcome(kind, text):
    """What ``parse`` gives for one value, in the form ``describe`` compares."""
    try:
        return describe(parse(kind, text))
    except InvalidIdentifier as error:
        return describe(error)


def describe(result):
    """Everything a caller can read from a result, so two results compare field by field."""
    if isinstance(result, InvalidIdentifier):
        return ("error", result.code, str(result), result.kind, type(result.kind), result.params)
    assert isinstance(result, Identifier)
    slots = [
        name
        for cls in type(result).__mro__
        for name in getattr(cls, "__slots__", ())
        if not name.startswith("__")
    ]
    return (
        type(result).__name__,
        tuple((name, getattr(result, name)) for name in sorted(set(slots))),
        type(result.value),
    )


def assert_same_as_parse(pairs):
    results = parse_many(pairs)

    assert len(results) == len(pairs)
    for (kind, text), result in zip(pairs, results, strict=True):
        assert describe(result) == outcome(kind, text), (kind, ascii(text))


def test_benchmark_corpus_gives_what_parse_gives():
    pairs = build_corpus(30_000, seed=7)

    assert_same_as_parse(pairs)
    kinds = {type(result).__name__ for result in parse_many(pairs)}
    assert {"ResidentId", "Mobile", "Uscc", "BankCard", "InvalidIdentifier"} <= kinds


# Characters that decide how normalise treats a value: digits and letters in ASCII,
# full-width and other compatibility forms, separators it removes, markers it strips only
# at the start, and characters it leaves to the checks.
_ALPHABET = (
    "0123456789Xx17E0e"
    "０１９ＸｘＡ①ſK"
    " -/_()\t\n\u3000\u00a0\u200b\ufeff\u2014\u00b7\u30fb\u2011"
    "'`=\u2018\u2019\uff07\uff1d"
    '."+,×\u0301\u1fef中𝟙转#t分机'
)


@st.composite
def pairs_of_any_text(draw):
    kind = draw(st.sampled_from(sorted(VALID_VALUES)))
    return kind, draw(st.text(alphabet=_ALPHABET, max_size=24))


@st.composite
def pairs_of_messy_values(draw):
    kind = draw(st.sampled_from(sorted(VALID_VALUES)))
    value = draw(VALID_VALUES[kind])
    if draw(st.booleans()):
        position = draw(st.integers(min_value=0, max_value=len(value) - 1))
        value = value[:position] + draw(st.sampled_from("0123456789XA")) + value[position + 1 :]
    return kind, draw(messy_forms(value))


@settings(max_examples=300)
@given(st.lists(pairs_of_any_text(), min_size=1, max_size=40))
def test_any_text_gives_what_parse_gives(pairs):
    assert_same_as_parse(pairs)


@settings(max_examples=300)
@given(st.lists(pairs_of_messy_values(), min_size=1, max_size=40))
def test_messy_and_changed_values_give_what_parse_gives(pairs):
    assert_same_as_parse(pairs)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (Kind.RESIDENT_ID, ""),
        (Kind.RESIDENT_ID, "'"),
        (Kind.RESIDENT_ID, "1.10105E+17"),
        (Kind.RESIDENT_ID, "1E17"),
        (Kind.RESIDENT_ID, "110105199001011000"),
        (Kind.RESIDENT_ID, "11010519900101123"),
        (Kind.RESIDENT_ID, "110105900101123"),
        (Kind.RESIDENT_ID, "440524188001010014"),
        (Kind.RESIDENT_ID, with_check("81000019900101123")),
        (Kind.RESIDENT_ID, with_check("83000020000229456")),
        (Kind.RESIDENT_ID, with_check("11010519900101123")),
        (Kind.RESIDENT_ID, with_check("99999919900101123")),
        (Kind.RESIDENCE_PERMIT, "110105199001011237"),
        (Kind.BANK_ACCOUNT, "1234567.0"),
        (Kind.BANK_ACCOUNT, '="12345678901"'),
        (Kind.BANK_CARD, "6222020200112233440"),
        (Kind.MOBILE, "+86 138 0013 8000"),
        (Kind.MOBILE, "008613800138000"),
        (Kind.MOBILE, "14012345678"),
        (Kind.LANDLINE, "010-62345678-123"),
        (Kind.LANDLINE, "010 62345678 ext 123"),
        (Kind.LANDLINE, "0755 2654 3210 x8001"),
        (Kind.LANDLINE, "0086 10 62345678"),
        (Kind.LANDLINE, "01062345678转123"),
        (Kind.LANDLINE, "4008123123"),
        (Kind.TAXPAYER_ID, "110105199001011237000"),
        (Kind.PASSPORT, "G12345678"),
        (Kind.PASSPORT, "EI1234567"),
        (Kind.REGISTRATION_NUMBER, "1101051234567"),
        (Kind.USCC, "91110108MA01234567"),
        (Kind.ORG_CODE, "12345678-X"),
        ("resident_id", "110105199001011237"),
        (Kind.BANK_ACCOUNT, "12345678\x00"),
        (Kind.MOBILE, "\x0013800138000"),
    ],
)
def test_edge_cases_give_what_parse_gives(kind, text):
    assert_same_as_parse([(kind, text)] * 3 + [(Kind.MOBILE, "13800138000")])


def test_non_str_text_gives_parse_error():
    class Text(str):
        pass

    pairs = [
        (Kind.RESIDENT_ID, None),
        (Kind.RESIDENT_ID, 110105),
        (Kind.MOBILE, Text("13800138000")),
    ]

    assert_same_as_parse(pairs)
    assert type(parse_many(pairs)[2].value) is str


def test_unknown_kind_raises_before_parsing():
    with pytest.raises(ValueError, match="no_such_kind"):
        parse_many([(Kind.MOBILE, "13800138000"), ("no_such_kind", "1")])


def test_no_values_give_no_results():
    assert parse_many([]) == []
    assert parse_many(iter([(Kind.MOBILE, "13800138000")]))[0].value == "13800138000"


def test_values_larger_than_a_chunk_keep_their_order(monkeypatch):
    monkeypatch.setattr(batch_module, "CHUNK_SIZE", 7)
    rng = random.Random(3)
    pairs = build_corpus(500, seed=11)
    rng.shuffle(pairs)

    assert_same_as_parse(pairs)


def test_errors_are_returned_without_traceback():
    results = parse_many([(Kind.RESIDENT_ID, "110105199001011230"), (Kind.LANDLINE, "12")])

    assert all(isinstance(result, InvalidIdentifier) for result in results)
    assert [result.__traceback__ for result in results] == [None, None]


@pytest.mark.parametrize("enabled", [True, False])
def test_garbage_collector_is_left_as_it_was(enabled):
    was_enabled = gc.isenabled()
    try:
        if enabled:
            gc.enable()
        else:
            gc.disable()
        parse_many([(Kind.MOBILE, "13800138000")])
        with pytest.raises(ValueError):
            parse_many([("no_such_kind", "1")])

        assert gc.isenabled() is enabled
    finally:
        if was_enabled:
            gc.enable()
        else:
            gc.disable()


def test_plain_string_kind_kept_in_errors():
    pairs = [("mobile", ""), ("mobile", "1E17"), (Kind.MOBILE, ""), ("mobile", "13800138000")]

    assert_same_as_parse(pairs)
    assert type(parse_many(pairs)[0].kind) is str


def test_lone_surrogates_give_the_parse_error():
    # Encoding the chunk as strict UTF-32 raised UnicodeEncodeError for these.
    assert_same_as_parse(
        [
            (Kind.MOBILE, "1380013800\ud800"),
            (Kind.MOBILE, "13800138000"),
            (Kind.RESIDENT_ID, "\ud83d\ude00"),
            (Kind.BANK_CARD, "\udfff"),
        ]
    )


def test_overlong_texts_give_parse_error():
    pairs = [
        (Kind.BANK_ACCOUNT, "1" * 65),
        (Kind.BANK_ACCOUNT, "1" * 20_000),
        (Kind.BANK_ACCOUNT, "12345678"),
        (Kind.MOBILE, " " * 100 + "13800138000"),
    ]

    assert_same_as_parse(pairs)


def test_values_of_many_lengths_give_what_parse_gives():
    # Short values first, and longer ones whose first characters alone would pass.
    pairs = [
        (Kind.BANK_ACCOUNT, "1 " + "1" * length + end) for length in range(60) for end in ("", "A")
    ]

    assert_same_as_parse(pairs)


def test_few_values_skip_chunks(monkeypatch):
    monkeypatch.setattr(batch_module, "MIN_CHUNK", 128)
    chunked = []
    original = batch_module._parse_chunk
    monkeypatch.setattr(
        batch_module,
        "_parse_chunk",
        lambda kind, *rest: chunked.append(kind) or original(kind, *rest),
    )
    pairs = [(Kind.MOBILE, "13800138000")] * 127 + [(Kind.USCC, "91110108MA01234567")] * 128

    assert_same_as_parse(pairs)
    assert chunked == [Kind.USCC]


class Pairs(list):
    """A list that a weak reference can point to, so a test can see when it is freed."""


def test_chained_error_frees_the_call():
    # The cause of a taxpayer error kept its traceback, whose frames reach parse_many's
    # results array, and the cyclic collector does not look into NumPy object arrays.
    pairs = Pairs([(Kind.MOBILE, "13800138000")] * 100 + [(Kind.TAXPAYER_ID, "110105ABCDEFGHX")])
    freed = weakref.ref(pairs)

    results = parse_many(pairs)
    assert results[-1].code == "embedded_identifier_invalid"
    assert results[-1].__cause__ is not None
    assert results[-1].__cause__.__traceback__ is None
    del pairs, results
    gc.collect()

    assert freed() is None


def test_mobile_uses_one_prefix_table(monkeypatch):
    # Simulates another thread's set_prefix_table between the bulk check and the operator
    # lookup, which could give an allocated number no operator, as no table does.
    prefixes = dict(DEFAULT_PREFIX_TABLE.prefixes)
    del prefixes["138"]
    without_138 = MobilePrefixTable(prefixes)
    original_lookup = bulk._mobile_lookup

    def lookup_then_switch(*arguments):
        allowed = original_lookup(*arguments)
        set_prefix_table(without_138)
        return allowed

    monkeypatch.setattr(bulk, "_mobile_lookup", lookup_then_switch)
    try:
        result = parse_many([(Kind.MOBILE, "13800138000")])[0]
    finally:
        set_prefix_table(DEFAULT_PREFIX_TABLE)

    assert result.operator == DEFAULT_PREFIX_TABLE.operator("13800138000")
