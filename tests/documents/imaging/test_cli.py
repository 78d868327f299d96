from __future__ import annotations

import json

import pytest

from shoumi.documents.imaging import IntakeLimits, mark_document
from shoumi.documents.imaging.cli import (
    EXIT_FOUND,
    EXIT_INVALID_INPUT,
    EXIT_NOT_FOUND,
    main,
    trace_file,
)
from shoumi.documents.imaging.errors import FileTooLargeError

from .conftest import encode, make_mark, synthetic_id_card


@pytest.fixture(scope="module")
def marked_copy(tmp_path_factory):
    mark = make_mark()
    path = tmp_path_factory.mktemp("trace") / "leaked.jpg"
    path.write_bytes(mark_document(encode(synthetic_id_card(), "PNG"), mark).content)
    return path, mark.trace_code


def test_main_prints_code_and_confidence(marked_copy, capsys):
    path, code = marked_copy

    status = main([str(path)])

    output = capsys.readouterr().out
    assert status == EXIT_FOUND
    assert f"追踪码：{code}" in output
    assert "置信度：" in output


def test_main_json_output(marked_copy, capsys):
    path, code = marked_copy

    status = main([str(path), "--json"])

    result = json.loads(capsys.readouterr().out)
    assert status == EXIT_FOUND
    assert result["trace_code"] == str(code)
    assert result["confidence"] in ("high", "medium")
    assert result["sync_score"] > 6


def test_main_reports_unmarked_file(tmp_path, capsys):
    path = tmp_path / "unmarked.jpg"
    path.write_bytes(encode(synthetic_id_card(), "JPEG", quality=90))

    status = main([str(path)])

    assert status == EXIT_NOT_FOUND
    assert "未能从该文件读出追踪码" in capsys.readouterr().err


def test_main_rejects_renamed_text_file(tmp_path, capsys):
    path = tmp_path / "copy.jpg"
    path.write_text("not an image", encoding="utf-8")

    status = main([str(path), "--json"])

    result = json.loads(capsys.readouterr().out)
    assert status == EXIT_INVALID_INPUT
    assert result["error"] == "unsupported_file_type"


def test_main_reports_missing_file(tmp_path, capsys):
    status = main([str(tmp_path / "absent.pdf")])

    assert status == EXIT_INVALID_INPUT
    assert "无法读取文件" in capsys.readouterr().err


def test_trace_file_checks_size_before_reading(tmp_path):
    path = tmp_path / "big.jpg"
    path.write_bytes(b"\xff\xd8\xff" + b"\0" * 2048)

    with pytest.raises(FileTooLargeError):
        trace_file(path, limits=IntakeLimits(max_file_bytes=1024))


def test_trace_file_returns_reading(marked_copy):
    path, code = marked_copy

    assert trace_file(path).trace_code == code
