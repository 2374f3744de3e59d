"""The billing service: every use case, each in one transaction.

Callers (CLI, Slack handlers, REST API, scheduler) pass who acts and `now` (timezone-aware);
"today" is `now` in the business time zone. Checks come from the pure domain modules; SQL from
the store's unit of work. Side effects that must reach Slack are queued in the outbox in the
same transaction as the state change (`OutboxKind`), so a crash or an outage loses none.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from billing_core.errors import (
    AlreadyDecided,
    BillingError,
    IllegalTransition,
    ImportFailed,
    InvoiceNotFound,
    PaymentRefused,
    RecordNotFound,
)
from billing_core.invoice import Invoice, draft_invoice
from billing_core.money import Money, parse_decimal
from billing_core.numbering import counter_key, format_number
from billing_core.permissions import (
    check_may_approve,
    check_may_reject,
    check_may_settle,
    check_may_void,
)
from billing_core.policy import Policy
from billing_core.reasons import MAX_REASON_LENGTH, check_reason
from billing_core.records import Record
from billing_core.reminders import DueReminder, business_date, reminders_due, snooze_until
from billing_core.reports import PeriodSummary
from billing_core.state import InvoiceState, SlackThread
from billing_core.status import OPEN_STATUSES, REJECTION_CATEGORIES, Action, Status, next_status
from billing_core.store.repository import Store, StoredDocument, StoredEvent, UnitOfWork

SYSTEM_ACTOR = "invoicebot"  # the actor of changes nobody clicked (a withdrawn draft)
# A reminder claimed but never marked sent for this long: its sender died; take it over.
CLAIM_TIMEOUT = timedelta(minutes=10)
# An outbox message is leased this long; one delivery (a render plus Slack calls with their
# retries) takes seconds, at worst a few minutes.
DELIVERY_LEASE = timedelta(minutes=10)


class OutboxKind(StrEnum):
    """Side effects the delivery worker carries out (billing_core does not know how)."""

    PUBLISH_DRAFT = "publish_draft"  # summary, draft PDF and buttons into a thread
    PUBLISH_APPROVAL = "publish_approval"  # final PDF into the thread, buttons replaced
    PUBLISH_REJECTION = "publish_rejection"  # reason into the thread, buttons replaced
    INVOICE_EVENT = "invoice_event"  # a note in the thread: marked sent, paid, voided
    NUDGE = "nudge"  # a draft waits too long: mention the approvers in its thread
    DIGEST = "digest"  # the Monday digest to the billing channel


@dataclass(frozen=True)
class Delivery:
    """One outbox message leased to this worker."""

    id: int
    kind: str
    invoice_id: int | None
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class DraftResult:
    state: InvoiceState
    created: bool  # False: an open draft already existed and is returned instead
    supersedes: InvoiceState | None = None


@dataclass(frozen=True)
class InvoicePage:
    """A slice of a longer list: `items` start at position `offset` of `total`."""

    items: list[InvoiceState]
    total: int
    offset: int = 0

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, or None on the last page."""
        end = self.offset + len(self.items)
        return end if end < self.total else None


@dataclass(frozen=True)
class RecordOverview:
    record: Record
    invoices: list[InvoiceState]


