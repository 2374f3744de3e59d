"""The one reminder run, used by the scheduler and by `invoicebot remind`.

Exactly once: a batch of owners' (invoice, stage) pairs are claimed in the ledger in one
transaction before anything is sent, each message's pairs marked sent after Slack said ok (a
group commit: `_Marks`), and released if it did not, so the next run retries. Two runners
racing (two replicas, or `serve` plus `remind`) claim disjoint sets, so an owner gets one DM
per stage, not two.

At scale: the pairs are selected in SQL without loading an invoice (`Chasing.due_stages`);
a batch's invoices are loaded only when its DMs are composed; owners are served
`OWNERS_AT_ONCE` at a time (a DM is a channel of its own, and Slack limits chat.postMessage
per channel, about one a second with bursts; its 429 Retry-After is honoured by the client),
in batches, so memory stays bounded by a batch however many invoices are overdue.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from billing_core.reminders import DueReminder, DueStage, by_recipient
from billing_core.usecases import Billing

log = logging.getLogger(__name__)

OWNERS_AT_ONCE = 8
# Owners claimed and loaded together: bounds memory (their invoices) and how long a claim
# waits for its send (well under CLAIM_TIMEOUT at Slack's rate, about 30 s for 50 owners).
OWNERS_PER_BATCH = 50


class ReminderSender(Protocol):
    """Delivers reminders (the Slack implementation lives in handlers.reminders)."""

    def chunks(self, reminders: list[DueReminder]) -> list[list[DueReminder]]:
        """How one owner's reminders split into messages."""
        ...

    async def prepare(self, reminders: list[DueReminder]) -> None:
        """Called once per batch before its messages are sent (to look up what the messages
        need for the whole batch at once)."""
        ...

    async def send_owner(
        self, owner: str, reminders: list[DueReminder], part: int, parts: int
    ) -> None: ...

    async def send_escalation(self, reminders: list[DueReminder], final_stage: bool) -> None: ...


@dataclass
class RunSummary:
    as_of: date
    due: list[DueStage] = field(default_factory=list)
    sent: list[DueStage] = field(default_factory=list)
    messages: int = 0
    failed: list[str] = field(default_factory=list)  # recipients whose send failed
    details: list[DueReminder] = field(default_factory=list)  # a dry run's, with invoices

    def lines(self) -> list[str]:
        """Human-readable (a dry run): who would be pinged about what."""
        out = []
        for r in self.details:
            inv = r.state
            who = f"DM {r.recipient}" if r.recipient else "escalation channel"
            out.append(
                f"{who}: {inv.number} ({inv.client}) stage {r.stage}, "
                f"{r.days_overdue} days overdue, {inv.balance} due {inv.due_date}"
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
    summary = RunSummary(as_of=today, due=await billing.chasing.due_stages(today, now))
    if dry_run or sender is None:
        summary.details = await billing.chasing.load(summary.due)
        return summary
    escalation = billing.policy.reminders.escalation_channel
    groups = list(by_recipient(summary.due).items())
    at_once = asyncio.Semaphore(OWNERS_AT_ONCE)
    for start in range(0, len(groups), OWNERS_PER_BATCH):
        batch = []
        for recipient, items in groups[start : start + OWNERS_PER_BATCH]:
            if not recipient and not escalation:
                log.warning("%d overdue invoice(s) have no owner and no escalation channel",
                            len(items))  # fmt: skip
                continue
            batch += items
        if batch:
            await _remind_batch(billing, sender, summary, batch, at_once, today, now)
    return summary


async def _remind_batch(
    billing: Billing,
    sender: ReminderSender,
    summary: RunSummary,
    batch: list[DueStage],
    at_once: asyncio.Semaphore,
    today: date,
    now: datetime,
) -> None:
    """Claim a batch of owners' pairs in one transaction, load them in one, then send each
    owner's DMs (OWNERS_AT_ONCE owners at a time), marking each message sent once Slack said
    ok. Per owner, these were five transactions and a query for thread links per message;
    on SQLite the concurrent writers then queued for the write lock, and the run took
    60-150 s for 4,515 DMs (bench/reminders.py)."""
    claimed = await billing.chasing.claim_reminders(batch, today, now)
    if not claimed:
        return  # another runner has them
    reminders = await billing.chasing.load(claimed)
    await sender.prepare(reminders)
    owners: dict[str, list[DueReminder]] = {}
    for reminder in reminders:
        owners.setdefault(reminder.recipient, []).append(reminder)
    marks = _Marks(billing, now)
    # What the summary lists as sent: the selected pairs themselves, not copies (fewer
    # objects for the garbage collector to walk while the run goes on).
    pairs = {(d.invoice_id, d.stage): d for d in claimed}

    async def serve(recipient: str, mine: list[DueReminder]) -> None:
        async with at_once:
            await _remind_one(billing, sender, summary, marks, recipient, mine, pairs)

    try:
        await asyncio.gather(*(serve(r, mine) for r, mine in owners.items()))
    finally:
        await marks.flushed()


class _Marks:
    """Marks sent messages in the ledger, as a group commit: a message is queued when Slack
    said ok, and one writer marks everything queued in one transaction, then what queued
    meanwhile. The ledger knows a message as sent within one transaction of its send (as
    before, when each message had a transaction of its own), in a tenth of the commits."""

    def __init__(self, billing: Billing, now: datetime) -> None:
        self._billing, self._now = billing, now
        self._queued: list[DueReminder] = []
        self._writer: asyncio.Task[None] | None = None

    def add(self, sent: list[DueReminder]) -> None:
        self._queued += sent
        if self._writer is None or self._writer.done():
            if self._writer is not None:
                self._writer.result()  # a failed mark fails the run, as before
            self._writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while self._queued:
            taken, self._queued = self._queued, []
            await self._billing.chasing.mark_reminders_sent(taken, self._now)

    async def flushed(self) -> None:
        """Wait until everything queued is marked (raises what marking raised)."""
        while self._writer is not None:
            writer = self._writer
            await writer
            if writer is self._writer and not self._queued:
                self._writer = None


async def _remind_one(
    billing: Billing,
    sender: ReminderSender,
    summary: RunSummary,
    marks: _Marks,
    recipient: str,
    reminders: list[DueReminder],
    pairs: dict[tuple[int, int], DueStage],
) -> None:
    """Send one owner's claimed reminders (or the owner-less ones), chunk by chunk."""
    # The escalation channel gets the same Slack limits as a DM: chunked, each once.
    chunks = sender.chunks(reminders)
    sent_here: list[DueReminder] = []
    for part, chunk in enumerate(chunks, start=1):
        try:
            if recipient:
                await sender.send_owner(recipient, chunk, part, len(chunks))
            else:
                await sender.send_escalation(chunk, final_stage=False)
        except Exception as exc:
            log.warning("reminders to %s failed, will retry: %s", recipient or "escalation", exc)
            await billing.chasing.release_reminders([r for c in chunks[part - 1 :] for r in c])
            summary.failed.append(recipient or billing.policy.reminders.escalation_channel or "")
            break
        marks.add(chunk)
        summary.sent.extend(pairs[r.invoice_id, r.stage] for r in chunk)
        sent_here.extend(chunk)
        summary.messages += 1
    last = [r for r in sent_here if r.last_stage] if recipient else []
    if last and billing.policy.reminders.escalation_channel:
        try:
            for chunk in sender.chunks(last):
                await sender.send_escalation(chunk, final_stage=True)
        except Exception as exc:  # the owner was told; the copy is best effort
            log.warning("escalation copy failed: %s", exc)
