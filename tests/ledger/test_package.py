from __future__ import annotations

import subprocess
import sys

import shoumi.ledger


def test_ledger_imports_nothing_from_django() -> None:
    code = (
        "import sys, shoumi.ledger; "
        "print(','.join(name for name in sys.modules if name.split('.')[0] == 'django'))"
    )

    result = subprocess.run(  # noqa: S603 - fixed command, no user input
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == ""


def test_public_api_names_exist() -> None:
    missing = [name for name in shoumi.ledger.__all__ if not hasattr(shoumi.ledger, name)]

    assert missing == []
