"""The approval matrix: which rule an invoice falls under and who may sign each of its steps.

Pure functions over frozen dataclasses (no clock, no store). The policy file's
`[approval.groups]` and `[[approval.rules]]` are parsed by `billing_core.approval_config`;
this module decides:

- `rule_for(facts, approval)`: the first rule whose every given criterion matches (currency;
  the absolute gross total in [min, max); the record's kind; the client by name or tax ID; the
  owner). No rule matches: the implicit `approval` rule, one step signed by
  `[approval] approvers`, four eyes at or above `four_eyes_threshold` (today's behaviour).
- `next_step(rule, signed)`: the index of the step to sign next, None when all are signed.
- `eligible_signers(rule, step, drafter, signed, delegations, stood_in)`: who may sign that
  step now: its group's members, less the drafter where the rule asks for four eyes, less
  everyone who signed an earlier step (one person never signs two steps of one invoice);
  plus the delegate of a member whose delegation is in force (billing_core.delegation),
  standing in for that member: barred where the member would be (`stood_in` are the members
  a delegate signed for earlier, who count as having signed).
- `check_may_sign(...)`: the same, as a refusal naming the reason; returns the member a
  delegate signs for (None when the signer is a member).
- `first_unsignable_step(rule, drafter, signed)`: a step no assignment of distinct people can
  sign (told in the draft's thread at draft time).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from billing_core.errors import FourEyesRequired, NotAllowed, NotAnApprover

if TYPE_CHECKING:
    from billing_core.delegation import Delegation
    from billing_core.invoice import Invoice
    from billing_core.policy import ApprovalPolicy

APPROVERS_GROUP = "approvers"  # the built-in group: `[approval] approvers`
DEFAULT_RULE = "approval"  # the implicit rule when no `[[approval.rules]]` matches


class AlreadySigned(NotAllowed):
    """One person never signs two steps of one invoice."""


class NoEligibleSigner(NotAllowed):
    """Nobody may sign the step the invoice waits for (the rules leave no one)."""


class GroupUnreadable(NotAllowed):
    """The step's group is a user group whose members could not be read (and never were):
    nobody's membership can be established, so nobody signs it until they can be."""


@dataclass(frozen=True)
class ApprovalGroup:
    """People who sign a step: member IDs, or a chat user-group ID (`usergroup`, like
    S0123ABCD). A user-group-backed group is parsed without members; the use cases fill them
    in from the directory at use time (`with_members`), and while they cannot be read the
    group has none (nobody is let in by a failure)."""

    name: str
    members: tuple[str, ...] = ()
    usergroup: str | None = None


@dataclass(frozen=True)
class ApprovalRule:
    """One `[[approval.rules]]` entry; a criterion left as None matches every invoice.

    `min`/`max` bound the absolute gross total, half-open [min, max), in `currency`.
    `clients` holds names or tax IDs as written; `kinds` record kinds; `owners` member IDs.
    `escalate_after_hours`: a step waiting longer is escalated once (billing_core.escalation).
    """

    name: str
    steps: tuple[ApprovalGroup, ...]
    currency: str | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    kinds: frozenset[str] | None = None
    clients: frozenset[str] | None = None
    owners: frozenset[str] | None = None
    four_eyes: bool = True
    escalate_after_hours: int | None = None


@dataclass(frozen=True)
class InvoiceFacts:
    """What the rules look at. `total` is the gross total; its sign is ignored (credit notes
    match on their absolute amount)."""

    currency: str
    total: Decimal
    kind: str | None
    client_name: str
    client_tax_id: str
    owner: str


def with_members(rule: ApprovalRule, members: Mapping[str, tuple[str, ...]]) -> ApprovalRule:
    """The rule with each user-group-backed step's members as read (`members`: user group
    ID -> member IDs); a group missing from `members` keeps none."""
    if not any(g.usergroup is not None for g in rule.steps):
        return rule
    steps = tuple(
        replace(g, members=members.get(g.usergroup, ())) if g.usergroup is not None else g
        for g in rule.steps
    )
    return replace(rule, steps=steps)


def facts_of(invoice: Invoice, kind: str | None) -> InvoiceFacts:
    """The facts of an invoice snapshot; `kind` is its record's kind (None if unknown)."""
    return InvoiceFacts(
        currency=invoice.currency,
        total=invoice.total.amount,
        kind=kind,
        client_name=invoice.buyer.name,
        client_tax_id=invoice.buyer.tax_id,
        owner=invoice.owner,
    )


def client_key(text: str) -> str:
    """A client name as compared: case and runs of white space ignored."""
    return " ".join(text.split()).casefold()


def tax_key(text: str) -> str:
    """A tax ID as compared: spaces, dots and dashes ignored, upper case."""
    return re.sub(r"[\s.\-]", "", text).upper()


def matches(rule: ApprovalRule, facts: InvoiceFacts) -> bool:
    """Whether every criterion the rule gives holds for the invoice."""
    amount = abs(facts.total)
    if rule.currency is not None and facts.currency != rule.currency:
        return False
    if rule.min is not None and amount < rule.min:
        return False
    if rule.max is not None and amount >= rule.max:
        return False
    if rule.kinds is not None and facts.kind not in rule.kinds:
        return False
    if rule.owners is not None and facts.owner not in rule.owners:
        return False
    if rule.clients is not None:
        name, tax = client_key(facts.client_name), tax_key(facts.client_tax_id)
        if not any(client_key(c) == name or (tax and tax_key(c) == tax) for c in rule.clients):
            return False
    return True


