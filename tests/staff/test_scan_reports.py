"""Checks on uploaded scan reports: strict layout, consistent counts, no plaintext."""

from __future__ import annotations

import copy
import json
import re

import pytest

from shoumi.identifiers.checksums import icao_9303_check, mod_11_2
from shoumi.scanner import Confidence, ScanOptions, build_report, scan_paths
from shoumi.staff.errors import ScanReportRejected
from shoumi.staff.scan_reports import MAX_REPORT_BYTES, check_report
from tests.scanner.helpers import bank_card, resident_id, uscc
from tests.staff.scan_report_data import FINISHED_AT, STARTED_AT, encode, scanned_report


@pytest.fixture
def report(tmp_path) -> dict:
    return scanned_report(tmp_path)


def rejection(data: bytes) -> ScanReportRejected:
    with pytest.raises(ScanReportRejected) as caught:
        check_report(data)
    return caught.value


def test_scanner_report_is_accepted(report):
    checked = check_report(encode(report))

    assert checked.document == report
    assert checked.started_at == STARTED_AT
    assert checked.finished_at == FINISHED_AT
    assert (checked.files_scanned, checked.files_not_scanned) == (1, 1)
    assert checked.finding_count == 2
    assert checked.findings_by_kind["resident_id"] == 1
    assert checked.findings_by_kind["bank_card"] == 1
    assert checked.size == len(encode(report))
    assert len(checked.sha256) == 64


def test_report_without_findings_is_accepted(tmp_path):
    (tmp_path / "notes.txt").write_text("没有客户资料。\n", encoding="utf-8")

    results = list(scan_paths([str(tmp_path)], ScanOptions()))
    report = build_report(results, started_at=STARTED_AT, finished_at=FINISHED_AT)

    assert check_report(encode(report)).finding_count == 0


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xff\xfe not utf-8", "not_json"),
        (b"{not json", "not_json"),
        (b"[]", "wrong_format"),
        (b'{"format": "other"}', "wrong_format"),
        # Valid JSON, but longer than the 4300 digits Python converts by default.
        (b'{"version": ' + b"1" * 5000 + b"}", "not_json"),
    ],
)
def test_non_reports_are_rejected(data, code):
    assert rejection(data).code == code


def test_oversized_report_is_rejected():
    error = rejection(b" " * (MAX_REPORT_BYTES + 1))

    assert error.code == "too_large"
    assert "20 MiB" in error.message


@pytest.mark.parametrize("version", [2, 0, "1", True, None])
def test_other_versions_are_rejected(report, version):
    report["version"] = version

    assert rejection(encode(report)).code == "unsupported_version"


def test_version_message_does_not_repeat_long_numbers(report):
    report["version"] = 13800138000

    error = rejection(encode(report))

    assert "13800138000" not in error.message


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("started_at",), "2026-11-30 09:00"),
        (("started_at",), "yesterday"),
        (("finished_at",), "2026-11-30T08:00:00+00:00"),
        (("summary", "bytes_scanned"), -1),
        (("summary", "bytes_scanned"), 2**50),
        (("summary", "findings"), True),
        (("summary", "findings"), 2.0),
        (("files", 0, "status"), "lost"),
        (("files", 0, "status"), ["scanned"]),
        (("files", 0, "size"), "50"),
        (("files", 0, "encoding"), 8),
        (("files", 1, "path"), ""),
        (("findings", 0, "kind"), "name"),
        (("findings", 0, "kind"), ["resident_id"]),
        (("findings", 0, "confidence"), "certain"),
        (("findings", 0, "confidence"), {"high": 1}),
        (("findings", 0, "masked"), "320***0418"),
        (("findings", 0, "masked"), "320***********0418*****"),
        (("findings", 0, "length"), -5),
        (("findings", 0, "line"), 0),
        (("findings", 0, "path"), "/elsewhere.txt"),
        (("files",), {}),
        (("summary",), []),
    ],
)
def test_invalid_field_is_rejected(report, path, value):
    target = report
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    error = rejection(encode(report))

    assert error.code == "invalid_field"
    assert path[0] in error.message


