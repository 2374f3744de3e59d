"""Drafting and deciding: a record becomes a draft; an approver approves (a gapless number)
or rejects it (a reason); the system withdraws a draft it could not deliver."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from billing_core.errors import AlreadyDecided, InvalidCategory, InvoiceNotFound, RecordNotFound
from billing_core.events import DomainEvent, EventName
from billing_core.invoice import Invoice, draft_invoice
from billing_core.numbering import counter_key, format_number
from billing_core.reasons import MAX_REASON_LENGTH, check_reason
from billing_core.state import InvoiceState
from billing_core.status import REJECTION_CATEGORIES, Action, Status
from billing_core.usecases.approvals import check_may_reject_now, read_groups, sign_step
from billing_core.usecases.credit_issue import issue_credit_note
from billing_core.usecases.engine import Engine, claim_request
from billing_core.usecases.ports import UnitOfWork
from billing_core.usecases.transitions import move

SYSTEM_ACTOR = "invoicebot"  # the actor of changes nobody clicked (a withdrawn draft)


@dataclass(frozen=True)
class DraftResult:
    state: InvoiceState
    created: bool  # False: an open draft already existed and is returned instead
    supersedes: InvoiceState | None = None


class Drafting:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def start_draft(
        self,
        record_id: str,
        user: str,
        now: datetime,
        *,
        origin: Mapping[str, str] | None = None,
        request_key: str | None = None,
    ) -> DraftResult:
        """Snapshot the record into a new draft, or return the record's open draft.

        `origin` says where the request came from, for the adapters (opaque here: it rides
        on the draft_created event). Raises RecordNotFound, RecordNotReady or
        UnsupportedCharacters (nothing stored), AlreadyHandled for a repeated request.
        """
        # The renderability check needs borb and its fonts (about a second to import and
        # load, once per process): off the event loop, before the write lock is taken.
        check_renderable = await asyncio.to_thread(renderability_check)
        async with self.engine.store.unit_of_work() as uow:
            # Locked: two people drafting the same record at once get the same draft.
            record = await uow.records.get(record_id, lock=True)
            if record is None:
                raise RecordNotFound(record_id)
            existing = await uow.invoices.open_draft(record.id)
            if existing is not None:
                return DraftResult(existing, created=False)
            invoice = draft_invoice(record, self.engine.policy, self.engine.today(now))
            # Refuse now, with the characters named, a draft whose PDF could never render.
            check_renderable(invoice)
            # A re-draft right after a rejection links the rejected draft's thread.
            previous = [s for s in await uow.invoices.for_record(record.id) if not s.is_credit_note]
            latest = previous[-1] if previous else None
            supersedes = latest if latest and latest.status is Status.REJECTED else None
            invoice_id = await uow.invoices.add(
                invoice, user, now, supersedes_id=supersedes.id if supersedes else None
            )
            await claim_request(uow, request_key, now, invoice_id)
            await uow.history.add(
                invoice_id, now, user, Action.DRAFT, None, Status.DRAFT,
                effective_on=invoice.issue_date,
            )  # fmt: skip
            payload = {
                "invoice_id": invoice_id,
                "actor": user,
                "record_id": record.id,
                "supersedes_id": supersedes.id if supersedes else None,
                "origin": dict(origin or {}),
            }
            key = f"{EventName.DRAFT_CREATED.value}:{invoice_id}"
            await self.engine.emit(
                uow, DomainEvent(EventName.DRAFT_CREATED, key, invoice_id, payload), now
            )
            state = await uow.invoices.get(invoice_id)
        assert state is not None
        return DraftResult(state, created=True, supersedes=supersedes)

    async def approve(
        self, invoice_id: int, user: str, now: datetime, *, request_key: str | None = None
    ) -> InvoiceState:
        """Sign the step the draft waits for under its approval rule; the last step approves
        it: the next gapless number, in this transaction. Returns the invoice still a draft
        when steps remain. Raises AlreadyDecided, NotAnApprover, FourEyesRequired,
        AlreadySigned, InvoiceInvalid, InvoiceNotFound.

        A credit note draft is signed the same way (its rule matched on its absolute amount)
        and, at the last step, numbered in its own series (`crediting.issue_credit_note`); it
        may also raise CreditRefused, and GroupUnreadable when the step's user group cannot
        be read (approval_rules)."""
        groups = await read_groups(self.engine, invoice_id, now)  # before the row lock
        async with self.engine.store.unit_of_work() as uow:
            state = await _locked(uow, invoice_id)
            await claim_request(uow, request_key, now, invoice_id)
            if state.status is not Status.DRAFT:
                raise AlreadyDecided(state.status.value, state.number, state.decided_by)
            if await sign_step(self.engine, uow, state, user, now, groups) is not None:
                return state  # a step signed (its history row written); more steps to sign
            if state.is_credit_note:
                return await issue_credit_note(self.engine, uow, state, user, now)
            today = self.engine.today(now)
            fmt = self.engine.policy.invoice.number_format
            seq = await uow.numbers.next(counter_key(fmt, today))
            final = state.invoice.finalised(format_number(fmt, today, seq), today)
            await uow.invoices.finalise(invoice_id, final, now)
            return await move(
                self.engine, uow, state, Action.APPROVE, user, now,
                fields={"decided_by": user, "decided_at": now},
                event={"number": final.number},
            )  # fmt: skip

    async def reject(
        self,
        invoice_id: int,
        user: str,
        category: str,
        reason: str,
        now: datetime,
        *,
        request_key: str | None = None,
    ) -> InvoiceState:
        """Reject a draft with a category and a reason (kept for the correction report).
        Raises NotAnApprover (approvals.check_may_reject_now), AlreadyDecided,
        InvalidCategory, InvoiceNotFound."""
        if category not in REJECTION_CATEGORIES:
            raise InvalidCategory(f"unknown rejection category {category!r}")
        reason = check_reason(reason, "a rejection")
        # Who may reject does not depend on the draft: checked before its row lock, since a
        # user group's members may have to be read from the directory.
        await check_may_reject_now(self.engine, user, now)
        async with self.engine.store.unit_of_work() as uow:
            state = await _locked(uow, invoice_id)
            await claim_request(uow, request_key, now, invoice_id)
            if state.status is not Status.DRAFT:
                raise AlreadyDecided(state.status.value, state.number, state.decided_by)
            return await move(
                self.engine, uow, state, Action.REJECT, user, now,
                note=f"{REJECTION_CATEGORIES[category]}: {reason}",
                fields={
                    "decided_by": user,
                    "decided_at": now,
                    "rejection_category": category,
                    "rejection_reason": reason,
                },
            )  # fmt: skip

    async def check_may_reject(self, user: str, now: datetime) -> None:
        """Raise NotAnApprover unless `user` may reject drafts (before opening the form)."""
        await check_may_reject_now(self.engine, user, now)

    async def withdraw(self, invoice_id: int, reason: str, now: datetime) -> InvoiceState | None:
        """Withdraw a draft on the system's behalf when it can never reach people (e.g. the
        bot may not post in that channel), so the record can be drafted again elsewhere. Not
        a rejection: the correction figures count only people's decisions. None when the
        invoice is no longer a draft."""
        async with self.engine.store.unit_of_work() as uow:
            state = await uow.invoices.get(invoice_id, lock=True)
            if state is None or state.status is not Status.DRAFT:
                return None
            reason = reason[:MAX_REASON_LENGTH]
            return await move(
                self.engine, uow, state, Action.WITHDRAW, SYSTEM_ACTOR, now,
                note=reason,
                fields={
                    "decided_by": SYSTEM_ACTOR,
                    "decided_at": now,
                    "rejection_reason": reason,
                },
                event={"reason": reason},
            )  # fmt: skip


async def _locked(uow: UnitOfWork, invoice_id: int) -> InvoiceState:
    state = await uow.invoices.get(invoice_id, lock=True)
    if state is None:
        raise InvoiceNotFound(str(invoice_id))
    return state


def renderability_check() -> Callable[[Invoice], None]:
    """billing_core.pdf.check_renderable, imported and with its fonts loaded (blocking)."""
    from billing_core.pdf import bundled_fonts, check_renderable

    bundled_fonts.preload()
    return check_renderable
