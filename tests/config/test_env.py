"""Settings read from the environment fail at start-up with one clear line."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from shoumi.config.env import env_hours, env_time_zone, env_weekdays


@pytest.mark.parametrize(
    "value",
    ["8-20", "25:00-99:00", "20:00-08:00", "08:00", "08:00Z-20:00Z", "08:00+08:00-20:00"],
)
def test_bad_working_hours_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SHOUMI_WORK_HOURS", value)

    with pytest.raises(ImproperlyConfigured, match="SHOUMI_WORK_HOURS"):
        env_hours("SHOUMI_WORK_HOURS", "08:00-20:00")


def test_working_hours_default_and_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOUMI_WORK_HOURS", raising=False)
    default = env_hours("SHOUMI_WORK_HOURS", "08:00-20:00")
    monkeypatch.setenv("SHOUMI_WORK_HOURS", "09:00-17:30")

    assert default == "08:00-20:00"
    assert env_hours("SHOUMI_WORK_HOURS", "08:00-20:00") == "09:00-17:30"


@pytest.mark.parametrize("value", ["0-9", "1-8", "Mon-Fri", "5-1"])
def test_bad_working_days_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SHOUMI_WORK_DAYS", value)

    with pytest.raises(ImproperlyConfigured, match="SHOUMI_WORK_DAYS"):
        env_weekdays("SHOUMI_WORK_DAYS", "1-6")


def test_working_days_accept_ranges_and_single_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOUMI_WORK_DAYS", "1-5, 7")

    assert env_weekdays("SHOUMI_WORK_DAYS", "1-6") == "1-5, 7"


def test_unknown_time_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOUMI_TIME_ZONE", "Mars/Base")

    with pytest.raises(ImproperlyConfigured, match="Mars/Base"):
        env_time_zone("SHOUMI_TIME_ZONE", "Asia/Shanghai")
