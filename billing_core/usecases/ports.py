"""What the use cases need from persistence, as Protocols: a store hands out units of work,
a unit of work is one transaction with one repository per aggregate.

`billing_core.store` implements these on SQLAlchemy (SQLite and PostgreSQL);
`tests/fakes.py` in memory, so the use cases are tested without a database.

Locking promises every implementation keeps: `lock=True` reads hold the row until the
transaction ends; `change_status` is a compare-and-set; `numbers.next` moves a counter inside
the transaction (a rolled back approval burns no number); outbox claims and ledger claims are
exclusive across processes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

from billing_core.invoice import Invoice
from billing_core.metrics.journal import JournalEntry
from billing_core.metrics.money_flow import Aging
from billing_core.records import Record
from billing_core.reminders import DueStage, OverdueInvoice
from billing_core.state import InvoiceState
from billing_core.status import Action, Status


@dataclass(frozen=True)
class StoredEvent:
    """One row of an invoice's history."""

    at: datetime
    actor: str
    action: str  # an Action value
    from_status: str | None
    to_status: str
    amount: Decimal | None
    note: str | None


@dataclass(frozen=True)
class StoredDocument:
    invoice_id: int
    record_id: str
    kind: str  # "draft" or "final"
    filename: str
    content: bytes
    sha256: str
    created_at: datetime


@dataclass(frozen=True)
class OutboxMessage:
    """A domain event leased to one subscriber's worker."""

    id: int
    consumer: str
    event: str  # an EventName value
    invoice_id: int | None
    payload: dict[str, Any]
    attempts: int  # including this one: the fence for done/retry/renew
    progress: dict[str, Any] = field(default_factory=dict)
    last_error: str | None = None


@dataclass(frozen=True)
class HandledRequest:
    key: str
    invoice_id: int | None
    created_at: datetime
    reply: dict[str, Any] | None


InvoiceFilters = Mapping[str, Any]  # statuses, owner, due_before, overdue_on, refund_owed


class RecordRepository(Protocol):
    async def get(self, record_id: str, *, lock: bool = False) -> Record | None: ...
    async def upsert(self, record: Record, now: datetime) -> bool:
        """Insert or replace; True when it was new."""
        ...

    async def upsert_many(self, records: Sequence[Record], now: datetime) -> int:
        """Insert or replace records with unique IDs; returns how many were new."""
        ...

    async def count(self) -> int: ...


class InvoiceRepository(Protocol):
    async def add(
        self,
        invoice: Invoice,
        drafted_by: str,
        now: datetime,
        *,
        supersedes_id: int | None,
        credits_id: int | None = None,
    ) -> int: ...
    async def get(self, invoice_id: int, *, lock: bool = False) -> InvoiceState | None: ...
    async def by_number(self, number: str, *, lock: bool = False) -> InvoiceState | None: ...
    async def for_record(self, record_id: str) -> list[InvoiceState]: ...
    async def open_draft(self, record_id: str) -> InvoiceState | None:
        """The record's invoice draft awaiting a decision (credit note drafts aside)."""
        ...

    async def credit_notes(self, invoice_id: int) -> list[InvoiceState]:
        """The credit notes (drafts included) of one invoice, oldest first."""
        ...

    async def many(self, invoice_ids: Sequence[int]) -> dict[int, InvoiceState]: ...
    async def overdue_many(self, invoice_ids: Sequence[int]) -> dict[int, OverdueInvoice]:
        """What reminders show of these invoices (no snapshot parsed), by id."""
        ...

    async def matching(
        self,
        *,
        statuses: Sequence[Status] | None = None,
        owner: str | None = None,
        due_before: date | None = None,
        overdue_on: date | None = None,
        client: str | None = None,
        refund_owed: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[InvoiceState]: ...
    async def count(
        self,
        *,
        statuses: Sequence[Status] | None = None,
        owner: str | None = None,
        due_before: date | None = None,
        overdue_on: date | None = None,
        client: str | None = None,
        refund_owed: bool = False,
    ) -> int: ...
    async def sums(
        self,
        *,
        balance: bool,
        statuses: Sequence[Status] | None = None,
        overdue_on: date | None = None,
    ) -> dict[str, tuple[int, Decimal]]:
        """Per currency: how many invoices match and their totals (or balances)."""
        ...

    async def change_status(
        self, invoice_id: int, expected: Status, new: Status, now: datetime, **fields: Any
    ) -> bool:
        """Compare-and-set; False when someone else moved it first."""
        ...

    async def update(self, invoice_id: int, now: datetime, **fields: Any) -> None: ...
    async def finalise(self, invoice_id: int, invoice: Invoice, now: datetime) -> None: ...
    async def drafts_waiting_since(
        self, before: datetime, *, unnudged_only: bool = True
    ) -> list[InvoiceState]: ...
    async def claim_nudge(self, invoice_id: int, now: datetime) -> bool: ...


class History(Protocol):
    async def add(
        self,
        invoice_id: int,
        at: datetime,
        actor: str,
        action: Action,
        from_status: Status | None,
        to_status: Status,
        *,
        effective_on: date,
        amount: Decimal | None = None,
        note: str | None = None,
    ) -> int:
        """Append a row; returns its id (increasing: the order changes happened in)."""
        ...

    async def for_invoice(self, invoice_id: int) -> list[StoredEvent]: ...
    def audit(self, at: datetime, kind: str, actor: str, payload: dict[str, Any]) -> None:
        """Queue an audit event of no invoice (e.g. `delegated`), chained at commit."""
        ...

    async def audit_head(self) -> str | None:
        """The audit trail's latest hash (64 hex digits), None when there is no trail."""
        ...

    async def totals(
        self,
        actions: Iterable[Action],
        first: date,
        end: date,
        *,
        amounts_from_event: Iterable[Action] = (),
    ) -> dict[tuple[Action, str], tuple[int, Decimal]]: ...
    async def rejections_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, str, str]]: ...


