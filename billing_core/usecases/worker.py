"""A subscriber's worker: takes its outbox messages one at a time and carries them out.

Safe on every replica at once: a message is leased to one worker, the lease is renewed every
few seconds while the work runs (a worker that dies, even with kill -9, stops renewing and
its message comes back within `outbox.LEASE`), and done/retry are fenced by the attempt, so a
worker that lost its lease cannot mark another's delivery. A failure puts the message back
with exponential backoff; a `PermanentFailure` gives it up (after `on_give_up`). Handlers are
written to be repeatable: a repeat must find what the first attempt did (`progress`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from billing_core.errors import StoreBusy
from billing_core.usecases.outbox import LEASE, OutboxCase
from billing_core.usecases.ports import OutboxMessage

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=10)
# How long a person's request waits for another worker's attempt at its invoice's message
# (a Slack call answers or times out well within this), and how often it looks.
OTHERS_PATIENCE = 15.0
OTHERS_POLL = 0.1

Handler = Callable[[OutboxMessage], Awaitable[dict[str, Any]]]


class PermanentFailure(Exception):
    """Raised by a handler when no retry can succeed (the message is given up)."""


def wall_clock() -> datetime:
    return datetime.now(UTC)


class OutboxWorker:
    def __init__(
        self,
        consumer: str,
        outbox: OutboxCase,
        handler: Handler,
        *,
        on_give_up: Callable[[OutboxMessage, str], Awaitable[None]] | None = None,
        describe: Callable[[BaseException], str] = lambda exc: f"{type(exc).__name__}: {exc}",
        clock: Callable[[], datetime] = wall_clock,
        poll_seconds: float = 2.0,
        lease: timedelta = LEASE,
    ) -> None:
        self.consumer = consumer
        self.outbox = outbox
        self.handler = handler
        self.on_give_up = on_give_up
        self.describe = describe
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.lease = lease  # renewed every third of it while a message is being carried out
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, waking on `wake()` or every poll interval."""
        while not stop.is_set():
            self._wake.clear()  # before draining: a wake() during the drain is not lost
            try:
                while await self.deliver_due():
                    pass
            except StoreBusy:
                log.warning("%s worker: the store is busy; trying again", self.consumer)
            except Exception:  # a database hiccup must not kill the worker
                log.exception("%s worker failed; retrying", self.consumer)
            waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waits, timeout=self.poll_seconds, return_when="FIRST_COMPLETED")
            for w in waits:
                w.cancel()

    async def deliver_due(self) -> int:
        """Deliver the next due message, if any; returns how many were attempted (0 or 1)."""
        messages = await self.outbox.claim(self.consumer, self.clock(), lease=self.lease)
        for message in messages:
            await self.deliver(message)
        return len(messages)

    async def deliver_for_invoice(
        self, invoice_id: int, at_most: int = 10, patience: float = OTHERS_PATIENCE
    ) -> list[str]:
        """Deliver this invoice's due messages now, in order; returns the errors of those that
        failed (a failed one holds back the later ones until it succeeds).

        A message this call cannot lease is in another worker's hands (the background worker
        polls too, and may take a fresh message first) or waiting out a backoff: its error is
        returned all the same, after waiting up to `patience` seconds for an attempt in
        flight to end, so the person who asked hears of the delay whoever tried first.
        """
        for _ in range(at_most):
            claimed = await self.outbox.claim(
                self.consumer, self.clock(), invoice_id=invoice_id, lease=self.lease
            )
            if not claimed:
                return await self._failed_elsewhere(invoice_id, patience)
            error = await self.deliver(claimed[0])
            if error:
                return [error]
        return []

    async def _failed_elsewhere(self, invoice_id: int, patience: float) -> list[str]:
        """The error of this invoice's first undelivered message once it has one, or of a
        message seen undelivered here that was then given up; [] when everything was
        delivered or the other attempt outlasts `patience` (seconds)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        seen: set[int] = set()
        while True:
            pending = await self.outbox.pending(self.consumer, invoice_id)
            finished = seen - {m.id for m in pending}
            if finished and (given_up := await self.outbox.given_up(finished)):
                return [given_up[i] for i in sorted(given_up)]
            if not pending:
                return []
            if pending[0].last_error:
                return [pending[0].last_error]
            if loop.time() >= deadline:
                return []
            seen.update(m.id for m in pending)
            await asyncio.sleep(OTHERS_POLL)

    async def deliver(self, message: OutboxMessage) -> str | None:
        """Carry one leased message out; the error text when it failed."""
        try:
            result = await self._with_lease(message)
        except PermanentFailure as exc:
            return await self._give_up(message, str(exc))
        except Exception as exc:  # anything at all: keep the message, retry later
            error = self.describe(exc)
            backoff = min(MAX_BACKOFF, timedelta(seconds=2 ** min(message.attempts, 10)))
            log.warning(
                "%s: message %s (%s) failed, retry in %ss: %s",
                self.consumer, message.id, message.event, int(backoff.total_seconds()), error,
            )  # fmt: skip
            await self.outbox.failed(message, self.clock() + backoff, error)
            return error
        if not await self.outbox.done(message, self.clock(), result):
            log.warning("%s: message %s outlived its lease", self.consumer, message.id)
        self.wake()  # a later message of the same invoice may have been waiting for this one
        return None

    async def _with_lease(self, message: OutboxMessage) -> dict[str, Any]:
        """Run the handler while renewing the lease; stop it if the lease is lost."""
        work = asyncio.ensure_future(self.handler(message))
        while True:
            done, _ = await asyncio.wait({work}, timeout=self.lease.total_seconds() / 3)
            if done:
                return work.result()
            if not await self.outbox.renew(message, self.clock(), self.lease):
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await work
                raise RuntimeError("the lease was lost to another worker; stopped")

    async def _give_up(self, message: OutboxMessage, error: str) -> str:
        log.error("%s: message %s (%s) cannot succeed: %s", self.consumer, message.id,
                  message.event, error)  # fmt: skip
        if self.on_give_up is not None:
            await self.on_give_up(message, error)
        await self.outbox.done(message, self.clock(), {"gave_up": error})
        return error
