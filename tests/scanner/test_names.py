"""Identifiers in file, folder, archive member and attachment names."""

import datetime
import json
import random
import time
import zipfile
from email.message import EmailMessage

import pytest

from shoumi.clients.synthetic import SyntheticData
from shoumi.identifiers import dates
from shoumi.identifiers.checksums import mod_11_2
from shoumi.scanner import Kind, ScanOptions, scan_paths
from shoumi.scanner import names as names_module
from shoumi.scanner.cli import main
from shoumi.scanner.names import mask_path
from tests.scanner.helpers import bank_card, resident_id

ID = resident_id()
MASK = "320***********0418"


def scan(path) -> list:
    return list(scan_paths([str(path)], ScanOptions()))


def name_findings(results) -> list[tuple[str, Kind, str]]:
    return [
        (finding.location.part, finding.kind, finding.masked)
        for result in results
        for finding in result.findings
        if finding.location.part and finding.location.part.endswith("name")
    ]


@pytest.fixture
def named_file(tmp_path):
    path = tmp_path / f"张三 身份证 {ID}.txt"
    path.write_text("没有号码。\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("output_format", ["table", "json", "csv"])
def test_cli_masks_identifier_in_file_name(named_file, capsys, output_format):
    main([str(named_file.parent), "--format", output_format])

    output = capsys.readouterr().out
    assert ID not in output
    assert f"张三 身份证 {MASK}.txt" in output


def test_identifier_in_file_name_is_a_finding(named_file, capsys):
    main([str(named_file.parent), "--format", "json"])

    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["findings_by_kind"]["resident_id"] == 1
    finding = report["findings"][0]
    assert finding["location"] == "file name"
    assert finding["masked"] == MASK
    assert finding["path"].endswith(f"张三 身份证 {MASK}.txt")
    assert [entry["path"] for entry in report["files"]] == [finding["path"]]


def test_table_names_the_location_in_chinese(named_file, capsys):
    main([str(named_file.parent)])

    assert "文件名" in capsys.readouterr().out


def test_file_given_directly_is_checked(named_file):
    results = scan(named_file)

    assert name_findings(results) == [("file name", Kind.RESIDENT_ID, MASK)]
    assert ID not in results[0].path


def test_folder_name_is_reported_once(tmp_path):
    folder = tmp_path / f"客户{ID}"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text("无。\n", encoding="utf-8")

    results = scan(tmp_path)

    assert name_findings(results) == [("folder name", Kind.RESIDENT_ID, MASK)]
    assert [result.file_format for result in results] == ["folder", "text", "text"]
    assert all(f"客户{MASK}" in result.path for result in results)
    assert all(ID not in result.path for result in results)


def test_folder_given_on_the_command_line_is_checked(tmp_path):
    folder = tmp_path / ID
    folder.mkdir()
    (folder / "a.txt").write_text("无。\n", encoding="utf-8")

    results = scan(folder)

    assert name_findings(results) == [("folder name", Kind.RESIDENT_ID, MASK)]


def test_zip_member_name_is_reported(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr(f"客户/{ID}.txt", "无。\n")

    results = scan(path)

    assert name_findings(results) == [("member name", Kind.RESIDENT_ID, MASK)]
    assert results[1].path.endswith(f"export.zip!客户/{MASK}.txt")


def test_attachment_name_is_reported(tmp_path):
    message = EmailMessage()
    message["Subject"] = "资料"
    message.set_content("请查收。\n")
    message.add_attachment(b"none\n", maintype="text", subtype="plain", filename=f"{ID}.txt")
    path = tmp_path / "mail.eml"
    path.write_bytes(message.as_bytes())

    results = scan(path)

    assert ("attachment name", Kind.RESIDENT_ID, MASK) in name_findings(results)
    assert all(ID not in result.path for result in results)


def test_findings_in_content_carry_the_masked_path(tmp_path):
    path = tmp_path / f"{ID}.xlsx"
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = f"身份证 {ID}"
    workbook.save(path)

    results = scan(path)

    assert len(results[0].findings) == 2
    assert all(ID not in finding.path for finding in results[0].findings)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/srv/客户 {ID[:6]} {ID[6:14]} {ID[14:]}/a.txt", f"/srv/客户 {MASK}/a.txt"),
        (f"/srv/{ID}!{ID}.txt", f"/srv/{MASK}!{MASK}.txt"),
        ("/srv/2026年12月/report-20261204.csv", "/srv/2026年12月/report-20261204.csv"),
    ],
)
def test_mask_path_hides_only_identifiers(path, expected):
    assert mask_path(path) == expected


