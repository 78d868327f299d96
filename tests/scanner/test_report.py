"""Report text is valid Unicode whatever bytes the file system's names contain."""

import os

from shoumi.scanner.report import printable_path


def test_printable_path_escapes_undecodable_bytes():
    undecodable = os.fsdecode(b"/srv/\xbf\xcd.txt")

    assert printable_path(undecodable) == "/srv/\\xbf\\xcd.txt"


def test_printable_path_keeps_utf8_names():
    assert printable_path("/srv/客户/名单.txt") == "/srv/客户/名单.txt"
