"""The ``shoumi`` entry point runs ``import-clients`` and exits non-zero on failure."""

from __future__ import annotations

from pathlib import Path

from shoumi.config.cli import main


def test_hyphenated_command_fails_on_unsupported_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "ledger.pdf"
    path.write_bytes(b"%PDF")

    status = main(["shoumi", "import-clients", str(path)])

    assert status == 1
    assert "只能导入 .xlsx、.xls 和 .csv 文件。" in capsys.readouterr().err
