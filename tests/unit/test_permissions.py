"""Who may approve: listed approvers only; four-eyes at or above the threshold."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing_core.errors import FourEyesRequired, NotAllowed, NotAnApprover
from billing_core.money import Money
from billing_core.permissions import (
    check_may_approve,
    check_may_reject,
    check_may_settle,
    check_may_void,
)
from billing_core.policy import ApprovalPolicy

RULES = ApprovalPolicy(approvers=("U0APPROVER", "U0BOSS"), four_eyes_threshold=Decimal("5000.00"))


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


def test_someone_not_listed_may_not_approve() -> None:
    with pytest.raises(NotAnApprover, match="Only approvers"):
        check_may_approve("U0RANDOM", "U0OWNER", eur("10.00"), RULES)


def test_non_approver_may_not_approve_their_own_draft_either() -> None:
    with pytest.raises(NotAnApprover):
        check_may_approve("U0OWNER", "U0OWNER", eur("10.00"), RULES)


def test_drafter_may_approve_their_own_invoice_below_the_threshold() -> None:
    check_may_approve("U0APPROVER", "U0APPROVER", eur("4999.99"), RULES)


def test_drafter_may_not_approve_their_own_invoice_exactly_at_the_threshold() -> None:
    with pytest.raises(FourEyesRequired, match="Four-eyes"):
        check_may_approve("U0APPROVER", "U0APPROVER", eur("5000.00"), RULES)


def test_drafter_may_not_approve_their_own_invoice_above_the_threshold() -> None:
    with pytest.raises(FourEyesRequired):
        check_may_approve("U0APPROVER", "U0APPROVER", eur("12000.00"), RULES)


def test_another_approver_may_approve_above_the_threshold() -> None:
    check_may_approve("U0BOSS", "U0APPROVER", eur("12000.00"), RULES)


def test_without_a_threshold_self_approval_is_always_allowed() -> None:
    rules = ApprovalPolicy(approvers=("U0APPROVER",), four_eyes_threshold=None)
    check_may_approve("U0APPROVER", "U0APPROVER", eur("999999.00"), rules)


def test_only_approvers_reject_and_void() -> None:
    check_may_reject("U0BOSS", RULES)
    check_may_void("U0BOSS", RULES)
    with pytest.raises(NotAnApprover):
        check_may_reject("U0OWNER", RULES)
    with pytest.raises(NotAnApprover):
        check_may_void("U0OWNER", RULES)


def test_owner_and_approvers_may_mark_paid_but_nobody_else() -> None:
    check_may_settle("U0OWNER", "U0OWNER", RULES)
    check_may_settle("U0BOSS", "U0OWNER", RULES)
    with pytest.raises(NotAllowed, match="approvers and the record's owner"):
        check_may_settle("U0RANDOM", "U0OWNER", RULES)
