"""Figures over a period: issued, paid, overdue, drafts waiting, the rejections."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from billing_core.reports import PeriodSummary
from billing_core.status import OPEN_STATUSES, Status
from billing_core.usecases.engine import Engine
from billing_core.usecases.metrics import money_sums


class Reporting:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def weekly_digest(self, week_start: date, now: datetime) -> PeriodSummary:
        """The seven days from `week_start` (a Monday) in the business time zone."""
        return await self.period_summary(week_start, week_start + timedelta(days=7), now)

    async def period_summary(self, first: date, end: date, now: datetime) -> PeriodSummary:
        """Issued (invoices, and credit notes beside them) and paid in [first, end)
        (business time zone); drafts waiting and overdue (net of credits) as of `now`;
        people's rejections in the period by category (the correction report)."""
        zone = self.engine.policy.reminders.zone
        start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
        stop = datetime.combine(end, datetime.min.time(), tzinfo=zone)
        today = self.engine.today(now)
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            issued, paid, credit_notes = await money_sums(uow, first, end)
            rejections = await uow.history.rejections_between(start, stop)
            waiting = await uow.invoices.sums(balance=False, statuses=[Status.DRAFT])
            overdue = await uow.invoices.sums(
                balance=True, statuses=list(OPEN_STATUSES), overdue_on=today
            )
        return PeriodSummary(
            first, end, waiting, issued, paid, overdue, rejections, credit_notes=credit_notes
        )
