"""Who may do what. Enforced on the server for every command and click.

Anyone may draft and read invoices; billing figures (reports, headline figures, slowest
payers) are for approvers and `[reports] viewers` (issue 12); approvers approve, reject and
void; approvers and the record's owner mark sent and paid. At or above the four-eyes
threshold the drafter never approves their own.
"""

from __future__ import annotations

from billing_core.errors import FourEyesRequired, NotAllowed, NotAnApprover
from billing_core.money import Money
from billing_core.policy import ApprovalPolicy, Policy


def is_approver(user: str, policy: ApprovalPolicy) -> bool:
    """`[approval] approvers` and the members of `[approval.groups]` (who sign rule steps)."""
    return user in policy.approvers or any(user in g.members for g in policy.groups)


def check_may_approve(user: str, drafted_by: str, total: Money, policy: ApprovalPolicy) -> None:
    """Raise NotAnApprover or FourEyesRequired unless `user` may approve this draft."""
    if not is_approver(user, policy):
        raise NotAnApprover("Only approvers can approve invoices.")
    threshold = policy.four_eyes_threshold
    if threshold is not None and user == drafted_by and total.amount >= threshold:
        raise FourEyesRequired(
            f"Four-eyes rule: invoices of {threshold} or more need an approver other than "
            "the person who drafted them."
        )


def check_may_reject(user: str, policy: ApprovalPolicy) -> None:
    if not is_approver(user, policy):
        raise NotAnApprover("Only approvers can reject invoices.")


def check_may_void(user: str, policy: ApprovalPolicy) -> None:
    if not is_approver(user, policy):
        raise NotAnApprover("Only approvers can void invoices.")


def check_may_settle(user: str, owner: str, policy: ApprovalPolicy) -> None:
    """Mark sent or paid: approvers and the record's owner."""
    if not is_approver(user, policy) and user != owner:
        raise NotAllowed("Only approvers and the record's owner can mark invoices sent or paid.")


def may_see_figures(user: str, policy: Policy) -> bool:
    """Approvers and the `[reports] viewers` (a finance group) may see billing figures."""
    return is_approver(user, policy.approval) or user in policy.reports.viewers


def check_may_see_figures(user: str, policy: Policy) -> None:
    if not may_see_figures(user, policy):
        raise NotAllowed(
            "Billing figures are for approvers and the finance group ([reports] viewers in "
            "invoicebot.toml); ask an approver to add you."
        )
