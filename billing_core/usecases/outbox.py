"""The outbox seen from a subscriber: lease messages, renew the lease, keep progress, finish.

Times here are the infrastructure's clock (when a lease runs out), not the business clock
the use cases pass: a worker's lease must run out in real seconds however a test or a
backfill sets "now" for billing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from billing_core.usecases.engine import Engine
from billing_core.usecases.ports import OutboxMessage

# A lease is short and renewed while its worker lives (OutboxWorker.RENEW_EVERY), so the
# messages of a worker killed with -9 come back within LEASE, not after a long deadline.
LEASE = timedelta(seconds=30)


class OutboxCase:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def claim(
        self,
        consumer: str,
        now: datetime,
        *,
        invoice_id: int | None = None,
        limit: int = 1,
        lease: timedelta = LEASE,
    ) -> list[OutboxMessage]:
        """Lease due messages of `consumer` (in order per invoice; others skip them)."""
        async with self.engine.store.unit_of_work() as uow:
            return await uow.outbox.claim(consumer, now, now + lease, limit, invoice_id)

    async def renew(self, message: OutboxMessage, now: datetime, lease: timedelta = LEASE) -> bool:
        """Extend the lease; False when it was lost (another worker took the message)."""
        async with self.engine.store.unit_of_work() as uow:
            return await uow.outbox.renew(message.id, message.attempts, now + lease)

    async def save_progress(self, message: OutboxMessage, progress: Mapping[str, Any]) -> bool:
        """Remember what a multi-step delivery has done, so a retry skips it."""
        async with self.engine.store.unit_of_work() as uow:
            return await uow.outbox.save_progress(message.id, message.attempts, progress)

    async def done(
        self, message: OutboxMessage, now: datetime, result: Mapping[str, Any] | None = None
    ) -> bool:
        """False when the lease had run out and another worker took the message over."""
        async with self.engine.store.unit_of_work() as uow:
            return await uow.outbox.done(message.id, message.attempts, now, result or {})

    async def failed(self, message: OutboxMessage, retry_at: datetime, error: str) -> bool:
        async with self.engine.store.unit_of_work() as uow:
            return await uow.outbox.retry_later(message.id, message.attempts, retry_at, error)

    async def retry_now(self, consumer: str, invoice_id: int, now: datetime) -> int:
        """Make the invoice's pending messages due now (a person asked to retry)."""
        async with self.engine.store.unit_of_work() as uow:
            return await uow.outbox.due_now(consumer, invoice_id, now)

    async def pending(self, consumer: str, invoice_id: int | None = None) -> list[OutboxMessage]:
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            return await uow.outbox.pending(consumer, invoice_id)

    async def given_up(self, message_ids: Collection[int]) -> dict[int, str]:
        """The error each of these messages was given up with (`PermanentFailure`), by id."""
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            return await uow.outbox.given_up(message_ids)
