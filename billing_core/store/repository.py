"""All SQL lives here. `UnitOfWork` is one transaction; the service composes its methods.

Locking: on PostgreSQL `lock=True` reads take a row lock (SELECT ... FOR UPDATE); on SQLite every
transaction already holds the database write lock from its first statement (BEGIN IMMEDIATE).
Number counters move with `UPDATE ... RETURNING` inside the approving transaction, so a rolled
back approval never burns a number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any

from sqlalchemy import Select, and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from billing_core.errors import StoreBusy
from billing_core.invoice import Invoice, invoice_from_json, invoice_to_json
from billing_core.money import Money
from billing_core.records import Record, parse_record, record_to_json
from billing_core.state import InvoiceState, SlackThread
from billing_core.status import OPEN_STATUSES, Status
from billing_core.store.engine import READ_ONLY
from billing_core.store.models import (
    DocumentRow,
    InvoiceEventRow,
    InvoiceLineRow,
    InvoiceRow,
    NumberCounterRow,
    OutboxRow,
    RecordRow,
    ReminderLedgerRow,
)


@dataclass(frozen=True)
class StoredEvent:
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str
    amount: Decimal | None
    note: str | None


@dataclass(frozen=True)
class StoredDocument:
    invoice_id: int
    record_id: str
    kind: str
    filename: str
    content: bytes
    sha256: str
    created_at: datetime
    posted_file_id: str | None = None


def _to_state(row: InvoiceRow | Any) -> InvoiceState:
    """From an ORM row or a plain result row with the invoice table's columns."""
    invoice = invoice_from_json(row.snapshot)
    return InvoiceState(
        id=row.id,
        invoice=invoice,
        status=Status(row.status),
        paid=Money(Decimal(row.paid), row.currency).rounded(),
        drafted_by=row.drafted_by,
        drafted_at=row.drafted_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        rejection_category=row.rejection_category,
        rejection_reason=row.rejection_reason,
        void_reason=row.void_reason,
        supersedes_id=row.supersedes_id,
        slack=SlackThread(row.team_id, row.channel_id, row.thread_ts, row.buttons_ts),
        snoozed_until=row.snoozed_until,
    )


# What the database says when another transaction holds what we need for longer than we wait:
# SQLite's busy timeout ran out ("database is locked"), PostgreSQL's lock_timeout or
# statement_timeout (SQLSTATE 55P03, 57014), or a deadlock or serialization failure it broke
# by aborting us (40P01, 40001). A retry later succeeds; nothing was written.
_BUSY_SQLSTATES = {"55P03", "57014", "40P01", "40001"}


def _is_busy(exc: DBAPIError) -> bool:
    """True when the database is busy right now (a retry later will succeed)."""
    cause = exc.orig
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return sqlstate in _BUSY_SQLSTATES or "database is locked" in str(cause)


