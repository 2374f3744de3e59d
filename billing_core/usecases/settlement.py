"""After approval: marking sent, recording payments, voiding, snoozing reminders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal

from billing_core.errors import IllegalTransition, InvoiceNotFound, PaymentRefused
from billing_core.money import Money, parse_decimal
from billing_core.permissions import check_may_settle, check_may_void
from billing_core.reasons import check_reason
from billing_core.reminders import snooze_until
from billing_core.state import InvoiceState
from billing_core.status import OPEN_STATUSES, Action, Status
from billing_core.usecases.engine import Engine, claim_request
from billing_core.usecases.ports import UnitOfWork
from billing_core.usecases.transitions import move


class Settlement:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def mark_sent(
        self, number: str, user: str, now: datetime, *, request_key: str | None = None
    ) -> InvoiceState:
        """An approved invoice was sent to the client (approvers and the owner)."""
        async with settling(self.engine, number, user, now, request_key) as (uow, state):
            return await move(self.engine, uow, state, Action.MARK_SENT, user, now)

    async def record_payment(
        self,
        number: str,
        user: str,
        now: datetime,
        amount: Decimal | str | None = None,
        paid_on: date | None = None,
        *,
        request_key: str | None = None,
    ) -> InvoiceState:
        """Record a payment (the whole balance when `amount` is None).

        Partial payments keep the invoice open; paying more than the balance, nothing, on a
        date before the invoice or in the future, or an invoice that is not open is refused
        with the reason (PaymentRefused).
        """
        async with settling(self.engine, number, user, now, request_key) as (uow, state):
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
            today = self.engine.today(now)
            if paid_on is not None and paid_on > today:
                raise PaymentRefused(f"the payment date {paid_on} is in the future")
            if paid_on is not None and paid_on < state.invoice.issue_date:
                raise PaymentRefused(
                    f"the payment date {paid_on} is before the invoice date "
                    f"{state.invoice.issue_date}"
                )
            action = Action.SETTLE if payment == balance else Action.PART_PAY
            return await move(
                self.engine, uow, state, action, user, now,
                amount=payment.amount,
                note=f"paid on {paid_on.isoformat()}" if paid_on else None,
                effective_on=paid_on or today,
                fields={"paid": (state.paid + payment).amount},
                event={"amount": str(payment.amount)},
            )  # fmt: skip

    async def void(
        self,
        number: str,
        user: str,
        reason: str,
        now: datetime,
        *,
        request_key: str | None = None,
    ) -> InvoiceState:
        """Void an approved invoice never sent, with nothing paid on it; it keeps its number.
        A sent invoice is corrected by a credit note instead (IllegalTransition says so)."""
        reason = check_reason(reason, "voiding")
        async with self.engine.store.unit_of_work() as uow:
            state = await numbered_locked(uow, number)
            await claim_request(uow, request_key, now, state.id)
            check_may_void(user, self.engine.policy.approval)
            if state.status in OPEN_STATUSES and state.paid.amount > 0:
                # Voiding would take a received payment out of every figure.
                raise IllegalTransition(
                    f"{state.label} cannot be voided: {state.paid} has been paid on it. "
                    "An invoice with payments is corrected by a credit note."
                )
            if state.status is Status.SENT and state.paid.amount == 0:
                # Tax law and auditors want an invoice the client has seen corrected by a
                # document of its own, not quietly voided.
                raise IllegalTransition(
                    f"{state.label} was sent to the client, so it cannot be voided: correct "
                    f"it with a credit note (credit {state.label} REASON)."
                )
            if state.credited > 0:
                raise IllegalTransition(
                    f"{state.label} cannot be voided: credit notes of {state.credited_total} "
                    "were issued against it. Credit what is left instead."
                )
            return await move(
                self.engine, uow, state, Action.VOID, user, now,
                note=reason, fields={"void_reason": reason}, event={"reason": reason},
            )  # fmt: skip

    async def snooze(
        self, invoice_id: int, user: str, now: datetime, *, request_key: str | None = None
    ) -> InvoiceState:
        """Silence an invoice's reminders for SNOOZE_DAYS (approvers and the owner)."""
        async with self.engine.store.unit_of_work() as uow:
            state = await uow.invoices.get(invoice_id, lock=True)
            if state is None:
                raise InvoiceNotFound(str(invoice_id))
            await claim_request(uow, request_key, now, state.id)
            check_may_settle(user, state.owner, self.engine.policy.approval)
            until = snooze_until(self.engine.today(now))
            return await move(
                self.engine, uow, state, Action.SNOOZE, user, now,
                note=f"until {until}", fields={"snoozed_until": until},
                event={"until": until.isoformat()},
            )  # fmt: skip


@asynccontextmanager
async def settling(
    engine: Engine, number: str, user: str, now: datetime, request_key: str | None
) -> AsyncIterator[tuple[UnitOfWork, InvoiceState]]:
    """The unit of work of a change by an approver or the record's owner to the invoice
    numbered `number`: the invoice row-locked, the request claimed. Raises InvoiceNotFound,
    AlreadyHandled (a repeated request, rolled back) and NotAllowed, in that order."""
    async with engine.store.unit_of_work() as uow:
        state = await numbered_locked(uow, number)
        await claim_request(uow, request_key, now, state.id)
        check_may_settle(user, state.owner, engine.policy.approval)
        yield uow, state


async def numbered_locked(uow: UnitOfWork, number: str) -> InvoiceState:
    """An invoice by its number, row-locked. Money changes never guess from a record ID:
    a record invoiced by milestones has several invoices."""
    state = await uow.invoices.by_number(number.strip(), lock=True)
    if state is not None:
        return state
    if await uow.invoices.for_record(number.strip()):
        raise InvoiceNotFound(
            number, f"that is a record: use its invoice number, see /invoice status {number}"
        )
    raise InvoiceNotFound(number)
