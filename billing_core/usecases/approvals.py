"""Signing the steps of an approval rule (billing_core.approval_rules) and reading how far a
draft has come. Each step's signature but the last is a `sign` history row (draft -> draft)
and a `step_signed` event, in the click's transaction; the last signature is the approval
itself (`Drafting.approve` numbers the invoice in the same transaction).

A step whose group is a user group (`[approval.groups] finance = "S0123ABCD"`) is signed by
the group's members as read through `Engine.groups` (billing_core.usecases.groups). They are
read by `read_groups` BEFORE the signing transaction, never inside it: a directory call may
take seconds (a rate-limited answer waits), and the draft's row lock would stop every other
click on it meanwhile. The rule an invoice falls under cannot change in between (the policy
is fixed while the process runs, a draft's snapshot never changes), so the groups read are
the groups the transaction needs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from billing_core.approval_rules import (
    ApprovalRule,
    GroupUnreadable,
    check_may_sign,
    eligible_signers,
    facts_of,
    first_unsignable_step,
    next_step,
    rule_for,
    step_label,
    with_members,
)
from billing_core.delegation import Delegation
from billing_core.errors import InvoiceNotFound, NotAnApprover
from billing_core.events import DomainEvent, EventName
from billing_core.permissions import check_may_reject, is_approver
from billing_core.state import InvoiceState
from billing_core.status import Action, Status
from billing_core.usecases.delegating import delegations_in_force
from billing_core.usecases.engine import Engine
from billing_core.usecases.groups import GroupRead
from billing_core.usecases.ports import UnitOfWork


@dataclass(frozen=True)
class ApprovalProgress:
    """Where a draft stands: its rule, who signed the steps so far (in order), the step it
    waits for (None once decided or fully signed), who may sign it now, and the first step
    no distinct person can sign (None when every remaining step can be signed). `standing_in`
    are the delegations in force by which someone may sign the waiting step (delegator ->
    Delegation); `stood_in` the members a delegate signed an earlier step for. `unread`:
    the user groups of the waiting and later steps whose members could not be read (user
    group ID -> the reason); their steps have no eligible signer until they can be, and
    `unsignable` is not judged while any is unread (their members are unknown, not none)."""

    rule: ApprovalRule
    signed: tuple[str, ...]
    step: int | None
    eligible: tuple[str, ...]
    unsignable: int | None
    standing_in: dict[str, Delegation] = field(default_factory=dict)
    stood_in: tuple[str, ...] = ()
    unread: dict[str, str] = field(default_factory=dict)


# The note of a `sign` row a delegate wrote: "..., for U0ADA" (who they stood in for).
_FOR = re.compile(r", for ([A-Z0-9]+)$")


async def rule_of(engine: Engine, uow: UnitOfWork, state: InvoiceState) -> ApprovalRule:
    """The rule the invoice falls under, its user-group-backed steps without members. The
    record is read only when some rule names kinds (this runs inside the approval's row
    lock, and a one-step approval should cost what it did before the matrix)."""
    approval = engine.policy.approval
    kind = None
    if any(r.kinds is not None for r in approval.rules):
        record = await uow.records.get(state.record_id)
        kind = record.kind if record else None
    return rule_for(facts_of(state.invoice, kind), approval)


def usergroups_of(rule: ApprovalRule) -> tuple[str, ...]:
    """The user group IDs the rule's steps name, in step order."""
    return tuple(dict.fromkeys(g.usergroup for g in rule.steps if g.usergroup is not None))


async def read_groups(engine: Engine, invoice_id: int, now: datetime) -> dict[str, GroupRead]:
    """The members of the user groups the invoice's rule names, read through the directory
    (cached) at `now`; call it outside any transaction. Empty when the policy has no
    user-group-backed group or there is no directory to read them (then they stay unread)."""
    approval = engine.policy.approval
    if engine.groups is None or not any(g.usergroup is not None for g in approval.groups):
        return {}
    async with engine.store.unit_of_work(read_only=True) as uow:
        state = await uow.invoices.get(invoice_id)
        if state is None:
            return {}
        rule = await rule_of(engine, uow, state)
    return await engine.groups.read_all(usergroups_of(rule), now)


