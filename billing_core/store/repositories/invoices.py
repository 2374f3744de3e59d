"""Invoices: the snapshot (JSON) plus the columns the queries filter and sum on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select, update

from billing_core.invoice import Invoice
from billing_core.invoice_json import invoice_from_json, invoice_to_json
from billing_core.money import Money, round_half_up
from billing_core.reminders import OverdueInvoice
from billing_core.state import InvoiceState
from billing_core.status import OPEN_STATUSES, Status
from billing_core.store.models import InvoiceLineRow, InvoiceRow
from billing_core.store.repositories.base import Repository, rowcount

DEFAULT_LOCALE = "en_US"  # a snapshot without a locale (invoice_json.invoice_from_json)


def to_state(row: InvoiceRow | Any) -> InvoiceState:
    """From an ORM row or a plain result row with the invoice table's columns."""
    return InvoiceState(
        id=row.id,
        invoice=invoice_from_json(row.snapshot),
        status=Status(row.status),
        paid=Money(Decimal(row.paid), row.currency).rounded(),
        drafted_by=row.drafted_by,
        drafted_at=row.drafted_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        rejection_category=row.rejection_category,
        rejection_reason=row.rejection_reason,
        void_reason=row.void_reason,
        supersedes_id=row.supersedes_id,
        snoozed_until=row.snoozed_until,
        credits_id=row.credits_id,
        credited=Decimal(row.credited),
        refunded=Decimal(row.refunded),
        held_reason=row.held_reason,
    )


def filtered(
    query: Any,
    statuses: Sequence[Status] | None = None,
    owner: str | None = None,
    due_before: date | None = None,
    overdue_on: date | None = None,
    client: str | None = None,
    refund_owed: bool = False,
) -> Any:
    if refund_owed:  # InvoiceState.refund_owed > 0
        query = query.where(
            InvoiceRow.paid + InvoiceRow.credited - InvoiceRow.refunded > InvoiceRow.total
        )
    if statuses is not None:
        query = query.where(InvoiceRow.status.in_([s.value for s in statuses]))
    if owner is not None:
        query = query.where(InvoiceRow.owner == owner)
    if client is not None:
        # Case-insensitive substring; % and _ in the name are matched literally.
        query = query.where(
            func.lower(InvoiceRow.client_name).contains(client.lower(), autoescape=True)
        )
    if due_before is not None:
        query = query.where(InvoiceRow.due_date < due_before)
    if overdue_on is not None:
        # Overdue (billing_core.state): due before today and a balance still owed.
        query = query.where(
            InvoiceRow.due_date < overdue_on,
            InvoiceRow.paid + InvoiceRow.credited < InvoiceRow.total,
        )
    return query


