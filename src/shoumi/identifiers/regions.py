"""Administrative division codes (GB/T 2260) as they appear inside identifiers.

How far the check goes: the province, the first two digits, is checked strictly against
the province-level codes of GB/T 2260. The remaining four digits are only looked up, to
show a name, because a number keeps its address code for life: codes are abolished when
districts merge and re-used later, so a resident ID issued in 北京市宣武区 (110104,
abolished 2010) or in a county created after the holder's birth is still valid. The date
a code came into use is never compared with a birth date.

Names come from python-stdnum's ``cn/loc.dat`` (read from the installed package, not
copied; python-stdnum is LGPL-2.1+, and the file states it was compiled from Wikipedia's
lists of division codes). It records each county-level code with the years it was in use,
so abolished codes keep their names. The table has no entries for codes it does not know,
and those are reported as unknown, not as invalid.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import re

# GB/T 2260 province-level codes. 71 (台湾省) is listed by the standard although no resident
# ID is issued with it; 81 and 82 appear in identifiers only as residence-permit codes.
PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省",
    "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}  # fmt: skip

# Province codes that begin a mainland resident ID.
RESIDENT_ID_PROVINCES = frozenset(PROVINCES) - {"81", "82"}

# Address codes of the residence permits for residents of Hong Kong, Macao and Taiwan
# (港澳台居民居住证申领发放办法, 2018). Taiwan uses 830000, not GB/T 2260's 710000.
RESIDENCE_PERMIT_REGIONS: dict[str, str] = {"810000": "香港", "820000": "澳门", "830000": "台湾"}

# Province codes accepted in the division code of a USCC or a business registration
# number. NOTE: "10" is accepted because national-level authorities register with
# division code 100000; this comes from codes seen on central bodies' certificates, not
# from the text of GB 32100.
REGISTRATION_PROVINCES = frozenset(PROVINCES) - {"71", "81", "82"} | {"10"}

# Prefecture-level entries that are groupings, not places, and are left out of names.
_GROUPING_NAMES = frozenset(
    {
        "市辖区",
        "县",
        "省直辖县级行政单位",
        "省直辖行政单位",
        "自治区直辖县级行政单位",
        "自治区直辖县级行政区划",
    }
)


@dataclasses.dataclass(frozen=True, slots=True)
class Region:
    """A county-level (or higher) division as far as the table knows it.

    ``name`` joins the province, prefecture and county names, using the last name the
    code carried. ``is_abolished`` is true when the code is no longer in use.
    """

    code: str
    name: str
    is_abolished: bool


@dataclasses.dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    is_abolished: bool


_COUNTY_LINE = re.compile(r' {2}(\d{4}) county="([^"]*)"')
_NAME_WITH_YEARS = re.compile(r"\[(\d*)-(\d*)\](.*)")


@functools.cache
def _county_table() -> dict[str, _Entry]:
    """Load python-stdnum's division table: six-digit code -> latest name."""
    table: dict[str, _Entry] = {}
    text = importlib.resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    province = ""
    for line in text.splitlines():
        if line[:2].isdigit():
            province = line[:2]
            continue
        match = _COUNTY_LINE.fullmatch(line)
        if match is None or not province:
            continue
        # Several names separated by commas, each "[start-end]name"; the last one is
        # the most recent.
        latest = match.group(2).split(",")[-1]
        years = _NAME_WITH_YEARS.fullmatch(latest)
        if years:
            table[province + match.group(1)] = _Entry(years.group(3), bool(years.group(2)))
        else:
            table[province + match.group(1)] = _Entry(latest, False)
    return table


def is_known_region(code: str) -> bool:
    """Return whether ``lookup_region(code)`` finds a region, without building it.

    Parsers call this for every value, so it is one set lookup.
    """
    return code in _known_codes()


@functools.cache
def _known_codes() -> frozenset[str]:
    provinces = {province + "0000" for province in PROVINCES}
    return frozenset(provinces | {code for code in _county_table() if code[:2] in PROVINCES})


@functools.lru_cache(maxsize=8192)
def lookup_region(code: str) -> Region | None:
    """Return the region for a six-digit division code, or ``None`` if the table lacks it."""
    province = PROVINCES.get(code[:2])
    if province is None:
        return None
    if code[2:] == "0000":
        return Region(code, province, False)

    table = _county_table()
    entry = table.get(code)
    if entry is None:
        return None

    parts = [province]
    if code[4:] != "00":
        prefecture = table.get(code[:4] + "00")
        if prefecture and prefecture.name not in _GROUPING_NAMES and prefecture.name != province:
            parts.append(prefecture.name)
    if entry.name != province:
        parts.append(entry.name)
    return Region(code, "".join(parts), entry.is_abolished)
