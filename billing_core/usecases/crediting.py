"""Crediting: a credit note drafted for an issued invoice, approved like an invoice (same
approvers, same four-eyes rule on its amount), numbered in its own gapless series in the
approval's transaction, and the invoice's balance and status following it.

Approval is `Drafting.approve`, which hands a credit note draft to
`credit_issue.issue_credit_note`. The rules (what may be credited, the split across tax
rates, the status after) are pure, in `billing_core.credit`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from billing_core.credit import draft_credit_note
from billing_core.events import DomainEvent, EventName
from billing_core.money import Money, parse_decimal
from billing_core.reasons import check_reason
from billing_core.status import Action, Status
from billing_core.usecases.drafting import DraftResult, renderability_check
from billing_core.usecases.engine import Engine, claim_request
from billing_core.usecases.settlement import numbered_locked


class Crediting:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def start_credit(
        self,
        number: str,
        user: str,
        reason: str,
        now: datetime,
        *,
        amount: Decimal | str | None = None,
        currency: str | None = None,
        origin: Mapping[str, str] | None = None,
        request_key: str | None = None,
    ) -> DraftResult:
        """Draft a credit note for invoice `number`: its whole creditable amount when `amount`
        is None, else that gross amount (in the invoice's currency; `currency`, when the
        person named one, must be it). Anyone may draft it;
        approvers approve it. Several drafts may be open at once (each checked again against
        what is still creditable when approved). Raises InvoiceNotFound, CreditRefused,
        InvalidAmount, InvalidReason, UnsupportedCharacters, AlreadyHandled; nothing stored
        then."""
        reason = check_reason(reason, "a credit note")
        check_renderable = await asyncio.to_thread(renderability_check)
        async with self.engine.store.unit_of_work() as uow:
            original = await numbered_locked(uow, number)
            gross = None
            if amount is not None:
                value = parse_decimal(amount, what="amount")
                gross = Money(value, currency or original.invoice.currency)
            note = draft_credit_note(original, gross, reason, self.engine.today(now))
            check_renderable(note)
            credit_id = await uow.invoices.add(
                note, user, now, supersedes_id=None, credits_id=original.id
            )
            await claim_request(uow, request_key, now, credit_id)
            await uow.history.add(
                credit_id, now, user, Action.DRAFT, None, Status.DRAFT,
                effective_on=note.issue_date, amount=note.total.amount, note=reason,
            )  # fmt: skip
            payload = {
                "invoice_id": credit_id,
                "actor": user,
                "record_id": note.record_id,
                "supersedes_id": None,
                "credits_id": original.id,
                "origin": dict(origin or {}),
            }
            key = f"{EventName.DRAFT_CREATED.value}:{credit_id}"
            await self.engine.emit(
                uow, DomainEvent(EventName.DRAFT_CREATED, key, credit_id, payload), now
            )
            state = await uow.invoices.get(credit_id)
        assert state is not None
        return DraftResult(state, created=True)
