"""Identifiers in one short free text: what counts and what does not."""

from __future__ import annotations

import pytest

from shoumi.clients.synthetic import SyntheticData
from shoumi.scanner import Kind
from shoumi.scanner.free_text import contains_identifier, find_identifiers

synthetic = SyntheticData(seed=20260611)
RESIDENT_ID = synthetic.resident_id()
CARD = synthetic.bank_card()
MOBILE = synthetic.mobile()
USCC = synthetic.uscc()
WRONG_CHECK = RESIDENT_ID[:17] + ("0" if RESIDENT_ID[17] != "0" else "1")


def _full_width(text: str) -> str:
    return "".join(chr(ord(character) + 0xFEE0) for character in text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"测试公司 {RESIDENT_ID}", Kind.RESIDENT_ID),
        (f"核对{RESIDENT_ID}的资料", Kind.RESIDENT_ID),
        (f"{RESIDENT_ID[:6]} {RESIDENT_ID[6:14]} {RESIDENT_ID[14:]}", Kind.RESIDENT_ID),
        (f"{RESIDENT_ID[:6]}-{RESIDENT_ID[6:14]}-{RESIDENT_ID[14:]}", Kind.RESIDENT_ID),
        (f"身份证 {_full_width(RESIDENT_ID)}", Kind.RESIDENT_ID),
        (f"工商银行 {CARD}", Kind.BANK_CARD),
        (" ".join(CARD[i : i + 4] for i in range(0, len(CARD), 4)), Kind.BANK_CARD),
        (f"联系人手机{MOBILE}", Kind.MOBILE),
        (f"{MOBILE[:3]} {MOBILE[3:7]} {MOBILE[7:]}", Kind.MOBILE),
        ("护照号 E12345678", Kind.PASSPORT),
        # Seven digits, the fewest of any reported kind: the digit-count shortcut keeps it.
        ("护照号 EA1234567", Kind.PASSPORT),
    ],
)
def test_identifier_is_found(text: str, kind: Kind) -> None:
    findings = find_identifiers(text)

    assert [finding.kind for finding in findings] == [kind]
    assert all("*" in finding.masked for finding in findings)


@pytest.mark.parametrize(
    "text",
    [
        "北京123456789012345678科技有限公司",
        f"杭州明远财税咨询有限公司（{WRONG_CHECK}）",
        f"统一社会信用代码 {USCC}",
        "注册号 110108000000016",
        "北京市朝阳区建国路88号 2-1-1501",
        "2023-10-01 至 2024-10-01",
        "办理税务登记",
        "",
    ],
)
def test_text_without_identifier_passes(text: str) -> None:
    assert not contains_identifier(text)
