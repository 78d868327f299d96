"""Calendar checks for the birth dates that identity numbers encode."""

from __future__ import annotations

import datetime
import time

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Every MMDD that exists in a common year; 29 February is checked against the year.
_MONTH_DAYS = frozenset(
    f"{month:02d}{day:02d}"
    for month, days in enumerate(_DAYS_IN_MONTH, start=1)
    for day in range(1, days + 1)
)


def is_leap_year(year: int) -> bool:
    """Return whether ``year`` is a Gregorian leap year."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class _TodayCache:
    """Today's local date as ``YYYYMMDD``, recomputed after local midnight.

    ``datetime.date.today()`` costs about as much as the rest of a resident-ID check, so the
    fast checks reuse the string until the day changes.
    """

    __slots__ = ("digits", "expires_at")

    def __init__(self) -> None:
        self.digits = ""
        self.expires_at = 0.0

    def get(self) -> str:
        now = time.time()
        if now >= self.expires_at:
            today = datetime.date.today()
            tomorrow = datetime.datetime.combine(
                today + datetime.timedelta(days=1), datetime.time()
            )
            self.digits = today.strftime("%Y%m%d")
            self.expires_at = tomorrow.timestamp()
        return self.digits


_today_cache = _TodayCache()


def today_digits(today: datetime.date | None = None) -> str:
    """Return ``today`` (default: the local date) as ``YYYYMMDD``."""
    if today is None:
        return _today_cache.get()
    return today.strftime("%Y%m%d")


def birth_date_error(yyyymmdd: str, today: str) -> str | None:
    """Return the error code for an 8-digit birth date, or ``None`` if it is acceptable.

    ``today`` is ``YYYYMMDD``; fixed-width digit strings compare in date order. Year 0000
    does not exist; any later year is accepted here.
    """
    month_day = yyyymmdd[4:]
    if month_day not in _MONTH_DAYS and not (
        month_day == "0229" and is_leap_year(int(yyyymmdd[:4]))
    ):
        return "invalid_birth_date"
    if yyyymmdd[:4] == "0000":
        return "invalid_birth_date"
    if yyyymmdd > today:
        return "future_birth_date"
    return None
