"""Reading invoices: by id, number or record, their history, and pages of lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from billing_core.errors import InvoiceNotFound
from billing_core.state import InvoiceState
from billing_core.status import OPEN_STATUSES, Status
from billing_core.usecases.engine import Engine
from billing_core.usecases.ports import StoredEvent

ListKind = Literal["open", "drafts", "overdue", "mine", "client", "refunds"]
LIST_KINDS: tuple[ListKind, ...] = ("open", "drafts", "overdue", "mine", "client", "refunds")


@dataclass(frozen=True)
class InvoicePage:
    """A slice of a longer list: `items` start at position `offset` of `total`."""

    items: list[InvoiceState]
    total: int
    offset: int = 0

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, or None on the last page."""
        end = self.offset + len(self.items)
        return end if end < self.total else None


class Queries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def invoice(self, invoice_id: int) -> InvoiceState:
        """An invoice by id, or InvoiceNotFound."""
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            state = await uow.invoices.get(invoice_id)
        if state is None:
            raise InvoiceNotFound(str(invoice_id))
        return state

    async def find(self, reference: str) -> InvoiceState:
        """An invoice (or credit note) by number, or a record's latest invoice by record ID
        (its credit notes go by their own numbers)."""
        reference = reference.strip()
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            state = await uow.invoices.by_number(reference)
            if state is not None:
                return state
            invoices = [s for s in await uow.invoices.for_record(reference) if not s.is_credit_note]
        if invoices:
            return invoices[-1]
        raise InvoiceNotFound(reference)

    async def events(self, invoice_id: int) -> list[StoredEvent]:
        """The invoice's history, oldest first."""
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            return await uow.history.for_invoice(invoice_id)

    async def overdue_of(
        self, owner: str, now: datetime, limit: int = 50, offset: int = 0
    ) -> InvoicePage:
        """One page of `owner`'s overdue invoices (business date of `now`), oldest due first."""
        filters: dict[str, Any] = {
            "statuses": list(OPEN_STATUSES),
            "owner": owner,
            "overdue_on": self.engine.today(now),
        }
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            total = await uow.invoices.count(**filters)
            items = await uow.invoices.matching(**filters, limit=limit, offset=offset)
        return InvoicePage(items, total, offset)

    async def list_invoices(
        self,
        kind: ListKind,
        user: str,
        now: datetime,
        limit: int = 50,
        offset: int = 0,
        *,
        client: str = "",
    ) -> InvoicePage:
        """One page of `drafts`, `overdue`, `mine` (the user's drafts and open invoices),
        `open` invoices, `client` (drafts, open, paid and credited invoices and credit notes
        whose client name contains `client`, any case) or `refunds` (paid invoices with a
        refund owed to the client), oldest due first, with how many there are in all."""
        filters: dict[str, Any] = {"statuses": list(OPEN_STATUSES)}
        if kind == "client":
            # A client's documents: drafts, open and closed invoices, and credit notes.
            statuses = [Status.DRAFT, *OPEN_STATUSES, Status.PAID, Status.CREDITED, Status.ISSUED]
            filters = {"statuses": statuses, "client": client}
        elif kind == "drafts":
            filters = {"statuses": [Status.DRAFT]}
        elif kind == "overdue":
            filters["overdue_on"] = self.engine.today(now)
        elif kind == "refunds":  # credit notes beyond what was due: owed back until refunded
            filters = {"statuses": [Status.PAID], "refund_owed": True}
        elif kind == "mine":
            filters = {"statuses": [Status.DRAFT, *OPEN_STATUSES], "owner": user}
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            total = await uow.invoices.count(**filters)
            items = await uow.invoices.matching(**filters, limit=limit, offset=offset)
        return InvoicePage(items, total, offset)
