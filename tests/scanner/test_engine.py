import pytest

from shoumi.scanner import Confidence, Kind, ScanOptions
from shoumi.scanner.engine import scan_utf8
from shoumi.scanner.text import scan_segments
from tests.scanner.helpers import bank_card, resident_id, uscc, wrong_check


def findings(text: str) -> list[tuple]:
    """(segment line, column, kind, length) of every finding in ``text``."""
    return [
        (line, column, Kind(kind), length)
        for _, line, column, kind, _, length, _ in scan_segments([text], ScanOptions())
    ]


def test_case_s1_identifiers_after_chinese_text():
    text = (
        "客户身份证号320106197809230418已核验\n"
        "身份证33010619880315019X号码\n"
        "交易单号42000012343201061978092304185566\n"
    )

    found = findings(text)

    assert len(found) == 2
    line, column, kind, length = found[0]
    assert (line, column - 1, kind, length) == (1, 6, Kind.RESIDENT_ID, 18)
    line, column, kind, length = found[1]
    assert (line, column - 1, kind, length) == (2, 3, Kind.RESIDENT_ID, 18)
    assert not [item for item in found if item[0] == 3]


def test_case_s1_windows_inside_long_run_are_ignored():
    run = "42000012343201061978092304185566"

    assert findings(f"交易单号{run}") == []


def test_wrong_check_digit_is_not_reported():
    for value in (resident_id(), uscc(), bank_card()):
        assert findings(f"号码：{wrong_check(value)}。") == []


def test_twenty_digit_run_with_valid_id_is_not_reported():
    assert findings(f"流水{resident_id()}12。") == []
    assert findings(f"流水1{resident_id()}5。") == []


def test_letter_next_to_number_is_no_boundary():
    assert findings(f"编号A{resident_id()}") == []
    assert findings(f"{resident_id()}b号") == []


@pytest.mark.parametrize(
    ("text", "kind", "length"),
    [
        ("手机 138 0013 8000。", Kind.MOBILE, 13),
        ("手机138-0013-8000。", Kind.MOBILE, 13),
        ("电话+8613800138000。", Kind.MOBILE, 11),
        ("电话 +86 13800138000。", Kind.MOBILE, 11),
        ("电话0086 13800138000。", Kind.MOBILE, 11),
        # A country code of 86 without a plus, on 13 digits, is taken off as +86 is.
        ("电话8613800138000。", Kind.MOBILE, 11),
        ("电话008613800138000。", Kind.MOBILE, 11),
        ("电话 86 138 0013 8000。", Kind.MOBILE, 13),
        ("电话86-138-0013-8000。", Kind.MOBILE, 13),
        (f"卡号{' '.join(bank_card()[i : i + 4] for i in range(0, 19, 4))}。", Kind.BANK_CARD, 23),
        ("证件３２０１０６１９７８０９２３０４１８。", Kind.RESIDENT_ID, 18),
        ("身份证33010619880315019x。", Kind.RESIDENT_ID, 18),
        ("居住证810000199207040213。", Kind.RESIDENCE_PERMIT, 18),
        ("永居证911398199012310021。", Kind.FOREIGN_PERMANENT_RESIDENCE_ID, 18),
        ("信用代码91350100M000100Y43。", Kind.USCC, 18),
        ("护照号E12345678。", Kind.PASSPORT, 9),
        ("旧身份证320106780923041。", Kind.RESIDENT_ID, 15),
    ],
)
def test_written_forms_are_found(text, kind, length):
    found = findings(text)

    assert [(item[2], item[3]) for item in found] == [(kind, length)]


def spaced(value: str, sizes: tuple[int, ...], separator: str = " ") -> str:
    """Write ``value`` in groups of ``sizes`` characters joined by ``separator``."""
    groups = []
    position = 0
    for size in sizes:
        groups.append(value[position : position + size])
        position += size
    return separator.join(groups)


ID_6_8_4 = (6, 8, 4)
ID_4_4_4_4_2 = (4, 4, 4, 4, 2)


