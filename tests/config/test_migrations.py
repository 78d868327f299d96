"""Every model change has its migration."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration() -> None:
    output = io.StringIO()

    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
    except SystemExit as exit_request:
        message = f"makemigrations found changes without a migration:\n{output.getvalue()}"
        pytest.fail(f"{message}\n{exit_request}")

    assert "No changes detected" in output.getvalue()
