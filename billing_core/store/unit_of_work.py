"""A unit of work is one transaction with a repository per aggregate; `Store` hands them out.

Locking: on PostgreSQL `lock=True` reads take a row lock (SELECT ... FOR UPDATE); on SQLite every
writing transaction already holds the database write lock from its first statement (BEGIN
IMMEDIATE; read-only ones use a plain BEGIN and never wait under WAL). Number counters move with
`UPDATE ... RETURNING` inside the approving transaction, so a rolled back approval never burns
a number.
"""

from __future__ import annotations

import logging
from types import TracebackType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from billing_core.errors import StoreBusy
from billing_core.store.conversations import Conversations
from billing_core.store.engine import READ_ONLY
from billing_core.store.repositories.documents import Documents
from billing_core.store.repositories.history import History, NumberCounters
from billing_core.store.repositories.invoices import InvoiceRepository
from billing_core.store.repositories.ledger import ReminderLedger
from billing_core.store.repositories.metrics import MetricsQueries
from billing_core.store.repositories.outbox import Outbox
from billing_core.store.repositories.records import RecordRepository
from billing_core.store.repositories.requests import RequestKeys

log = logging.getLogger(__name__)

# What the database says when another transaction holds what we need for longer than we wait:
# SQLite's busy timeout ran out ("database is locked"), PostgreSQL's lock_timeout or
# statement_timeout (SQLSTATE 55P03, 57014), or a deadlock or serialization failure it broke
# by aborting us (40P01, 40001). A retry later succeeds; nothing was written.
_BUSY_SQLSTATES = {"55P03", "57014", "40P01", "40001"}


def _is_busy(exc: DBAPIError) -> bool:
    """True when the database is busy right now (a retry later will succeed)."""
    cause = exc.orig
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    busy = sqlstate in _BUSY_SQLSTATES or "database is locked" in str(cause)
    if busy:
        log.warning("the store is busy (%s); the caller is told to retry", str(cause)[:200])
    return busy


class UnitOfWork:
    """One database transaction. Use `async with store.unit_of_work() as uow:`; it commits
    when the block ends normally and rolls back on an exception (StoreBusy when the database
    was held elsewhere for longer than we wait)."""

    def __init__(self, session: AsyncSession, *, read_only: bool = False) -> None:
        self.session = session
        self.read_only = read_only
        self.records = RecordRepository(session)
        self.invoices = InvoiceRepository(session)
        self.history = History(session)
        self.numbers = NumberCounters(session)
        self.documents = Documents(session)
        self.ledger = ReminderLedger(session)
        self.outbox = Outbox(session)
        self.requests = RequestKeys(session)
        self.metrics = MetricsQueries(session)

    async def __aenter__(self) -> UnitOfWork:
        try:
            await self.session.begin()
            if self.read_only:
                await self.session.connection(execution_options={READ_ONLY: True})
        except DBAPIError as exc:
            await self.session.close()
            if _is_busy(exc):
                raise StoreBusy() from exc
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                # The audit trail's events go last: the chain's lock is held from here only.
                await self.history.chain_pending()
                await self.session.commit()
            else:
                await self.session.rollback()
        except DBAPIError as failure:
            if _is_busy(failure):
                raise StoreBusy() from failure
            raise
        finally:
            await self.session.close()
        if isinstance(exc, DBAPIError) and _is_busy(exc):
            raise StoreBusy() from exc


class Store:
    """Hands out units of work on one engine's sessions, and the adapters' conversations."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self.conversations = Conversations(self)

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A transaction; `read_only=True` for one that only reads (no write lock on SQLite)."""
        return UnitOfWork(self._sessionmaker(), read_only=read_only)