@pytest.mark.parametrize(
    ("value", "sizes", "separator"),
    [
        (resident_id(), ID_6_8_4, " "),
        (resident_id(), ID_6_8_4, "-"),
        (resident_id(), ID_4_4_4_4_2, " "),
        (resident_id(), ID_4_4_4_4_2, "-"),
        # A no-break space, as in text pasted from a web page or Word, and the ideographic
        # space of Chinese input methods.
        (resident_id(), ID_6_8_4, "\u00a0"),
        (resident_id(), ID_6_8_4, "\u3000"),
        (resident_id(), ID_4_4_4_4_2, "\u3000"),
        ("33010619880315019x", ID_6_8_4, " "),
        ("33010619880315019X", ID_4_4_4_4_2, " "),
    ],
)
def test_grouped_resident_id_is_found(value, sizes, separator):
    written = spaced(value, sizes, separator)

    found = findings(f"证件 {written}。")

    assert [(item[2], item[3]) for item in found] == [(Kind.RESIDENT_ID, len(written))]


@pytest.mark.parametrize("separator", ["\u00a0", "\u3000"], ids=["no-break", "ideographic"])
def test_wide_separator_groups_found(separator):
    mobile = spaced("13800138000", (3, 4, 4), separator)
    card = spaced(bank_card(), (4, 4, 4, 4, 3), separator)
    text = f"手机{mobile}，卡号{card}。"

    found = findings(text)

    # Columns and lengths count characters, so a wide separator is one, as a space is.
    assert [(column - 1, kind, length) for _, column, kind, length in found] == [
        (2, Kind.MOBILE, 13),
        (text.index(card), Kind.BANK_CARD, 23),
    ]


def test_other_gaps_do_not_join_groups():
    # Two spaces, or a full-width comma, end a number.
    assert findings("手机 138  0013 8000。") == []
    assert findings("手机 138，0013，8000。") == []


def test_grouped_resident_id_is_masked_like_a_plain_one():
    matches = scan_utf8(f"身份证 {spaced(resident_id(), ID_6_8_4)}".encode())

    assert matches.masked.tolist() == [b"320***********0418"]


@pytest.mark.parametrize("sizes", [ID_6_8_4, ID_4_4_4_4_2])
def test_grouped_resident_id_with_wrong_check_is_ignored(sizes):
    assert findings(f"编号 {spaced(wrong_check(resident_id()), sizes)}。") == []


@pytest.mark.parametrize(
    "text",
    [
        f"编号 1 {spaced(resident_id(), ID_6_8_4)} 结束",
        f"编号 {spaced(resident_id(), ID_6_8_4)} 1 结束",
        f"编号 {spaced(resident_id(), ID_6_8_4)}-12 结束",
    ],
)
def test_grouped_resident_id_inside_longer_group_is_ignored(text):
    assert findings(text) == []


def test_eighteen_digit_card_in_groups_of_four_is_found():
    card = bank_card("62220212345678901")
    written = spaced(card, ID_4_4_4_4_2)

    found = findings(f"卡号 {written}。")

    assert [(item[2], item[3]) for item in found] == [(Kind.BANK_CARD, len(written))]


@pytest.mark.parametrize(
    "text",
    [
        "单号 12 86 138 0013 8000 结束",
        "单号 8613800138000123 结束",
        "单号 868613800138000 结束",
        "单号 0086138001380001 结束",
    ],
)
def test_country_code_inside_longer_number_is_ignored(text):
    assert findings(text) == []


def test_country_code_not_identity_number():
    # 15 digits from 0086 are read as a mobile number only, never as an old identity number.
    assert findings("编号 008612345678901。") == []
    assert findings(f"证件 86 {spaced(resident_id(), ID_6_8_4)}。") == []


def test_grouped_number_inside_longer_group_is_ignored():
    assert findings("编号 6222 0212 3456 7890 1234 5678 结束") == []
    assert findings("号码 1 138 0013 8000 结束") == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Tel 138 0013 8000", Kind.MOBILE),
        ("tel-138-0013-8000.doc", Kind.MOBILE),
        ("138 0013 8000 ext 12", Kind.MOBILE),
        (f"ID {spaced(resident_id(), ID_6_8_4)}", Kind.RESIDENT_ID),
        (f"ID-{spaced(resident_id(), ID_6_8_4, '-')}.pdf", Kind.RESIDENT_ID),
        (f"card {spaced(bank_card(), (4, 4, 4, 4, 3))} ok", Kind.BANK_CARD),
    ],
    ids=["word-before", "word-hyphen", "word-after", "id-word", "id-hyphens", "card-words"],
)
def test_grouped_number_beside_word_found(text, kind):
    # A word joined by a space or hyphen is no digit group of the number.
    assert [item[2] for item in findings(text)] == [kind]