@pytest.mark.parametrize(
    "path",
    [(), ("summary",), ("summary", "findings_by_kind"), ("files", 0), ("findings", 0)],
)
def test_extra_field_is_rejected_without_naming_it(report, path):
    target = report
    for key in path:
        target = target[key]
    target["客户姓名"] = "x"

    error = rejection(encode(report))

    assert error.code == "unexpected_fields"
    assert "客户姓名" not in error.message
    assert "1 " in error.message


@pytest.mark.parametrize(
    "path", [("summary", "findings"), ("files", 1, "format"), ("findings", 1, "masked")]
)
def test_missing_field_is_rejected_by_name(report, path):
    target = report
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]

    error = rejection(encode(report))

    assert error.code == "unexpected_fields"
    assert path[-1] in error.message


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("summary", "findings"), 3, "summary.findings"),
        (("summary", "files_scanned"), 2, "summary.files_scanned"),
        (("summary", "files_not_scanned"), 0, "summary.files_not_scanned"),
        (("summary", "bytes_scanned"), 120, "summary.bytes_scanned"),
        (("summary", "findings_by_kind", "mobile"), 1, "summary.findings_by_kind.mobile"),
        (("files", 1, "findings"), 3, "files[].findings"),
    ],
)
def test_inconsistent_counts_are_rejected(report, path, value, field):
    target = report
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    error = rejection(encode(report))

    assert error.code == "count_mismatch"
    assert field in error.message


def test_plaintext_in_a_path_is_rejected(report):
    value = resident_id()
    for entry in [report["files"][1], *report["findings"]]:
        entry["path"] = entry["path"].replace("客户名单", f"客户{value}")

    error = rejection(encode(report))

    assert error.code == "plaintext_found"
    assert value not in error.message
    assert "居民身份证号" in error.message


@pytest.mark.parametrize(
    "glued",
    [
        f"ID{resident_id()}",
        f"{resident_id()}zs",
        f"ID{resident_id()[:6]} {resident_id()[6:14]} {resident_id()[14:]}",
        f"ＩＤ{resident_id().translate(str.maketrans('0123456789', '０１２３４５６７８９'))}",
        "tel138-0013-8000",
        "tel 138 0013 8000",
        f"Alex{resident_id(sequence='104')}",
    ],
    ids=[
        "letters-before",
        "letters-after",
        "grouped",
        "fullwidth",
        "grouped-mobile",
        "word-then-grouped",
        "check-x-after-x",
    ],
)
def test_glued_identifier_in_path_rejected(report, glued):
    for entry in [report["files"][1], *report["findings"]]:
        entry["path"] = entry["path"].replace("客户名单", "客户" + glued)

    error = rejection(encode(report))

    assert error.code == "plaintext_found"
    assert glued not in error.message


@pytest.mark.parametrize(
    "written",
    [
        " ".join((resident_id()[:6], resident_id()[6:14], resident_id()[14:])),
        "-".join((resident_id()[:6], resident_id()[6:14], resident_id()[14:])),
        " ".join(resident_id()[index : index + 4] for index in range(0, 18, 4)),
    ],
)
def test_grouped_id_in_a_path_is_rejected(report, written):
    for entry in [report["files"][1], *report["findings"]]:
        entry["path"] = entry["path"].replace("客户名单", f"客户 {written} ")

    error = rejection(encode(report))

    assert error.code == "plaintext_found"
    assert written not in error.message


def test_plaintext_behind_json_escapes_is_rejected(report):
    value = resident_id()
    report["files"][0]["message"] = f"see {value}"
    text = encode(report).decode("utf-8")
    escaped = "".join(f"\\u{ord(digit):04x}" for digit in value)

    data = text.replace(value, escaped).encode("utf-8")

    assert value not in data.decode("utf-8")
    assert rejection(data).code == "plaintext_found"


def test_plaintext_in_place_of_a_mask_is_rejected(report):
    report["findings"][0]["masked"] = resident_id()

    assert rejection(encode(report)).code == "plaintext_found"


def test_plaintext_in_a_key_is_rejected(report):
    report["summary"]["findings_by_kind"][resident_id()] = 0

    error = rejection(encode(report))

    assert error.code == "plaintext_found"


