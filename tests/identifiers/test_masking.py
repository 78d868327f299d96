import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from shoumi.identifiers import (
    InvalidIdentifier,
    Kind,
    MaskLevel,
    mask,
    mask_address,
    mask_name,
    parse,
)

from .strategies import VALID_VALUES

# Kinds whose values are public and shown whole.
PUBLIC_KINDS = {Kind.USCC, Kind.ORG_CODE, Kind.REGISTRATION_NUMBER}

# Kind -> most characters of the value a mask may show, per level.
MAX_SHOWN = {
    Kind.RESIDENT_ID: {MaskLevel.LIST: 7, MaskLevel.VERIFY: 6},
    Kind.RESIDENCE_PERMIT: {MaskLevel.LIST: 7, MaskLevel.VERIFY: 6},
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: {MaskLevel.LIST: 7, MaskLevel.VERIFY: 6},
    Kind.BANK_CARD: {MaskLevel.LIST: 10, MaskLevel.VERIFY: 4},
    Kind.BANK_ACCOUNT: {MaskLevel.LIST: 4, MaskLevel.VERIFY: 4},
    Kind.MOBILE: {MaskLevel.LIST: 7, MaskLevel.VERIFY: 4},
    Kind.LANDLINE: {MaskLevel.LIST: 8, MaskLevel.VERIFY: 4},
    Kind.PASSPORT: {MaskLevel.LIST: 5, MaskLevel.VERIFY: 4},
    Kind.TRAVEL_PERMIT: {MaskLevel.LIST: 5, MaskLevel.VERIFY: 4},
}

COUNTRY_CODE_DISPLAY = "+86 "


# Short and odd mobile values under the first 3 + last 4 rule.
@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13800138000", "138****8000"),
        ("1380013", "*******"),
        ("95588", "*****"),
        ("+86 138 0013 8000", "+86 138****8000"),
        ("", ""),
        (None, None),
    ],
)
def test_mobile_masks_short_and_odd_values(value, masked):
    assert mask(Kind.MOBILE, value) == masked


@pytest.mark.parametrize(
    ("kind", "value", "level", "masked"),
    [
        (Kind.RESIDENT_ID, "11010519491231002X", MaskLevel.LIST, "110***********002X"),
        (Kind.RESIDENT_ID, "11010519491231002X", MaskLevel.VERIFY, "************31002X"),
        (Kind.RESIDENT_ID, "110105491231002", MaskLevel.LIST, "110***********002X"),
        (Kind.RESIDENCE_PERMIT, "810000199207040213", MaskLevel.LIST, "810***********0213"),
        (Kind.BANK_CARD, "6217001234567890122", MaskLevel.LIST, "621700*********0122"),
        (Kind.BANK_CARD, "6217001234567890122", MaskLevel.VERIFY, "***************0122"),
        (Kind.BANK_ACCOUNT, "1100 1234 5678", MaskLevel.LIST, "****5678"),
        (Kind.MOBILE, "13800138000", MaskLevel.VERIFY, "*******8000"),
        (Kind.LANDLINE, "010-62123456", MaskLevel.LIST, "010****3456"),
        (Kind.LANDLINE, "010-62123456", MaskLevel.VERIFY, "*******3456"),
        (Kind.PASSPORT, "E12345678", MaskLevel.LIST, "E*****678"),
        (Kind.USCC, "91350100M000100Y43", MaskLevel.LIST, "91350100M000100Y43"),
        (Kind.ORG_CODE, "60003734-1", MaskLevel.LIST, "600037341"),
        (Kind.TAXPAYER_ID, "11010519491231002X01", MaskLevel.LIST, "110*************2X01"),
    ],
)
def test_mask_by_kind_and_level(kind, value, level, masked):
    assert mask(kind, value, level) == masked


def test_invalid_public_value_is_hidden():
    # An ID number typed into a credit-code field must not be shown whole.
    assert mask(Kind.USCC, "11010519491231002X") == "*" * 18


def test_invalid_resident_id_keeps_the_rule():
    assert mask(Kind.RESIDENT_ID, "110105194912310021") == "110***********0021"


def test_excel_damaged_value_is_hidden():
    assert mask(Kind.RESIDENT_ID, "1.10105E+17") == "***********"


