"""What the billing metrics read: sums done in SQL, and only the columns the pure metrics need.

Nothing here loads ORM objects or whole snapshots in bulk: at 100,000 invoices the report
reads a handful of grouped sums plus the rows of one month.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Text, case, cast, exists, func, select
from sqlalchemy.orm import aliased

from billing_core.invoice import invoice_from_json
from billing_core.metrics.facts import Decision, IssuedInvoice, Settlement, Tally
from billing_core.metrics.journal import JournalEntry, journal_entry
from billing_core.metrics.money_flow import AGING_BUCKETS, Aging, bucket_due_dates
from billing_core.status import PAYMENT_ACTIONS, Action, Status
from billing_core.store.models import InvoiceEventRow, InvoiceRow, RecordRow
from billing_core.store.repositories.base import Repository

# Approved at some point: numbered, whatever became of it since (void counts as issued).
ISSUED_STATUSES = (Status.APPROVED, Status.SENT, Status.PAID, Status.VOID)
# Still stands as an invoice of the work (a voided one leaves the work to invoice again).
STANDING_STATUSES = (Status.APPROVED, Status.SENT, Status.PAID)
_CURRENT = "current"


def _values(statuses: tuple[Status, ...]) -> list[str]:
    return [s.value for s in statuses]


class MetricsQueries(Repository):
    async def aging(self, as_of: date) -> dict[str, Aging]:
        """Per currency, summed in SQL: balances on `as_of` (total − payments dated on or
        before it) of invoices issued by then and not void, split by days past due. The same
        rule as billing_core.metrics.money_flow.aging.

        `invoices.paid` is the sum of every payment so far, so the balance on `as_of` is
        total − paid + the payments dated after it: only those few are grouped (by the
        effective_on index), not every payment ever made."""
        events = InvoiceEventRow
        paid_later = (
            select(events.invoice_id, func.sum(events.amount).label("amount"))
            .where(
                events.action.in_([a.value for a in PAYMENT_ACTIONS]),
                events.effective_on > as_of,
            )
            .group_by(events.invoice_id)
            .subquery()
        )
        balance = InvoiceRow.total - InvoiceRow.paid + func.coalesce(paid_later.c.amount, 0)
        due = InvoiceRow.due_date
        bucket = case(
            *[
                (due.between(earliest, latest) if earliest else due <= latest, label)
                for label, earliest, latest in bucket_due_dates(as_of)
            ],
            else_=_CURRENT,
        )
        # Two small queries, not one scan of every invoice: the open ones (status index),
        # and the paid ones that were still open on `as_of` (found from their later payments).
        parts: dict[str, dict[str, Tally]] = {}
        for statuses, join in (
            ([Status.APPROVED.value, Status.SENT.value], "outer"),
            ([Status.PAID.value], "inner"),
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

    def _issued_columns(self) -> list[Any]:
        sent = aliased(InvoiceEventRow)  # the outer query may select events too
        sent_on = (
            select(func.min(sent.effective_on))
            .where(sent.invoice_id == InvoiceRow.id, sent.action == Action.MARK_SENT.value)
            .correlate(InvoiceRow)
            .scalar_subquery()
        )
        return [
            InvoiceRow.id,
            InvoiceRow.currency,
            InvoiceRow.total,
            InvoiceRow.issue_date,
            InvoiceRow.due_date,
            InvoiceRow.status,
            InvoiceRow.client_name,
            InvoiceRow.record_id,
            sent_on,
        ]

    @staticmethod
    def _issued(row: Any) -> IssuedInvoice:
        ident, currency, total, issued, due, status, client, record, sent = row
        return IssuedInvoice(
            invoice_id=ident,
            currency=currency,
            total=Decimal(total),
            issue_date=issued,
            due_date=due,
            void=status == Status.VOID.value,
            client=client,
            record_id=record,
            sent_on=sent,
        )

    async def approvals_between(self, first: date, end: date) -> list[tuple[date, date | None]]:
        """(approved on, completed at) of the invoices approved on a day in [first, end) whose
        snapshot has a completed_at (its service_date), void ones too: the cycle time's rows."""
        service = InvoiceRow.snapshot["service_date"].as_string()
        query = select(InvoiceRow.issue_date, service).where(
            InvoiceRow.status.in_(_values(ISSUED_STATUSES)),
            InvoiceRow.issue_date >= first,
            InvoiceRow.issue_date < end,
            service.is_not(None),
        )
        return [(on, date.fromisoformat(done)) for on, done in await self.session.execute(query)]

    async def settled_between(
        self, first: date, end: date
    ) -> tuple[list[IssuedInvoice], list[Settlement]]:
        """The payments dated in [first, end) that cleared a balance, and their invoices (their
        service_date is not read: turnaround does not need it)."""
        query = (
            select(
                *self._issued_columns(),
                InvoiceEventRow.amount,
                InvoiceEventRow.effective_on,
            )
            .select_from(InvoiceEventRow)
            .join(InvoiceRow, InvoiceRow.id == InvoiceEventRow.invoice_id)
            .where(
                InvoiceEventRow.action == Action.SETTLE.value,
                InvoiceEventRow.effective_on >= first,
                InvoiceEventRow.effective_on < end,
            )
        )
        invoices, settlements = [], []
        for row in await self.session.execute(query):
            invoice = self._issued(row[:-2])
            invoices.append(invoice)
            amount, on = row[-2:]
            settlements.append(
                Settlement(invoice.invoice_id, invoice.currency, Decimal(amount), on, clears=True)
            )
        return invoices, settlements

    async def decisions_between(self, first: date, end: date) -> list[Decision]:
        """People's approvals and rejections of drafts dated in [first, end)."""
        query = (
            select(
                InvoiceRow.record_id,
                InvoiceEventRow.action,
                InvoiceEventRow.effective_on,
                InvoiceRow.rejection_category,
            )
            .select_from(InvoiceEventRow)
            .join(InvoiceRow, InvoiceRow.id == InvoiceEventRow.invoice_id)
            .where(
                InvoiceEventRow.action.in_([Action.APPROVE.value, Action.REJECT.value]),
                InvoiceEventRow.effective_on >= first,
                InvoiceEventRow.effective_on < end,
            )
        )
        return [
            Decision(
                record,
                "approved" if action == Action.APPROVE.value else "rejected",
                on or first,  # never None here: the query compares it
                category if action == Action.REJECT.value else None,
            )
            for record, action, on, category in await self.session.execute(query)
        ]

    async def uninvoiced(self, as_of: date, owner: str | None = None) -> list[tuple[str, bool]]:
        """Records with a completed_at and no standing invoice issued between it and `as_of`:
        each as its stored JSON text, and whether a draft of it waits now. The date comparison
        happens in SQL, so records long since invoiced are never read."""
        completed_text = RecordRow.data["completed_at"].as_string()
        # SQLite keeps dates as ISO text (which sorts as dates); PostgreSQL needs a real date.
        completed = completed_text if self.dialect == "sqlite" else cast(completed_text, Date)
        invoiced_since = exists().where(
            InvoiceRow.record_id == RecordRow.id,
            InvoiceRow.status.in_(_values(STANDING_STATUSES)),
            InvoiceRow.issue_date >= completed,
            InvoiceRow.issue_date <= as_of,
        )
        draft_waiting = exists().where(
            InvoiceRow.record_id == RecordRow.id, InvoiceRow.status == Status.DRAFT.value
        )
        # The JSON as text: parsing it is left to the caller (off the event loop).
        query = select(cast(RecordRow.data, Text), draft_waiting).where(
            completed_text.is_not(None), completed <= as_of, ~invoiced_since
        )
        if owner is not None:
            query = query.where(RecordRow.owner == owner)
        rows = [(str(data), bool(waiting)) for data, waiting in await self.session.execute(query)]
        return rows

    async def journal(self, first: date, end: date) -> list[JournalEntry]:
        """Every invoice issued in [first, end) (void ones too, with their status), in number
        order (issue date, then number), with net and VAT per rate from its snapshot."""
        query = (
            select(InvoiceRow.status, InvoiceRow.snapshot)
            .where(
                InvoiceRow.status.in_(_values(ISSUED_STATUSES)),
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
