"""Invoice statuses, the actions that move them, and the one table of legal moves.

    draft -> approved -> sent -> paid
    draft -> rejected    (a person's decision, counted in the correction report)
    draft -> withdrawn   (the system could not deliver it; not a correction)
    approved/sent -> void
    approved/sent --partial payment--> same status (the balance shrinks)
    approved/sent --snooze--> same status (reminders wait)

Every move goes through `billing_core.usecases.transitions.move`, which checks it here
(`next_status`), applies it with a compare-and-set and writes a history row whose `action`
is one of the `Action` values below.
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
    WITHDRAWN = "withdrawn"
    VOID = "void"


class Action(StrEnum):
    """What a history row records: the name stored in `invoice_events.action`."""

    DRAFT = "draft"  # the invoice was created (from no status to draft)
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    MARK_SENT = "mark_sent"
    PART_PAY = "part_pay"  # a payment that leaves a balance
    SETTLE = "settle"  # the payment that clears the balance
    VOID = "void"
    SNOOZE = "snooze"
    SIGN = "sign"  # one step of a multi-step approval rule signed (draft to draft)


PAYMENT_ACTIONS = frozenset({Action.PART_PAY, Action.SETTLE})

TRANSITIONS: dict[Status, dict[Action, Status]] = {
    Status.DRAFT: {
        Action.APPROVE: Status.APPROVED,
        Action.REJECT: Status.REJECTED,
        Action.WITHDRAW: Status.WITHDRAWN,
    },
    Status.APPROVED: {
        Action.MARK_SENT: Status.SENT,
        Action.PART_PAY: Status.APPROVED,
        Action.SETTLE: Status.PAID,
        Action.VOID: Status.VOID,
        Action.SNOOZE: Status.APPROVED,
    },
    Status.SENT: {
        Action.PART_PAY: Status.SENT,
        Action.SETTLE: Status.PAID,
        Action.VOID: Status.VOID,
        Action.SNOOZE: Status.SENT,
    },
    Status.PAID: {},
    Status.REJECTED: {},
    Status.WITHDRAWN: {},
    Status.VOID: {},
}

OPEN_STATUSES = frozenset({Status.APPROVED, Status.SENT})  # numbered and awaiting payment
DECIDED_STATUSES = frozenset({Status.APPROVED, Status.REJECTED, Status.WITHDRAWN})

_VERBS = {
    Action.DRAFT: "drafted",
    Action.APPROVE: "approved",
    Action.REJECT: "rejected",
    Action.WITHDRAW: "withdrawn",
    Action.MARK_SENT: "marked sent",
    Action.PART_PAY: "paid",
    Action.SETTLE: "paid",
    Action.VOID: "voided",
    Action.SNOOZE: "snoozed",
    Action.SIGN: "signed",
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
        + (f" (it can be: {', '.join(sorted({_VERBS[a] for a in allowed}))})" if allowed else "")
    )


REJECTION_CATEGORIES: dict[str, str] = {
    "wrong_amount": "Wrong amount",
    "wrong_client": "Wrong client details",
    "wrong_scope": "Wrong scope",
    "wrong_due_date": "Wrong due date",
    "other": "Other",
}
