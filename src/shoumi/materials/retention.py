"""Retention periods of paper materials and the first day each may be destroyed.

Periods follow 会计档案管理办法 (财政部、国家档案局令第79号, in force since
2016-01-01), Annex 1 for enterprises: vouchers, ledgers and hand-over lists 30
years; monthly, quarterly and half-year reports, bank reconciliations, bank
statements and tax returns 10 years; annual financial reports and the
custody, destruction and appraisal lists permanently; fixed-asset cards 5
years after the asset is disposed of. The implementing rules of the Tax
Collection Administration Law (Art. 29) keep tax materials 10 years. Each
period is a minimum and runs from the day after the fiscal year ends; the
Chinese fiscal year is the calendar year, so a 10-year period for fiscal
year 2015 runs from 2016-01-01 to 2025-12-31.

Copies and drafts that the agency keeps only for a task carry no statutory
period (``NONE``); the contract with the client decides how long they stay.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _


class RetentionPeriod(models.TextChoices):
    NONE = "none", _("No statutory period (working copy)")
    YEARS_5_AFTER_DISPOSAL = "5y_after_disposal", _("5 years after disposal (fixed-asset card)")
    YEARS_10 = "10y", _("10 years")
    YEARS_30 = "30y", _("30 years")
    PERMANENT = "permanent", _("Permanent")


PERIOD_YEARS = {
    RetentionPeriod.YEARS_5_AFTER_DISPOSAL: 5,
    RetentionPeriod.YEARS_10: 10,
    RetentionPeriod.YEARS_30: 30,
}

EARLIEST_FISCAL_YEAR = 1950


def needs_fiscal_year(period: str) -> bool:
    """Return whether the period counts from a fiscal year (for fixed-asset cards: of disposal)."""
    return period in PERIOD_YEARS


def retention_ends_on(period: str, fiscal_year: int | None) -> date | None:
    """Return the last day the item must be kept, or None when no end applies.

    None means either no statutory period (``NONE``) or a permanent record;
    callers tell them apart with ``period``. Raises ValueError when a
    counted period has no fiscal year.
    """
    years = PERIOD_YEARS.get(RetentionPeriod(period))
    if years is None:
        return None
    if fiscal_year is None:
        raise ValueError(f"Retention period {period} needs a fiscal year.")
    # Counted from 1 January of the next year, so N years end on 31 December
    # of fiscal year + N.
    return date(fiscal_year + years, 12, 31)


def is_retention_running(period: str, fiscal_year: int | None, today: date) -> bool:
    """Return whether destroying the item on ``today`` would be early (permanent: always)."""
    if period == RetentionPeriod.PERMANENT:
        return True
    ends_on = retention_ends_on(period, fiscal_year)
    return ends_on is not None and today <= ends_on
