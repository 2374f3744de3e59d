"""Each invoice's history (who, when, from, to, the Action, note, amount), and the numbers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing_core.audit import APPROVAL_KINDS, KIND_OF, invoice_hash, personal_sha256
from billing_core.status import Action, Status
from billing_core.store.models import (
    InvoiceEventRow,
    InvoiceLineRow,
    InvoiceRow,
    NumberCounterRow,
)
from billing_core.store.repositories.audit import AuditTrail
from billing_core.store.repositories.base import Repository
from billing_core.usecases.ports import StoredEvent


def _plain(amount: Decimal) -> str:
    """An amount as stored (four places), the same before and after a round trip."""
    return format(Decimal(amount).quantize(Decimal("0.0001")), "f")


class History(Repository):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        # Audit events of this transaction's history rows, appended just before the commit.
        self._pending: list[tuple[datetime, str, int | None, str, dict[str, Any]]] = []

    async def add(
        self,
        invoice_id: int,
        at: datetime,
        actor: str,
        action: Action,
        from_status: Status | None,
        to_status: Status,
        *,
        effective_on: date,
        amount: Decimal | None = None,
        note: str | None = None,
    ) -> int:
        row = InvoiceEventRow(
            invoice_id=invoice_id,
            at=at,
            actor=actor,
            action=Action(action).value,
            from_status=from_status.value if from_status else None,
            to_status=to_status.value,
            amount=amount,
            note=note,
            effective_on=effective_on,
        )
        self.session.add(row)
        await self.session.flush()
        await self._audit(row, action)
        return row.id

    async def _audit(self, row: InvoiceEventRow, action: Action) -> None:
        """Queue the history row's link in the audit trail; `chain_pending` appends it at the
        end of the same transaction. The note is free text that may name people: only its
        SHA-256 is chained. An approval carries the hash of the invoice as approved
        (billing_core.audit.invoice_hash), taken now."""
        payload: dict[str, Any] = {
            "history_id": row.id,
            "action": row.action,
            "from": row.from_status,
            "to": row.to_status,
            "amount": None if row.amount is None else _plain(row.amount),
            "effective_on": row.effective_on.isoformat() if row.effective_on else None,
        }
        if row.note is not None:
            payload["personal_sha256"] = personal_sha256({"note": row.note})
        if KIND_OF[action] in APPROVAL_KINDS:
            payload["number"], payload["invoice_hash"] = await self.invoice_hash(row.invoice_id)
        self._pending.append((row.at, KIND_OF[action], row.invoice_id, row.actor, payload))

    def audit(self, at: datetime, kind: str, actor: str, payload: dict[str, Any]) -> None:
        """Queue an audit event that is no invoice's history row (a delegation given or
        ended): chained at commit, in this transaction, like the rest."""
        self._pending.append((at, kind, None, actor, payload))

    async def chain_pending(self) -> None:
        """Append the queued audit events, in order, under the chain's lock. Called by the
        unit of work right before it commits, so the lock is held for as short as possible:
        one SELECT, the INSERTs and the commit."""
        trail = AuditTrail(self.session)
        while self._pending:
            await trail.append(*self._pending.pop(0))

    async def audit_head(self) -> str | None:
        """The audit trail's latest hash (64 hex digits), None before its first event."""
        head = await AuditTrail(self.session).head()
        return head.hash if head else None

    async def invoice_hash(self, invoice_id: int) -> tuple[str | None, str]:
        """(number, hash) of the invoice as stored now: see billing_core.audit.invoice_hash."""
        invoice = (
            await self.session.execute(
                select(InvoiceRow)
                .where(InvoiceRow.id == invoice_id)
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        lines = (
            await self.session.execute(
                select(InvoiceLineRow)
                .where(InvoiceLineRow.invoice_id == invoice_id)
                .order_by(InvoiceLineRow.position)
            )
        ).scalars()
        return invoice.number, invoice_hash(
            number=invoice.number,
            currency=invoice.currency,
            total=invoice.total,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            snapshot=invoice.snapshot,
            lines=[
                {
                    "position": line.position,
                    "description": line.description,
                    "quantity": _plain(line.quantity),
                    "unit_price": _plain(line.unit_price),
                    "tax_rate": _plain(line.tax_rate),
                    "net": _plain(line.net),
                }
                for line in lines
            ],
        )

    async def for_invoice(self, invoice_id: int) -> list[StoredEvent]:
        query = (
            select(InvoiceEventRow)
            .where(InvoiceEventRow.invoice_id == invoice_id)
            .order_by(InvoiceEventRow.id)
        )
        return [
            StoredEvent(r.at, r.actor, r.action, r.from_status, r.to_status, r.amount, r.note)
            for r in (await self.session.execute(query)).scalars()
        ]

    async def totals(
        self,
        actions: Iterable[Action],
        first: date,
        end: date,
        *,
        amounts_from_event: Iterable[Action] = (),
    ) -> dict[tuple[Action, str], tuple[int, Decimal]]:
        """Per (action, currency): how many events of `actions` count on a day in
        [first, end) and their sum: the event's amount for `amounts_from_event`, the
        invoice's total for the others. One pass over the period's events (a query per
        kind of total was a third of the month report at 100,000 invoices, bench/scale.py)."""
        from_event = [Action(a).value for a in amounts_from_event]
        amount = case(
            (InvoiceEventRow.action.in_(from_event), InvoiceEventRow.amount),
            else_=InvoiceRow.total,
        )
        query = (
            select(
                InvoiceEventRow.action, InvoiceRow.currency, func.count(),
                func.coalesce(func.sum(amount), 0),
            )
            .select_from(InvoiceEventRow)
            .join(InvoiceRow, InvoiceRow.id == InvoiceEventRow.invoice_id)
            .where(
                InvoiceEventRow.action.in_([Action(a).value for a in actions]),
                InvoiceEventRow.effective_on >= first,
                InvoiceEventRow.effective_on < end,
            )
            .group_by(InvoiceEventRow.action, InvoiceRow.currency)
        )  # fmt: skip
        return {
            (Action(action), currency): (int(count), Decimal(total or 0))
            for action, currency, count, total in await self.session.execute(query)
        }

    async def rejections_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, str, str]]:
        """(record id, category, reason) of the drafts people rejected in [start, end)."""
        query = (
            select(InvoiceRow.record_id, InvoiceRow.rejection_category, InvoiceRow.rejection_reason)
            .where(
                InvoiceRow.status == Status.REJECTED.value,
                InvoiceRow.decided_at >= start,
                InvoiceRow.decided_at < end,
            )
            .order_by(InvoiceRow.decided_at)
        )
        return [(r, c or "other", t or "") for r, c, t in await self.session.execute(query)]


class NumberCounters(Repository):
    async def next(self, key: str) -> int:
        """Move counter `key` on by one and return the new value (row-locked until commit)."""
        await self.session.execute(
            self.insert(NumberCounterRow)
            .values(key=key, last_seq=0)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        result = await self.session.execute(
            update(NumberCounterRow)
            .where(NumberCounterRow.key == key)
            .values(last_seq=NumberCounterRow.last_seq + 1)
            .returning(NumberCounterRow.last_seq)
        )
        return int(result.scalar_one())
