"""Corrections of money records and of chasing, never deletions: each is a history row with
who, when and why.

- hold / release: a disputed invoice is not chased while on hold (approvers and the owner).
- unpay: the last payment not yet reversed is reversed (a row of its own with the amount);
  a paid invoice that then owes something again is reopened as sent (or approved, when it
  was never sent).
- refund: a refund owed to the client (credit notes beyond what was still due on a paid
  invoice) was paid out.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from billing_core.errors import IllegalTransition, PaymentRefused
from billing_core.money import Money, parse_decimal
from billing_core.reasons import check_reason
from billing_core.state import InvoiceState
from billing_core.status import OPEN_STATUSES, PAYMENT_ACTIONS, UNPAY_ACTIONS, Action, Status
from billing_core.usecases.engine import Engine
from billing_core.usecases.ports import StoredEvent
from billing_core.usecases.settlement import settling
from billing_core.usecases.transitions import move


class Corrections:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def hold(
        self, number: str, user: str, reason: str, now: datetime, *, request_key: str | None = None
    ) -> InvoiceState:
        """Put an open invoice on hold (disputed): no reminders until released. Raises
        IllegalTransition for one already on hold or not open, NotAllowed, InvalidReason."""
        reason = check_reason(reason, "a hold")
        async with settling(self.engine, number, user, now, request_key) as (uow, state):
            if state.held_reason is not None:
                raise IllegalTransition(f"{state.label} is on hold already: {state.held_reason}")
            return await move(
                self.engine, uow, state, Action.HOLD, user, now,
                note=reason, fields={"held_reason": reason}, event={"reason": reason},
            )  # fmt: skip

    async def release(
        self, number: str, user: str, now: datetime, *, request_key: str | None = None
    ) -> InvoiceState:
        """Resume chasing of an invoice on hold. Raises IllegalTransition when not held."""
        async with settling(self.engine, number, user, now, request_key) as (uow, state):
            if state.held_reason is None:
                raise IllegalTransition(f"{state.label} is not on hold")
            return await move(
                self.engine, uow, state, Action.RELEASE, user, now, fields={"held_reason": None}
            )

    async def unpay(
        self, number: str, user: str, reason: str, now: datetime, *, request_key: str | None = None
    ) -> InvoiceState:
        """Reverse the last payment not yet reversed (approvers and the owner). Raises
        PaymentRefused when there is none, NotAllowed, InvalidReason."""
        reason = check_reason(reason, "reversing a payment")
        async with settling(self.engine, number, user, now, request_key) as (uow, state):
            history = await uow.history.for_invoice(state.id)
            amount = last_unreversed_payment(history)
            if amount is None or state.status not in (*OPEN_STATUSES, Status.PAID):
                raise PaymentRefused(f"{state.label} has no payment to reverse")
            payment = Money(amount, state.invoice.currency).rounded()
            paid = state.paid - payment
            action = Action.UNPAY
            if state.status is Status.PAID:
                owed = state.invoice.total - paid - state.credited_total
                if owed.amount > 0:
                    was_sent = any(e.action == Action.MARK_SENT.value for e in history)
                    action = Action.REOPEN_SENT if was_sent else Action.REOPEN_APPROVED
            return await move(
                self.engine, uow, state, action, user, now,
                amount=payment.amount, note=reason,
                fields={"paid": paid.amount},
                event={"amount": str(payment.amount), "reason": reason},
            )  # fmt: skip

    async def refund(
        self,
        number: str,
        user: str,
        now: datetime,
        amount: Decimal | str | None = None,
        refunded_on: date | None = None,
        *,
        request_key: str | None = None,
    ) -> InvoiceState:
        """Record that a refund owed to the client was paid out (all of it when `amount` is
        None). Raises PaymentRefused for nothing owed, more than owed, a date in the future."""
        async with settling(self.engine, number, user, now, request_key) as (uow, state):
            owed = state.refund_owed
            if owed.is_zero():
                raise PaymentRefused(f"no refund is owed on {state.label}")
            paid_out = owed
            if amount is not None:
                paid_out = Money.parse(parse_decimal(amount, what="amount"), owed.currency)
            if paid_out.amount <= 0:
                raise PaymentRefused("amount: a refund must be greater than zero")
            if paid_out > owed:
                raise PaymentRefused(f"amount: {paid_out} is more than the refund owed ({owed})")
            today = self.engine.today(now)
            if refunded_on is not None and refunded_on > today:
                raise PaymentRefused(f"the refund date {refunded_on} is in the future")
            return await move(
                self.engine, uow, state, Action.REFUND, user, now,
                amount=paid_out.amount, effective_on=refunded_on or today,
                note=f"refunded on {refunded_on.isoformat()}" if refunded_on else None,
                fields={"refunded": state.refunded + paid_out.amount},
                event={"amount": str(paid_out.amount)},
            )  # fmt: skip


def last_unreversed_payment(history: list[StoredEvent]) -> Decimal | None:
    """The amount of the latest payment in `history` that no later reversal took back."""
    stack: list[Decimal] = []
    for event in history:
        if event.action in PAYMENT_ACTIONS and event.amount is not None:
            stack.append(event.amount)
        elif event.action in UNPAY_ACTIONS and stack:
            stack.pop()
    return stack[-1] if stack else None
