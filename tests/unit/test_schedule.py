"""The daily run: exactly one per business day in any time zone, daylight saving included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from billing_core.reminders import next_run
from scheduler.jobs import DailyTrigger

CAIRO = ZoneInfo("Africa/Cairo")  # clocks change at midnight, on a Friday / Thursday night


def runs_in(year: int, at: time, zone: ZoneInfo) -> list[datetime]:
    runs = []
    current = datetime(year, 1, 1, tzinfo=zone) - timedelta(microseconds=1)
    while True:
        current = next_run(current, at, zone)
        if current.astimezone(zone).year > year:
            return runs
        runs.append(current)


@pytest.mark.parametrize(
    "zone",
    ["Africa/Cairo", "Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "UTC"],
)
@pytest.mark.parametrize("at", [time(0, 0), time(0, 30), time(2, 30), time(9, 0), time(23, 30)])
def test_every_business_day_of_a_year_gets_exactly_one_run(zone: str, at: time) -> None:
    tz = ZoneInfo(zone)
    runs = runs_in(2026, at, tz)
    days = [r.astimezone(tz).date() for r in runs]
    business = [
        date(2026, 1, 1) + timedelta(days=n)
        for n in range(365)
        if (date(2026, 1, 1) + timedelta(days=n)).weekday() < 5
    ]
    assert days == business
    assert runs == sorted(runs) and len(set(runs)) == len(runs)


def test_a_run_time_inside_the_spring_gap_runs_later_that_day() -> None:
    # 24 April 2026, Cairo: 00:00 becomes 01:00. A 00:30 run happens at 01:30 local.
    run = next_run(datetime(2026, 4, 23, 12, tzinfo=UTC), time(0, 30), CAIRO)
    assert run.astimezone(CAIRO).date() == date(2026, 4, 24)
    assert run.astimezone(CAIRO).time() == time(1, 30)


def test_a_run_time_inside_the_autumn_overlap_runs_once_at_its_first_occurrence() -> None:
    # Night of 29 October 2026, Cairo: 24:00 becomes 23:00, so 23:30 happens twice.
    first = next_run(datetime(2026, 10, 29, 12, tzinfo=UTC), time(23, 30), CAIRO)
    assert first == datetime(2026, 10, 29, 20, 30, tzinfo=UTC)  # +03:00
    following = next_run(first, time(23, 30), CAIRO)
    assert following.astimezone(CAIRO).date() == date(2026, 10, 30)


def test_the_apscheduler_trigger_fires_as_next_run_says() -> None:
    trigger = DailyTrigger(time(23, 30), CAIRO)
    now = datetime(2026, 10, 29, 12, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first)
    assert first == datetime(2026, 10, 29, 20, 30, tzinfo=UTC)
    assert second is not None and second.astimezone(CAIRO).date() == date(2026, 10, 30)
    mondays = DailyTrigger(time(9), CAIRO, frozenset({0}))
    assert mondays.get_next_fire_time(None, now).astimezone(CAIRO).weekday() == 0
