"""Core of ``shoumi trace FILE``: read the trace code from a leaked copy.

``main`` prints the code and how confident the reading is. The registry
lookup (who received the copy, when, for what) belongs to the documents
app, which calls ``trace_file`` itself.

Exit status: 0 when a code was read, 1 when the file carries no readable
code, 2 when the file cannot be read or is rejected by intake.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from shoumi.documents.imaging.copies import read_trace_code
from shoumi.documents.imaging.errors import ImagingError, TraceCodeNotFoundError
from shoumi.documents.imaging.intake import IntakeLimits, check_file_size
from shoumi.documents.imaging.invisible import TraceReading

EXIT_FOUND = 0
EXIT_NOT_FOUND = 1
EXIT_INVALID_INPUT = 2


def trace_file(path: Path, *, limits: IntakeLimits | None = None) -> TraceReading:
    """Read the trace code from the file at ``path``.

    Raises ``TraceCodeNotFoundError`` when there is none, another
    ``ImagingError`` when intake rejects the file, and ``OSError`` when it
    cannot be read.
    """
    limits = limits or IntakeLimits()
    # Checked before reading, so a huge file is never loaded into memory.
    check_file_size(path.stat().st_size, limits)
    return read_trace_code(path.read_bytes(), limits=limits)


def main(argv: list[str] | None = None) -> int:
    """Run ``trace`` on the command line and return the exit status."""
    parser = argparse.ArgumentParser(
        prog="shoumi trace",
        description="读取泄露副本中的隐形水印追踪码（JPEG、PNG、HEIC 或 PDF）。",
    )
    parser.add_argument("file", type=Path, help="要检查的文件路径")
    parser.add_argument(
        "--json", action="store_true", help="以 JSON 输出结果（trace_code、confidence 等字段）"
    )
    arguments = parser.parse_args(argv)

    try:
        reading = trace_file(arguments.file)
    except TraceCodeNotFoundError as error:
        _report_failure(arguments.json, error.code, error.message)
        return EXIT_NOT_FOUND
    except ImagingError as error:
        _report_failure(arguments.json, error.code, error.message)
        return EXIT_INVALID_INPUT
    except OSError as error:
        _report_failure(arguments.json, "file_unreadable", f"无法读取文件：{error.strerror}。")
        return EXIT_INVALID_INPUT

    if arguments.json:
        print(
            json.dumps(
                {
                    "trace_code": str(reading.trace_code),
                    "confidence": reading.confidence,
                    "sync_score": round(reading.sync_score, 2),
                    "bit_error_rate": round(reading.bit_error_rate, 4),
                    "scale": round(reading.scale, 3),
                },
                ensure_ascii=False,
            )
        )
    else:
        print(f"追踪码：{reading.trace_code}")
        print(
            f"置信度：{_CONFIDENCE_LABELS[reading.confidence]}"
            f"（同步分数 {reading.sync_score:.1f}，估计误码率 {reading.bit_error_rate:.1%}，"
            f"相对尺寸 {reading.scale:.0%}）"
        )
    return EXIT_FOUND


_CONFIDENCE_LABELS = {"high": "高", "medium": "中"}


def _report_failure(as_json: bool, code: str, message: str) -> None:
    if as_json:
        print(json.dumps({"error": code, "message": message}, ensure_ascii=False))
    else:
        print(message, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
