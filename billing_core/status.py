"""Invoice statuses and the one table of legal moves between them.

    draft -> approved -> sent -> paid
    draft -> rejected
    approved/sent -> void
    approved/sent --partial payment--> same status (the balance shrinks)

Every move is checked here (`next_status`) and written by the store as an event row.
"""

from __future__ import annotations

from enum import StrEnum

from billing_core.errors import AlreadyDecided, IllegalTransition


class Status(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"
    PAID = "paid"
    REJECTED = "rejected"
    VOID = "void"


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    MARK_SENT = "mark_sent"
    PART_PAY = "part_pay"  # a payment that leaves a balance
    SETTLE = "settle"  # the payment that clears the balance
    VOID = "void"


TRANSITIONS: dict[Status, dict[Action, Status]] = {
    Status.DRAFT: {Action.APPROVE: Status.APPROVED, Action.REJECT: Status.REJECTED},
    Status.APPROVED: {
        Action.MARK_SENT: Status.SENT,
        Action.PART_PAY: Status.APPROVED,
        Action.SETTLE: Status.PAID,
        Action.VOID: Status.VOID,
    },
    Status.SENT: {
        Action.PART_PAY: Status.SENT,
        Action.SETTLE: Status.PAID,
        Action.VOID: Status.VOID,
    },
    Status.PAID: {},
    Status.REJECTED: {},
    Status.VOID: {},
}

OPEN_STATUSES = frozenset({Status.APPROVED, Status.SENT})  # numbered and awaiting payment

_VERBS = {
    Action.APPROVE: "approved",
    Action.REJECT: "rejected",
    Action.MARK_SENT: "marked sent",
    Action.PART_PAY: "paid",
    Action.SETTLE: "paid",
    Action.VOID: "voided",
}


def next_status(current: Status, action: Action) -> Status:
    """The status after `action`, or IllegalTransition saying why not."""
    allowed = TRANSITIONS[current]
    if action in allowed:
        return allowed[action]
    if current is not Status.DRAFT and action in (Action.APPROVE, Action.REJECT):
        raise AlreadyDecided(current.value)
    raise IllegalTransition(
        f"a {current.value} invoice cannot be {_VERBS[action]}"
        + (f" (it can be: {', '.join(sorted(_VERBS[a] for a in allowed))})" if allowed else "")
    )


REJECTION_CATEGORIES: dict[str, str] = {
    "wrong_amount": "Wrong amount",
    "wrong_client": "Wrong client details",
    "wrong_scope": "Wrong scope",
    "wrong_due_date": "Wrong due date",
    "other": "Other",
}
