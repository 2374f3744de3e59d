"""The audit trail's table: append one event under the chain's lock, read it back in order.

Serialized per installation: on PostgreSQL every append first takes a transaction-scoped
advisory lock (released at commit or rollback), so two transactions never read the same
chain head; on SQLite the writing transaction already holds the database's write lock.
The HMAC key is `INVOICEBOT_AUDIT_KEY` from the environment (unset: plain SHA-256).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text

from billing_core.audit import GENESIS, AuditEvent, event_hash
from billing_core.store.models import AuditEventRow
from billing_core.store.repositories.base import Repository

# pg_advisory_xact_lock's key for the chain ("audit" in ASCII; any constant would do).
CHAIN_LOCK = 0x6175646974


def audit_key() -> bytes | None:
    """The installation's HMAC key for the chain, or None to hash with plain SHA-256."""
    value = os.environ.get("INVOICEBOT_AUDIT_KEY", "")
    return value.encode() if value else None


def _event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        row.id, row.at, row.kind, row.invoice_id, row.actor, row.payload, row.prev_hash, row.hash
    )


class AuditTrail(Repository):
    async def append(
        self,
        at: datetime,
        kind: str,
        invoice_id: int | None,
        actor: str,
        payload: Mapping[str, Any],
    ) -> AuditEvent:
        """Add the next event of the chain in the caller's transaction and return it."""
        if self.dialect == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
        head = (
            await self.session.execute(
                select(AuditEventRow.id, AuditEventRow.hash)
                .order_by(AuditEventRow.id.desc())
                .limit(1)
            )
        ).first()
        new_id, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
        fields: dict[str, Any] = {
            "id": new_id,
            "at": at.astimezone(UTC),
            "kind": kind,
            "invoice_id": invoice_id,
            "actor": actor,
            "payload": dict(payload),
            "prev_hash": prev,
        }
        row = AuditEventRow(**fields, hash=event_hash(audit_key(), **fields))
        self.session.add(row)
        await self.session.flush()
        return _event(row)

    async def head(self) -> AuditEvent | None:
        """The latest event, or None before the first."""
        query = select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(1)
        row = (await self.session.execute(query)).scalar_one_or_none()
        return _event(row) if row else None

    async def between(self, start: datetime | None, end: datetime | None) -> list[AuditEvent]:
        """Events with start <= at < end (either bound may be None), in id order."""
        query = select(AuditEventRow).order_by(AuditEventRow.id)
        if start is not None:
            query = query.where(AuditEventRow.at >= start)
        if end is not None:
            query = query.where(AuditEventRow.at < end)
        return [_event(r) for r in (await self.session.execute(query)).scalars()]
