"""Tables. The Alembic migrations in `migrations/versions` create exactly these.

Amounts are NUMERIC(18, 4) (never float); times are timezone-aware; dates are DATE.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Amount(TypeDecorator[Decimal]):
    """NUMERIC(18, 4), exact on every backend.

    SQLite has no decimal type: SQLAlchemy would store floats there. We store the amount in
    ten-thousandths as an integer instead (exact, and SUM() stays exact); PostgreSQL gets a
    real NUMERIC. Both read back as Decimal with four places.
    """

    impl = Numeric(18, 4, asdecimal=True)
    cache_ok = True
    _SCALE = 4

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        scaled = Decimal(value).scaleb(self._SCALE)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"amount {value} has more than {self._SCALE} decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self._SCALE)
        return Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RecordRow(Base):
    __tablename__ = "records"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InvoiceRow(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        # A record has at most one invoice draft awaiting a decision.
        Index(
            "uq_invoices_open_draft",
            "record_id",
            unique=True,
            sqlite_where=text("status = 'draft' AND credits_id IS NULL"),
            postgresql_where=text("status = 'draft' AND credits_id IS NULL"),
        ),
        # (Credit note drafts are not limited: two people may each draft a part; the
        # approval checks what is still creditable, under the invoice's row lock.)
        Index("ix_invoices_status_due", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), index=True)
    number: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Amount())
    paid: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    owner: Mapped[str] = mapped_column(String(32), index=True)
    client_name: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    drafted_by: Mapped[str] = mapped_column(String(32))
    drafted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rejection_category: Mapped[str | None] = mapped_column(String(32))
    rejection_reason: Mapped[str | None] = mapped_column(Text)  # rejected or withdrawn: why
    void_reason: Mapped[str | None] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    # A credit note: the invoice it corrects (NULL for invoices).
    credits_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    # An invoice: the sum of its issued credit notes (balance = total - paid - credited).
    credited: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    refunded: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))  # paid back out
    held_reason: Mapped[str | None] = mapped_column(Text)  # on hold (disputed): why
    nudged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InvoiceLineRow(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Amount())
    unit_price: Mapped[Decimal] = mapped_column(Amount())
    tax_rate: Mapped[Decimal] = mapped_column(Amount())
    net: Mapped[Decimal] = mapped_column(Amount())


class InvoiceEventRow(Base):
    """Every status change (and payment): who, when, from, to, note."""

    __tablename__ = "invoice_events"
    # Reports ask for some actions on a period's dates (migration 0006).
    __table_args__ = (Index("ix_invoice_events_action_effective_on", "action", "effective_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal | None] = mapped_column(Amount())
    note: Mapped[str | None] = mapped_column(Text)
    # The business date it counts on in reports: a payment's own date, else the day it happened.
    effective_on: Mapped[date | None] = mapped_column(Date, index=True)


class NumberCounterRow(Base):
    """The last number handed out per counter ("year:2026" or "all")."""

    __tablename__ = "number_counters"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class DocumentRow(Base):
    """A rendered PDF, kept with its invoice and its record."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("invoice_id", "kind", name="uq_documents_invoice_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "draft" or "final"
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReminderLedgerRow(Base):
    """One row per (invoice, stage) ever pinged: claimed before sending, exactly once."""

    __tablename__ = "reminder_ledger"
    __table_args__ = (UniqueConstraint("invoice_id", "stage", name="uq_reminder_ledger_stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    run_date: Mapped[date] = mapped_column(Date)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    recipient: Mapped[str | None] = mapped_column(String(32))


class OutboxRow(Base):
    """A domain event for one subscriber, written in the same transaction as the change it
    reports; the subscriber's worker leases it, carries it out and marks it done."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("consumer", "dedupe_key", name="uq_outbox_consumer_dedupe_key"),
        Index("ix_outbox_pending", "consumer", "done_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consumer: Mapped[str] = mapped_column(String(32))  # the subscriber: "documents", "slack"
    event: Mapped[str] = mapped_column(String(32))  # billing_core.events.EventName
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # None: due now. Set by the worker's clock for a retry (the business clock that
    # wrote `created_at` may be a test's or a backfill's).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What a multi-step delivery has done so far (kept across attempts, so a retry skips it).
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ConversationRow(Base):
    """Where an adapter talks about an invoice (for the chat adapter: workspace, channel,
    thread, the message with the buttons, the files it shared). No use case reads this table:
    it belongs to the adapter named in `adapter`, which reaches it through the store's
    `conversations`. It lives here, in the one migration chain, for its foreign key."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("adapter", "invoice_id", name="uq_conversations_adapter_invoice"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    adapter: Mapped[str] = mapped_column(String(16))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    workspace: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))
    thread: Mapped[str | None] = mapped_column(String(32))
    actions_message: Mapped[str | None] = mapped_column(String(32))
    posted: Mapped[dict[str, Any]] = mapped_column(JSON)  # e.g. {"final_pdf": "F0123"}
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RequestKeyRow(Base):
    """A request already carried out (an adapter's idempotency key: a Slack trigger_id, a
    view's id and hash). Written in the transaction of the change it made, so a repeated
    delivery of the same request changes nothing twice; kept at least 24 hours."""

    __tablename__ = "request_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    reply: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what the person was told


class AuditEventRow(Base):
    """One link of the tamper-evident audit trail (billing_core.audit says what is hashed).

    Ids are handed out by the writer under the chain's lock (no autoincrement): the id is part
    of the hash, so it must be known before the row is written."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    invoice_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
