"""The one transition path: every status change of an invoice goes through `move`.

It checks the move against the table (`status.next_status`), applies it with a
compare-and-set, writes the history row with the `Action` value and records the domain event
for the subscribers, all in the caller's transaction. Use cases decide whether a move is
allowed for this person and amount; `move` makes every allowed move look the same.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from billing_core.errors import AlreadyDecided, IllegalTransition
from billing_core.events import EVENT_OF, DomainEvent
from billing_core.state import InvoiceState
from billing_core.status import Action, Status, next_status
from billing_core.usecases.engine import Engine
from billing_core.usecases.ports import UnitOfWork


async def move(
    engine: Engine,
    uow: UnitOfWork,
    state: InvoiceState,
    action: Action,
    actor: str,
    now: datetime,
    *,
    note: str | None = None,
    amount: Decimal | None = None,
    effective_on: date | None = None,
    fields: dict[str, Any] | None = None,
    event: dict[str, Any] | None = None,
) -> InvoiceState:
    """Apply `action` to `state` (read with a row lock); returns the invoice as changed.

    `fields` are further columns to set with the status; `event` adds to the domain event's
    payload (which always has the invoice, the actor, the status and balance right after).
    Raises AlreadyDecided or IllegalTransition when the table or a concurrent change says no.
    """
    new = next_status(state.status, action)
    if not await uow.invoices.change_status(state.id, state.status, new, now, **(fields or {})):
        # pragma: no cover - the caller's row lock makes this unreachable
        if state.status is Status.DRAFT:
            raise AlreadyDecided("decided")
        raise IllegalTransition(f"{state.label} changed meanwhile; nothing was done")
    change = await uow.history.add(
        state.id,
        now,
        actor,
        action,
        state.status,
        new,
        effective_on=effective_on or engine.today(now),
        amount=amount,
        note=note,
    )
    changed = await uow.invoices.get(state.id)
    assert changed is not None
    name = EVENT_OF[action]
    payload = {
        "invoice_id": state.id,
        "actor": actor,
        "action": action.value,
        "status": changed.status.value,
        "balance": str(changed.balance.amount),
        **(event or {}),
    }
    # Keyed by the history row: one event per change, however many happen in one second.
    key = f"{name.value}:{state.id}:{change}"
    await engine.emit(uow, DomainEvent(name, key, state.id, payload), now)
    return changed
