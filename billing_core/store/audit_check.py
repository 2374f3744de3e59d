"""`invoicebot audit verify` and `export`: read the whole trail back and check it.

Verify checks, in this order, and names the first thing broken:
1. the chain (billing_core.audit.first_break): every event's hash and its link to the one
   before; a gap in the ids is a deletion, a link to a later event a reordering;
2. every chained history row against its event (action, statuses, amount, actor, time,
   note's SHA-256 unless the note was erased), and that no history row written after the
   chain started lacks one;
3. every numbered invoice against its approval event's invoice hash (stored total, dates,
   lines and snapshot as approved). Invoices approved before the chain started have none.
It reads everything into memory: fine for the tens of thousands of events a team writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from billing_core.audit import APPROVAL_KINDS, AuditEvent, first_break, personal_sha256
from billing_core.store.models import InvoiceEventRow, InvoiceRow
from billing_core.store.repositories.audit import AuditTrail
from billing_core.store.repositories.history import History, _plain
from billing_core.store.unit_of_work import Store


def _history_differs(event: AuditEvent, row: InvoiceEventRow) -> bool:
    p: dict[str, Any] = dict(event.payload)
    # An erased note (NULL) is allowed: that is what keeping it out of the chain is for.
    note = personal_sha256({"note": row.note}) if row.note is not None else None
    if row.note is None:
        note = p.get("personal_sha256")
    return (
        p.get("action") != row.action
        or p.get("from") != row.from_status
        or p.get("to") != row.to_status
        or p.get("amount") != (None if row.amount is None else _plain(row.amount))
        or p.get("personal_sha256") != note
        or event.actor != row.actor
        or event.invoice_id != row.invoice_id
        or event.at != row.at
    )


async def verify(store: Store, key: bytes | None) -> str | None:
    """None when the trail holds, else one line: `audit: event ID changed|deleted|reordered`,
    `audit: history row ID not in the trail` or `audit: invoice NUMBER changed since its
    approval (event ID)`."""
    async with store.unit_of_work(read_only=True) as uow:
        events = await AuditTrail(uow.session).between(None, None)
        broken = first_break(events, key)
        if broken:
            return broken
        rows = {r.id: r for r in (await uow.session.execute(select(InvoiceEventRow))).scalars()}
        chained: set[int] = set()
        for event in events:
            history_id = event.payload.get("history_id")
            if history_id is None:
                continue
            chained.add(int(history_id))
            row = rows.get(int(history_id))
            if row is None or _history_differs(event, row):
                return f"audit: event {event.id} changed (its history row {history_id} differs)"
        if chained:
            for history_id in sorted(rows):
                if history_id > min(chained) and history_id not in chained:
                    return f"audit: history row {history_id} not in the trail"
        approvals = {e.invoice_id: e for e in events if e.kind in APPROVAL_KINDS and e.invoice_id}
        numbered = (
            await uow.session.execute(
                select(InvoiceRow.id, InvoiceRow.number)
                .where(InvoiceRow.number.is_not(None))
                .order_by(InvoiceRow.id)
            )
        ).all()
        history = History(uow.session)
        for invoice_id, number in numbered:
            approval = approvals.get(invoice_id)
            if approval is None:
                continue
            _, now_hash = await history.invoice_hash(invoice_id)
            if approval.payload.get("invoice_hash") != now_hash:
                return f"audit: invoice {number} changed since its approval (event {approval.id})"
    return None


@dataclass(frozen=True)
class ExportRow:
    event: AuditEvent
    number: str | None


async def export(store: Store, start: datetime, end: datetime) -> list[ExportRow]:
    """Events with start <= at < end, in chain order, with their invoice's number."""
    async with store.unit_of_work(read_only=True) as uow:
        events = await AuditTrail(uow.session).between(start, end)
        ids = {e.invoice_id for e in events if e.invoice_id is not None}
        numbers: dict[int, str | None] = {}
        if ids:
            query = select(InvoiceRow.id, InvoiceRow.number).where(InvoiceRow.id.in_(ids))
            numbers = {i: n for i, n in await uow.session.execute(query)}
    return [ExportRow(e, numbers.get(e.invoice_id) if e.invoice_id else None) for e in events]
