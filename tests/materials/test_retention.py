"""Retention periods count from the day after the fiscal year ends."""

from __future__ import annotations

from datetime import date

import pytest

from shoumi.materials.retention import RetentionPeriod, is_retention_running, retention_ends_on


@pytest.mark.parametrize(
    ("period", "fiscal_year", "ends_on"),
    [
        (RetentionPeriod.YEARS_10, 2015, date(2025, 12, 31)),
        (RetentionPeriod.YEARS_30, 2000, date(2030, 12, 31)),
        (RetentionPeriod.YEARS_5_AFTER_DISPOSAL, 2020, date(2025, 12, 31)),
        (RetentionPeriod.PERMANENT, 2015, None),
        (RetentionPeriod.NONE, None, None),
    ],
)
def test_retention_end_dates(period: str, fiscal_year: int | None, ends_on: date | None) -> None:
    assert retention_ends_on(period, fiscal_year) == ends_on


@pytest.mark.parametrize(
    ("period", "fiscal_year", "day", "running"),
    [
        (RetentionPeriod.YEARS_10, 2015, date(2025, 12, 31), True),
        (RetentionPeriod.YEARS_10, 2015, date(2026, 1, 1), False),
        (RetentionPeriod.YEARS_30, 1995, date(2025, 12, 31), True),
        (RetentionPeriod.YEARS_30, 1995, date(2026, 1, 1), False),
        (RetentionPeriod.PERMANENT, 1990, date(2100, 1, 1), True),
        (RetentionPeriod.NONE, None, date(2026, 1, 1), False),
    ],
)
def test_retention_running_on_boundaries(
    period: str, fiscal_year: int | None, day: date, running: bool
) -> None:
    assert is_retention_running(period, fiscal_year, day) is running


def test_counted_period_without_fiscal_year_raises() -> None:
    with pytest.raises(ValueError, match="fiscal year"):
        retention_ends_on(RetentionPeriod.YEARS_10, None)
