"""Requests already carried out, by their idempotency key (see models.RequestKeyRow)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update

from billing_core.store.models import RequestKeyRow
from billing_core.store.repositories.base import Repository, rowcount
from billing_core.usecases.ports import HandledRequest


class RequestKeys(Repository):
    async def claim(self, key: str, now: datetime, invoice_id: int | None) -> bool:
        """Record `key` in this transaction; False when it was recorded before. A concurrent
        claim of the same key waits for this transaction (unique key) and then sees it."""
        result = await self.session.execute(
            self.insert(RequestKeyRow)
            .values(key=key, invoice_id=invoice_id, created_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        return rowcount(result) == 1

    async def get(self, key: str) -> HandledRequest | None:
        row = await self.session.get(RequestKeyRow, key)
        if row is None:
            return None
        return HandledRequest(row.key, row.invoice_id, row.created_at, row.reply)

    async def save_reply(self, key: str, reply: Mapping[str, Any]) -> None:
        await self.session.execute(
            update(RequestKeyRow).where(RequestKeyRow.key == key).values(reply=dict(reply))
        )

    async def purge(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(RequestKeyRow).where(RequestKeyRow.created_at < before)
        )
        return rowcount(result)
