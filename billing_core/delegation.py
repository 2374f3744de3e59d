"""Delegation: an approver away hands their steps to another approver while they are gone.

Pure functions over frozen dataclasses; `today` is the business date, passed in.

- `check_delegation(delegator, delegate, until, today, approval)`: refuse a delegation that
  could not be honoured (NotAnApprover, DelegationRefused naming the field).
- `Delegation.lasts_on(today)`: a delegation runs from when it is given to the end of its
  `until` day (the last day included, in the business time zone), unless ended earlier.
- `fold(events)`: the delegations in force, from the `delegated` / `delegation_ended`
  events in the order they happened (a new delegation replaces the delegator's earlier one).

What a delegate may do (billing_core.approval_rules.eligible_signers): sign, while the
delegation lasts, any step of a group the delegator belongs to, standing in for the
delegator: as if the delegator signed, so four eyes and "one person never signs two steps"
apply to both of them. Delegations are not chained (a delegate's own delegation is not
followed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from billing_core.approval_rules import APPROVERS_GROUP
from billing_core.errors import NotAllowed, NotAnApprover

if TYPE_CHECKING:
    from billing_core.policy import ApprovalPolicy

# The furthest ahead a delegation may end: long leave is a change of the groups, not this.
LONGEST = timedelta(days=366)
DELEGATED = "delegated"
ENDED = "delegation_ended"


class DelegationRefused(NotAllowed):
    """A delegation that cannot be given or ended (the message names the field)."""


@dataclass(frozen=True)
class Delegation:
    """`delegate` signs for `delegator` until the end of `until` (business date)."""

    delegator: str
    delegate: str
    until: date

    def lasts_on(self, today: date) -> bool:
        return today <= self.until


def groups_of(user: str, approval: ApprovalPolicy) -> tuple[str, ...]:
    """The names of the groups `user` signs for: `approvers` (built in) and static
    `[approval.groups]` members, in policy order."""
    names = [APPROVERS_GROUP] if user in approval.approvers else []
    return tuple(names + [g.name for g in approval.groups if user in g.members])


def check_delegation(
    delegator: str, delegate: str, until: date, today: date, approval: ApprovalPolicy
) -> Delegation:
    """The delegation, or NotAnApprover / DelegationRefused saying why not. The delegate must
    share at least one group with the delegator (they stand in within their team)."""
    mine = groups_of(delegator, approval)
    if not mine:
        raise NotAnApprover("Only approvers can delegate their steps (you are in no group).")
    if delegate == delegator:
        raise DelegationRefused("delegate: you cannot delegate to yourself; name someone else.")
    theirs = groups_of(delegate, approval)
    if not theirs:
        raise DelegationRefused(
            f"delegate: {delegate} is not an approver (in no approval group); "
            f"choose someone of your groups: {', '.join(mine)}."
        )
    if not set(mine) & set(theirs):
        raise DelegationRefused(
            f"delegate: {delegate} is in a different group ({', '.join(theirs)}); "
            f"a delegate must share one of your groups: {', '.join(mine)}."
        )
    if until < today:
        raise DelegationRefused(
            f"until: {until.isoformat()} is in the past (today is {today.isoformat()}); "
            "give the last day you are away."
        )
    if until > today + LONGEST:
        raise DelegationRefused(
            f"until: {until.isoformat()} is more than a year ahead; change the approval "
            "groups for long absences."
        )
    return Delegation(delegator, delegate, until)


def fold(events: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Delegation]:
    """Delegator -> their latest delegation, from (event name, payload) in order; one ended
    is dropped. Whether it still lasts is for the caller to ask (`lasts_on`)."""
    out: dict[str, Delegation] = {}
    for name, payload in events:
        delegator = str(payload["delegator"])
        if name == DELEGATED:
            out[delegator] = Delegation(
                delegator, str(payload["delegate"]), date.fromisoformat(str(payload["until"]))
            )
        elif name == ENDED:
            out.pop(delegator, None)
    return out


def in_force(delegations: Mapping[str, Delegation], today: date) -> dict[str, Delegation]:
    """Those that last on `today`."""
    return {k: d for k, d in delegations.items() if d.lasts_on(today)}
