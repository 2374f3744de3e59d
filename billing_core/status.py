"""Invoice statuses, the actions that move them, and the one table of legal moves.

    draft -> approved -> sent -> paid
    draft -> rejected    (a person's decision, counted in the correction report)
    draft -> withdrawn   (the system could not deliver it; not a correction)
    approved -> void       (never sent, nothing paid; a sent invoice takes a credit note)
    approved/sent --hold/release--> same status (chasing stops while held: a dispute)
    approved/sent/paid --unpay--> same status, or reopened (the last payment reversed)
    paid --refund--> paid  (a refund owed after a credit note was paid out)
    approved/sent --credit note--> same status, or credited (nothing paid) / paid (something
                   paid) when the credit brings the balance to zero; paid --credit--> paid
                   (the excess is a refund owed)
    credit note: draft -> issued (its own number) or rejected / withdrawn
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
    CREDITED = "credited"  # an invoice whose balance a credit note brought to zero, unpaid
    ISSUED = "issued"  # an approved credit note (it is never chased, paid or sent)


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
    ISSUE = "issue"  # a credit note draft was approved and numbered
    CREDIT = "credit"  # a credit note reduced the invoice's balance; status unchanged
    CREDIT_CLOSE = "credit_close"  # ... to zero with nothing paid: credited
    CREDIT_SETTLE = "credit_settle"  # ... to zero or below with something paid: paid
    HOLD = "hold"  # a disputed invoice: not chased until released
    RELEASE = "release"
    UNPAY = "unpay"  # the last payment reversed; the status stays
    REOPEN_SENT = "reopen_sent"  # ... and a paid invoice is open (sent) again
    REOPEN_APPROVED = "reopen_approved"  # ... open (approved, never sent) again
    REFUND = "refund"  # a refund owed to the client was paid out
    SIGN = "sign"  # one step of a multi-step approval rule signed (draft to draft)


CREDIT_ACTIONS = frozenset({Action.CREDIT, Action.CREDIT_CLOSE, Action.CREDIT_SETTLE})
PAYMENT_ACTIONS = frozenset({Action.PART_PAY, Action.SETTLE})
UNPAY_ACTIONS = frozenset({Action.UNPAY, Action.REOPEN_SENT, Action.REOPEN_APPROVED})

TRANSITIONS: dict[Status, dict[Action, Status]] = {
    Status.DRAFT: {
        Action.APPROVE: Status.APPROVED,
        Action.REJECT: Status.REJECTED,
        Action.WITHDRAW: Status.WITHDRAWN,
        Action.ISSUE: Status.ISSUED,
    },
    Status.APPROVED: {
        Action.MARK_SENT: Status.SENT,
        Action.PART_PAY: Status.APPROVED,
        Action.SETTLE: Status.PAID,
        Action.VOID: Status.VOID,
        Action.SNOOZE: Status.APPROVED,
        Action.CREDIT: Status.APPROVED,
        Action.CREDIT_CLOSE: Status.CREDITED,
        Action.CREDIT_SETTLE: Status.PAID,
        Action.HOLD: Status.APPROVED,
        Action.RELEASE: Status.APPROVED,
        Action.UNPAY: Status.APPROVED,
    },
    Status.SENT: {
        Action.PART_PAY: Status.SENT,
        Action.SETTLE: Status.PAID,
        Action.SNOOZE: Status.SENT,
        Action.CREDIT: Status.SENT,
        Action.CREDIT_CLOSE: Status.CREDITED,
        Action.CREDIT_SETTLE: Status.PAID,
        Action.HOLD: Status.SENT,
        Action.RELEASE: Status.SENT,
        Action.UNPAY: Status.SENT,
    },
    Status.PAID: {
        Action.CREDIT: Status.PAID,
        Action.UNPAY: Status.PAID,  # still nothing owed (credit notes cover the rest)
        Action.REOPEN_SENT: Status.SENT,
        Action.REOPEN_APPROVED: Status.APPROVED,
        Action.REFUND: Status.PAID,
    },
    Status.CREDITED: {},
    Status.ISSUED: {},
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
    Action.ISSUE: "issued",
    Action.CREDIT: "credited",
    Action.CREDIT_CLOSE: "credited",
    Action.CREDIT_SETTLE: "credited",
    Action.HOLD: "put on hold",
    Action.RELEASE: "released",
    Action.UNPAY: "unpaid",
    Action.REOPEN_SENT: "unpaid",
    Action.REOPEN_APPROVED: "unpaid",
    Action.REFUND: "refunded",
    Action.SIGN: "signed",
}


def next_status(current: Status, action: Action) -> Status:
    """The status after `action`, or IllegalTransition saying why not."""
    allowed = TRANSITIONS[current]
    if action in allowed:
        return allowed[action]
    if current is not Status.DRAFT and action in (Action.APPROVE, Action.REJECT, Action.ISSUE):
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
