"""Escalation: a step of an approval rule waiting longer than the rule's
`escalate_after_hours` is told to the escalation channel once. Pure; `now` passed in.

A step starts waiting when the one before it was signed (the first step: when the invoice
was drafted). The dedupe key names the invoice and the step, so each step of a draft is
escalated at most once, however many runs or replicas see it late.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from billing_core.approval_rules import ApprovalRule


def waiting_since(drafted_at: datetime, signed_at: Sequence[datetime], step: int) -> datetime:
    """When `step` (0-based) started waiting: the draft's time, or the previous signature's
    (`signed_at` holds the times of the steps signed so far, in order)."""
    return drafted_at if step == 0 else signed_at[step - 1]


def escalation_due(rule: ApprovalRule, since: datetime, now: datetime) -> bool:
    """Whether a step waiting since `since` has waited longer than the rule allows; never
    for a rule without `escalate_after_hours`."""
    hours = rule.escalate_after_hours
    return hours is not None and now - since > timedelta(hours=hours)


def escalation_key(invoice_id: int, step: int) -> str:
    """One escalation per invoice and step."""
    return f"escalation_due:{invoice_id}:{step}"
