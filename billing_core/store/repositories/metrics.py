"""What the billing metrics read: sums done in SQL, and only the columns the pure metrics need.

Nothing here loads ORM objects or whole snapshots in bulk: at 100,000 invoices the report
reads a handful of grouped sums plus the rows of one month.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased

from billing_core.invoice_json import invoice_from_json
from billing_core.metrics.facts import Tally
from billing_core.metrics.journal import JournalEntry, journal_entry
from billing_core.metrics.money_flow import AGING_BUCKETS, Aging, bucket_due_dates
from billing_core.status import CREDIT_ACTIONS, PAYMENT_ACTIONS, UNPAY_ACTIONS, Action, Status
from billing_core.store.models import InvoiceEventRow, InvoiceRow, RecordRow
from billing_core.store.repositories.base import Repository

# Invoices approved at some point: numbered, whatever became of it since (void counts as
# issued; so does one a credit note brought to zero). Credit notes (`issued`) are not here.
ISSUED_STATUSES = (Status.APPROVED, Status.SENT, Status.PAID, Status.VOID, Status.CREDITED)
# Still stands as an invoice of the work (a voided one leaves the work to invoice again).
STANDING_STATUSES = (Status.APPROVED, Status.SENT, Status.PAID, Status.CREDITED)
_CURRENT = "current"


def _values(statuses: tuple[Status, ...]) -> list[str]:
    return [s.value for s in statuses]


class MetricsQueries(Repository):
    async def aging(self, as_of: date) -> dict[str, Aging]:
        """Per currency, summed in SQL: balances on `as_of` (total − payments − credits +
        reversed payments dated on or before it) of invoices issued by then and not void,
        split by days past due. The same rule as billing_core.metrics.money_flow.aging.

        `invoices.paid` and `invoices.credited` are what stands today, so the balance on
        `as_of` is total − paid − credited + what moved them after `as_of` (payments and
        credits back in, reversals back out): only those few events are grouped (by the
        effective_on index), not every payment ever made."""
        events = InvoiceEventRow
        reducing = [a.value for a in (*PAYMENT_ACTIONS, *CREDIT_ACTIONS)]
        signed = case((events.action.in_(reducing), events.amount), else_=-events.amount)
        paid_later = (
            select(events.invoice_id, func.sum(signed).label("amount"))
            .where(
                events.action.in_(reducing + [a.value for a in UNPAY_ACTIONS]),
                events.effective_on > as_of,
            )
            .group_by(events.invoice_id)
            .subquery()
        )
        balance = (
            InvoiceRow.total
            - InvoiceRow.paid
            - InvoiceRow.credited
            + func.coalesce(paid_later.c.amount, 0)
        )
        due = InvoiceRow.due_date
        bucket = case(
            *[
                (due.between(earliest, latest) if earliest else due <= latest, label)
                for label, earliest, latest in bucket_due_dates(as_of)
            ],
            else_=_CURRENT,
        )
        # Two small queries, not one scan of every invoice: the open ones (status index),
        # and the paid or credited ones that were still open on `as_of` (found from their
        # later payments and credits).
        parts: dict[str, dict[str, Tally]] = {}
        for statuses, join in (
            ([Status.APPROVED.value, Status.SENT.value], "outer"),
            ([Status.PAID.value, Status.CREDITED.value], "inner"),
        ):
            query = (
                select(InvoiceRow.currency, bucket, func.count(), func.sum(balance))
                .select_from(InvoiceRow)
                .join(
                    paid_later,
                    paid_later.c.invoice_id == InvoiceRow.id,
                    isouter=join == "outer",
                )
                .where(
                    InvoiceRow.status.in_(statuses),
                    InvoiceRow.issue_date <= as_of,
                    balance > 0,
                )
                .group_by(InvoiceRow.currency, bucket)
            )
            for currency, label, count, amount in await self.session.execute(query):
                mine = parts.setdefault(currency, {})
                mine[label] = mine.get(label, Tally()).plus(Decimal(amount), int(count))
        out = {}
        for currency, by_label in parts.items():
            buckets = {label: by_label.get(label, Tally()) for label, _, _ in AGING_BUCKETS}
            overdue = Tally(
                sum(t.count for t in buckets.values()),
                sum((t.amount for t in buckets.values()), Decimal(0)),
            )
            current = by_label.get(_CURRENT, Tally())
            outstanding = Tally(overdue.count + current.count, overdue.amount + current.amount)
            out[currency] = Aging(outstanding, overdue, buckets)
        return out

    def _days(self, later: Any, earlier: Any) -> Any:
        """Whole days from `earlier` to `later` (dates, or ISO date text on SQLite)."""
        if self.dialect == "sqlite":
            return cast(func.julianday(later) - func.julianday(earlier), Integer)
        return type_coerce(later - earlier, Integer)  # PostgreSQL: date - date is days

    async def cycle_counts(self, first: date, end: date) -> list[tuple[int, int]]:
        """(days from the snapshot's completed_at to approval, how many) over the invoices
        approved on a day in [first, end) that have one, void ones too: grouped in SQL, so
        a month of thousands of approvals is a few dozen rows."""
        service_text = InvoiceRow.snapshot["service_date"].as_string()
        service = service_text if self.dialect == "sqlite" else cast(service_text, Date)
        days = self._days(InvoiceRow.issue_date, service)
        query = (
            select(days, func.count())
            .where(
                InvoiceRow.status.in_(_values(ISSUED_STATUSES)),
                InvoiceRow.issue_date >= first,
                InvoiceRow.issue_date < end,
                service_text.is_not(None),
            )
            .group_by(days)
        )
        return [(int(d), int(n)) for d, n in await self.session.execute(query)]

    async def turnaround_counts(self, first: date, end: date) -> list[tuple[str, int, int]]:
        """(client, days from first marked sent, else approval, to the payment that cleared
        the balance, how many) over such payments dated in [first, end), grouped in SQL."""
        sent = aliased(InvoiceEventRow)
        sent_on = (
            select(func.min(sent.effective_on))
            .where(sent.invoice_id == InvoiceRow.id, sent.action == Action.MARK_SENT.value)
            .correlate(InvoiceRow)
            .scalar_subquery()
        )
        started = func.coalesce(sent_on, InvoiceRow.issue_date)
        days = self._days(InvoiceEventRow.effective_on, started)
        query = (
            select(InvoiceRow.client_name, days, func.count())
            .select_from(InvoiceEventRow)
            .join(InvoiceRow, InvoiceRow.id == InvoiceEventRow.invoice_id)
            .where(
                InvoiceEventRow.action == Action.SETTLE.value,
                InvoiceEventRow.effective_on >= first,
                InvoiceEventRow.effective_on < end,
            )
            .group_by(InvoiceRow.client_name, days)
        )
        return [(c, int(d), int(n)) for c, d, n in await self.session.execute(query)]

    async def decision_counts(
        self, first: date, end: date
    ) -> tuple[int, dict[str | None, int], list[str]]:
        """People's decisions on drafts dated in [first, end), counted in SQL: approvals,
        rejections per category, and the records rejected more than once."""
        events = InvoiceEventRow
        in_period = (
            events.effective_on >= first,
            events.effective_on < end,
        )
        approved = await self.session.execute(
            select(func.count()).where(events.action == Action.APPROVE.value, *in_period)
        )
        rejections = (
            select(InvoiceRow.rejection_category, InvoiceRow.record_id)
            .select_from(events)
            .join(InvoiceRow, InvoiceRow.id == events.invoice_id)
            .where(events.action == Action.REJECT.value, *in_period)
            .subquery()
        )
        categories = await self.session.execute(
            select(rejections.c.rejection_category, func.count()).group_by(
                rejections.c.rejection_category
            )
        )
        repeated = await self.session.execute(
            select(rejections.c.record_id).group_by(rejections.c.record_id).having(func.count() > 1)
        )
        return (
            int(approved.scalar_one()),
            {category: int(n) for category, n in categories},
            [record for (record,) in repeated],
        )

    def _uninvoiced_where(self, as_of: date) -> tuple[Any, Any]:
        """(completed_at as text, the condition): completed by `as_of` with no standing
        invoice issued between completion and `as_of`."""
        completed_text = RecordRow.data["completed_at"].as_string()
        # SQLite keeps dates as ISO text (which sorts as dates); PostgreSQL needs a real date.
        completed = completed_text if self.dialect == "sqlite" else cast(completed_text, Date)
        invoiced_since = exists().where(
            InvoiceRow.record_id == RecordRow.id,
            InvoiceRow.status.in_(_values(STANDING_STATUSES)),
            InvoiceRow.issue_date >= completed,
            InvoiceRow.issue_date <= as_of,
        )
        return completed_text, and_(
            completed_text.is_not(None), completed <= as_of, ~invoiced_since
        )

    async def uninvoiced(
        self, as_of: date, owner: str | None = None, limit: int | None = None
    ) -> tuple[list[tuple[str, bool]], int]:
        """Records with a completed_at and no standing invoice issued between it and `as_of`,
        oldest completion first (the first `limit` when given), and how many there are in
        all: each as its stored JSON text, and whether a draft of it waits now. One scan:
        the date comparison happens in SQL, so records long since invoiced are never read."""
        completed_text, condition = self._uninvoiced_where(as_of)
        draft_waiting = exists().where(
            InvoiceRow.record_id == RecordRow.id, InvoiceRow.status == Status.DRAFT.value
        )
        # The JSON as text: parsing it is left to the caller (off the event loop).
        query = (
            select(cast(RecordRow.data, Text), draft_waiting, func.count().over())
            .where(condition)
            .order_by(completed_text, RecordRow.id)
            .limit(limit)
        )
        if owner is not None:
            query = query.where(RecordRow.owner == owner)
        found = (await self.session.execute(query)).all()
        total = int(found[0][2]) if found else 0  # the same count on every row
        return [(str(data), bool(waiting)) for data, waiting, _ in found], total

    async def journal(self, first: date, end: date) -> list[JournalEntry]:
        """Every invoice and credit note issued in [first, end) (void ones too, with their
        status), in issue order (issue date, then id), with net and VAT per rate from its
        snapshot."""
        query = (
            select(InvoiceRow.status, InvoiceRow.snapshot)
            .where(
                InvoiceRow.status.in_(_values((*ISSUED_STATUSES, Status.ISSUED))),
                InvoiceRow.issue_date >= first,
                InvoiceRow.issue_date < end,
            )
            .order_by(InvoiceRow.issue_date, InvoiceRow.id)
        )
        return [
            journal_entry(invoice_from_json(snapshot), status)
            for status, snapshot in await self.session.execute(query)
        ]


__all__ = ["ISSUED_STATUSES", "STANDING_STATUSES", "MetricsQueries"]
