"""The monthly billing report and the accountant's journal, from the store's sums and rows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from billing_core.metrics.chart import MonthMoney
from billing_core.metrics.facts import Tally
from billing_core.metrics.journal import JournalEntry
from billing_core.metrics.report import (
    UNINVOICED_SHOWN,
    Headline,
    MonthReport,
    per_currency,
    report_as_of,
)
from billing_core.metrics.stats import DaysSpread
from billing_core.metrics.work_flow import (
    Corrections,
    Uninvoiced,
    corrections_of_counts,
    parse_candidates,
    spread_of_counts,
    turnaround_of_counts,
    uninvoiced,
)
from billing_core.permissions import check_may_see_figures
from billing_core.status import PAYMENT_ACTIONS, UNPAY_ACTIONS, Action
from billing_core.usecases.engine import Engine
from billing_core.usecases.ports import UnitOfWork


class Metrics:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def month_report_for(
        self, user: str, first: date, end: date, now: datetime
    ) -> MonthReport:
        """The month's report for `user`: NotAllowed unless they may see figures."""
        check_may_see_figures(user, self.engine.policy)
        return await self.month_report(first, end, now)

    async def month_report(self, first: date, end: date, now: datetime) -> MonthReport:
        """Every metric of [first, end) (business dates), balances as of the period's last day
        or today, whichever is earlier. Issued, paid, outstanding and aging are summed in SQL;
        the rest is computed off the event loop from the period's rows."""
        as_of = report_as_of(first, end, self.engine.today(now))
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            issued, paid, credit_notes = await money_in_period(uow, first, end)
            aging = await uow.metrics.aging(as_of)
            cycle = await uow.metrics.cycle_counts(first, end)
            paid_in_full = await uow.metrics.turnaround_counts(first, end)
            decisions = await uow.metrics.decision_counts(first, end)
            # The report lists the oldest few and the true count: only those are read.
            candidates, uninvoiced_count = await uow.metrics.uninvoiced(
                as_of, limit=UNINVOICED_SHOWN
            )
        policy = self.engine.policy

        def compute() -> MonthReport:
            records, drafts = parse_candidates(candidates)
            work = uninvoiced(records, {}, drafts, policy, as_of)
            return MonthReport(
                first=first,
                end=end,
                as_of=as_of,
                currencies=per_currency(issued, paid, aging, credit_notes),
                cycle_time=spread_of_counts(cycle),
                corrections=corrections_of_counts(*decisions),
                turnaround=turnaround_of_counts(paid_in_full),
                uninvoiced=tuple(work),
                uninvoiced_count=uninvoiced_count,
            )

        return await asyncio.to_thread(compute)

    async def headline_for(self, user: str, now: datetime) -> Headline:
        """This month's headline figures for `user` (NotAllowed unless they may see figures):
        grouped SQL sums plus the month's approvals and decisions."""
        check_may_see_figures(user, self.engine.policy)
        today = self.engine.today(now)
        first = today.replace(day=1)
        end = add_months(first, 1)
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            issued, paid, credit_notes = await money_in_period(uow, first, end)
            aging = await uow.metrics.aging(today)
        cycle, fixes = await self.flow(first, end)
        currencies = per_currency(issued, paid, aging, credit_notes)
        return Headline(first, today, currencies, cycle, fixes)

    async def flow(self, first: date, end: date) -> tuple[DaysSpread, Corrections]:
        """Cycle time and corrections over [first, end) (the weekly digest's figures)."""
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            cycle = await uow.metrics.cycle_counts(first, end)
            decisions = await uow.metrics.decision_counts(first, end)
        return spread_of_counts(cycle), corrections_of_counts(*decisions)

    async def monthly_money(self, last_first: date, months: int = 12) -> list[MonthMoney]:
        """Issued and paid per currency for `months` months ending with the one starting on
        `last_first`, oldest first (two grouped SQL sums per month)."""
        out = []
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            for back in range(months - 1, -1, -1):
                first = add_months(last_first, -back)
                end = add_months(first, 1)
                issued, paid, _ = await money_in_period(uow, first, end)
                out.append(MonthMoney(first, issued, paid))
        return out

    async def uninvoiced(self, now: datetime, owner: str | None = None) -> list[Uninvoiced]:
        """Completed records without an approved invoice since, oldest first, each with what
        stops it; only `owner`'s when given."""
        today = self.engine.today(now)
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            candidates, _ = await uow.metrics.uninvoiced(today, owner)
        policy = self.engine.policy

        def compute() -> list[Uninvoiced]:
            records, drafts = parse_candidates(candidates)
            return uninvoiced(records, {}, drafts, policy, today)

        return await asyncio.to_thread(compute)

    async def journal(self, first: date, end: date) -> list[JournalEntry]:
        """Every invoice and credit note issued in [first, end), void ones with their status,
        oldest first."""
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            return await uow.metrics.journal(first, end)


def _tallies(sums: dict[str, tuple[int, Decimal]]) -> dict[str, Tally]:
    return {currency: Tally(n, amount) for currency, (n, amount) in sums.items()}


async def money_in_period(
    uow: UnitOfWork, first: date, end: date
) -> tuple[dict[str, Tally], dict[str, Tally], dict[str, Tally]]:
    """Per currency over [first, end), summed in SQL: invoices issued (approvals: count and
    totals), paid (payments on their own dates, less payments reversed in the period: the
    same rule as billing_core.metrics.money_flow.paid) and credit notes issued (count,
    gross)."""
    issued, paid, credit_notes = await money_sums(uow, first, end)
    return _tallies(issued), _tallies(paid), _tallies(credit_notes)


Sums = dict[str, tuple[int, Decimal]]  # currency -> (count, amount)


async def money_sums(uow: UnitOfWork, first: date, end: date) -> tuple[Sums, Sums, Sums]:
    """`money_in_period` as (count, amount) per currency: issued, paid, credit notes."""
    moved = PAYMENT_ACTIONS | UNPAY_ACTIONS
    totals = await uow.history.totals(
        [Action.APPROVE, Action.ISSUE, *moved], first, end, amounts_from_event=moved
    )

    def of(actions: Iterable[Action]) -> Sums:
        out: Sums = {}
        for (action, currency), (n, amount) in totals.items():
            if action in actions:
                count, total = out.get(currency, (0, Decimal(0)))
                out[currency] = (count + n, total + amount)
        return out

    paid = of(PAYMENT_ACTIONS)
    # A reversed payment takes its amount back out of the period it counts in; it is not a
    # payment of its own (the count stays the payments').
    for currency, (_, amount) in of(UNPAY_ACTIONS).items():
        n, total = paid.get(currency, (0, Decimal(0)))
        paid[currency] = (n, total - amount)
    return of([Action.APPROVE]), paid, of([Action.ISSUE])


def add_months(first: date, months: int) -> date:
    """The first day of the month `months` after (or before) the month of `first`."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
