import pytest

from shoumi.identifiers.regions import (
    PROVINCES,
    REGISTRATION_PROVINCES,
    RESIDENT_ID_PROVINCES,
    is_known_region,
    lookup_region,
)


@pytest.mark.parametrize(
    ("code", "name", "is_abolished"),
    [
        ("110104", "北京市宣武区", True),
        ("110105", "北京市朝阳区", False),
        ("310115", "上海市浦东新区", False),
        ("440524", "广东省汕头市潮阳县", True),
        ("440305", "广东省深圳市南山区", False),
        ("440300", "广东省深圳市", False),
        ("110000", "北京市", False),
        ("469001", "海南省五指山市", False),
    ],
)
def test_lookup_region(code, name, is_abolished):
    region = lookup_region(code)

    assert region is not None
    assert region.name == name
    assert region.is_abolished is is_abolished


@pytest.mark.parametrize("code", ["111111", "110199", "190101", "000000"])
def test_lookup_region_unknown(code):
    assert lookup_region(code) is None
    assert not is_known_region(code)


def test_is_known_region_agrees_with_lookup_region():
    # Every seventh code of each province, known or not.
    codes = [f"{province}{middle:04d}" for province in PROVINCES for middle in range(0, 10000, 7)]
    codes += ["110105", "440524", "440300", "110000", "469001"]

    known = [code for code in codes if is_known_region(code)]

    assert known == [code for code in codes if lookup_region(code) is not None]
    assert len(known) > 100


def test_province_sets():
    assert "19" not in RESIDENT_ID_PROVINCES
    assert "81" not in RESIDENT_ID_PROVINCES
    assert "71" in RESIDENT_ID_PROVINCES
    assert "10" in REGISTRATION_PROVINCES
    assert "71" not in REGISTRATION_PROVINCES