def test_plaintext_check_runs_before_layout_checks(report):
    broken = copy.deepcopy(report)
    broken["version"] = 9
    broken["files"][0]["message"] = f"身份证 {resident_id()}"

    assert rejection(encode(broken)).code == "plaintext_found"


def test_large_byte_count_is_accepted(report):
    # 13.8 GB scanned: the digits of the count form a valid mobile number.
    report["files"][1]["size"] = 13_800_138_000
    report["summary"]["bytes_scanned"] = 13_800_138_000

    checked = check_report(encode(report))

    assert checked.bytes_scanned == 13_800_138_000


def test_report_keys_order_does_not_matter(report):
    reordered = dict(reversed(list(report.items())))

    data = json.dumps(reordered, ensure_ascii=True).encode("ascii")

    assert check_report(data).document == report


def test_report_of_a_file_named_after_an_id_is_accepted(tmp_path):
    (tmp_path / f"张三 身份证 {resident_id()}.txt").write_text("无。\n", encoding="utf-8")

    results = list(scan_paths([str(tmp_path)], ScanOptions()))
    report = build_report(results, started_at=STARTED_AT, finished_at=FINISHED_AT)

    checked = check_report(encode(report))
    assert checked.findings_by_kind["resident_id"] == 1


def test_report_of_a_multi_line_cell_is_accepted(tmp_path):
    # A line break inside a cell (Alt+Enter in Excel) once gave the first line number 0.
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = f"{resident_id()}\n备注"
    workbook.save(tmp_path / "clients.xlsx")

    results = list(scan_paths([str(tmp_path)], ScanOptions()))
    report = build_report(results, started_at=STARTED_AT, finished_at=FINISHED_AT)

    checked = check_report(encode(report))
    assert checked.findings_by_kind["resident_id"] == 1


def test_named_folder_not_counted(tmp_path):
    folder = tmp_path / f"客户{resident_id()}"
    folder.mkdir()
    (folder / "notes.txt").write_text("没有客户资料。\n", encoding="utf-8")
    results = list(scan_paths([str(tmp_path)], ScanOptions()))
    report = build_report(results, started_at=STARTED_AT, finished_at=FINISHED_AT)

    checked = check_report(encode(report))

    assert [entry["format"] for entry in report["files"]] == ["folder", "text"]
    assert (checked.files_scanned, checked.files_not_scanned) == (1, 0)


@pytest.mark.parametrize(("files_scanned", "accepted"), [(2, True), (1, True), (3, False)])
def test_old_folder_count_accepted(tmp_path, files_scanned, accepted):
    # Reports written before folders stopped counting as scanned files count them.
    folder = tmp_path / f"客户{resident_id()}"
    folder.mkdir()
    (folder / "notes.txt").write_text("没有客户资料。\n", encoding="utf-8")
    results = list(scan_paths([str(tmp_path)], ScanOptions()))
    report = build_report(results, started_at=STARTED_AT, finished_at=FINISHED_AT)
    report["summary"]["files_scanned"] = files_scanned

    if accepted:
        # Stored as the files alone, whichever way the report counted.
        assert check_report(encode(report)).files_scanned == 1
    else:
        assert rejection(encode(report)).code == "count_mismatch"


def test_report_with_byte_order_mark_is_accepted(report):
    data = "\ufeff".encode() + encode(report)

    checked = check_report(data)

    assert checked.document == report
    assert checked.size == len(data)


@pytest.mark.parametrize(("depth", "code"), [(400_000, "too_deep"), (500, "wrong_format")])
def test_deeply_nested_arrays_are_rejected(depth, code):
    data = b"[" * depth + b"]" * depth

    assert rejection(data).code == code


def test_lone_surrogate_is_rejected(report):
    for entry in [report["files"][1], *report["findings"]]:
        entry["path"] = entry["path"].replace("客户名单", "客户\ud800")

    data = json.dumps(report, ensure_ascii=True).encode("ascii")

    assert b"\\ud800" in data
    assert rejection(data).code == "invalid_text"


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59.999999-23:59",
        "0001-01-01T00:00:00+23:59",
        # Converts to UTC, but not to a time zone east of UTC such as Asia/Shanghai, where
        # pages show it.
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00+00:00",
    ],
)
@pytest.mark.parametrize("field", ["started_at", "finished_at"])
def test_timestamp_out_of_range_is_rejected(report, field, value):
    report[field] = value
    if field == "started_at":
        report["finished_at"] = "9999-12-31T23:59:59.999999+23:59"

    error = rejection(encode(report))

    assert error.code == "invalid_field"
    assert field in error.message
    assert "9999-12-30" in error.message


