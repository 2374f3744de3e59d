"""Issuing a credit note on approval: its own number, and the invoice it corrects follows."""

from __future__ import annotations

from datetime import datetime

from billing_core.credit import credit_action
from billing_core.numbering import credit_counter_key, format_number
from billing_core.state import InvoiceState
from billing_core.status import Action
from billing_core.usecases.engine import Engine
from billing_core.usecases.ports import UnitOfWork
from billing_core.usecases.transitions import move


async def issue_credit_note(
    engine: Engine, uow: UnitOfWork, note: InvoiceState, user: str, now: datetime
) -> InvoiceState:
    """Approve credit note draft `note` (row-locked by the caller, permissions checked): lock
    the invoice it corrects, check the amount is still creditable, take the next number of
    the credit notes' series and move both, all in the caller's transaction. Two approvals
    racing on one invoice are serialized by the invoice's row lock (SQLite: the write lock),
    so together they never credit more than its total. Raises CreditRefused, InvoiceInvalid."""
    assert note.credits_id is not None
    original = await uow.invoices.get(note.credits_id, lock=True)
    assert original is not None  # a foreign key
    action = credit_action(original, note.total)
    today = engine.today(now)
    fmt = engine.policy.invoice.credit_note_format
    seq = await uow.numbers.next(credit_counter_key(fmt, today))
    final = note.invoice.finalised(format_number(fmt, today, seq), today)
    await uow.invoices.finalise(note.id, final, now)
    issued = await move(
        engine, uow, note, Action.ISSUE, user, now,
        amount=final.total.amount,
        fields={"decided_by": user, "decided_at": now},
        event={"number": final.number, "credits_id": original.id},
    )  # fmt: skip
    credited = original.credited_total + final.total
    await move(
        engine, uow, original, action, user, now,
        amount=final.total.amount,
        note=f"credit note {final.number}: {final.credit_reason}",
        fields={"credited": credited.amount},
        event={"credit_note": final.number, "amount": str(final.total.amount)},
    )  # fmt: skip
    return issued
