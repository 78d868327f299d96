"""``shoumi import-clients``: exit status, progress, report file, and what is never recorded."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.clients.models import Client, Person
from shoumi.config.cli import main
from tests.clients.imports.ledgers import csv_bytes

pytestmark = pytest.mark.django_db

GOOD = [
    "甲公司",
    "91310115MA1K2R0080",
    "王小明",
    "33010619880315019X",
    "13800138000",
    "中国银行",
    "6217001234567890122",
]
BAD = ["乙公司", "", "李四", "330106198803150191", "", "", ""]


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    # A file name with a person's name in it, as agencies often have.
    path = tmp_path / "王小明客户台账.csv"
    path.write_bytes(csv_bytes([GOOD, BAD]))
    return path


def test_rejected_row_exits_non_zero_and_imports_nothing(ledger: Path, capsys) -> None:
    status = main(["shoumi", "import-clients", str(ledger)])

    assert status == 1
    assert Client.objects.count() == 0
    captured = capsys.readouterr()
    assert "未导入任何数据" in captured.err or "未导入任何数据" in captured.out


def test_only_valid_imports_and_writes_the_report(ledger: Path, tmp_path: Path) -> None:
    report_path = tmp_path / "report.csv"

    status = main(
        ["shoumi", "import-clients", str(ledger), "--only-valid", "--report", str(report_path)]
    )

    assert status == 0
    assert list(Client.objects.values_list("name", flat=True)) == ["甲公司"]
    raw = report_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header_index = rows.index([]) + 1
    assert rows[header_index][:2] == ["行号", "结果"]
    assert rows[header_index + 1][:2] == ["2", "已导入：新客户"]
    assert rows[header_index + 2][1] == "有错误"
    assert "33010619880315019X" not in raw.decode("utf-8-sig")


def test_progress_is_shown_on_stderr(ledger: Path, capsys) -> None:
    main(["shoumi", "import-clients", str(ledger), "--only-valid"])

    err = capsys.readouterr().err
    assert "校验 2/2 100%" in err
    assert "写入 1/1 100%" in err


def test_map_option_names_an_unusual_header(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_bytes(
        csv_bytes(
            [["甲公司", "33010619880315019X", "王小明"]],
            headers=("客户全称", "法人证件", "法定代表人"),
        )
    )

    status = main(
        [
            "shoumi",
            "import-clients",
            str(path),
            "--map",
            "客户全称=name",
            "--map",
            "法人证件=resident_id",
        ]
    )

    assert status == 0
    assert Person.objects.count() == 1


def test_file_name_is_never_recorded(ledger: Path, caplog) -> None:
    main(["shoumi", "import-clients", str(ledger), "--only-valid"])

    event = AuditEvent.objects.get(action=Action.IMPORT)
    stored = str(event.details) + event.object_id + event.purpose
    assert "王小明客户台账" not in stored
    assert "王小明客户台账" not in caplog.text
    assert "33010619880315019X" not in caplog.text


def test_unsupported_file_is_refused(tmp_path: Path, capsys) -> None:
    path = tmp_path / "ledger.pdf"
    path.write_bytes(b"%PDF")

    status = main(["shoumi", "import-clients", str(path)])

    assert status == 1
    assert "只能导入" in capsys.readouterr().err