def test_fullwidth_digit_next_to_number_is_no_boundary():
    assert findings(f"１{resident_id()}") == []


def fullwidth(text: str) -> str:
    return "".join(
        chr(ord(char) + 0xFEE0) if char.isascii() and char.isalnum() else char for char in text
    )


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        (fullwidth(resident_id()[:10]) + resident_id()[10:], Kind.RESIDENT_ID),
        (resident_id()[:17] + fullwidth(resident_id()[17]), Kind.RESIDENT_ID),
        (resident_id()[:6] + fullwidth(resident_id()[6:14]) + resident_id()[14:], Kind.RESIDENT_ID),
        ("33010619880315019" + fullwidth("x"), Kind.RESIDENT_ID),
        (fullwidth("138") + "00138000", Kind.MOBILE),
        (fullwidth(uscc()[:9]) + uscc()[9:], Kind.USCC),
        (bank_card()[:12] + fullwidth(bank_card()[12:]), Kind.BANK_CARD),
    ],
    ids=["id-head", "id-check", "id-middle", "id-check-x", "mobile", "uscc", "card"],
)
def test_number_in_mixed_widths_is_found(written, kind):
    # An input method switched between widths in the middle of a number.
    found = findings(f"号码：{written}，已核验")

    assert [(item[1], item[2], item[3]) for item in found] == [(4, kind, len(written))]


@pytest.mark.parametrize(
    "written",
    [
        fullwidth("8613800138000"),
        fullwidth("008613800138000"),
        "86" + fullwidth("1") + "3800138000",
        fullwidth("0086") + "13800138000",
    ],
    ids=["fullwidth-86", "fullwidth-0086", "mixed-86", "mixed-0086"],
)
def test_country_code_in_other_widths_is_found(written):
    found = findings(f"电话：{written}，已核验")
    code = len(written) - 11

    assert [(item[1], item[2], item[3]) for item in found] == [(4 + code, Kind.MOBILE, 11)]


def test_mixed_width_number_masked():
    matches = scan_utf8(f"证件{fullwidth(resident_id()[:9])}{resident_id()[9:]}".encode())

    assert matches.masked.tolist() == [b"320***********0418"]


@pytest.mark.parametrize(
    "text",
    [
        f"单号A{fullwidth(resident_id()[:10])}{resident_id()[10:]}",
        f"单号{fullwidth(resident_id()[:10])}{resident_id()[10:]}5",
        f"单号{fullwidth(wrong_check(resident_id())[:10])}{wrong_check(resident_id())[10:]}",
        f"单号{fullwidth('12')}{resident_id()}",
    ],
    ids=["letter-before", "digit-after", "wrong-check", "inside-longer-run"],
)
def test_mixed_width_run_boundaries(text):
    assert findings(text) == []


def test_unallocated_mobile_prefix_is_not_reported():
    assert findings("电话15412345678。") == []


def test_impossible_birth_date_is_not_a_resident_id():
    for text in ("身份证310115190002290025。", "身份证440305209901011231。"):
        kinds = [item[2] for item in findings(text)]

        assert Kind.RESIDENT_ID not in kinds


def test_context_word_raises_confidence():
    bare = scan_utf8("，13800138000，".encode())
    labelled = scan_utf8("，手机号13800138000，".encode())

    assert bare.confidence.tolist() == [Confidence.MEDIUM]
    assert labelled.confidence.tolist() == [Confidence.HIGH]


def test_mask_hides_middle():
    matches = scan_utf8(f"卡号{bank_card()}，身份证{resident_id()}".encode())

    assert matches.masked.tolist() == [
        b"622202*********" + bank_card()[-4:].encode(),
        b"320***********0418",
    ]


def test_offsets_are_bytes_and_columns_are_characters():
    text = "甲乙丙13800138000\n丁13900139000"

    matches = scan_utf8(text.encode())

    assert matches.start.tolist() == [9, 24]
    assert matches.line.tolist() == [0, 1]
    assert matches.column.tolist() == [3, 1]


def test_block_without_candidates_returns_nothing():
    matches = scan_utf8("没有任何号码的文本。".encode())

    assert len(matches) == 0
    assert matches.line_count == 0