def default_rule(facts: InvoiceFacts, approval: ApprovalPolicy) -> ApprovalRule:
    """Today's rule: one step by `[approval] approvers`, four eyes at or above the threshold
    (in any currency, as before the matrix)."""
    threshold = approval.four_eyes_threshold
    return ApprovalRule(
        name=DEFAULT_RULE,
        steps=(ApprovalGroup(APPROVERS_GROUP, approval.approvers),),
        four_eyes=threshold is not None and abs(facts.total) >= threshold,
    )


def rule_for(facts: InvoiceFacts, approval: ApprovalPolicy) -> ApprovalRule:
    """The first `[[approval.rules]]` entry that matches, else the default rule."""
    for rule in approval.rules:
        if matches(rule, facts):
            return rule
    return default_rule(facts, approval)


def next_step(rule: ApprovalRule, signed: Sequence[str]) -> int | None:
    """The 0-based step to sign next, given the signers of the steps so far (in order)."""
    return len(signed) if len(signed) < len(rule.steps) else None


def _barred(
    rule: ApprovalRule, person: str, drafter: str, signed: Sequence[str], stood_in: Sequence[str]
) -> bool:
    return person in signed or person in stood_in or (rule.four_eyes and person == drafter)


def _stands_in_for(
    rule: ApprovalRule,
    step: int,
    user: str,
    drafter: str,
    signed: Sequence[str],
    delegations: Mapping[str, Delegation],
    stood_in: Sequence[str],
) -> str | None:
    """The member of the step's group `user` may sign for by delegation, or None."""
    for d in delegations.values():
        if (
            d.delegate == user
            and d.delegator in rule.steps[step].members
            and not _barred(rule, d.delegator, drafter, signed, stood_in)
            and not _barred(rule, user, drafter, signed, stood_in)
        ):
            return d.delegator
    return None


def eligible_signers(
    rule: ApprovalRule,
    step: int,
    drafter: str,
    signed: Sequence[str],
    delegations: Mapping[str, Delegation] | None = None,
    stood_in: Sequence[str] = (),
) -> tuple[str, ...]:
    """Who may sign `step` now, in the group's order, then delegates standing in.
    `delegations` are those in force (delegator -> Delegation)."""
    group = rule.steps[step]
    out = [m for m in group.members if not _barred(rule, m, drafter, signed, stood_in)]
    for d in (delegations or {}).values():
        if d.delegate not in out and _stands_in_for(
            rule, step, d.delegate, drafter, signed, {d.delegator: d}, stood_in
        ):
            out.append(d.delegate)
    return tuple(out)


def check_may_sign(
    rule: ApprovalRule,
    step: int,
    user: str,
    drafter: str,
    signed: Sequence[str],
    delegations: Mapping[str, Delegation] | None = None,
    stood_in: Sequence[str] = (),
) -> str | None:
    """Raise NotAnApprover, FourEyesRequired or AlreadySigned unless `user` may sign `step`;
    returns the member `user` signs for by delegation, None when `user` signs as a member.
    The default rule keeps today's wording."""
    group = rule.steps[step]
    if user in signed:
        raise AlreadySigned(
            f"You already signed step {signed.index(user) + 1} of this invoice; "
            f"{step_label(rule, step)} needs someone else."
        )
    if user in stood_in:
        raise AlreadySigned(
            f"Someone signed for you earlier on this invoice; {step_label(rule, step)} "
            "needs someone else."
        )
    if user not in group.members:
        stands_for = _stands_in_for(rule, step, user, drafter, signed, delegations or {}, stood_in)
        if stands_for is not None:
            return stands_for
        if rule.name == DEFAULT_RULE:
            raise NotAnApprover("Only approvers can approve invoices.")
        who = (
            ", ".join(eligible_signers(rule, step, drafter, signed, delegations, stood_in))
            or "nobody"
        )
        raise NotAnApprover(
            f"This invoice waits for {step_label(rule, step)} (rule {rule.name}); "
            f"you are not in group {group.name!r}. It can be signed now by: {who}."
        )
    if rule.four_eyes and user == drafter:
        if rule.name == DEFAULT_RULE:
            raise FourEyesRequired(
                "Four-eyes rule: at or above the four-eyes threshold an invoice needs an "
                "approver other than the person who drafted it."
            )
        raise FourEyesRequired(
            f"Four-eyes rule ({rule.name}): the person who drafted an invoice never signs it."
        )
    return None


def step_label(rule: ApprovalRule, step: int) -> str:
    """ "step 2 of 3 (finance)"."""
    return f"step {step + 1} of {len(rule.steps)} ({rule.steps[step].name})"


def first_unsignable_step(
    rule: ApprovalRule, drafter: str | None, signed: Sequence[str] = ()
) -> int | None:
    """The first step that no choice of distinct people can sign, or None when every
    remaining step can be signed. A bipartite matching (Kuhn's augmenting paths) of the
    remaining steps to their eligible members, taken step by step so the answer names the
    first step that fails."""
    start = len(signed)
    taken: dict[str, int] = {}  # person -> step they would sign

    def candidates(step: int) -> tuple[str, ...]:
        return eligible_signers(rule, step, drafter or "", signed)

    def assign(step: int, seen: set[str]) -> bool:
        for person in candidates(step):
            if person in seen:
                continue
            seen.add(person)
            if person not in taken or assign(taken[person], seen):
                taken[person] = step
                return True
        return False

    for step in range(start, len(rule.steps)):
        if not assign(step, set()):
            return step
    return None