class NumberCounters(Protocol):
    async def next(self, key: str) -> int: ...


class Documents(Protocol):
    async def keep(
        self,
        invoice_id: int,
        record_id: str,
        kind: str,
        filename: str,
        content: bytes,
        now: datetime,
    ) -> StoredDocument:
        """Store the document unless one of this kind exists; returns the one kept."""
        ...

    async def get(self, invoice_id: int, kind: str) -> StoredDocument | None: ...


class ReminderLedger(Protocol):
    async def due_stages(
        self, today: date, stages_days: Sequence[int], stale_before: datetime
    ) -> list[DueStage]:
        """What `reminders.reminders_due` selects, without loading the invoices."""
        ...

    async def stages(
        self, invoice_ids: Iterable[int], stale_before: datetime
    ) -> dict[int, set[int]]: ...
    async def still_chasable(self, invoice_ids: Sequence[int], today: date) -> set[int]: ...
    async def claim(
        self,
        pairs: Sequence[tuple[int, int, str]],
        run_date: date,
        now: datetime,
        stale_before: datetime,
    ) -> set[tuple[int, int]]: ...
    async def mark_sent(self, pairs: Iterable[tuple[int, int]], now: datetime) -> None: ...
    async def release(self, pairs: Iterable[tuple[int, int]]) -> None: ...


class Outbox(Protocol):
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
        ...

    async def claim(
        self,
        consumer: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        invoice_id: int | None = None,
    ) -> list[OutboxMessage]: ...
    async def renew(self, message_id: int, attempt: int, lease_until: datetime) -> bool: ...
    async def save_progress(
        self, message_id: int, attempt: int, progress: Mapping[str, Any]
    ) -> bool: ...
    async def done(
        self, message_id: int, attempt: int, now: datetime, result: Mapping[str, Any]
    ) -> bool: ...
    async def retry_later(
        self, message_id: int, attempt: int, at: datetime, error: str
    ) -> bool: ...
    async def due_now(self, consumer: str, invoice_id: int, now: datetime) -> int: ...
    async def pending(
        self, consumer: str, invoice_id: int | None = None
    ) -> list[OutboxMessage]: ...
    async def given_up(self, message_ids: Collection[int]) -> dict[int, str]: ...
    async def keep(
        self, consumer: str, event: str, payload: Mapping[str, Any], key: str, now: datetime
    ) -> bool:
        """Record an event kept for reading (done at once, never delivered); False when its
        key was recorded before."""
        ...

    async def kept(self, consumer: str) -> list[tuple[str, dict[str, Any]]]: ...


class RequestKeys(Protocol):
    async def claim(self, key: str, now: datetime, invoice_id: int | None) -> bool:
        """Record `key`; False when it was recorded before (the request is a repeat)."""
        ...

    async def get(self, key: str) -> HandledRequest | None: ...
    async def save_reply(self, key: str, reply: Mapping[str, Any]) -> None: ...
    async def purge(self, before: datetime) -> int: ...


class MetricsQueries(Protocol):
    """What the billing metrics read (billing_core/store/repositories/metrics.py)."""

    async def aging(self, as_of: date) -> dict[str, Aging]: ...
    async def cycle_counts(self, first: date, end: date) -> list[tuple[int, int]]: ...
    async def turnaround_counts(self, first: date, end: date) -> list[tuple[str, int, int]]: ...
    async def decision_counts(
        self, first: date, end: date
    ) -> tuple[int, dict[str | None, int], list[str]]: ...
    async def uninvoiced(
        self, as_of: date, owner: str | None = None, limit: int | None = None
    ) -> tuple[list[tuple[str, bool]], int]: ...
    async def journal(self, first: date, end: date) -> list[JournalEntry]: ...


class UnitOfWork(Protocol):
    """One transaction: commits when the `async with` block ends normally, else rolls back.
    Raises StoreBusy when the database is held elsewhere for longer than it waits."""

    @property
    def records(self) -> RecordRepository: ...
    @property
    def invoices(self) -> InvoiceRepository: ...
    @property
    def history(self) -> History: ...
    @property
    def numbers(self) -> NumberCounters: ...
    @property
    def documents(self) -> Documents: ...
    @property
    def ledger(self) -> ReminderLedger: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def requests(self) -> RequestKeys: ...
    @property
    def metrics(self) -> MetricsQueries: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Store(Protocol):
    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A transaction; `read_only=True` for one that only reads (no write lock)."""
        ...