def test_mask_path_keeps_bytes_that_are_not_utf8():
    path = f"/srv/{ID}-\udcff.txt"

    assert mask_path(path) == f"/srv/{MASK}-\udcff.txt"


def _mask_whole(path: str) -> str:
    """Mask a path with one engine call over all of it, as mask_path did before parts."""
    return names_module._mask_text(path)


@pytest.mark.parametrize("seed", range(4))
def test_mask_path_by_parts_equals_whole(seed):
    generator = random.Random(seed)
    synthetic = SyntheticData(seed)
    pieces = [
        synthetic.mobile,
        synthetic.resident_id,
        synthetic.bank_card,
        synthetic.uscc,
        lambda: "2024",
        lambda: "0315",
        lambda: "客户",
        lambda: " ",
        lambda: "-",
        lambda: "+86",
        lambda: "１３８",
        lambda: "\udcbf",
    ]
    for _ in range(300):
        parts = [
            "".join(generator.choice(pieces)() for _ in range(generator.randrange(0, 5)))
            for _ in range(generator.randrange(1, 5))
        ]
        path = "/".join(parts)

        assert mask_path(path) == _mask_whole(path), path


def test_clean_part_is_remembered_without_identifiers(monkeypatch):
    calls: list[str] = []
    real_mask = names_module._mask_text
    monkeypatch.setattr(names_module, "_CLEAN_PARTS", set())
    monkeypatch.setattr(
        names_module, "_mask_text", lambda text: calls.append(text) or real_mask(text)
    )

    for index in range(3):
        mask_path(f"/data/20240315会议纪要/{ID}_{index}.txt")

    # The folder part went through the engine once; each file name, with its ID, every time.
    assert calls.count("20240315会议纪要") == 1
    assert len(calls) == 4
    assert names_module._CLEAN_PARTS == {"20240315会议纪要"}


def test_clean_parts_forgotten_on_new_day(monkeypatch):
    # A synthetic resident ID born tomorrow is no identifier today and one tomorrow.
    today = datetime.date.today()
    tomorrow = today + datetime.timedelta(days=1)
    body = f"110105{tomorrow:%Y%m%d}123"
    folder = f"客户{body}{mod_11_2(body)}"
    path = f"/srv/{folder}/a.txt"
    monkeypatch.setattr(names_module, "_CLEAN_PARTS", set())
    monkeypatch.setattr(names_module, "today_digits", lambda: f"{today:%Y%m%d}")
    monkeypatch.setattr(dates.today_cache, "digits", f"{today:%Y%m%d}")
    monkeypatch.setattr(dates.today_cache, "expires_at", time.time() + 3600)
    assert mask_path(path) == path

    monkeypatch.setattr(names_module, "today_digits", lambda: f"{tomorrow:%Y%m%d}")
    monkeypatch.setattr(dates.today_cache, "digits", f"{tomorrow:%Y%m%d}")

    assert mask_path(path) == _mask_whole(path)
    assert mask_path(path) != path