class Billing:
    """Use cases over one store and one policy."""

    def __init__(self, store: Store, policy: Policy) -> None:
        self.store = store
        self.policy = policy

    def today(self, now: datetime) -> date:
        """The business date of `now` (in `[reminders].timezone`)."""
        return business_date(now, self.policy.reminders.zone)

    # -- records -------------------------------------------------------------------------

    async def import_records(self, records: Sequence[Record], now: datetime) -> tuple[int, int]:
        """Upsert all records in one transaction; returns (created, updated)."""
        duplicates = sorted(i for i, n in Counter(r.id for r in records).items() if n > 1)
        if duplicates:
            raise ImportFailed([f"record {i}: appears more than once" for i in duplicates])
        created = 0
        async with self.store.unit_of_work() as uow:
            for record in records:
                created += await uow.upsert_record(record, now)
        return created, len(records) - created

    async def put_record(self, record: Record, now: datetime) -> bool:
        """Insert or replace one record; True when it was new."""
        async with self.store.unit_of_work() as uow:
            return await uow.upsert_record(record, now)

    async def record(self, record_id: str) -> Record:
        async with self.store.unit_of_work(read_only=True) as uow:
            record = await uow.get_record(record_id)
        if record is None:
            raise RecordNotFound(record_id)
        return record

    async def record_overview(self, record_id: str) -> RecordOverview:
        async with self.store.unit_of_work(read_only=True) as uow:
            record = await uow.get_record(record_id)
            if record is None:
                raise RecordNotFound(record_id)
            return RecordOverview(record, await uow.invoices_for_record(record_id))

    # -- drafting ------------------------------------------------------------------------

    async def start_draft(
        self,
        record_id: str,
        user: str,
        now: datetime,
        *,
        team_id: str | None = None,
        channel_id: str | None = None,
    ) -> DraftResult:
        """Snapshot the record into a new draft, or return the record's open draft.

        Raises RecordNotFound, RecordNotReady or UnsupportedCharacters (nothing stored).
        When `channel_id` is given a PUBLISH_DRAFT message is queued for the Slack thread.
        """
        # The renderability check below needs borb and its fonts (about a second to import
        # and load, once per process): off the event loop, before the write lock is taken.
        check_renderable = await asyncio.to_thread(_renderability_check)
        async with self.store.unit_of_work() as uow:
            # Locked: two people drafting the same record at once get the same draft.
            record = await uow.get_record(record_id, lock=True)
            if record is None:
                raise RecordNotFound(record_id)
            existing = await uow.open_draft(record.id)
            if existing is not None:
                return DraftResult(existing, created=False)
            invoice = draft_invoice(record, self.policy, self.today(now))
            # Refuse now, with the characters named, a draft whose PDF could never render.
            check_renderable(invoice)
            # A re-draft right after a rejection links the rejected draft's thread.
            previous = await uow.invoices_for_record(record.id)
            latest = previous[-1] if previous else None
            supersedes = latest if latest and latest.status is Status.REJECTED else None
            invoice_id = await uow.add_invoice(
                invoice,
                user,
                now,
                team_id=team_id,
                supersedes_id=supersedes.id if supersedes else None,
            )
            if channel_id:
                await uow.set_slack_thread(
                    invoice_id, SlackThread(team_id=team_id, channel_id=channel_id), now
                )
                await _queue(uow, OutboxKind.PUBLISH_DRAFT, invoice_id, now, user=user)
            state = await uow.get_invoice(invoice_id)
        assert state is not None
        return DraftResult(state, created=True, supersedes=supersedes)

    async def set_slack_thread(self, invoice_id: int, thread: SlackThread, now: datetime) -> None:
        async with self.store.unit_of_work() as uow:
            await uow.set_slack_thread(invoice_id, thread, now)

    # -- decisions -----------------------------------------------------------------------

    async def approve(
        self, invoice_id: int, user: str, now: datetime, *, team_id: str | None = None
    ) -> InvoiceState:
        """Approve a draft: next gapless number, in this transaction. Raises AlreadyDecided,
        NotAnApprover, FourEyesRequired, InvoiceNotFound."""
        async with self.store.unit_of_work() as uow:
            state = await self._locked(uow, invoice_id, team_id)
            if state.status is not Status.DRAFT:
                raise AlreadyDecided(state.status.value, state.number, state.decided_by)
            check_may_approve(user, state.drafted_by, state.total, self.policy.approval)
            next_status(state.status, Action.APPROVE)
            today = self.today(now)
            fmt = self.policy.invoice.number_format
            seq = await uow.next_sequence(counter_key(fmt, today))
            final = state.invoice.finalised(format_number(fmt, today, seq), today)
            if not await uow.change_status(
                invoice_id, Status.DRAFT, Status.APPROVED, now, decided_by=user, decided_at=now
            ):  # pragma: no cover - the row lock above makes this unreachable
                raise AlreadyDecided("decided")
            await uow.finalise(invoice_id, final, now)
            await uow.add_event(
                invoice_id, now, user, "approve", Status.DRAFT, Status.APPROVED, effective_on=today
            )
            await _queue(uow, OutboxKind.PUBLISH_APPROVAL, invoice_id, now, user=user)
            result = await uow.get_invoice(invoice_id)
        assert result is not None
        return result

    async def reject(
        self,
        invoice_id: int,
        user: str,
        category: str,
        reason: str,
        now: datetime,
        *,
        team_id: str | None = None,
    ) -> InvoiceState:
        """Reject a draft with a reason (kept for the correction report)."""
        if category not in REJECTION_CATEGORIES:
            raise BillingError(f"unknown rejection category {category!r}")
        reason = check_reason(reason, "a rejection")
        async with self.store.unit_of_work() as uow:
            state = await self._locked(uow, invoice_id, team_id)
            if state.status is not Status.DRAFT:
                raise AlreadyDecided(state.status.value, state.number, state.decided_by)
            check_may_reject(user, self.policy.approval)
            new = next_status(state.status, Action.REJECT)
            await uow.change_status(
                invoice_id,
                Status.DRAFT,
                new,
                now,
                decided_by=user,
                decided_at=now,
                rejection_category=category,
                rejection_reason=reason,
            )
            note = f"{REJECTION_CATEGORIES[category]}: {reason}"
            await uow.add_event(
                invoice_id,
                now,
                user,
                "reject",
                Status.DRAFT,
                new,
                note=note,
                effective_on=self.today(now),
            )
            await _queue(uow, OutboxKind.PUBLISH_REJECTION, invoice_id, now, user=user)
            result = await uow.get_invoice(invoice_id)
        assert result is not None
        return result

    async def withdraw_draft(self, invoice_id: int, reason: str, now: datetime) -> None:
        """Reject a draft on the system's behalf when it can never reach its thread (e.g. the
        bot may not post in that channel), so the record can be drafted again elsewhere."""
        async with self.store.unit_of_work() as uow:
            state = await uow.get_invoice(invoice_id, lock=True)
            if state is None or state.status is not Status.DRAFT:
                return
            new = next_status(state.status, Action.REJECT)
            await uow.change_status(
                invoice_id,
                Status.DRAFT,
                new,
                now,
                decided_by=SYSTEM_ACTOR,
                decided_at=now,
                rejection_category="other",
                rejection_reason=reason[:MAX_REASON_LENGTH],
            )
            await uow.add_event(
                invoice_id,
                now,
                SYSTEM_ACTOR,
                "withdraw",
                Status.DRAFT,
                new,
                note=reason,
                effective_on=self.today(now),
            )

    # -- after approval ------------------------------------------------------------------

    async def mark_sent(self, number: str, user: str, now: datetime) -> InvoiceState:
        async with self.store.unit_of_work() as uow:
            state = await self._numbered_locked(uow, number)
            check_may_settle(user, state.owner, self.policy.approval)
            new = next_status(state.status, Action.MARK_SENT)
            await uow.change_status(state.id, state.status, new, now)
            await uow.add_event(
                state.id, now, user, "send", state.status, new, effective_on=self.today(now)
            )
            result = await self._note_in_thread(uow, state.id, now, action="sent", user=user)
        assert result is not None
        return result

    async def record_payment(
        self,
        number: str,
        user: str,
        now: datetime,
        amount: Decimal | str | None = None,
        paid_on: date | None = None,
    ) -> InvoiceState:
        """Record a payment (the whole balance when `amount` is None).

        Partial payments keep the invoice open; paying more than the balance, nothing, or
        paying an invoice that is not open is refused with the reason.
        """
        async with self.store.unit_of_work() as uow:
            state = await self._numbered_locked(uow, number)
            check_may_settle(user, state.owner, self.policy.approval)
            if state.status not in OPEN_STATUSES:
                raise PaymentRefused(
                    f"{state.label} is {state.status.value}; only approved or sent invoices "
                    "take payments"
                )
            balance = state.balance
            if amount is None:
                payment = balance
            else:
                payment = Money.parse(parse_decimal(amount, what="amount"), balance.currency)
            if payment.amount <= 0:
                raise PaymentRefused("the amount paid must be greater than zero")
            if payment > balance:
                raise PaymentRefused(
                    f"{payment} is more than the balance of {state.label} ({balance})"
                )
            if paid_on is not None and paid_on > self.today(now):
                raise PaymentRefused(f"the payment date {paid_on} is in the future")
            if paid_on is not None and paid_on < state.invoice.issue_date:
                raise PaymentRefused(
                    f"the payment date {paid_on} is before the invoice date "
                    f"{state.invoice.issue_date}"
                )
            action = Action.SETTLE if payment == balance else Action.PART_PAY
            new = next_status(state.status, action)
            paid_total = state.paid + payment
            await uow.change_status(state.id, state.status, new, now, paid=paid_total.amount)
            note = f"paid on {paid_on.isoformat()}" if paid_on else None
            await uow.add_event(
                state.id,
                now,
                user,
                "payment",
                state.status,
                new,
                amount=payment.amount,
                note=note,
                effective_on=paid_on or self.today(now),
            )
            result = await self._note_in_thread(
                uow, state.id, now, action="paid", user=user, amount=str(payment.amount)
            )
        assert result is not None
        return result

    async def void(self, number: str, user: str, reason: str, now: datetime) -> InvoiceState:
        """Void an approved or sent invoice; it keeps its number."""
        reason = check_reason(reason, "voiding")
        async with self.store.unit_of_work() as uow:
            state = await self._numbered_locked(uow, number)
            check_may_void(user, self.policy.approval)
            new = next_status(state.status, Action.VOID)
            if state.paid.amount > 0:
                # Voiding would take a received payment out of every figure.
                raise IllegalTransition(
                    f"{state.label} cannot be voided: {state.paid} has been paid on it. "
                    "An invoice with payments is corrected by a credit note."
                )
            await uow.change_status(state.id, state.status, new, now, void_reason=reason)
            await uow.add_event(
                state.id,
                now,
                user,
                "void",
                state.status,
                new,
                note=reason,
                effective_on=self.today(now),
            )
            result = await self._note_in_thread(
                uow, state.id, now, action="void", user=user, reason=reason
            )
        assert result is not None
        return result

    # -- reading -------------------------------------------------------------------------

    async def invoice(self, invoice_id: int, *, team_id: str | None = None) -> InvoiceState:
        """An invoice by id; InvoiceNotFound also when it belongs to another workspace."""
        async with self.store.unit_of_work(read_only=True) as uow:
            state = await uow.get_invoice(invoice_id)
        if state is None or _foreign(state, team_id):
            raise InvoiceNotFound(str(invoice_id))
        return state

    async def find(self, reference: str) -> InvoiceState:
        """An invoice by number, or a record's latest invoice by record ID."""
        async with self.store.unit_of_work(read_only=True) as uow:
            return await self._find(uow, reference)

    async def events(self, invoice_id: int) -> list[StoredEvent]:
        async with self.store.unit_of_work(read_only=True) as uow:
            return await uow.events(invoice_id)

    async def list_invoices(
        self, kind: str, user: str, now: datetime, limit: int = 50, offset: int = 0
    ) -> InvoicePage:
        """One page of `drafts`, `overdue`, `mine` (the user's drafts and open invoices) or
        `open` (the default), oldest due first, with how many there are in all."""
        today = self.today(now)
        filters: dict[str, Any] = {"statuses": list(OPEN_STATUSES)}
        if kind == "drafts":
            filters = {"statuses": [Status.DRAFT]}
        elif kind == "overdue":
            filters["overdue_on"] = today
        elif kind == "mine":
            filters = {"statuses": [Status.DRAFT, *OPEN_STATUSES], "owner": user}
        async with self.store.unit_of_work(read_only=True) as uow:
            total = await uow.count_invoices(**filters)
            items = await uow.list_invoices(**filters, limit=limit, offset=offset)
        return InvoicePage(items, total, offset)

    async def save_document(self, state: InvoiceState, kind: str, pdf: bytes, now: datetime) -> str:
        """Keep a rendered PDF with its invoice and record; returns its sha256."""
        async with self.store.unit_of_work() as uow:
            return await uow.save_document(
                state.id, state.record_id, kind, document_filename(state, kind), pdf, now
            )

    async def document(self, invoice_id: int, kind: str) -> StoredDocument | None:
        async with self.store.unit_of_work(read_only=True) as uow:
            return await uow.get_document(invoice_id, kind)

    async def pending_deliveries(self, invoice_id: int) -> list[str]:
        """Outbox messages for this invoice not yet delivered (kinds)."""
        async with self.store.unit_of_work(read_only=True) as uow:
            return [row.kind for row in await uow.outbox_pending(invoice_id)]

    # -- reminders and nudges -------------------------------------------------------------

    async def due_reminders(self, today: date, now: datetime) -> list[DueReminder]:
        """Overdue (invoice, stage) pairs not yet pinged, as of business date `today`."""
        async with self.store.unit_of_work(read_only=True) as uow:
            stages = self.policy.reminders.stages_days
            candidates = await uow.reminder_candidates(today, stages, now - CLAIM_TIMEOUT)
            sent = await uow.ledger_stages([s.id for s in candidates], now - CLAIM_TIMEOUT)
        return reminders_due(candidates, sent, today, stages)

    async def claim_reminders(
        self, reminders: Sequence[DueReminder], run_date: date, now: datetime
    ) -> list[DueReminder]:
        """Claim the pairs in one transaction; returns those nobody else claimed first and
        that are still worth a ping (not paid, voided or snoozed since they were selected)."""
        async with self.store.unit_of_work() as uow:
            chasable = await uow.still_chasable([r.state.id for r in reminders], run_date)
            pairs = [
                (r.state.id, r.stage, r.recipient) for r in reminders if r.state.id in chasable
            ]
            claimed = await uow.claim_reminders(pairs, run_date, now, now - CLAIM_TIMEOUT)
        return [r for r in reminders if (r.state.id, r.stage) in claimed]

    async def mark_reminders_sent(self, reminders: Sequence[DueReminder], now: datetime) -> None:
        async with self.store.unit_of_work() as uow:
            await uow.mark_reminders_sent([(r.state.id, r.stage) for r in reminders], now)

    async def release_reminders(self, reminders: Sequence[DueReminder]) -> None:
        """Give claims back after a failed send, so the next run retries them."""
        async with self.store.unit_of_work() as uow:
            await uow.release_reminders([(r.state.id, r.stage) for r in reminders])

    async def snooze(self, invoice_id: int, user: str, now: datetime) -> InvoiceState:
        """Silence an invoice's reminders for SNOOZE_DAYS (approvers and the owner)."""
        async with self.store.unit_of_work() as uow:
            state = await uow.get_invoice(invoice_id, lock=True)
            if state is None:
                raise InvoiceNotFound(str(invoice_id))
            check_may_settle(user, state.owner, self.policy.approval)
            until = snooze_until(self.today(now))
            await uow.set_invoice_fields(invoice_id, now, snoozed_until=until)
            await uow.add_event(
                invoice_id,
                now,
                user,
                "snooze",
                state.status,
                state.status,
                note=f"until {until}",
                effective_on=self.today(now),
            )
            result = await uow.get_invoice(invoice_id)
        assert result is not None
        return result

    async def queue_nudges(self, now: datetime) -> int:
        """Queue one nudge for each draft waiting longer than `nudge_after_hours`; returns how
        many. The draft is marked nudged in the same transaction, so it is nudged once."""
        hours = self.policy.approval.nudge_after_hours
        queued = 0
        async with self.store.unit_of_work() as uow:
            for state in await uow.drafts_waiting_since(now - timedelta(hours=hours)):
                if await uow.claim_nudge(state.id, now):
                    await _queue(uow, OutboxKind.NUDGE, state.id, now)
                    queued += 1
        return queued

    async def queue_digest(self, week_start: date, channel: str, now: datetime) -> bool:
        """Queue the weekly digest for `channel` once per week; False if already queued."""
        digest = await self.weekly_digest(week_start, now)

        def as_json(section: dict[str, tuple[int, Decimal]]) -> dict[str, list[Any]]:
            return {currency: [n, str(amount)] for currency, (n, amount) in section.items()}

        payload = {
            "channel": channel,
            "week_start": week_start.isoformat(),
            "drafts_waiting": as_json(digest.drafts_waiting),
            "issued": as_json(digest.issued),
            "paid": as_json(digest.paid),
            "overdue": as_json(digest.overdue),
        }
        async with self.store.unit_of_work() as uow:
            return await uow.outbox_add(
                OutboxKind.DIGEST, payload, f"digest:{week_start.isoformat()}", now
            )

    async def weekly_digest(self, week_start: date, now: datetime) -> PeriodSummary:
        """The seven days from `week_start` (a Monday) in the business time zone."""
        return await self.period_summary(week_start, week_start + timedelta(days=7), now)

    async def period_summary(self, first: date, end: date, now: datetime) -> PeriodSummary:
        """Issued and paid in [first, end) (business time zone); drafts waiting and overdue
        as of `now`; rejections in the period by category (the correction report)."""
        zone = self.policy.reminders.zone
        start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
        stop = datetime.combine(end, datetime.min.time(), tzinfo=zone)
        today = self.today(now)
        async with self.store.unit_of_work(read_only=True) as uow:
            issued = await uow.event_totals("approve", first, end, amounts_from_event=False)
            paid = await uow.event_totals("payment", first, end, amounts_from_event=True)
            rejections = await uow.rejections_between(start, stop)
            drafts = await uow.list_invoices(statuses=[Status.DRAFT])
            open_ = await uow.list_invoices(statuses=list(OPEN_STATUSES), due_before=today)
        overdue: dict[str, tuple[int, Decimal]] = {}
        for state in open_:
            if state.is_overdue(today):
                count, total = overdue.get(state.invoice.currency, (0, Decimal(0)))
                overdue[state.invoice.currency] = (count + 1, total + state.balance.amount)
        waiting: dict[str, tuple[int, Decimal]] = {}
        for state in drafts:
            count, total = waiting.get(state.invoice.currency, (0, Decimal(0)))
            waiting[state.invoice.currency] = (count + 1, total + state.total.amount)
        return PeriodSummary(first, end, waiting, issued, paid, overdue, rejections)

    # -- outbox ---------------------------------------------------------------------------

    async def claim_deliveries(
        self,
        now: datetime,
        *,
        invoice_id: int | None = None,
        limit: int = 1,
        lease: timedelta = DELIVERY_LEASE,
    ) -> list[Delivery]:
        """Lease due outbox messages; a crashed worker's lease runs out and they come back.
        Claim few at a time: a lease must outlast the deliveries made under it."""
        async with self.store.unit_of_work() as uow:
            rows = await uow.outbox_claim(now, now + lease, limit, invoice_id)
            return [Delivery(r.id, r.kind, r.invoice_id, dict(r.payload), r.attempts) for r in rows]

    async def delivery_done(
        self, delivery: Delivery, now: datetime, result: dict[str, Any] | None = None
    ) -> bool:
        """False when the lease had run out and another worker took the message over."""
        async with self.store.unit_of_work() as uow:
            return await uow.outbox_done(delivery.id, delivery.attempts, now, result or {})

    async def delivery_failed(self, delivery: Delivery, retry_at: datetime, error: str) -> bool:
        async with self.store.unit_of_work() as uow:
            return await uow.outbox_retry_later(delivery.id, delivery.attempts, retry_at, error)

    async def retry_deliveries_now(self, invoice_id: int, now: datetime) -> int:
        async with self.store.unit_of_work() as uow:
            return await uow.outbox_due_now(invoice_id, now)

    async def mark_document_posted(self, invoice_id: int, kind: str, file_id: str) -> None:
        async with self.store.unit_of_work() as uow:
            await uow.mark_document_posted(invoice_id, kind, file_id)

    # -- helpers ---------------------------------------------------------------------------

    async def _note_in_thread(
        self, uow: UnitOfWork, invoice_id: int, now: datetime, **event: Any
    ) -> InvoiceState:
        """Queue a note of this change for the invoice's Slack thread, in the same transaction,
        with the status and balance right after it (not as they are when it is delivered).
        Returns the invoice as changed."""
        state = await uow.get_invoice(invoice_id)
        assert state is not None
        if state.slack.posted:
            key = f"event:{state.id}:{event['action']}:{now.isoformat()}"
            payload = {
                "invoice_id": state.id,
                "status": state.status.value,
                "balance": str(state.balance.amount),
                **event,
            }
            await uow.outbox_add(OutboxKind.INVOICE_EVENT, payload, key, now, state.id)
        return state

    async def _locked(self, uow: UnitOfWork, invoice_id: int, team_id: str | None) -> InvoiceState:
        state = await uow.get_invoice(invoice_id, lock=True)
        if state is None or _foreign(state, team_id):
            raise InvoiceNotFound(str(invoice_id))
        return state

    async def _find(self, uow: UnitOfWork, reference: str) -> InvoiceState:
        reference = reference.strip()
        state = await uow.get_invoice_by_number(reference)
        if state is not None:
            return state
        invoices = await uow.invoices_for_record(reference)
        if invoices:
            return invoices[-1]
        raise InvoiceNotFound(reference)

    async def _numbered_locked(self, uow: UnitOfWork, number: str) -> InvoiceState:
        """An invoice by its number, row-locked. Money changes never guess from a record ID:
        a record invoiced by milestones has several invoices."""
        state = await uow.get_invoice_by_number(number.strip(), lock=True)
        if state is not None:
            return state
        if await uow.invoices_for_record(number.strip()):
            raise InvoiceNotFound(
                number, f"that is a record: use its invoice number, see /invoice status {number}"
            )
        raise InvoiceNotFound(number)


def _renderability_check() -> Callable[[Invoice], None]:
    """billing_core.pdf.check_renderable, imported and with its fonts loaded (blocking)."""
    from billing_core.pdf import borb_compat, check_renderable

    borb_compat.preload()
    return check_renderable


def _foreign(state: InvoiceState, team_id: str | None) -> bool:
    """Another workspace's payload must not reach this workspace's invoices."""
    return bool(team_id and state.slack.team_id and team_id != state.slack.team_id)


async def _queue(
    uow: UnitOfWork, kind: OutboxKind, invoice_id: int, now: datetime, **payload: Any
) -> None:
    """Queue the one `kind` message an invoice ever gets (deduplicated by kind and id)."""
    await uow.outbox_add(
        kind, {"invoice_id": invoice_id, **payload}, f"{kind}:{invoice_id}", now, invoice_id
    )


def document_filename(state: InvoiceState, kind: str) -> str:
    """`INV-2026-0001.pdf` for finals, `DRAFT-P-123-7.pdf` for drafts."""
    if kind == "final" and state.number:
        safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in state.number)
        return f"{safe}.pdf"
    return f"DRAFT-{state.record_id}-{state.id}.pdf"