def with_characters(value: str, inserted: str) -> str:
    """Return ``value`` with ``inserted`` between each two of its characters."""
    return inserted.join(value)


def as_digits(value: str, zero: str) -> str:
    """Return ``value`` with its ASCII digits written in the digit block starting at ``zero``."""
    return value.translate({ord("0") + digit: chr(ord(zero) + digit) for digit in range(10)})


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        (with_characters(resident_id(), "\u200b"), "居民身份证号"),
        (with_characters(resident_id(), "\u2060"), "居民身份证号"),
        (with_characters(resident_id(), "\u00ad"), "居民身份证号"),
        (with_characters(resident_id(), "\ufeff"), "居民身份证号"),
        (with_characters(resident_id(), "\u200e"), "居民身份证号"),
        (with_characters(resident_id(), "\u0332"), "居民身份证号"),
        (as_digits(resident_id(), "\u0660"), "居民身份证号"),
        (as_digits(resident_id(), "\u06f0"), "居民身份证号"),
        (as_digits(resident_id(), "\u0966"), "居民身份证号"),
        (with_characters(as_digits(resident_id(), "\uff10"), "\u200b"), "居民身份证号"),
        (
            "\u2013".join((resident_id()[:6], resident_id()[6:14], resident_id()[14:])),
            "居民身份证号",
        ),
        (
            "\u2212".join((resident_id()[:6], resident_id()[6:14], resident_id()[14:])),
            "居民身份证号",
        ),
        (
            "\u00a0".join((resident_id()[:6], resident_id()[6:14], resident_id()[14:])),
            "居民身份证号",
        ),
        (with_characters("13912345678", "\u200b"), "手机号"),
        (as_digits("13912345678", "\u0660"), "手机号"),
        (with_characters(bank_card(), "\u2060"), "银行卡号"),
        (as_digits(bank_card(), "\u06f0"), "银行卡号"),
    ],
    ids=[
        "zero-width-space",
        "word-joiner",
        "soft-hyphen",
        "byte-order-mark",
        "left-to-right-mark",
        "combining-low-line",
        "arabic-indic",
        "extended-arabic-indic",
        "devanagari",
        "fullwidth-zero-width-space",
        "grouped-en-dash",
        "grouped-minus-sign",
        "grouped-no-break-space",
        "mobile-zero-width-space",
        "mobile-arabic-indic",
        "card-word-joiner",
        "card-extended-arabic-indic",
    ],
)
@pytest.mark.parametrize("field", ["path", "message", "masked"])
def test_hidden_plaintext_is_rejected(report, written, kind, field):
    if field == "path":
        for entry in [report["files"][1], *report["findings"]]:
            entry["path"] = entry["path"].replace("客户名单", f"客户 {written} ")
    elif field == "message":
        report["files"][0]["message"] = f"见 {written}"
    else:
        report["findings"][0]["masked"] = written

    error = rejection(encode(report))

    assert error.code == "plaintext_found"
    assert kind in error.message
    assert written not in error.message


def test_hidden_plaintext_is_counted_once(report):
    hidden = with_characters(resident_id(sequence="104"), "\u200b")
    report["files"][0]["message"] = f"{resident_id()} {hidden}"

    error = rejection(encode(report))

    assert error.code == "plaintext_found"
    assert re.findall(r"\d+", error.message) == ["2"]


def resident_id_finding(report: dict) -> dict:
    return next(finding for finding in report["findings"] if finding["kind"] == "resident_id")


