"""The scheduled jobs: overdue reminders (business days), approval nudges, weekly digest.

Nudges also forget idempotency keys older than two days (`Chasing.purge_request_keys`).

`run_reminders` is the one reminder run, used by the scheduler and by `invoicebot remind`.
Exactly once: each owner's (invoice, stage) pairs are claimed in the ledger in one transaction
before anything is sent, marked sent after Slack said ok, and released if it did not, so the
next run retries. Two runners racing (two replicas, or `serve` plus `remind`) claim disjoint
sets, so an owner gets one DM per stage, not two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from billing_core.reminders import (
    BUSINESS_DAYS,
    DueReminder,
    by_recipient,
    is_business_day,
    next_run,
)
from billing_core.usecases import Billing

log = logging.getLogger(__name__)


class ReminderSender(Protocol):
    """Delivers reminders (the Slack implementation lives in handlers.reminders)."""

    def chunks(self, reminders: list[DueReminder]) -> list[list[DueReminder]]:
        """How one owner's reminders split into messages."""
        ...

    async def send_owner(
        self, owner: str, reminders: list[DueReminder], part: int, parts: int
    ) -> None: ...

    async def send_escalation(self, reminders: list[DueReminder], final_stage: bool) -> None: ...


@dataclass
class RunSummary:
    as_of: date
    due: list[DueReminder] = field(default_factory=list)
    sent: list[DueReminder] = field(default_factory=list)
    messages: int = 0
    failed: list[str] = field(default_factory=list)  # recipients whose send failed

    def lines(self) -> list[str]:
        """Human-readable: who is (or would be) pinged about what."""
        out = []
        for r in self.due:
            inv = r.state.invoice
            who = f"DM {r.recipient}" if r.recipient else "escalation channel"
            out.append(
                f"{who}: {r.state.number} ({inv.buyer.name}) stage {r.stage}, "
                f"{r.days_overdue} days overdue, {r.state.balance} due {inv.due_date}"
            )
        return out


async def run_reminders(
    billing: Billing,
    sender: ReminderSender | None,
    now: datetime,
    *,
    as_of: date | None = None,
    dry_run: bool = False,
) -> RunSummary:
    """One reminder run as of `as_of` (default: today in the business time zone)."""
    today = as_of or billing.today(now)
    summary = RunSummary(as_of=today, due=await billing.chasing.due_reminders(today, now))
    if dry_run or sender is None:
        return summary
    escalation = billing.policy.reminders.escalation_channel
    for recipient, items in by_recipient(summary.due).items():
        if not recipient and not escalation:
            log.warning("%d overdue invoice(s) have no owner and no escalation channel", len(items))
            continue
        claimed = await billing.chasing.claim_reminders(items, today, now)
        if not claimed:
            continue  # another runner has them
        # The escalation channel gets the same Slack limits as a DM: chunked, each once.
        chunks = sender.chunks(claimed)
        sent_here: list[DueReminder] = []
        for part, chunk in enumerate(chunks, start=1):
            try:
                if recipient:
                    await sender.send_owner(recipient, chunk, part, len(chunks))
                else:
                    await sender.send_escalation(chunk, final_stage=False)
            except Exception as exc:
                log.warning(
                    "reminders to %s failed, will retry: %s", recipient or "escalation", exc
                )
                failed = [r for c in chunks[part - 1 :] for r in c]
                await billing.chasing.release_reminders(failed)
                summary.failed.append(recipient or escalation or "")
                break
            await billing.chasing.mark_reminders_sent(chunk, now)
            summary.sent.extend(chunk)
            sent_here.extend(chunk)
            summary.messages += 1
        last = [r for r in sent_here if r.last_stage] if recipient else []
        if last and escalation:
            try:
                for chunk in sender.chunks(last):
                    await sender.send_escalation(chunk, final_stage=True)
            except Exception as exc:  # the owner was told; the copy is best effort
                log.warning("escalation copy failed: %s", exc)
    return summary


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def build_scheduler(
    billing: Billing,
    sender: ReminderSender,
    clock: Callable[[], datetime],
    on_queued: Callable[[], None],
    *,
    nudge_every: timedelta = timedelta(minutes=10),
) -> AsyncIOScheduler:
    """An AsyncIOScheduler with the daily reminders (business days at `[reminders].time`),
    nudges, and the Monday digest. A run missed while the process was down runs once at
    start-up (the ledger makes a repeated run harmless)."""
    from apscheduler.triggers.interval import IntervalTrigger

    policy = billing.policy.reminders
    zone = policy.zone
    scheduler = AsyncIOScheduler(timezone=zone)

    async def daily() -> None:
        now = clock()
        if is_business_day(billing.today(now)):
            summary = await run_reminders(billing, sender, now)
            log.info("reminders: %d sent, %d failed", len(summary.sent), len(summary.failed))

    async def nudges() -> None:
        now = clock()
        if await billing.chasing.queue_nudges(now):
            on_queued()
        await billing.chasing.purge_request_keys(now)

    async def digest() -> None:
        now = clock()
        # Monday's digest covers the week that just ended, not the one just begun.
        last_week = week_start(billing.today(now)) - timedelta(days=7)
        if await billing.chasing.queue_digest(last_week, now):
            on_queued()

    common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
    every_business_day = DailyTrigger(policy.time, zone)
    mondays = DailyTrigger(policy.time, zone, frozenset({0}))
    scheduler.add_job(daily, every_business_day, id="reminders", **common)
    scheduler.add_job(
        nudges, IntervalTrigger(seconds=nudge_every.total_seconds()), id="nudges", **common
    )
    scheduler.add_job(digest, mondays, id="digest", **common)

    now = clock().astimezone(zone)
    if is_business_day(now.date()) and now.time() >= policy.time:
        # Today's run may have been missed while we were down: run it once now. However slow
        # the start (fonts, migrations, a slow disk), it must not count as "missed" and be
        # dropped (APScheduler's default grace is one second): no grace limit, coalesced.
        catch_up = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        scheduler.add_job(daily, id="reminders-catch-up", **catch_up)
        if now.weekday() == 0:
            scheduler.add_job(digest, id="digest-catch-up", **catch_up)
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
