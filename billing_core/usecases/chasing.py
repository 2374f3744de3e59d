"""Chasing: overdue reminders (claimed in a ledger, exactly once per invoice and stage),
nudges for drafts waiting too long, and the weekly digest."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from billing_core.approval_rules import step_label
from billing_core.escalation import escalation_due, escalation_key, waiting_since
from billing_core.events import DomainEvent, EventName
from billing_core.metrics.render import days_text
from billing_core.reminders import DueReminder, DueStage, is_business_day
from billing_core.status import Action
from billing_core.usecases.approvals import progress_of
from billing_core.usecases.engine import Engine
from billing_core.usecases.metrics import Metrics, add_months
from billing_core.usecases.reporting import Reporting

# A reminder claimed but never marked sent for this long: its sender died; take it over.
CLAIM_TIMEOUT = timedelta(minutes=10)
# Request keys are kept at least this long (Slack retries within minutes; people double
# submit within seconds), then purged.
REQUEST_KEYS_KEPT = timedelta(hours=48)
# Records listed in one owner's readiness DM (the DM gives the true count beyond that).
READINESS_LISTED = 25


class Pair(Protocol):
    """An (invoice, stage): a DueStage or a DueReminder."""

    @property
    def invoice_id(self) -> int: ...
    @property
    def stage(self) -> int: ...


class Chasing:
    def __init__(self, engine: Engine, reporting: Reporting, metrics: Metrics) -> None:
        self.engine = engine
        self.reporting = reporting
        self.metrics = metrics

    async def due_stages(self, today: date, now: datetime) -> list[DueStage]:
        """Overdue (invoice, stage) pairs not yet pinged as of business date `today`, owner
        by owner (selected in the store without loading a single invoice)."""
        stages = self.engine.policy.reminders.stages_days
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            return await uow.ledger.due_stages(today, stages, now - CLAIM_TIMEOUT)

    async def due_reminders(self, today: date, now: datetime) -> list[DueReminder]:
        """The same pairs with their invoices loaded (a dry run, a few at a time)."""
        return await self.load(await self.due_stages(today, now))

    async def load(self, due: Sequence[DueStage]) -> list[DueReminder]:
        """The invoices of these pairs, for composing their messages; a pair whose invoice is
        gone is left out."""
        out: list[DueReminder] = []
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            for start in range(0, len(due), 500):
                chunk = due[start : start + 500]
                found = await uow.invoices.overdue_many([d.invoice_id for d in chunk])
                out += [
                    DueReminder(found[d.invoice_id], d.stage, d.days_overdue, d.last_stage)
                    for d in chunk
                    if d.invoice_id in found
                ]
        return out

    async def claim_reminders(
        self, due: Sequence[DueStage], run_date: date, now: datetime
    ) -> list[DueStage]:
        """Claim the pairs in one transaction; returns those nobody else claimed first and
        that are still worth a ping (not paid, voided or snoozed since they were selected)."""
        async with self.engine.store.unit_of_work() as uow:
            chasable = await uow.ledger.still_chasable([d.invoice_id for d in due], run_date)
            pairs = [(d.invoice_id, d.stage, d.recipient) for d in due if d.invoice_id in chasable]
            claimed = await uow.ledger.claim(pairs, run_date, now, now - CLAIM_TIMEOUT)
        return [d for d in due if (d.invoice_id, d.stage) in claimed]

    async def mark_reminders_sent(self, sent: Iterable[Pair], now: datetime) -> None:
        async with self.engine.store.unit_of_work() as uow:
            await uow.ledger.mark_sent([(p.invoice_id, p.stage) for p in sent], now)

    async def release_reminders(self, failed: Iterable[Pair]) -> None:
        """Give claims back after a failed send, so the next run retries them."""
        async with self.engine.store.unit_of_work() as uow:
            await uow.ledger.release([(p.invoice_id, p.stage) for p in failed])

    async def queue_nudges(self, now: datetime) -> int:
        """Announce one nudge for each draft waiting longer than `nudge_after_hours`; returns
        how many. The draft is marked nudged in the same transaction, so it is nudged once."""
        hours = self.engine.policy.approval.nudge_after_hours
        queued = 0
        async with self.engine.store.unit_of_work() as uow:
            for state in await uow.invoices.drafts_waiting_since(now - timedelta(hours=hours)):
                if await uow.invoices.claim_nudge(state.id, now):
                    event = DomainEvent(
                        EventName.NUDGE_DUE,
                        f"{EventName.NUDGE_DUE.value}:{state.id}",
                        state.id,
                        {"invoice_id": state.id, "waiting_hours": hours},
                    )
                    await self.engine.emit(uow, event, now)
                    queued += 1
        return queued

    async def queue_escalations(self, now: datetime) -> int:
        """Announce each approval step waiting longer than its rule's `escalate_after_hours`,
        once per (draft, step); returns how many were announced now. Nothing without an
        escalation channel or a rule that escalates.

        Exactly once across runs and replicas: the announcement's key names the invoice and
        the step, and the outbox keeps one message per key (its unique index decides between
        two replicas inserting at once; the loser records nothing)."""
        approval = self.engine.policy.approval
        hours = [r.escalate_after_hours for r in approval.rules if r.escalate_after_hours]
        if not hours or self.engine.policy.escalation_channel is None:
            return 0
        queued = 0
        async with self.engine.store.unit_of_work() as uow:
            # A step cannot have waited longer than the draft has.
            before = now - timedelta(hours=min(hours))
            for state in await uow.invoices.drafts_waiting_since(before, unnudged_only=False):
                progress = await progress_of(self.engine, uow, state, now)
                rule, step = progress.rule, progress.step
                if step is None or rule.escalate_after_hours is None:
                    continue
                history = await uow.history.for_invoice(state.id)
                signed_at = [e.at for e in history if e.action == Action.SIGN.value]
                since = waiting_since(state.drafted_at, signed_at, step)
                if not escalation_due(rule, since, now):
                    continue
                payload = {
                    "invoice_id": state.id, "step": step, "label": step_label(rule, step),
                    "rule": rule.name, "since": since.isoformat(),
                    "hours": rule.escalate_after_hours, "eligible": list(progress.eligible),
                }  # fmt: skip
                key = escalation_key(state.id, step)
                event = DomainEvent(EventName.ESCALATION_DUE, key, state.id, payload)
                queued += await self.engine.emit(uow, event, now)
        return queued

    async def queue_digest(self, week_start: date, now: datetime) -> bool:
        """Announce the weekly digest of the seven days from `week_start` once per week;
        False if already announced."""
        digest = await self.reporting.weekly_digest(week_start, now)

        def as_json(section: dict[str, tuple[int, Decimal]]) -> dict[str, list[Any]]:
            return {currency: [n, str(amount)] for currency, (n, amount) in section.items()}

        cycle, corrections = await self.metrics.flow(week_start, week_start + timedelta(days=7))
        payload = {
            "week_start": week_start.isoformat(),
            "drafts_waiting": as_json(digest.drafts_waiting),
            "issued": as_json(digest.issued),
            "paid": as_json(digest.paid),
            "overdue": as_json(digest.overdue),
            "cycle_time_days": {
                "count": cycle.count,
                "median": days_text(cycle.median),
                "p90": cycle.p90,
            },
            "corrections": {
                "decided": corrections.decided,
                "rejected": corrections.rejected,
                "rate": None if corrections.rate is None else str(corrections.rate),
            },
        }
        if digest.credit_notes:  # beside the invoices issued, when there were any
            payload["credit_notes"] = as_json(digest.credit_notes)
        key = f"{EventName.DIGEST_DUE.value}:{week_start.isoformat()}"
        async with self.engine.store.unit_of_work() as uow:
            # Printed so that a copy of the chain's head lives outside the database.
            head = await uow.history.audit_head()
            if head:
                payload["audit_head"] = head
            return await self.engine.emit(
                uow, DomainEvent(EventName.DIGEST_DUE, key, None, payload), now
            )

    async def queue_monthly_report(self, now: datetime) -> bool:
        """On the first business day of a month, announce last month's report once; False on
        other days or when it was announced before."""
        today = self.engine.today(now)
        first_business = today.replace(day=1)
        while not is_business_day(first_business):
            first_business += timedelta(days=1)
        if today != first_business:
            return False
        last_month = add_months(today.replace(day=1), -1)
        month = f"{last_month.year:04d}-{last_month.month:02d}"
        key = f"{EventName.MONTHLY_REPORT_DUE.value}:{month}"
        event = DomainEvent(EventName.MONTHLY_REPORT_DUE, key, None, {"month": month})
        async with self.engine.store.unit_of_work() as uow:
            return await self.engine.emit(uow, event, now)

    async def queue_readiness(self, now: datetime) -> int:
        """Announce, once per owner and ISO week (business time zone), the owner's records
        completed but not invoiced, each with what stops it (the missing fields, a draft
        waiting, or nothing); returns how many owners were announced now. Records without an
        owner have nobody to tell. Another run or replica the same week announces nothing
        again: the outbox keeps one message per key."""
        today = self.engine.today(now)
        year, week, _ = today.isocalendar()
        iso_week = f"{year}-W{week:02d}"
        by_owner: dict[str, list[dict[str, Any]]] = {}
        for u in await self.metrics.uninvoiced(now):
            if u.owner:
                by_owner.setdefault(u.owner, []).append(
                    {
                        "record_id": u.record_id,
                        "title": u.title,
                        "completed_at": u.completed_at.isoformat(),
                        "blocker": u.blocker,
                        "missing": [[p.field, p.message] for p in u.missing],
                    }
                )
        queued = 0
        async with self.engine.store.unit_of_work() as uow:
            for owner, records in sorted(by_owner.items()):
                key = f"{EventName.READINESS_DUE.value}:{iso_week}:{owner}"
                payload = {
                    "owner": owner,
                    "week": iso_week,
                    "count": len(records),
                    "records": records[:READINESS_LISTED],
                }
                event = DomainEvent(EventName.READINESS_DUE, key, None, payload)
                queued += await self.engine.emit(uow, event, now)
        return queued

    async def purge_request_keys(self, now: datetime) -> int:
        """Forget request keys older than REQUEST_KEYS_KEPT; returns how many."""
        async with self.engine.store.unit_of_work() as uow:
            return await uow.requests.purge(now - REQUEST_KEYS_KEPT)