async def check_may_reject_now(engine: Engine, user: str, now: datetime) -> None:
    """Raise NotAnApprover unless `user` may reject drafts: `[approval] approvers`, members of
    static groups (permissions.check_may_reject), or members of a user-group-backed group as
    read now through the cache. Call it outside any transaction (it may ask the directory);
    when a group cannot be read, the refusal says so."""
    approval = engine.policy.approval
    ids = [g.usergroup for g in approval.groups if g.usergroup is not None]
    if is_approver(user, approval) or not ids or engine.groups is None:
        check_may_reject(user, approval)
        return
    reads = await engine.groups.read_all(ids, now)
    if any(user in (r.members or ()) for r in reads.values()):
        return
    unread = [f"{gid} ({r.error})" for gid, r in reads.items() if r.members is None]
    if unread:
        raise NotAnApprover(
            "Only approvers can reject invoices, and whether you are one is not known: the "
            f"user group {'; '.join(unread)} could not be read."
        )
    check_may_reject(user, approval)


NO_DIRECTORY = "nothing is set up to read user groups here"


def _reads(
    engine: Engine, rule: ApprovalRule, groups: Mapping[str, GroupRead] | None
) -> dict[str, GroupRead]:
    """The reads of the rule's user groups: those given, else the cached ones (no call)."""
    out: dict[str, GroupRead] = {}
    for gid in usergroups_of(rule):
        read = (groups or {}).get(gid)
        if read is None:
            cache = engine.groups
            read = cache.cached(gid) if cache is not None else GroupRead(gid, None)
            if read.members is None:
                why = "its members have not been read yet" if cache else NO_DIRECTORY
                read = GroupRead(gid, None, None, why)
        out[gid] = read
    return out


async def progress_of(
    engine: Engine,
    uow: UnitOfWork,
    state: InvoiceState,
    now: datetime,
    groups: Mapping[str, GroupRead] | None = None,
) -> ApprovalProgress:
    """The rule is chosen now from the invoice snapshot and its record's kind (the policy is
    fixed while the process runs); the signatures come from the invoice's `sign` rows; the
    members of user-group-backed steps are `groups` (from `read_groups`), else whatever the
    cache holds (no directory call here: this may run inside a row lock)."""
    rule = await rule_of(engine, uow, state)
    reads = _reads(engine, rule, groups)
    rule = with_members(rule, {g: r.members for g, r in reads.items() if r.members is not None})
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
    unread = {
        g.usergroup: reads[g.usergroup].error or ""
        for g in rule.steps[step:]
        if g.usergroup is not None and reads[g.usergroup].members is None
    }
    delegations = await delegations_in_force(uow, engine.today(now))
    eligible = eligible_signers(rule, step, state.drafted_by, signed, delegations, stood_in)
    standing_in = {k: d for k, d in delegations.items() if d.delegate in eligible
                   and d.delegator in rule.steps[step].members}  # fmt: skip
    unsignable = None if unread else first_unsignable_step(rule, state.drafted_by, signed)
    return ApprovalProgress(rule, signed, step, eligible, unsignable, standing_in, stood_in, unread)


async def sign_step(
    engine: Engine,
    uow: UnitOfWork,
    state: InvoiceState,
    user: str,
    now: datetime,
    groups: Mapping[str, GroupRead] | None = None,
) -> ApprovalProgress | None:
    """`user` signs the step the draft (locked by the caller) waits for; `groups` are the
    reads of its rule's user groups (`read_groups`, taken before the caller's transaction).
    Returns the progress after a signature that leaves steps to sign; None when this is the
    last step, so the caller approves. Raises NotAnApprover, FourEyesRequired, AlreadySigned,
    GroupUnreadable (the step's user group could not be read and never was)."""
    progress = await progress_of(engine, uow, state, now, groups)
    rule, signed, step = progress.rule, progress.signed, progress.step
    assert step is not None  # the caller checked the draft is undecided
    usergroup = rule.steps[step].usergroup
    if usergroup is not None and usergroup in progress.unread:
        raise GroupUnreadable(
            f"{step_label(rule, step)} cannot be signed now: the user group {usergroup} "
            f"(group {rule.steps[step].name!r}) could not be read: "
            f"{progress.unread[usergroup]}. Nothing was signed; try again once it can be read."
        )
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
    return await progress_of(engine, uow, state, now, groups)


class Approvals:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def progress(self, invoice_id: int, now: datetime) -> ApprovalProgress:
        """How far the invoice's approval has come at `now` (delegations in force then, user
        groups read through the directory); InvoiceNotFound if there is none."""
        groups = await read_groups(self.engine, invoice_id, now)
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            state = await uow.invoices.get(invoice_id)
            if state is None:
                raise InvoiceNotFound(str(invoice_id))
            return await progress_of(self.engine, uow, state, now, groups)
