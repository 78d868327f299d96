"""``shoumi import-clients``: failure, progress, report file, and what the audit leaves out."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.clients.models import Client, Person
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


# call_command rather than shoumi.config.cli.main: a failing command run
# through main closes the database connections, which ends the test's
# transaction on PostgreSQL. test_command_line.py covers main itself.


def test_rejected_row_fails_and_imports_nothing(ledger: Path, capsys) -> None:
    with pytest.raises(CommandError) as raised:
        call_command("import_clients", str(ledger))

    assert str(raised.value) == "未导入任何数据。"
    assert Client.objects.count() == 0
    assert "身份证号：居民身份证号码校验码不正确" in capsys.readouterr().out


def test_only_valid_imports_and_writes_the_report(ledger: Path, tmp_path: Path) -> None:
    report_path = tmp_path / "report.csv"

    call_command("import_clients", str(ledger), "--only-valid", "--report", str(report_path))

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
    call_command("import_clients", str(ledger), "--only-valid")

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

    call_command(
        "import_clients", str(path), "--map", "客户全称=name", "--map", "法人证件=resident_id"
    )

    assert Person.objects.count() == 1


def test_file_name_not_in_audit_or_logs(ledger: Path, caplog) -> None:
    call_command("import_clients", str(ledger), "--only-valid")

    event = AuditEvent.objects.get(action=Action.IMPORT)
    stored = str(event.details) + event.object_id + event.purpose
    assert "王小明客户台账" not in stored
    assert "王小明客户台账" not in caplog.text
    assert "33010619880315019X" not in caplog.text
