"""Report text is valid Unicode whatever bytes the file system's names contain, and gives
in Chinese the reason a path was not scanned."""

import datetime as dt
import os

from shoumi.scanner.model import FileResult, FileStatus
from shoumi.scanner.report import build_report, printable_path, render_table


def test_printable_path_escapes_undecodable_bytes():
    undecodable = os.fsdecode(b"/srv/\xbf\xcd.txt")

    assert printable_path(undecodable) == "/srv/\\xbf\\xcd.txt"


def test_printable_path_keeps_utf8_names():
    assert printable_path("/srv/客户/名单.txt") == "/srv/客户/名单.txt"


def test_reasons_not_scanned_are_in_chinese():
    now = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    results = [
        FileResult(
            path="/srv/共享/锁定",
            status=FileStatus.UNREADABLE,
            file_format="folder",
            message="cannot list folder: Permission denied",
        ),
        FileResult(path="/srv/不存在", status=FileStatus.UNREADABLE, message="path not found"),
        FileResult(path="/srv/坏.txt", status=FileStatus.UNREADABLE, message="cannot decode"),
        FileResult(
            path="/srv/锁.txt",
            status=FileStatus.UNREADABLE,
            message="cannot read file: Permission denied",
        ),
        FileResult(
            path="/srv/链接",
            status=FileStatus.UNREADABLE,
            file_format="symlink",
            message="symbolic link target not found (missing, or links in a loop)",
        ),
    ]

    report = build_report(results, started_at=now, finished_at=now)

    assert [entry["message_zh"] for entry in report["files"]] == [
        "文件夹无法列出内容，其中的文件未扫描（原因见详情）",
        "路径不存在，未扫描",
        "文件无法读取（损坏或编码未知）",
        "文件无法打开或读取（原因见详情）",
        "符号链接的目标不存在或链接成环，未扫描",
    ]
    assert "文件夹无法列出内容" in render_table(report)


def test_control_characters_in_names_are_escaped():
    assert printable_path("/srv/a\x1b[2K\rb\n.txt") == "/srv/a\\x1b[2K\\x0db\\x0a.txt"
    assert printable_path("/srv/\u202etxt.exe") == "/srv/\\u202etxt.exe"
    # Zero-width and other format characters, and line separators, hide or move text too.
    assert printable_path("a\u200bb\u061cc\u2028d") == "a\\u200bb\\u061cc\\u2028d"
    # Wide spaces are printable, and stay.
    assert printable_path("客户\u3000名单") == "客户\u3000名单"
