"""Domain events: what happened, for the adapters that tell people about it. Pure.

A use case records them in the same transaction as the change (one outbox row per
subscriber). Their names say what happened in billing terms; how, where and whether a person
hears of it is the subscriber's business (a chat thread, an e-mail, a stored PDF).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from billing_core.status import Action


class EventName(StrEnum):
    DRAFT_CREATED = "draft_created"
    INVOICE_APPROVED = "invoice_approved"
    DRAFT_REJECTED = "draft_rejected"
    DRAFT_WITHDRAWN = "draft_withdrawn"
    INVOICE_SENT = "invoice_sent"
    PAYMENT_RECORDED = "payment_recorded"
    INVOICE_VOIDED = "invoice_voided"
    INVOICE_SNOOZED = "invoice_snoozed"
    INVOICE_CREDITED = "invoice_credited"  # a credit note was issued against the invoice
    INVOICE_HELD = "invoice_held"  # disputed: not chased until released
    INVOICE_RELEASED = "invoice_released"
    PAYMENT_REVERSED = "payment_reversed"
    REFUND_RECORDED = "refund_recorded"
    NUDGE_DUE = "nudge_due"  # a draft has waited longer than approval.nudge_after_hours
    DIGEST_DUE = "digest_due"  # the weekly figures are ready to be told
    # An owner's completed records not invoiced yet, once per ISO week (business time zone)
    READINESS_DUE = "readiness_due"
    # Last month's report, on the month's first business day
    MONTHLY_REPORT_DUE = "monthly_report_due"
    # One step of a multi-step approval signed; the draft waits for the next (approval_rules)
    STEP_SIGNED = "step_signed"
    # A step has waited longer than its rule's escalate_after_hours (billing_core.escalation)
    ESCALATION_DUE = "escalation_due"


# The event each transition announces (a payment of either kind is one event).
EVENT_OF: dict[Action, EventName] = {
    Action.DRAFT: EventName.DRAFT_CREATED,
    Action.APPROVE: EventName.INVOICE_APPROVED,
    Action.REJECT: EventName.DRAFT_REJECTED,
    Action.WITHDRAW: EventName.DRAFT_WITHDRAWN,
    Action.MARK_SENT: EventName.INVOICE_SENT,
    Action.PART_PAY: EventName.PAYMENT_RECORDED,
    Action.SETTLE: EventName.PAYMENT_RECORDED,
    Action.VOID: EventName.INVOICE_VOIDED,
    Action.SNOOZE: EventName.INVOICE_SNOOZED,
    # A credit note's approval is announced like an invoice's: its final PDF, the decided
    # buttons; the invoice it corrects hears of it as `invoice_credited`.
    Action.ISSUE: EventName.INVOICE_APPROVED,
    Action.CREDIT: EventName.INVOICE_CREDITED,
    Action.CREDIT_CLOSE: EventName.INVOICE_CREDITED,
    Action.CREDIT_SETTLE: EventName.INVOICE_CREDITED,
    Action.HOLD: EventName.INVOICE_HELD,
    Action.RELEASE: EventName.INVOICE_RELEASED,
    Action.UNPAY: EventName.PAYMENT_REVERSED,
    Action.REOPEN_SENT: EventName.PAYMENT_REVERSED,
    Action.REOPEN_APPROVED: EventName.PAYMENT_REVERSED,
    Action.REFUND: EventName.REFUND_RECORDED,
}


@dataclass(frozen=True)
class DomainEvent:
    """One thing that happened. `key` makes it unique (recording it twice records it once);
    `payload` holds the facts as they were right after the change (JSON-safe values)."""

    name: EventName
    key: str
    invoice_id: int | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