class UnitOfWork:
    """One database transaction. Use `async with store.unit_of_work() as uow:`; it commits
    when the block ends normally and rolls back on an exception."""

    def __init__(self, session: AsyncSession, *, read_only: bool = False) -> None:
        self.session = session
        self.read_only = read_only

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

    @property
    def _dialect(self) -> str:
        return self.session.bind.dialect.name  # type: ignore[union-attr]

    def _insert(self, model: Any) -> Any:
        return (pg_insert if self._dialect == "postgresql" else sqlite_insert)(model)

    # -- records -------------------------------------------------------------------------

    async def get_record(self, record_id: str, *, lock: bool = False) -> Record | None:
        """The record; `lock=True` holds its row until commit (one draft at a time)."""
        if lock:
            query = select(RecordRow).where(RecordRow.id == record_id).with_for_update()
            row = (await self.session.execute(query)).scalar_one_or_none()
        else:
            row = await self.session.get(RecordRow, record_id)
        return parse_record(row.data) if row else None

    async def upsert_record(self, record: Record, now: datetime) -> bool:
        """Insert or replace the record; True when it was new."""
        data = record_to_json(record)
        values = {
            "kind": record.kind,
            "title": record.title,
            "owner": record.owner,
            "data": data,
            "updated_at": now,
        }
        # Insert-if-absent first, atomically, so two concurrent upserts of a new ID cannot
        # both report "created".
        inserted = await self.session.execute(
            self._insert(RecordRow)
            .values(id=record.id, created_at=now, **values)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(RecordRow.id)
        )
        if inserted.first() is not None:
            return True
        await self.session.execute(
            update(RecordRow).where(RecordRow.id == record.id).values(**values)
        )
        return False

    # -- invoices ------------------------------------------------------------------------

    async def add_invoice(
        self,
        invoice: Invoice,
        drafted_by: str,
        now: datetime,
        *,
        team_id: str | None = None,
        supersedes_id: int | None = None,
    ) -> int:
        row = InvoiceRow(
            record_id=invoice.record_id,
            number=invoice.number,
            status=Status.DRAFT.value,
            currency=invoice.currency,
            total=invoice.total.amount,
            paid=Decimal(0),
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            owner=invoice.owner,
            client_name=invoice.buyer.name,
            snapshot=invoice_to_json(invoice),
            drafted_by=drafted_by,
            drafted_at=now,
            supersedes_id=supersedes_id,
            team_id=team_id,
            updated_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        self.session.add_all(
            InvoiceLineRow(
                invoice_id=row.id,
                position=n,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price.amount,
                tax_rate=line.tax_rate,
                net=line.net.amount,
            )
            for n, line in enumerate(invoice.lines, start=1)
        )
        await self.add_event(
            row.id, now, drafted_by, "draft", None, Status.DRAFT, effective_on=invoice.issue_date
        )
        return row.id

    def _invoice_query(self, lock: bool) -> Select[tuple[InvoiceRow]]:
        query = select(InvoiceRow)
        return query.with_for_update() if lock else query

    async def get_invoice(self, invoice_id: int, *, lock: bool = False) -> InvoiceState | None:
        query = self._invoice_query(lock).where(InvoiceRow.id == invoice_id)
        row = (await self.session.execute(query)).scalar_one_or_none()
        return _to_state(row) if row else None

    async def get_invoice_by_number(
        self, number: str, *, lock: bool = False
    ) -> InvoiceState | None:
        query = self._invoice_query(lock).where(func.upper(InvoiceRow.number) == number.upper())
        row = (await self.session.execute(query)).scalar_one_or_none()
        return _to_state(row) if row else None

    async def invoices_for_record(self, record_id: str) -> list[InvoiceState]:
        query = select(InvoiceRow).where(InvoiceRow.record_id == record_id).order_by(InvoiceRow.id)
        return [_to_state(row) for row in (await self.session.execute(query)).scalars()]

    async def open_draft(self, record_id: str) -> InvoiceState | None:
        query = select(InvoiceRow).where(
            InvoiceRow.record_id == record_id, InvoiceRow.status == Status.DRAFT.value
        )
        row = (await self.session.execute(query)).scalar_one_or_none()
        return _to_state(row) if row else None

    @staticmethod
    def _filtered(
        query: Any,
        statuses: Sequence[Status] | None = None,
        owner: str | None = None,
        due_before: date | None = None,
        overdue_on: date | None = None,
    ) -> Any:
        if statuses is not None:
            query = query.where(InvoiceRow.status.in_([s.value for s in statuses]))
        if owner is not None:
            query = query.where(InvoiceRow.owner == owner)
        if due_before is not None:
            query = query.where(InvoiceRow.due_date < due_before)
        if overdue_on is not None:
            # Overdue (billing_core.state): due before today and a balance still owed.
            query = query.where(
                InvoiceRow.due_date < overdue_on, InvoiceRow.paid < InvoiceRow.total
            )
        return query

    async def list_invoices(
        self,
        *,
        statuses: Sequence[Status] | None = None,
        owner: str | None = None,
        due_before: date | None = None,
        overdue_on: date | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[InvoiceState]:
        query = self._filtered(select(InvoiceRow), statuses, owner, due_before, overdue_on)
        query = query.order_by(InvoiceRow.due_date, InvoiceRow.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [_to_state(row) for row in (await self.session.execute(query)).scalars()]

    async def count_invoices(
        self,
        *,
        statuses: Sequence[Status] | None = None,
        owner: str | None = None,
        due_before: date | None = None,
        overdue_on: date | None = None,
    ) -> int:
        query = self._filtered(
            select(func.count()).select_from(InvoiceRow), statuses, owner, due_before, overdue_on
        )
        return int((await self.session.execute(query)).scalar_one())

    async def set_slack_thread(self, invoice_id: int, thread: SlackThread, now: datetime) -> None:
        await self.session.execute(
            update(InvoiceRow)
            .where(InvoiceRow.id == invoice_id)
            .values(
                team_id=thread.team_id,
                channel_id=thread.channel_id,
                thread_ts=thread.thread_ts,
                buttons_ts=thread.buttons_ts,
                updated_at=now,
            )
        )

    async def change_status(
        self, invoice_id: int, expected: Status, new: Status, now: datetime, **fields: Any
    ) -> bool:
        """Compare-and-set the status; False when someone else moved it first."""
        result = await self.session.execute(
            update(InvoiceRow)
            .where(InvoiceRow.id == invoice_id, InvoiceRow.status == expected.value)
            .values(status=new.value, updated_at=now, **fields)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def set_invoice_fields(self, invoice_id: int, now: datetime, **fields: Any) -> None:
        await self.session.execute(
            update(InvoiceRow).where(InvoiceRow.id == invoice_id).values(updated_at=now, **fields)
        )

    async def finalise(
        self, invoice_id: int, invoice: Invoice, now: datetime, **fields: Any
    ) -> None:
        """Store the numbered snapshot (number, issue and due date) of an approved invoice."""
        await self.session.execute(
            update(InvoiceRow)
            .where(InvoiceRow.id == invoice_id)
            .values(
                number=invoice.number,
                issue_date=invoice.issue_date,
                due_date=invoice.due_date,
                snapshot=invoice_to_json(invoice),
                updated_at=now,
                **fields,
            )
        )

    async def add_event(
        self,
        invoice_id: int,
        at: datetime,
        actor: str,
        action: str,
        from_status: Status | None,
        to_status: Status,
        *,
        effective_on: date,
        amount: Decimal | None = None,
        note: str | None = None,
    ) -> None:
        self.session.add(
            InvoiceEventRow(
                invoice_id=invoice_id,
                at=at,
                actor=actor,
                action=action,
                from_status=from_status.value if from_status else None,
                to_status=to_status.value,
                amount=amount,
                note=note,
                effective_on=effective_on,
            )
        )
        await self.session.flush()

    async def events(self, invoice_id: int) -> list[StoredEvent]:
        query = (
            select(InvoiceEventRow)
            .where(InvoiceEventRow.invoice_id == invoice_id)
            .order_by(InvoiceEventRow.id)
        )
        return [
            StoredEvent(r.at, r.actor, r.action, r.from_status, r.to_status, r.amount, r.note)
            for r in (await self.session.execute(query)).scalars()
        ]

    # -- numbers -------------------------------------------------------------------------

    async def next_sequence(self, key: str) -> int:
        """Move counter `key` on by one and return the new value (row-locked until commit)."""
        await self.session.execute(
            self._insert(NumberCounterRow)
            .values(key=key, last_seq=0)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        result = await self.session.execute(
            update(NumberCounterRow)
            .where(NumberCounterRow.key == key)
            .values(last_seq=NumberCounterRow.last_seq + 1)
            .returning(NumberCounterRow.last_seq)
        )
        return int(result.scalar_one())

    # -- documents -----------------------------------------------------------------------

    async def save_document(
        self,
        invoice_id: int,
        record_id: str,
        kind: str,
        filename: str,
        content: bytes,
        now: datetime,
    ) -> str:
        """Keep a PDF with its invoice and record (one per kind); returns its sha256."""
        digest = hashlib.sha256(content).hexdigest()
        await self.session.execute(
            delete(DocumentRow).where(
                DocumentRow.invoice_id == invoice_id, DocumentRow.kind == kind
            )
        )
        self.session.add(
            DocumentRow(
                invoice_id=invoice_id,
                record_id=record_id,
                kind=kind,
                filename=filename,
                content=content,
                sha256=digest,
                size=len(content),
                created_at=now,
            )
        )
        await self.session.flush()
        return digest

    async def get_document(self, invoice_id: int, kind: str) -> StoredDocument | None:
        query = select(DocumentRow).where(
            DocumentRow.invoice_id == invoice_id, DocumentRow.kind == kind
        )
        row = (await self.session.execute(query)).scalar_one_or_none()
        if row is None:
            return None
        return StoredDocument(
            row.invoice_id, row.record_id, row.kind, row.filename, row.content, row.sha256,
            row.created_at, row.posted_file_id,
        )  # fmt: skip

    async def mark_document_posted(self, invoice_id: int, kind: str, file_id: str) -> None:
        await self.session.execute(
            update(DocumentRow)
            .where(DocumentRow.invoice_id == invoice_id, DocumentRow.kind == kind)
            .values(posted_file_id=file_id)
        )

    # -- reminder ledger -------------------------------------------------------------------

    async def ledger_stages(
        self, invoice_ids: Iterable[int], stale_before: datetime
    ) -> dict[int, set[int]]:
        """Stages sent, or claimed by a sender still alive, per invoice."""
        ids = list(invoice_ids)
        out: dict[int, set[int]] = {}
        for start in range(0, len(ids), 500):
            query = select(ReminderLedgerRow.invoice_id, ReminderLedgerRow.stage).where(
                ReminderLedgerRow.invoice_id.in_(ids[start : start + 500]),
                or_(
                    ReminderLedgerRow.sent_at.is_not(None),
                    ReminderLedgerRow.claimed_at >= stale_before,
                ),
            )
            for invoice_id, stage in await self.session.execute(query):
                out.setdefault(invoice_id, set()).add(stage)
        return out

    async def reminder_candidates(
        self, today: date, stages_days: Sequence[int], stale_before: datetime
    ) -> list[InvoiceState]:
        """Open invoices past due that may need a reminder on `today`: not snoozed through
        today, and not yet pinged (nor being pinged) at the stage they have reached or above.

        A superset of what `billing_core.reminders.reminders_due` picks from them (it still
        decides); the filter only spares loading the many invoices already pinged.
        """
        if not stages_days:
            return []
        ledger = ReminderLedgerRow

        def pinged_at_or_above(stage: int) -> Any:
            return exists().where(
                ledger.invoice_id == InvoiceRow.id,
                ledger.stage >= stage,
                or_(ledger.sent_at.is_not(None), ledger.claimed_at >= stale_before),
            )

        branches = []
        for stage, days in enumerate(stages_days, start=1):
            reached = InvoiceRow.due_date <= today - timedelta(days=days)
            if stage < len(stages_days):  # ... and not the next one
                reached = and_(
                    reached, InvoiceRow.due_date > today - timedelta(days=stages_days[stage])
                )
            branches.append(and_(reached, ~pinged_at_or_above(stage)))
        query = (
            select(*InvoiceRow.__table__.columns)  # plain rows: no ORM identity map to fill
            .where(
                InvoiceRow.status.in_([s.value for s in OPEN_STATUSES]),
                InvoiceRow.due_date < today,
                or_(InvoiceRow.snoozed_until.is_(None), InvoiceRow.snoozed_until < today),
                or_(*branches),
            )
            .order_by(InvoiceRow.due_date, InvoiceRow.id)
        )
        return [_to_state(row) for row in await self.session.execute(query)]

    async def claim_reminders(
        self,
        pairs: Sequence[tuple[int, int, str]],
        run_date: date,
        now: datetime,
        stale_before: datetime,
    ) -> set[tuple[int, int]]:
        """`claim_reminder` for many (invoice, stage, recipient) at once, 500 rows per
        statement; returns the (invoice, stage) pairs this call claimed. Keep `pairs` in one
        order across callers (PostgreSQL then never deadlocks two racing runners)."""
        claimed: set[tuple[int, int]] = set()
        ledger = ReminderLedgerRow
        for start in range(0, len(pairs), 500):
            rows = [
                {"invoice_id": i, "stage": s, "run_date": run_date, "claimed_at": now,
                 "recipient": r}
                for i, s, r in pairs[start : start + 500]
            ]  # fmt: skip
            stmt = self._insert(ledger).values(rows)
            stmt = stmt.on_conflict_do_update(
                index_elements=["invoice_id", "stage"],
                set_={
                    "run_date": stmt.excluded.run_date,
                    "claimed_at": stmt.excluded.claimed_at,
                    "recipient": stmt.excluded.recipient,
                },
                where=and_(ledger.sent_at.is_(None), ledger.claimed_at < stale_before),
            ).returning(ledger.invoice_id, ledger.stage)
            claimed.update((i, s) for i, s in await self.session.execute(stmt))
        return claimed

    async def still_chasable(self, invoice_ids: Sequence[int], today: date) -> set[int]:
        """Of these invoices, those still open with a balance and not snoozed on `today`."""
        found: set[int] = set()
        for start in range(0, len(invoice_ids), 500):
            query = select(InvoiceRow.id).where(
                InvoiceRow.id.in_(invoice_ids[start : start + 500]),
                InvoiceRow.status.in_([s.value for s in OPEN_STATUSES]),
                InvoiceRow.paid < InvoiceRow.total,
                or_(InvoiceRow.snoozed_until.is_(None), InvoiceRow.snoozed_until < today),
            )
            found.update(await self.session.scalars(query))
        return found

    @staticmethod
    def _ledger_by_stage(pairs: Iterable[tuple[int, int]]) -> list[tuple[int, list[int]]]:
        """(stage, up to 500 invoice ids) groups, for one statement each."""
        by_stage: dict[int, list[int]] = {}
        for invoice_id, stage in pairs:
            by_stage.setdefault(stage, []).append(invoice_id)
        return [
            (stage, ids[start : start + 500])
            for stage, ids in by_stage.items()
            for start in range(0, len(ids), 500)
        ]

    async def mark_reminders_sent(self, pairs: Iterable[tuple[int, int]], now: datetime) -> None:
        for stage, ids in self._ledger_by_stage(pairs):
            await self.session.execute(
                update(ReminderLedgerRow)
                .where(ReminderLedgerRow.stage == stage, ReminderLedgerRow.invoice_id.in_(ids))
                .values(sent_at=now)
            )

    async def release_reminders(self, pairs: Iterable[tuple[int, int]]) -> None:
        for stage, ids in self._ledger_by_stage(pairs):
            await self.session.execute(
                delete(ReminderLedgerRow).where(
                    ReminderLedgerRow.stage == stage,
                    ReminderLedgerRow.invoice_id.in_(ids),
                    ReminderLedgerRow.sent_at.is_(None),
                )
            )

    async def claim_nudge(self, invoice_id: int, now: datetime) -> bool:
        """Mark a draft as nudged unless it already was (exactly one nudge per draft)."""
        result = await self.session.execute(
            update(InvoiceRow)
            .where(
                InvoiceRow.id == invoice_id,
                InvoiceRow.nudged_at.is_(None),
                InvoiceRow.status == Status.DRAFT.value,
            )
            .values(nudged_at=now)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def drafts_waiting_since(self, before: datetime) -> list[InvoiceState]:
        query = (
            select(InvoiceRow)
            .where(
                InvoiceRow.status == Status.DRAFT.value,
                InvoiceRow.drafted_at < before,
                InvoiceRow.nudged_at.is_(None),
            )
            .order_by(InvoiceRow.id)
        )
        return [_to_state(row) for row in (await self.session.execute(query)).scalars()]

    async def rejections_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, str, str]]:
        query = (
            select(InvoiceRow.record_id, InvoiceRow.rejection_category, InvoiceRow.rejection_reason)
            .where(
                InvoiceRow.status == Status.REJECTED.value,
                InvoiceRow.decided_at >= start,
                InvoiceRow.decided_at < end,
            )
            .order_by(InvoiceRow.decided_at)
        )
        return [(r, c or "other", t or "") for r, c, t in await self.session.execute(query)]

    async def event_totals(
        self, action: str, first: date, end: date, *, amounts_from_event: bool
    ) -> dict[str, tuple[int, Decimal]]:
        """Per currency: how many `action` events count on a day in [first, end) and their sum
        (the event's amount, or the invoice total)."""
        amount = InvoiceEventRow.amount if amounts_from_event else InvoiceRow.total
        query = (
            select(InvoiceRow.currency, func.count(), func.coalesce(func.sum(amount), 0))
            .select_from(InvoiceEventRow)
            .join(InvoiceRow, InvoiceRow.id == InvoiceEventRow.invoice_id)
            .where(
                InvoiceEventRow.action == action,
                InvoiceEventRow.effective_on >= first,
                InvoiceEventRow.effective_on < end,
            )
            .group_by(InvoiceRow.currency)
        )
        return {
            currency: (int(count), Decimal(total))
            for currency, count, total in await self.session.execute(query)
        }

    async def outbox_add(
        self,
        kind: str,
        payload: dict[str, Any],
        dedupe_key: str,
        now: datetime,
        invoice_id: int | None = None,
    ) -> bool:
        """Queue a Slack side effect once per dedupe key; False when it was already queued."""
        result = await self.session.execute(
            self._insert(OutboxRow)
            .values(
                kind=kind,
                invoice_id=invoice_id,
                payload=payload,
                dedupe_key=dedupe_key,
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def outbox_claim(
        self, now: datetime, lease_until: datetime, limit: int, invoice_id: int | None = None
    ) -> list[OutboxRow]:
        """Lease due messages to this worker; other workers skip leased ones.

        Messages of one invoice go out in order: one waits while an earlier one is pending
        (an approval must not be posted before the draft's buttons exist).
        """
        earlier = aliased(OutboxRow)
        query = (
            select(OutboxRow)
            .where(
                OutboxRow.done_at.is_(None),
                OutboxRow.next_attempt_at <= now,
                or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until < now),
                ~exists().where(
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
        if self._dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list((await self.session.execute(query)).scalars())
        for row in rows:
            row.locked_until = lease_until
            row.attempts += 1
        await self.session.flush()
        return rows

    async def outbox_done(
        self, outbox_id: int, attempt: int, now: datetime, result: dict[str, Any]
    ) -> bool:
        """Mark delivered. Fenced by the attempt number: False when this worker's lease had
        run out and another worker claimed the message meanwhile."""
        outcome = await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == outbox_id, OutboxRow.attempts == attempt)
            .values(done_at=now, locked_until=None, result=result, last_error=None)
        )
        return outcome.rowcount == 1  # type: ignore[attr-defined]

    async def outbox_retry_later(
        self, outbox_id: int, attempt: int, at: datetime, error: str
    ) -> bool:
        """Put back for a later attempt (fenced like outbox_done)."""
        outcome = await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == outbox_id,
                OutboxRow.attempts == attempt,
                OutboxRow.done_at.is_(None),
            )
            .values(next_attempt_at=at, locked_until=None, last_error=error[:1000])
        )
        return outcome.rowcount == 1  # type: ignore[attr-defined]

    async def outbox_due_now(self, invoice_id: int, now: datetime) -> int:
        """Make the invoice's pending messages due now (a person asked to retry)."""
        result = await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.invoice_id == invoice_id, OutboxRow.done_at.is_(None))
            .values(next_attempt_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def outbox_pending(self, invoice_id: int | None = None) -> list[OutboxRow]:
        query = select(OutboxRow).where(OutboxRow.done_at.is_(None)).order_by(OutboxRow.id)
        if invoice_id is not None:
            query = query.where(OutboxRow.invoice_id == invoice_id)
        return list((await self.session.execute(query)).scalars())


class Store:
    """Hands out units of work on one engine's sessions."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A transaction; `read_only=True` for one that only reads (no write lock on SQLite)."""
        return UnitOfWork(self._sessionmaker(), read_only=read_only)