X_ID = resident_id(sequence="104")  # ends in the check character X
X_MASK = f"{X_ID[:3]}{'*' * 11}{X_ID[14:]}"
FULLWIDTH_ID = ID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
MIXED_ID = FULLWIDTH_ID[:10] + ID[10:]
CARD = bank_card()


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        pytest.param(f"ID{ID}.txt", f"ID{MASK}.txt", id="letters-before"),
        pytest.param(f"{ID}zs.txt", f"{MASK}zs.txt", id="letters-after"),
        pytest.param(f"客户ID{ID}张三.txt", f"客户ID{MASK}张三.txt", id="among-chinese"),
        pytest.param(f"a{X_ID}b.txt", f"a{X_MASK}b.txt", id="check-x"),
        pytest.param(f"a{ID}Xiaoming.txt", f"a{MASK}Xiaoming.txt", id="x-word"),
        pytest.param("tel13800138000.txt", "tel138****8000.txt", id="mobile"),
        pytest.param("tel138-0013-8000.txt", "tel138****8000.txt", id="grouped-mobile"),
        pytest.param(f"ID{ID[:6]} {ID[6:14]} {ID[14:]}.txt", f"ID{MASK}.txt", id="grouped-id"),
        pytest.param(
            f"card{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:16]} {CARD[16:]}.txt",
            f"card{CARD[:6]}{'*' * 9}{CARD[15:]}.txt",
            id="grouped-card",
        ),
        pytest.param(f"ID{FULLWIDTH_ID}.txt", f"ID{MASK}.txt", id="fullwidth-digits"),
        pytest.param(
            f"ＩＤ{FULLWIDTH_ID}.txt", f"ＩＤ{MASK}.txt", id="fullwidth-letters-and-digits"
        ),
        pytest.param(f"ＩＤ{ID}.txt", f"ＩＤ{MASK}.txt", id="fullwidth-letters"),
        pytest.param(f"Felix{X_ID}.txt", f"Felix{X_MASK}.txt", id="check-x-after-x"),
        pytest.param(f"x{X_ID}.txt", f"x{X_MASK}.txt", id="x-before"),
        pytest.param(f"{X_ID}xiaoming.txt", f"{X_MASK}xiaoming.txt", id="x-word-after-check-x"),
        pytest.param(f"{X_ID}Xu.txt", f"{X_MASK}Xu.txt", id="capital-x-word-after-check-x"),
        pytest.param(f"ID{MIXED_ID}.txt", f"ID{MASK}.txt", id="mixed-widths"),
        pytest.param("tel8613800138000.txt", "tel86138****8000.txt", id="bare-country-code"),
        pytest.param(
            "８６１３８００１３８０００.txt", "８６138****8000.txt", id="fullwidth-country-code"
        ),
    ],
)
def test_glued_identifier_masked_in_path(tmp_path, capsys, name, shown):
    # The engine takes no number glued to letters for an identifier; a printed path
    # masks it all the same.
    folder = tmp_path / f"dir{ID}"
    folder.mkdir()
    (folder / name).write_text("没有号码。\n", encoding="utf-8")

    main([str(tmp_path), "--format", "json"])

    report = json.loads(capsys.readouterr().out)
    [entry] = [entry for entry in report["files"] if entry["format"] != "folder"]
    assert entry["path"] == f"{tmp_path}/dir{MASK}/{shown}"
    printed = json.dumps(report, ensure_ascii=False)
    for value in (ID, X_ID, FULLWIDTH_ID, MIXED_ID, CARD, "13800138000"):
        assert value not in printed


@pytest.mark.parametrize(
    "name",
    ["INV20240101123456.pdf", f"ID{ID[:-1]}{'1' if ID[-1] != '1' else '2'}.txt", "v1.2.3"],
    ids=["not-an-identifier", "wrong-check-digit", "few-digits"],
)
def test_glued_non_identifier_unchanged(name):
    assert mask_path(f"/data/{name}") == f"/data/{name}"


def test_word_then_grouped_number_found(tmp_path, capsys):
    (tmp_path / "tel 138 0013 8000.txt").write_text("备注\n", encoding="utf-8")

    main([str(tmp_path), "--format", "json"])

    report = json.loads(capsys.readouterr().out)
    assert [entry["path"] for entry in report["files"]] == [f"{tmp_path}/tel 138****8000.txt"]
    assert [finding["location"] for finding in report["findings"]] == ["file name"]
