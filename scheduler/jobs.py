"""The scheduled jobs: overdue reminders (business days, `scheduler.reminders`), approval
nudges and step escalations, the weekly digest and the owners' readiness DMs (Mondays). Nudges
also forget idempotency keys older than two days."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from billing_core.policy import Policy
from billing_core.reminders import BUSINESS_DAYS, is_business_day, next_run
from billing_core.usecases import Billing
from scheduler.reminders import ReminderSender, RunSummary, run_reminders

__all__ = [
    "DailyTrigger", "Job", "ReminderSender", "RunJob", "RunSummary", "Scheduler", "build_scheduler",
    "run_reminders",
]  # fmt: skip

log = logging.getLogger(__name__)


class Scheduler(AsyncIOScheduler):  # type: ignore[misc]  # APScheduler 3 ships no types
    """An AsyncIOScheduler whose `stop()` waits for the job runs it stops.

    APScheduler 3 cancels a running job on shutdown but cannot wait for it (its shutdown is
    not a coroutine), so the service closed the store under a run still unwinding; one test
    run in four then never finished (the loop waited forever on the run's connection).
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._runs: set[asyncio.Task[Any]] = set()

    def add_job(self, func: Callable[[], Awaitable[None]], *args: Any, **kwargs: Any) -> Any:
        @functools.wraps(func)
        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None  # APScheduler runs coroutine jobs as tasks
            self._runs.add(task)
            try:
                await func()
            finally:
                self._runs.discard(task)

        return super().add_job(run, *args, **kwargs)

    async def stop(self) -> None:
        """Stop firing, cancel the runs in flight, and return once they have unwound."""
        if self.running:
            self.shutdown(wait=False)
        for task in self._runs:
            task.cancel()
        await asyncio.gather(*self._runs, return_exceptions=True)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


Job = Callable[[Billing, ReminderSender, datetime], Coroutine[Any, Any, bool]]
"""A scheduled job: given the billing and reminder sender it runs with and `now`, does its
work and says whether it queued Slack work (the outbox worker is then woken)."""
RunJob = Callable[[Job, datetime], Awaitable[bool]]
"""Where the jobs run: `serve` runs them on a loop of their own (bot.server.JobRunner)."""


async def daily(billing: Billing, sender: ReminderSender, now: datetime) -> bool:
    """The reminder run on business days, then the month's report (its first day)."""
    if not is_business_day(billing.today(now)):
        return False
    summary = await run_reminders(billing, sender, now)
    log.info("reminders: %d sent, %d failed", len(summary.sent), len(summary.failed))
    return await billing.chasing.queue_monthly_report(now)  # the month's first one


async def nudges(billing: Billing, _: ReminderSender, now: datetime) -> bool:
    queued = await billing.chasing.queue_nudges(now)
    queued += await billing.chasing.queue_escalations(now)
    await billing.chasing.purge_request_keys(now)
    return bool(queued)


async def digest(billing: Billing, _: ReminderSender, now: datetime) -> bool:
    # Monday's digest covers the week that just ended, not the one just begun.
    last_week = week_start(billing.today(now)) - timedelta(days=7)
    return bool(await billing.chasing.queue_digest(last_week, now))


async def readiness(billing: Billing, _: ReminderSender, now: datetime) -> bool:
    return bool(await billing.chasing.queue_readiness(now))


def build_scheduler(
    policy: Policy,
    run_job: RunJob,
    clock: Callable[[], datetime],
    on_queued: Callable[[], None],
    *,
    nudge_every: timedelta = timedelta(minutes=10),
) -> Scheduler:
    """A Scheduler with the daily reminders (business days at `[reminders].time`),
    nudges, and the Monday digest, each run through `run_job`. A run missed while the
    process was down runs once at start-up (the ledger makes a repeated run harmless)."""
    from apscheduler.triggers.interval import IntervalTrigger

    zone = policy.reminders.zone
    scheduler = Scheduler(timezone=zone)

    def scheduled(job: Job) -> Callable[[], Awaitable[None]]:
        async def fire() -> None:
            if await run_job(job, clock()):
                on_queued()  # here, on the caller's loop: the outbox worker lives there

        fire.__name__ = fire.__qualname__ = job.__name__  # in the scheduler's log lines
        return fire

    common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
    at = policy.reminders.time
    every_business_day, mondays = DailyTrigger(at, zone), DailyTrigger(at, zone, frozenset({0}))
    daily_job, digest_job, readiness_job = scheduled(daily), scheduled(digest), scheduled(readiness)
    scheduler.add_job(daily_job, every_business_day, id="reminders", **common)
    every = IntervalTrigger(seconds=nudge_every.total_seconds())
    scheduler.add_job(scheduled(nudges), every, id="nudges", **common)
    scheduler.add_job(digest_job, mondays, id="digest", **common)
    scheduler.add_job(readiness_job, mondays, id="readiness", **common)

    now = clock().astimezone(zone)
    if is_business_day(now.date()) and now.time() >= at:
        # Today's run may have been missed while we were down: run it once now. However slow
        # the start (fonts, migrations, a slow disk), it must not count as "missed" and be
        # dropped (APScheduler's default grace is one second): no grace limit, coalesced.
        catch_up = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        scheduler.add_job(daily_job, id="reminders-catch-up", **catch_up)
        if now.weekday() == 0:
            scheduler.add_job(digest_job, id="digest-catch-up", **catch_up)
            scheduler.add_job(readiness_job, id="readiness-catch-up", **catch_up)
    return scheduler


class DailyTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 ships no types
    """Fires once on each of `weekdays` (default Monday to Friday) at `at` in `zone`, with
    daylight saving handled by `billing_core.reminders.next_run` (a time in a gap runs later
    that day, a time in an overlap runs once)."""

    def __init__(self, at: time, zone: ZoneInfo, weekdays: frozenset[int] = BUSINESS_DAYS):
        self.at = at
        self.zone = zone
        self.weekdays = weekdays

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        # The run after the previous one (APScheduler coalesces runs missed in between),
        # or the first one from now.
        after = previous_fire_time or now - timedelta(microseconds=1)
        return next_run(after, self.at, self.zone, self.weekdays)

    def __str__(self) -> str:
        return f"daily at {self.at:%H:%M} {self.zone.key} on weekdays {sorted(self.weekdays)}"
