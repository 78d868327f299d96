"""The Chinese catalogue is complete and compiled."""

from __future__ import annotations

from shoumi.config.i18n import catalogue_problems


def test_catalogue_is_complete_and_compiled() -> None:
    assert catalogue_problems() == []
