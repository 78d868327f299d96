"""The heap tuning of scanning processes: freed memory kept, new heap in huge pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoumi.scanner import heap
from tests.scanner.helpers import IS_GLIBC, last_line_of_python

THP_SETTING = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def _huge_pages_available() -> bool:
    try:
        return "[never]" not in THP_SETTING.read_text(encoding="ascii")
    except OSError:
        return False


@pytest.mark.skipif(
    not IS_GLIBC or not _huge_pages_available(), reason="needs glibc and transparent huge pages"
)
def test_new_heap_uses_huge_pages():
    # A new process, whose heap no other test has tuned. Four fresh 4 MiB arrays are 4,096
    # pages of 4 KiB: untuned, each page faulted in on its own.
    script = (
        "import resource\n"
        "import numpy as np\n"
        "from shoumi.scanner.heap import tune_heap\n"
        "tune_heap()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "arrays = [np.ones(4 << 20, dtype=np.uint8) for _ in range(4)]\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n"
    )

    assert int(last_line_of_python(script)) < 1_000


@pytest.mark.skipif(not IS_GLIBC, reason="the heap is tuned with glibc only")
def test_tuning_twice_keeps_working():
    # Workers forked from `shoumi scan` tune a heap that their parent tuned already.
    script = (
        "import numpy as np\n"
        "from shoumi.scanner.heap import tune_heap\n"
        "tune_heap()\n"
        "tune_heap()\n"
        "arrays = [np.ones(8 << 20, dtype=np.uint8) for _ in range(12)]\n"
        "print(sum(int(array.sum()) for array in arrays))\n"
    )

    assert int(last_line_of_python(script)) == 12 * (8 << 20)


def test_kept_memory_exceeds_growth():
    # The heap grown in huge pages is freed at once; a lower threshold gave it straight back.
    assert heap.KEPT_FREE_BYTES > heap.HUGE_HEAP_BYTES + heap._GROWTH_REQUEST_BYTES
