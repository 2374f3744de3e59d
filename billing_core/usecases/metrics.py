"""The monthly billing report and the accountant's journal, from the store's sums and rows."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from billing_core.metrics.facts import Tally
from billing_core.metrics.journal import JournalEntry
from billing_core.metrics.report import (
    UNINVOICED_SHOWN,
    MonthReport,
    per_currency,
    report_as_of,
)
from billing_core.metrics.work_flow import (
    Uninvoiced,
    corrections,
    cycle_time,
    turnaround,
    uninvoiced,
)
from billing_core.status import PAYMENT_ACTIONS, Action
from billing_core.usecases.engine import Engine


class Metrics:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def month_report(self, first: date, end: date, now: datetime) -> MonthReport:
        """Every metric of [first, end) (business dates), balances as of the period's last day
        or today, whichever is earlier. Issued, paid, outstanding and aging are summed in SQL;
        the rest is computed off the event loop from the period's rows."""
        as_of = report_as_of(first, end, self.engine.today(now))
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            issued = await uow.history.totals(
                [Action.APPROVE], first, end, amounts_from_event=False
            )
            paid = await uow.history.totals(PAYMENT_ACTIONS, first, end, amounts_from_event=True)
            aging = await uow.metrics.aging(as_of)
            approved = await uow.metrics.issued_between(first, end)
            settled, settlements = await uow.metrics.settled_between(first, end)
            decisions = await uow.metrics.decisions_between(first, end)
            records, drafts = await uow.metrics.uninvoiced(as_of)
        policy = self.engine.policy

        def compute() -> MonthReport:
            work = uninvoiced(records, {}, drafts, policy, as_of)
            return MonthReport(
                first=first,
                end=end,
                as_of=as_of,
                currencies=per_currency(
                    {c: Tally(n, amount) for c, (n, amount) in issued.items()},
                    {c: Tally(n, amount) for c, (n, amount) in paid.items()},
                    aging,
                ),
                cycle_time=cycle_time(approved, first, end),
                corrections=corrections(decisions, first, end),
                turnaround=turnaround(settled, settlements, first, end),
                uninvoiced=tuple(work[:UNINVOICED_SHOWN]),
                uninvoiced_count=len(work),
            )

        return await asyncio.to_thread(compute)

    async def uninvoiced(self, now: datetime, owner: str | None = None) -> list[Uninvoiced]:
        """Completed records without an approved invoice since, oldest first, each with what
        stops it; only `owner`'s when given."""
        today = self.engine.today(now)
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            records, drafts = await uow.metrics.uninvoiced(today, owner)
        policy = self.engine.policy
        return await asyncio.to_thread(uninvoiced, records, {}, drafts, policy, today)

    async def journal(self, first: date, end: date) -> list[JournalEntry]:
        """Every invoice issued in [first, end), void ones with their status, oldest first."""
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            return await uow.metrics.journal(first, end)