@pytest.mark.parametrize(
    ("kind", "masked"),
    [
        ("resident_id", resident_id()[:14] + "****"),
        ("resident_id", resident_id()[:6] + "********" + resident_id()[-4:]),
        ("resident_id", resident_id()[:3] + "**********" + resident_id()[-5:]),
        ("resident_id", "**************" + resident_id()[-4:]),
        ("resident_id", resident_id()[:3] + "*" * 9 + resident_id()[-4:]),
        ("resident_id", resident_id()[:3] + "*" * 11 + "04*8"),
        ("resident_id", "320" + "*" * 11 + "0418" + "**"),
        ("bank_card", bank_card()[:7] + "*" * 8 + bank_card()[-4:]),
        ("bank_card", bank_card()[:6] + "*" * 8 + bank_card()[-5:]),
        ("mobile", "1391234****"),
        ("mobile", "139***45678"),
        ("passport", "EA****567"),
        ("passport", "E****4567"),
        ("uscc", uscc()[:10] + "****" + uscc()[-4:]),
    ],
)
def test_mask_showing_too_much_is_rejected(report, kind, masked):
    finding = resident_id_finding(report)
    finding["masked"] = masked
    finding["length"] = 22
    if kind != "resident_id":
        finding["kind"] = kind
        report["summary"]["findings_by_kind"]["resident_id"] -= 1
        report["summary"]["findings_by_kind"][kind] += 1

    error = rejection(encode(report))

    assert error.code == "invalid_field"
    assert "masked" in error.message


def test_report_of_every_kind_and_form_is_accepted(tmp_path):
    (tmp_path / "客户名单.txt").write_text(every_kind_text(), encoding="utf-8")
    (tmp_path / "客户.csv").write_text(
        "".join(f"{index},{line}\n" for index, line in enumerate(every_kind_text().splitlines())),
        encoding="utf-8",
    )
    folder = tmp_path / f"张三{resident_id()}"
    folder.mkdir()
    (folder / f"ID{resident_id(sequence='104')}.txt").write_text("无。\n", encoding="utf-8")
    (tmp_path / f"tel 139 1234 5678 {bank_card()}.txt").write_text("无。\n", encoding="utf-8")

    results = list(scan_paths([str(tmp_path)], ScanOptions(min_confidence=Confidence.LOW)))
    report = build_report(results, started_at=STARTED_AT, finished_at=FINISHED_AT)
    checked = check_report(encode(report))

    assert all(count > 0 for count in checked.findings_by_kind.values())
    assert checked.finding_count == len(report["findings"])
    widths = {(finding["kind"], len(finding["masked"])) for finding in report["findings"]}
    assert {("resident_id", 15), ("bank_card", 16), ("bank_card", 19)} <= widths


def every_kind_text() -> str:
    """Return lines with an identifier of every kind, plain, grouped and full-width."""
    identity = resident_id()
    permit = resident_id(area="830000", birth="19900101", sequence="123")
    foreign = "911840" + "19850101" + "123"
    legacy_foreign = "USA" + "85010112345"
    cards = [
        bank_card(body) for body in ("622202123456789", "6222021234567890", "622202123456789012")
    ]
    fullwidth = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    lines = [
        f"身份证 {identity}",
        f"身份证 {resident_id(sequence='104')}",
        f"身份证 {resident_id(sequence='104').lower()}",
        f"身份证 {identity.translate(fullwidth)}",
        f"身份证 {identity[:6]} {identity[6:14]} {identity[14:]}",
        f"身份证 {'-'.join((identity[:6], identity[6:14], identity[14:]))}",
        f"身份证 {' '.join(identity[index : index + 4] for index in range(0, 18, 4))}",
        "身份证 320106780923041",
        f"居住证 {permit}",
        f"永居证 {foreign + mod_11_2(foreign)}",
        f"永居证 {legacy_foreign + icao_9303_check(legacy_foreign)}",
        f"信用代码 {uscc()}",
        *(f"卡号 {card}" for card in cards),
        f"卡号 {' '.join(cards[1][index : index + 4] for index in range(0, 16, 4))}",
        f"卡号 {' '.join(cards[2][index : index + 4] for index in range(0, 19, 4))}",
        "手机 13912345678",
        "手机 139 1234 5678",
        "手机 139-1234-5678",
        "手机 +86 139 1234 5678",
        "手机 +8613912345678",
        "手机 008613912345678",
        "手机 86-13912345678",
        "手机 １３９１２３４５６７８",
        "护照 E12345678",
        "护照 EA1234567",
        "护照 DE1234567",
        "护照 K12345678",
    ]
    return "\n".join(lines) + "\n"
