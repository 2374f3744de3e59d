"""The persistence ports (`billing_core.usecases.ports`) in memory, for use-case tests.

A unit of work copies the whole store on entry and swaps its copy in on commit (or drops it on
an exception), so a refused use case leaves nothing behind, as a rolled-back transaction
does. One transaction at a time: the locking promises (row locks, exclusive claims under
concurrency) are proven on SQLite and PostgreSQL in tests/store and tests/e2e, not here.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from billing_core.invoice import Invoice
from billing_core.money import Money
from billing_core.records import Record
from billing_core.reminders import DueStage, OverdueInvoice, reminders_due
from billing_core.state import InvoiceState
from billing_core.status import OPEN_STATUSES, Action, Status
from billing_core.usecases.ports import (
    HandledRequest,
    OutboxMessage,
    StoredDocument,
    StoredEvent,
)


@dataclass
class _Row:
    """An invoice as the store keeps it: the state plus columns no state shows."""

    state: InvoiceState
    nudged_at: datetime | None = None


@dataclass
class _Outbox:
    id: int
    consumer: str
    event: str
    invoice_id: int | None
    payload: dict[str, Any]
    key: str
    attempts: int = 0
    next_attempt_at: datetime | None = None
    locked_until: datetime | None = None
    done_at: datetime | None = None
    last_error: str | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)

    def message(self) -> OutboxMessage:
        return OutboxMessage(
            self.id, self.consumer, self.event, self.invoice_id, dict(self.payload),
            self.attempts, dict(self.progress), self.last_error,
        )  # fmt: skip


@dataclass
class Data:
    records: dict[str, Record] = field(default_factory=dict)
    invoices: dict[int, _Row] = field(default_factory=dict)
    events: list[tuple[int, StoredEvent, date]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    documents: dict[tuple[int, str], StoredDocument] = field(default_factory=dict)
    ledger: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    outbox: dict[int, _Outbox] = field(default_factory=dict)
    requests: dict[str, HandledRequest] = field(default_factory=dict)
    next_id: int = 1


class _Part:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    @property
    def data(self) -> Data:
        assert self.uow.data is not None, "use inside `async with`"
        return self.uow.data


class FakeRecords(_Part):
    async def get(self, record_id: str, *, lock: bool = False) -> Record | None:
        return self.data.records.get(record_id)

    async def count(self) -> int:
        return len(self.data.records)

    async def upsert_many(self, records: Sequence[Record], now: datetime) -> int:
        return sum([await self.upsert(r, now) for r in records])

    async def upsert(self, record: Record, now: datetime) -> bool:
        new = record.id not in self.data.records
        self.data.records[record.id] = record
        return new


class FakeInvoices(_Part):
    async def add(
        self,
        invoice: Invoice,
        drafted_by: str,
        now: datetime,
        *,
        supersedes_id: int | None,
        credits_id: int | None = None,
    ) -> int:
        if credits_id is None and any(
            r.state.record_id == invoice.record_id
            and r.state.status is Status.DRAFT
            and r.state.credits_id is None
            for r in self.data.invoices.values()
        ):
            raise AssertionError("a record has at most one invoice draft (a unique index)")
        invoice_id = self.data.next_id
        self.data.next_id += 1
        state = InvoiceState(
            invoice_id, invoice, Status.DRAFT, Money.zero(invoice.currency), drafted_by, now,
            supersedes_id=supersedes_id, credits_id=credits_id,
        )  # fmt: skip
        self.data.invoices[invoice_id] = _Row(state)
        return invoice_id

    async def get(self, invoice_id: int, *, lock: bool = False) -> InvoiceState | None:
        row = self.data.invoices.get(invoice_id)
        return row.state if row else None

    async def by_number(self, number: str, *, lock: bool = False) -> InvoiceState | None:
        for row in self.data.invoices.values():
            if row.state.number and row.state.number.upper() == number.upper():
                return row.state
        return None

    async def for_record(self, record_id: str) -> list[InvoiceState]:
        return [r.state for r in self.data.invoices.values() if r.state.record_id == record_id]

    async def many(self, invoice_ids: Sequence[int]) -> dict[int, InvoiceState]:
        return {i: self.data.invoices[i].state for i in invoice_ids if i in self.data.invoices}

    async def overdue_many(self, invoice_ids: Sequence[int]) -> dict[int, OverdueInvoice]:
        states = await self.many(invoice_ids)
        return {i: OverdueInvoice.of(state) for i, state in states.items()}

    async def open_draft(self, record_id: str) -> InvoiceState | None:
        found = [
            s
            for s in await self.for_record(record_id)
            if s.status is Status.DRAFT and s.credits_id is None
        ]
        return found[0] if found else None

    async def credit_notes(self, invoice_id: int) -> list[InvoiceState]:
        return [r.state for r in self.data.invoices.values() if r.state.credits_id == invoice_id]

    def _matching(self, **filters: Any) -> list[InvoiceState]:
        statuses, owner = filters.get("statuses"), filters.get("owner")
        due_before, overdue_on = filters.get("due_before"), filters.get("overdue_on")
        out = []
        for row in self.data.invoices.values():
            s = row.state
            if statuses is not None and s.status not in statuses:
                continue
            if owner is not None and s.owner != owner:
                continue
            client = filters.get("client")
            if client is not None and client.lower() not in s.invoice.buyer.name.lower():
                continue
            if due_before is not None and not s.invoice.due_date < due_before:
                continue
            if filters.get("refund_owed") and s.refund_owed.is_zero():
                continue
            if overdue_on is not None and not (
                s.invoice.due_date < overdue_on and s.paid + s.credited_total < s.total
            ):
                continue
            out.append(s)
        return sorted(out, key=lambda s: (s.invoice.due_date, s.id))

    async def matching(self, *, limit: int | None = None, offset: int = 0, **filters: Any) -> Any:
        found = self._matching(**filters)[offset:]
        return found[:limit] if limit is not None else found

    async def count(self, **filters: Any) -> int:
        return len(self._matching(**filters))

    async def sums(self, *, balance: bool, **filters: Any) -> dict[str, tuple[int, Decimal]]:
        out: dict[str, tuple[int, Decimal]] = {}
        for s in self._matching(**filters):
            amount = (s.total - s.paid - s.credited_total if balance else s.total).amount
            n, total = out.get(s.invoice.currency, (0, Decimal(0)))
            out[s.invoice.currency] = (n + 1, total + amount)
        return out

    async def change_status(
        self, invoice_id: int, expected: Status, new: Status, now: datetime, **fields: Any
    ) -> bool:
        row = self.data.invoices[invoice_id]
        if row.state.status is not expected:
            return False
        await self.update(invoice_id, now, status=new, **fields)
        return True

    async def update(self, invoice_id: int, now: datetime, **fields: Any) -> None:
        row = self.data.invoices[invoice_id]
        state = row.state
        if "paid" in fields:
            fields["paid"] = Money(Decimal(fields["paid"]), state.invoice.currency)
        if "status" in fields:
            fields["status"] = Status(fields["status"])
        invoice_fields = {
            k: fields.pop(k) for k in ("number", "issue_date", "due_date") if k in fields
        }
        fields.pop("snapshot", None)
        if invoice_fields:
            state = dataclasses.replace(
                state, invoice=dataclasses.replace(state.invoice, **invoice_fields)
            )
        row.state = dataclasses.replace(state, **fields)

    async def finalise(self, invoice_id: int, invoice: Invoice, now: datetime) -> None:
        row = self.data.invoices[invoice_id]
        row.state = dataclasses.replace(row.state, invoice=invoice)

    async def drafts_waiting_since(
        self, before: datetime, *, unnudged_only: bool = True
    ) -> list[InvoiceState]:
        return [
            r.state
            for r in self.data.invoices.values()
            if r.state.status is Status.DRAFT
            and r.state.drafted_at < before
            and not (unnudged_only and r.nudged_at)
        ]

    async def claim_nudge(self, invoice_id: int, now: datetime) -> bool:
        row = self.data.invoices[invoice_id]
        if row.nudged_at or row.state.status is not Status.DRAFT:
            return False
        row.nudged_at = now
        return True


class FakeHistory(_Part):
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
        event = StoredEvent(
            at, actor, Action(action).value, from_status.value if from_status else None,
            to_status.value, amount, note,
        )  # fmt: skip
        self.data.events.append((invoice_id, event, effective_on))
        return len(self.data.events)

    def audit(self, at: datetime, kind: str, actor: str, payload: dict[str, Any]) -> None:
        pass  # the in-memory store keeps no audit trail

    async def audit_head(self) -> str | None:
        return None  # the in-memory store keeps no audit trail

    async def for_invoice(self, invoice_id: int) -> list[StoredEvent]:
        return [e for i, e, _ in self.data.events if i == invoice_id]

    async def totals(
        self,
        actions: Iterable[Action],
        first: date,
        end: date,
        *,
        amounts_from_event: Iterable[Action] = (),
    ) -> dict[tuple[Action, str], tuple[int, Decimal]]:
        names = {Action(a).value for a in actions}
        from_event = {Action(a).value for a in amounts_from_event}
        out: dict[tuple[Action, str], tuple[int, Decimal]] = {}
        for invoice_id, event, on in self.data.events:
            if event.action in names and first <= on < end:
                state = self.data.invoices[invoice_id].state
                amount = event.amount if event.action in from_event else state.total.amount
                key = (Action(event.action), state.invoice.currency)
                n, total = out.get(key, (0, Decimal(0)))
                out[key] = (n + 1, total + (amount or Decimal(0)))
        return out

    async def rejections_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, str, str]]:
        found = [
            r.state
            for r in self.data.invoices.values()
            if r.state.status is Status.REJECTED
            and r.state.decided_at is not None
            and start <= r.state.decided_at < end
        ]
        found.sort(key=lambda s: s.decided_at or start)
        return [
            (s.record_id, s.rejection_category or "other", s.rejection_reason or "") for s in found
        ]


class FakeNumbers(_Part):
    async def next(self, key: str) -> int:
        self.data.counters[key] = self.data.counters.get(key, 0) + 1
        return self.data.counters[key]


class FakeDocuments(_Part):
    async def keep(
        self,
        invoice_id: int,
        record_id: str,
        kind: str,
        filename: str,
        content: bytes,
        now: datetime,
    ) -> StoredDocument:
        key = (invoice_id, kind)
        if key not in self.data.documents:
            digest = hashlib.sha256(content).hexdigest()
            self.data.documents[key] = StoredDocument(
                invoice_id, record_id, kind, filename, content, digest, now
            )
        return self.data.documents[key]

    async def get(self, invoice_id: int, kind: str) -> StoredDocument | None:
        return self.data.documents.get((invoice_id, kind))


class FakeLedger(_Part):
    """The selection is the pure domain's own rule (`reminders_due`); the store does it in
    SQL, and a property test holds the two equal."""

    async def due_stages(
        self, today: date, stages_days: Sequence[int], stale_before: datetime
    ) -> list[DueStage]:
        states = [r.state for r in self.data.invoices.values()]
        sent = await self.stages([s.id for s in states], stale_before)
        due = reminders_due(states, sent, today, tuple(stages_days))
        return [r.due_stage() for r in due]

    async def stages(
        self, invoice_ids: Iterable[int], stale_before: datetime
    ) -> dict[int, set[int]]:
        wanted = set(invoice_ids)
        out: dict[int, set[int]] = {}
        for (invoice_id, stage), row in self.data.ledger.items():
            if invoice_id in wanted and (row["sent_at"] or row["claimed_at"] >= stale_before):
                out.setdefault(invoice_id, set()).add(stage)
        return out

    async def still_chasable(self, invoice_ids: Sequence[int], today: date) -> set[int]:
        return {
            i
            for i in invoice_ids
            if (s := self.data.invoices[i].state).status in OPEN_STATUSES
            and s.paid + s.credited_total < s.total
            and s.held_reason is None
            and (s.snoozed_until is None or s.snoozed_until < today)
        }

    async def claim(
        self,
        pairs: Sequence[tuple[int, int, str]],
        run_date: date,
        now: datetime,
        stale_before: datetime,
    ) -> set[tuple[int, int]]:
        claimed = set()
        for invoice_id, stage, recipient in pairs:
            row = self.data.ledger.get((invoice_id, stage))
            if row is None or (row["sent_at"] is None and row["claimed_at"] < stale_before):
                self.data.ledger[(invoice_id, stage)] = {
                    "claimed_at": now, "sent_at": None, "recipient": recipient,
                }  # fmt: skip
                claimed.add((invoice_id, stage))
        return claimed

    async def mark_sent(self, pairs: Iterable[tuple[int, int]], now: datetime) -> None:
        for pair in pairs:
            self.data.ledger[pair]["sent_at"] = now

    async def release(self, pairs: Iterable[tuple[int, int]]) -> None:
        for pair in pairs:
            if self.data.ledger.get(pair, {}).get("sent_at") is None:
                self.data.ledger.pop(pair, None)


class FakeOutbox(_Part):
    async def add(
        self,
        consumer: str,
        event: str,
        invoice_id: int | None,
        payload: Mapping[str, Any],
        key: str,
        now: datetime,
    ) -> bool:
        if any(m.consumer == consumer and m.key == key for m in self.data.outbox.values()):
            return False
        message_id = len(self.data.outbox) + 1
        self.data.outbox[message_id] = _Outbox(
            message_id, consumer, event, invoice_id, dict(payload), key
        )
        return True

    async def claim(
        self,
        consumer: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        invoice_id: int | None = None,
    ) -> list[OutboxMessage]:
        pending = [m for m in self.data.outbox.values() if m.consumer == consumer and not m.done_at]
        due = []
        for m in sorted(pending, key=lambda m: m.id):
            earlier = [p for p in pending if p.invoice_id == m.invoice_id and p.id < m.id]
            if earlier or (invoice_id is not None and m.invoice_id != invoice_id):
                continue
            if (m.next_attempt_at is None or m.next_attempt_at <= now) and (
                m.locked_until is None or m.locked_until < now
            ):
                due.append(m)
        for m in due[:limit]:
            m.locked_until, m.attempts = lease_until, m.attempts + 1
        return [m.message() for m in due[:limit]]

    def _fenced(self, message_id: int, attempt: int) -> _Outbox | None:
        m = self.data.outbox.get(message_id)
        return m if m and m.attempts == attempt and not m.done_at else None

    async def renew(self, message_id: int, attempt: int, lease_until: datetime) -> bool:
        if (m := self._fenced(message_id, attempt)) is None:
            return False
        m.locked_until = lease_until
        return True

    async def save_progress(
        self, message_id: int, attempt: int, progress: Mapping[str, Any]
    ) -> bool:
        if (m := self._fenced(message_id, attempt)) is None:
            return False
        m.progress = dict(progress)
        return True

    async def done(
        self, message_id: int, attempt: int, now: datetime, result: Mapping[str, Any]
    ) -> bool:
        if (m := self._fenced(message_id, attempt)) is None:
            return False
        m.done_at, m.locked_until, m.last_error, m.result = now, None, None, dict(result)
        return True

    async def retry_later(self, message_id: int, attempt: int, at: datetime, error: str) -> bool:
        if (m := self._fenced(message_id, attempt)) is None:
            return False
        m.next_attempt_at, m.locked_until, m.last_error = at, None, error
        return True

    async def due_now(self, consumer: str, invoice_id: int, now: datetime) -> int:
        found = [
            m
            for m in self.data.outbox.values()
            if m.consumer == consumer and m.invoice_id == invoice_id and not m.done_at
        ]
        for m in found:
            m.next_attempt_at = None
        return len(found)

    async def keep(
        self, consumer: str, event: str, payload: Mapping[str, Any], key: str, now: datetime
    ) -> bool:
        if not await self.add(consumer, event, None, payload, key, now):
            return False
        self.data.outbox[len(self.data.outbox)].done_at = now
        return True

    async def kept(self, consumer: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (m.event, dict(m.payload))
            for m in sorted(self.data.outbox.values(), key=lambda m: m.id)
            if m.consumer == consumer
        ]

    async def pending(self, consumer: str, invoice_id: int | None = None) -> list[OutboxMessage]:
        return [
            m.message()
            for m in sorted(self.data.outbox.values(), key=lambda m: m.id)
            if m.consumer == consumer
            and not m.done_at
            and (invoice_id is None or m.invoice_id == invoice_id)
        ]

    async def given_up(self, message_ids: Collection[int]) -> dict[int, str]:
        return {
            m.id: str(m.result["gave_up"])
            for m in self.data.outbox.values()
            if m.id in message_ids and m.done_at and "gave_up" in m.result
        }


class FakeRequests(_Part):
    async def claim(self, key: str, now: datetime, invoice_id: int | None) -> bool:
        if key in self.data.requests:
            return False
        self.data.requests[key] = HandledRequest(key, invoice_id, now, None)
        return True

    async def get(self, key: str) -> HandledRequest | None:
        return self.data.requests.get(key)

    async def save_reply(self, key: str, reply: Mapping[str, Any]) -> None:
        if key in self.data.requests:
            self.data.requests[key] = dataclasses.replace(
                self.data.requests[key], reply=dict(reply)
            )

    async def purge(self, before: datetime) -> int:
        old = [k for k, r in self.data.requests.items() if r.created_at < before]
        for key in old:
            del self.data.requests[key]
        return len(old)


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.data: Data | None = None
        self.records = FakeRecords(self)
        self.invoices = FakeInvoices(self)
        self.history = FakeHistory(self)
        self.numbers = FakeNumbers(self)
        self.documents = FakeDocuments(self)
        self.ledger = FakeLedger(self)
        self.outbox = FakeOutbox(self)
        self.requests = FakeRequests(self)

    async def __aenter__(self) -> Self:
        self.data = copy.deepcopy(self.store.data)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and self.data is not None:
            self.store.data = self.data
            self.store.commits += 1
        self.data = None


class FakeStore:
    def __init__(self) -> None:
        self.data = Data()
        self.commits = 0

    def unit_of_work(self, *, read_only: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)
