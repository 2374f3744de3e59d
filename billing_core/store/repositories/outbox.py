"""The outbox: domain events per subscriber, leased to one worker at a time.

A lease is short and renewed while its worker is alive (`renew`), so a crashed worker's
messages come back in seconds. Every write is fenced by the attempt number the claim handed
out: a worker whose lease ran out and was taken over cannot mark, renew or retry a delivery
that is no longer its own.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import aliased

from billing_core.store.models import OutboxRow
from billing_core.store.repositories.base import Repository, rowcount
from billing_core.usecases.ports import OutboxMessage


def _message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        row.id,
        row.consumer,
        row.event,
        row.invoice_id,
        dict(row.payload),
        row.attempts,
        dict(row.progress or {}),
        row.last_error,
    )


class Outbox(Repository):
    async def add(
        self,
        consumer: str,
        event: str,
        invoice_id: int | None,
        payload: Mapping[str, Any],
        key: str,
        now: datetime,
    ) -> bool:
        """Queue once per (consumer, key); False when it was already queued."""
        result = await self.session.execute(
            self.insert(OutboxRow)
            .values(
                consumer=consumer,
                event=event,
                invoice_id=invoice_id,
                payload=dict(payload),
                dedupe_key=key,
                created_at=now,
                attempts=0,
                next_attempt_at=None,
            )
            .on_conflict_do_nothing(index_elements=["consumer", "dedupe_key"])
        )
        return rowcount(result) == 1

    async def claim(
        self,
        consumer: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        invoice_id: int | None = None,
    ) -> list[OutboxMessage]:
        """Lease due messages to this worker; other workers skip leased ones.

        Messages of one invoice go out in order: one waits while an earlier one is pending
        (an approval must not be posted before the draft's buttons exist).
        """
        earlier = aliased(OutboxRow)
        query = (
            select(OutboxRow)
            .where(
                OutboxRow.consumer == consumer,
                OutboxRow.done_at.is_(None),
                or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now),
                or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until < now),
                ~exists().where(
                    earlier.consumer == consumer,
                    earlier.invoice_id == OutboxRow.invoice_id,
                    earlier.id < OutboxRow.id,
                    earlier.done_at.is_(None),
                ),
            )
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        if invoice_id is not None:
            query = query.where(OutboxRow.invoice_id == invoice_id)
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list((await self.session.execute(query)).scalars())
        for row in rows:
            row.locked_until = lease_until
            row.attempts += 1
        await self.session.flush()
        return [_message(row) for row in rows]

    def _fenced(self, message_id: int, attempt: int) -> Any:
        return update(OutboxRow).where(
            OutboxRow.id == message_id,
            OutboxRow.attempts == attempt,
            OutboxRow.done_at.is_(None),
        )

    async def renew(self, message_id: int, attempt: int, lease_until: datetime) -> bool:
        """Extend this worker's lease; False when it was lost (the worker must stop)."""
        result = await self.session.execute(
            self._fenced(message_id, attempt).values(locked_until=lease_until)
        )
        return rowcount(result) == 1

    async def save_progress(
        self, message_id: int, attempt: int, progress: Mapping[str, Any]
    ) -> bool:
        result = await self.session.execute(
            self._fenced(message_id, attempt).values(progress=dict(progress))
        )
        return rowcount(result) == 1

    async def done(
        self, message_id: int, attempt: int, now: datetime, result: Mapping[str, Any]
    ) -> bool:
        """Mark delivered; False when this worker's lease had been taken over."""
        outcome = await self.session.execute(
            self._fenced(message_id, attempt).values(
                done_at=now, locked_until=None, result=dict(result), last_error=None
            )
        )
        return rowcount(outcome) == 1

    async def retry_later(self, message_id: int, attempt: int, at: datetime, error: str) -> bool:
        """Put back for a later attempt (fenced like `done`)."""
        outcome = await self.session.execute(
            self._fenced(message_id, attempt).values(
                next_attempt_at=at, locked_until=None, last_error=error[:1000]
            )
        )
        return rowcount(outcome) == 1

    async def due_now(self, consumer: str, invoice_id: int, now: datetime) -> int:
        """Make the invoice's pending messages due now (a person asked to retry)."""
        result = await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.consumer == consumer,
                OutboxRow.invoice_id == invoice_id,
                OutboxRow.done_at.is_(None),
            )
            .values(next_attempt_at=None)
        )
        return rowcount(result)

    async def pending(self, consumer: str, invoice_id: int | None = None) -> list[OutboxMessage]:
        query = (
            select(OutboxRow)
            .where(OutboxRow.consumer == consumer, OutboxRow.done_at.is_(None))
            .order_by(OutboxRow.id)
        )
        if invoice_id is not None:
            query = query.where(OutboxRow.invoice_id == invoice_id)
        return [_message(row) for row in (await self.session.execute(query)).scalars()]

    async def given_up(self, message_ids: Collection[int]) -> dict[int, str]:
        """The error each of these messages was given up with, by id (only those given up)."""
        if not message_ids:
            return {}
        rows = await self.session.execute(
            select(OutboxRow.id, OutboxRow.result).where(
                OutboxRow.id.in_(list(message_ids)), OutboxRow.done_at.is_not(None)
            )
        )
        return {
            message_id: str(result["gave_up"])
            for message_id, result in rows
            if isinstance(result, dict) and "gave_up" in result
        }

    async def keep(
        self, consumer: str, event: str, payload: Mapping[str, Any], key: str, now: datetime
    ) -> bool:
        """Record an event kept for reading, not for delivery (done as it is written; no
        worker claims it): the store of `consumer`'s facts, like delegations. Once per
        (consumer, key); False when it was recorded before. Outbox rows are never deleted,
        which is what makes them a store; a retention job must leave such consumers alone."""
        result = await self.session.execute(
            self.insert(OutboxRow)
            .values(
                consumer=consumer, event=event, invoice_id=None, payload=dict(payload),
                dedupe_key=key, created_at=now, attempts=0, done_at=now, result={"kept": True},
            )
            .on_conflict_do_nothing(index_elements=["consumer", "dedupe_key"])
        )  # fmt: skip
        return rowcount(result) == 1

    async def kept(self, consumer: str) -> list[tuple[str, dict[str, Any]]]:
        """(event, payload) of `consumer`'s kept events, in the order they were recorded."""
        query = (
            select(OutboxRow.event, OutboxRow.payload)
            .where(OutboxRow.consumer == consumer)
            .order_by(OutboxRow.id)
        )
        return [(e, dict(p)) for e, p in (await self.session.execute(query)).all()]
