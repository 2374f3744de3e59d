"""Signing the steps of an approval rule (billing_core.approval_rules) and reading how far a
draft has come. Each step's signature but the last is a `sign` history row (draft -> draft)
and a `step_signed` event, in the click's transaction; the last signature is the approval
itself (`Drafting.approve` numbers the invoice in the same transaction)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from billing_core.approval_rules import (
    ApprovalRule,
    check_may_sign,
    eligible_signers,
    facts_of,
    first_unsignable_step,
    next_step,
    rule_for,
    step_label,
)
from billing_core.delegation import Delegation
from billing_core.errors import InvoiceNotFound
from billing_core.events import DomainEvent, EventName
from billing_core.state import InvoiceState
from billing_core.status import Action, Status
from billing_core.usecases.delegating import delegations_in_force
from billing_core.usecases.engine import Engine
from billing_core.usecases.ports import UnitOfWork


@dataclass(frozen=True)
class ApprovalProgress:
    """Where a draft stands: its rule, who signed the steps so far (in order), the step it
    waits for (None once decided or fully signed), who may sign it now, and the first step
    no distinct person can sign (None when every remaining step can be signed). `standing_in`
    are the delegations in force by which someone may sign the waiting step (delegator ->
    Delegation); `stood_in` the members a delegate signed an earlier step for."""

    rule: ApprovalRule
    signed: tuple[str, ...]
    step: int | None
    eligible: tuple[str, ...]
    unsignable: int | None
    standing_in: dict[str, Delegation] = field(default_factory=dict)
    stood_in: tuple[str, ...] = ()


# The note of a `sign` row a delegate wrote: "..., for U0ADA" (who they stood in for).
_FOR = re.compile(r", for ([A-Z0-9]+)$")


async def progress_of(
    engine: Engine, uow: UnitOfWork, state: InvoiceState, now: datetime
) -> ApprovalProgress:
    """The rule is chosen now from the invoice snapshot and its record's kind (the policy is
    fixed while the process runs); the signatures come from the invoice's `sign` rows.

    Each read is skipped where it cannot matter (no rule names kinds; a one-step rule): they
    run inside the approval's row lock, and a one-step approval should cost what it did
    before the matrix."""
    approval = engine.policy.approval
    kind = None
    if any(r.kinds is not None for r in approval.rules):
        record = await uow.records.get(state.record_id)
        kind = record.kind if record else None
    rule = rule_for(facts_of(state.invoice, kind), approval)
    signed: tuple[str, ...] = ()
    stood_in: tuple[str, ...] = ()
    if len(rule.steps) > 1:
        history = await uow.history.for_invoice(state.id)
        rows = [e for e in history if e.action == Action.SIGN.value]
        signed = tuple(e.actor for e in rows)
        stood_in = tuple(m[1] for e in rows if (m := _FOR.search(e.note or "")))
    step = None
    if state.status is Status.DRAFT:
        # Signed as far as a rule with fewer steps goes (the policy changed at a restart):
        # its last step is what remains, and signing it approves.
        step = next_step(rule, signed)
        step = len(rule.steps) - 1 if step is None else step
    if step is None:
        return ApprovalProgress(rule, signed, None, (), None, {}, stood_in)
    delegations = await delegations_in_force(uow, engine.today(now))
    eligible = eligible_signers(rule, step, state.drafted_by, signed, delegations, stood_in)
    standing_in = {k: d for k, d in delegations.items() if d.delegate in eligible
                   and d.delegator in rule.steps[step].members}  # fmt: skip
    unsignable = first_unsignable_step(rule, state.drafted_by, signed)
    return ApprovalProgress(rule, signed, step, eligible, unsignable, standing_in, stood_in)


async def sign_step(
    engine: Engine, uow: UnitOfWork, state: InvoiceState, user: str, now: datetime
) -> ApprovalProgress | None:
    """`user` signs the step the draft (locked by the caller) waits for. Returns the progress
    after a signature that leaves steps to sign; None when this is the last step, so the
    caller approves. Raises NotAnApprover, FourEyesRequired, AlreadySigned."""
    progress = await progress_of(engine, uow, state, now)
    rule, signed, step = progress.rule, progress.signed, progress.step
    assert step is not None  # the caller checked the draft is undecided
    stands_for = check_may_sign(
        rule, step, user, state.drafted_by, signed, progress.standing_in, progress.stood_in
    )
    if step == len(rule.steps) - 1:
        return None
    note = f"{step_label(rule, step)}, rule {rule.name}"
    if stands_for is not None:
        note += f", for {stands_for}"
    row = await uow.history.add(
        state.id, now, user, Action.SIGN, Status.DRAFT, Status.DRAFT,
        effective_on=engine.today(now), note=note,
    )  # fmt: skip
    payload = {"invoice_id": state.id, "actor": user, "step": step, "rule": rule.name}
    key = f"{EventName.STEP_SIGNED.value}:{state.id}:{row}"
    await engine.emit(uow, DomainEvent(EventName.STEP_SIGNED, key, state.id, payload), now)
    return await progress_of(engine, uow, state, now)


class Approvals:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def progress(self, invoice_id: int, now: datetime) -> ApprovalProgress:
        """How far the invoice's approval has come at `now` (delegations in force then);
        InvoiceNotFound if there is none."""
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            state = await uow.invoices.get(invoice_id)
            if state is None:
                raise InvoiceNotFound(str(invoice_id))
            return await progress_of(self.engine, uow, state, now)
