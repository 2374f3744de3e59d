"""Rendered PDFs, kept with their invoice and record: one per (invoice, kind), never replaced."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select

from billing_core.store.models import DocumentRow
from billing_core.store.repositories.base import Repository
from billing_core.usecases.ports import StoredDocument


class Documents(Repository):
    async def keep(
        self,
        invoice_id: int,
        record_id: str,
        kind: str,
        filename: str,
        content: bytes,
        now: datetime,
    ) -> StoredDocument:
        """Store the document unless this invoice already has one of `kind` (then that one
        is returned): two workers rendering the same approval keep one file."""
        await self.session.execute(
            self.insert(DocumentRow)
            .values(
                invoice_id=invoice_id,
                record_id=record_id,
                kind=kind,
                filename=filename,
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["invoice_id", "kind"])
        )
        kept = await self.get(invoice_id, kind)
        assert kept is not None  # inserted above, or there already
        return kept

    async def get(self, invoice_id: int, kind: str) -> StoredDocument | None:
        query = select(DocumentRow).where(
            DocumentRow.invoice_id == invoice_id, DocumentRow.kind == kind
        )
        row = (await self.session.execute(query)).scalar_one_or_none()
        if row is None:
            return None
        return StoredDocument(
            row.invoice_id, row.record_id, row.kind, row.filename, row.content, row.sha256,
            row.created_at,
        )  # fmt: skip