def test_unknown_kind_hides_everything():
    assert mask("unknown", "13800138000") == "***********"


def test_unknown_level_hides_everything():
    assert mask(Kind.MOBILE, "13800138000", "full") == "***********"


def test_non_text_value_is_masked():
    assert mask(Kind.MOBILE, 13800138000) == "138****8000"


def test_unexpected_error_is_logged_without_value(monkeypatch):
    def broken_parse(kind, text):
        raise RuntimeError(f"failed on {text}")

    monkeypatch.setattr("shoumi.identifiers.masking.parse", broken_parse)

    with structlog.testing.capture_logs() as logs:
        masked = mask(Kind.MOBILE, "13800138000")

    assert masked == "***********"
    assert logs[0]["event"] == "mask_failed"
    assert logs[0]["error_type"] == "RuntimeError"
    assert "13800138000" not in repr(logs)


def test_swapped_arguments_log_no_value():
    with structlog.testing.capture_logs() as logs:
        masked = mask("13800138000", Kind.MOBILE)

    assert masked == "******"
    assert [(entry["event"], entry["argument"]) for entry in logs] == [
        ("mask_argument_unknown", "kind")
    ]
    assert "13800138000" not in repr(logs)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马相如", "司马**"),
        ("诸葛亮", "诸葛*"),
        ("欧阳", "欧*"),
        ("张", "*"),
        ("阿卜杜拉·艾山", "阿***·**"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("北京市海淀区中关村大街27号院", "北京市海淀区********"),
        ("广东省深圳市南山区科技园南区1栋", "广东省深圳市南山区*******"),
        ("内蒙古自治区呼和浩特市新城区新华大街1号", "内蒙古自治区呼和浩特市新城区******"),
        ("湖北省恩施土家族苗族自治州恩施市舞阳大街", "湖北省恩施土家族苗族自治州恩施市****"),
        ("广东省东莞市南城街道莞太路1号", "广东省东莞市********"),
        ("上海市浦东新区世纪大道100号", "上海市浦东新区********"),
        ("中关村大街27号", "********"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_address(address, masked):
    assert mask_address(address) == masked


@st.composite
def kind_and_value(draw):
    kind = draw(st.sampled_from(sorted(VALID_VALUES)))
    return kind, draw(VALID_VALUES[kind])


@given(kind_and_value())
def test_repr_and_str_never_show_private_value(example):
    kind, value = example
    parsed = parse(kind, value)
    if parsed.masked == parsed.value:
        return

    assert parsed.value not in repr(parsed)
    assert parsed.value not in str(parsed)
    assert parsed.value not in f"{parsed}"


@given(kind_and_value())
def test_private_kinds_never_equal_their_mask(example):
    kind, value = example
    if kind in PUBLIC_KINDS or kind == Kind.TAXPAYER_ID:
        return

    assert parse(kind, value).masked != parse(kind, value).value


def _value_length(kind, text):
    """Length of the canonical value, or of the text when it does not parse."""
    try:
        return len(parse(kind, text).value)
    except (InvalidIdentifier, ValueError):
        return len(text)


def _shown(masked):
    return len(masked.removeprefix(COUNTRY_CODE_DISPLAY).replace("*", ""))


@given(
    st.sampled_from(sorted(MAX_SHOWN)),
    st.sampled_from(list(MaskLevel)),
    st.one_of(st.text(max_size=40), kind_and_value().map(lambda example: example[1])),
)
def test_mask_never_raises_and_respects_limits(kind, level, text):
    masked = mask(kind, text, level)

    assert isinstance(masked, str)
    assert _shown(masked) <= MAX_SHOWN[kind][level]
    assert len(masked.removeprefix(COUNTRY_CODE_DISPLAY)) <= _value_length(kind, text)


@given(st.sampled_from(sorted(PUBLIC_KINDS | {Kind.TAXPAYER_ID})), st.text(max_size=40))
def test_mask_of_public_kinds_never_raises(kind, text):
    masked = mask(kind, text)

    assert len(masked) <= _value_length(kind, text)


@given(st.text(max_size=30))
def test_name_and_address_masks_never_grow(text):
    assert len(mask_name(text)) <= len(text)
    assert len(mask_address(text)) <= len(text)
