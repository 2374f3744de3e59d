"""Documents: the PDFs kept with each invoice and its record.

The final PDF exists because the invoice was approved: the `documents` subscriber renders it
on `invoice_approved` (see `render_on_approval`), whatever happens to any chat delivery, and
every reader (the REST API, the chat thread) gets the same stored bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from billing_core.errors import DocumentUnavailable
from billing_core.events import EventName
from billing_core.invoice import Invoice
from billing_core.state import InvoiceState
from billing_core.usecases.engine import Engine
from billing_core.usecases.ports import OutboxMessage, StoredDocument

DocumentKind = Literal["draft", "final"]
CONSUMER = "documents"  # the subscriber name of the document renderer
SUBSCRIPTION = frozenset({EventName.INVOICE_APPROVED})


class Renderer(Protocol):
    async def render(self, invoice: Invoice) -> bytes: ...


class Documents:
    def __init__(self, engine: Engine, renderer: Renderer | None = None) -> None:
        self.engine = engine
        self.renderer = renderer

    async def get(self, invoice_id: int, kind: DocumentKind) -> StoredDocument | None:
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            return await uow.documents.get(invoice_id, kind)

    async def ensure(
        self, state: InvoiceState, kind: DocumentKind, now: datetime
    ) -> StoredDocument:
        """The stored PDF of this kind, rendering and keeping it first if there is none.
        Two callers at once keep one document (the first stored wins)."""
        existing = await self.get(state.id, kind)
        if existing is not None:
            return existing
        if kind == "final" and state.number is None:
            raise DocumentUnavailable(f"{state.label} has no number yet, so no final PDF")
        if self.renderer is None:
            raise DocumentUnavailable("this process renders no PDFs")
        pdf = await self.renderer.render(state.invoice)
        async with self.engine.store.unit_of_work() as uow:
            return await uow.documents.keep(
                state.id, state.record_id, kind, document_filename(state, kind), pdf, now
            )

    async def render_on_approval(self, message: OutboxMessage, now: datetime) -> dict[str, Any]:
        """The `documents` subscriber's handler: the final PDF of an approved invoice."""
        if message.event != EventName.INVOICE_APPROVED or message.invoice_id is None:
            return {"skipped": message.event}
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            state = await uow.invoices.get(message.invoice_id)
        if state is None or state.number is None:
            return {"skipped": "no numbered invoice"}
        document = await self.ensure(state, "final", now)
        return {"sha256": document.sha256, "size": len(document.content)}


def document_filename(state: InvoiceState, kind: DocumentKind) -> str:
    """`INV-2026-0001.pdf` for finals, `DRAFT-P-123-7.pdf` for drafts."""
    if kind == "final" and state.number:
        safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in state.number)
        return f"{safe}.pdf"
    return f"DRAFT-{state.record_id}-{state.id}.pdf"