class InvoiceRepository(Repository):
    async def add(
        self,
        invoice: Invoice,
        drafted_by: str,
        now: datetime,
        *,
        supersedes_id: int | None = None,
        credits_id: int | None = None,
    ) -> int:
        row = InvoiceRow(
            record_id=invoice.record_id,
            number=invoice.number,
            status=Status.DRAFT.value,
            currency=invoice.currency,
            total=invoice.total.amount,
            paid=Decimal(0),
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            owner=invoice.owner,
            client_name=invoice.buyer.name,
            snapshot=invoice_to_json(invoice),
            drafted_by=drafted_by,
            drafted_at=now,
            supersedes_id=supersedes_id,
            credits_id=credits_id,
            credited=Decimal(0),
            refunded=Decimal(0),
            updated_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        self.session.add_all(
            InvoiceLineRow(
                invoice_id=row.id,
                position=n,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price.amount,
                tax_rate=line.tax_rate,
                net=line.net.amount,
            )
            for n, line in enumerate(invoice.lines, start=1)
        )
        await self.session.flush()
        return row.id

    def _query(self, lock: bool) -> Select[Any]:
        query = select(InvoiceRow)
        return query.with_for_update() if lock else query

    async def get(self, invoice_id: int, *, lock: bool = False) -> InvoiceState | None:
        query = self._query(lock).where(InvoiceRow.id == invoice_id)
        row = (await self.session.execute(query)).scalar_one_or_none()
        return to_state(row) if row else None

    async def by_number(self, number: str, *, lock: bool = False) -> InvoiceState | None:
        query = self._query(lock).where(func.upper(InvoiceRow.number) == number.upper())
        row = (await self.session.execute(query)).scalar_one_or_none()
        return to_state(row) if row else None

    async def for_record(self, record_id: str) -> list[InvoiceState]:
        query = select(InvoiceRow).where(InvoiceRow.record_id == record_id).order_by(InvoiceRow.id)
        return [to_state(row) for row in (await self.session.execute(query)).scalars()]

    async def many(self, invoice_ids: Sequence[int]) -> dict[int, InvoiceState]:
        """These invoices by id (plain rows: no ORM identity map to fill)."""
        if not invoice_ids:
            return {}
        query = select(*InvoiceRow.__table__.columns).where(InvoiceRow.id.in_(invoice_ids))
        return {row.id: to_state(row) for row in await self.session.execute(query)}

    async def overdue_many(self, invoice_ids: Sequence[int]) -> dict[int, OverdueInvoice]:
        """What reminders show of these invoices, by id, from columns (the locale from the
        snapshot in SQL): no snapshot parsed, no totals recomputed. `InvoiceState.balance`
        rounds total, paid and credited to the currency's minor unit each; so does this."""
        if not invoice_ids:
            return {}
        row = InvoiceRow
        query = select(
            row.id, row.number, row.record_id, row.owner, row.client_name, row.currency,
            row.status, row.total, row.paid, row.credited, row.due_date,
            row.snapshot["locale"].as_string(),
        ).where(row.id.in_(invoice_ids))  # fmt: skip
        connection = await self.session.connection()
        out: dict[int, OverdueInvoice] = {}
        open_statuses = {s.value for s in OPEN_STATUSES}
        for (
            i,
            number,
            record_id,
            owner,
            client,
            currency,
            status,
            *amounts,
            due,
            locale,
        ) in await connection.execute(query):
            total, paid, credited = (round_half_up(a, currency) for a in amounts)
            balance = (
                Money(total - paid - credited, currency)
                if status in open_statuses
                else Money.zero(currency)
            )
            out[i] = OverdueInvoice(
                i, number, record_id, owner, client, balance, due,
                DEFAULT_LOCALE if locale is None else locale,
            )  # fmt: skip
        return out

    async def open_draft(self, record_id: str) -> InvoiceState | None:
        """The record's invoice draft awaiting a decision (credit note drafts aside)."""
        query = select(InvoiceRow).where(
            InvoiceRow.record_id == record_id,
            InvoiceRow.status == Status.DRAFT.value,
            InvoiceRow.credits_id.is_(None),
        )
        row = (await self.session.execute(query)).scalar_one_or_none()
        return to_state(row) if row else None

    async def credit_notes(self, invoice_id: int) -> list[InvoiceState]:
        """The credit notes (drafts included) of one invoice, oldest first."""
        query = select(InvoiceRow).where(InvoiceRow.credits_id == invoice_id)
        query = query.order_by(InvoiceRow.id)
        return [to_state(row) for row in (await self.session.execute(query)).scalars()]

    async def matching(
        self,
        *,
        statuses: Sequence[Status] | None = None,
        owner: str | None = None,
        due_before: date | None = None,
        overdue_on: date | None = None,
        client: str | None = None,
        refund_owed: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[InvoiceState]:
        query = filtered(
            select(InvoiceRow), statuses, owner, due_before, overdue_on, client, refund_owed
        )
        query = query.order_by(InvoiceRow.due_date, InvoiceRow.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [to_state(row) for row in (await self.session.execute(query)).scalars()]

    async def count(
        self,
        *,
        statuses: Sequence[Status] | None = None,
        owner: str | None = None,
        due_before: date | None = None,
        overdue_on: date | None = None,
        client: str | None = None,
        refund_owed: bool = False,
    ) -> int:
        query = filtered(
            select(func.count()).select_from(InvoiceRow),
            statuses, owner, due_before, overdue_on, client, refund_owed,
        )  # fmt: skip
        return int((await self.session.execute(query)).scalar_one())

    async def sums(
        self,
        *,
        balance: bool,
        statuses: Sequence[Status] | None = None,
        overdue_on: date | None = None,
    ) -> dict[str, tuple[int, Decimal]]:
        """Per currency, summed in SQL: how many match and their totals (or balances)."""
        amount = (
            InvoiceRow.total - InvoiceRow.paid - InvoiceRow.credited
            if balance
            else InvoiceRow.total
        )
        query = filtered(
            select(InvoiceRow.currency, func.count(), func.coalesce(func.sum(amount), 0)),
            statuses,
            overdue_on=overdue_on,
        ).group_by(InvoiceRow.currency)
        return {
            currency: (int(n), Decimal(total))
            for currency, n, total in await self.session.execute(query)
        }

    async def change_status(
        self, invoice_id: int, expected: Status, new: Status, now: datetime, **fields: Any
    ) -> bool:
        """Compare-and-set the status; False when someone else moved it first."""
        result = await self.session.execute(
            update(InvoiceRow)
            .where(InvoiceRow.id == invoice_id, InvoiceRow.status == expected.value)
            .values(status=new.value, updated_at=now, **fields)
        )
        return rowcount(result) == 1

    async def update(self, invoice_id: int, now: datetime, **fields: Any) -> None:
        await self.session.execute(
            update(InvoiceRow).where(InvoiceRow.id == invoice_id).values(updated_at=now, **fields)
        )

    async def finalise(self, invoice_id: int, invoice: Invoice, now: datetime) -> None:
        """Store the numbered snapshot (number, issue and due date) of an approved invoice."""
        await self.update(
            invoice_id,
            now,
            number=invoice.number,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            snapshot=invoice_to_json(invoice),
        )

    async def drafts_waiting_since(
        self, before: datetime, *, unnudged_only: bool = True
    ) -> list[InvoiceState]:
        """Drafts drafted before `before`; by default only those not nudged yet."""
        query = (
            select(InvoiceRow)
            .where(InvoiceRow.status == Status.DRAFT.value, InvoiceRow.drafted_at < before)
            .order_by(InvoiceRow.id)
        )
        if unnudged_only:
            query = query.where(InvoiceRow.nudged_at.is_(None))
        return [to_state(row) for row in (await self.session.execute(query)).scalars()]

    async def claim_nudge(self, invoice_id: int, now: datetime) -> bool:
        """Mark a draft as nudged unless it already was (exactly one nudge per draft)."""
        result = await self.session.execute(
            update(InvoiceRow)
            .where(
                InvoiceRow.id == invoice_id,
                InvoiceRow.nudged_at.is_(None),
                InvoiceRow.status == Status.DRAFT.value,
            )
            .values(nudged_at=now)
        )
        return rowcount(result) == 1
