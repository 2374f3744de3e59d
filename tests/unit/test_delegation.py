"""Delegation: who may give one, until when it lasts (the last day included, the clock passed
in), and what a delegate may sign while it lasts and not after."""

from datetime import date
from typing import Any

import pytest

from billing_core.approval_rules import AlreadySigned, check_may_sign, eligible_signers
from billing_core.delegation import (
    DELEGATED,
    ENDED,
    Delegation,
    DelegationRefused,
    check_delegation,
    fold,
    in_force,
)
from billing_core.errors import FourEyesRequired, NotAnApprover
from billing_core.policy import ApprovalPolicy, parse_policy

ADA, BEN, FAY, CY, DRAFTER = "U0ADA", "U0BEN", "U0FAY", "U0CY", "U0DRAFTER"
TODAY = date(2026, 12, 1)

MATRIX: dict[str, Any] = {
    "approvers": [ADA],
    # Ada signs for finance and leads; Ben is a lead only, Cy in sales only.
    "groups": {"leads": [ADA, BEN], "finance": [ADA, FAY], "sales": [CY]},
    "rules": [
        {"name": "two steps", "currency": "EUR", "min": "10000", "steps": ["leads", "finance"]},
        {"name": "finance", "currency": "EUR", "steps": ["finance"]},
    ],
}  # fmt: skip


def approval() -> ApprovalPolicy:
    return parse_policy({"approval": MATRIX}).approval


def rule(name: str) -> Any:
    return next(r for r in approval().rules if r.name == name)


def test_an_approver_delegates_to_someone_of_a_shared_group_until_a_day_included() -> None:
    given = check_delegation(ADA, BEN, date(2026, 12, 24), TODAY, approval())
    assert given == Delegation(ADA, BEN, date(2026, 12, 24))
    assert given.lasts_on(date(2026, 12, 24))  # the last day is included
    assert not given.lasts_on(date(2026, 12, 25))
    assert check_delegation(ADA, BEN, TODAY, TODAY, approval()).lasts_on(TODAY)


@pytest.mark.parametrize(
    ("delegator", "delegate", "until", "error", "says"),
    [
        (DRAFTER, BEN, date(2026, 12, 24), NotAnApprover, "Only approvers"),
        (ADA, ADA, date(2026, 12, 24), DelegationRefused, "yourself"),
        (ADA, DRAFTER, date(2026, 12, 24), DelegationRefused, "U0DRAFTER is not an approver"),
        (ADA, CY, date(2026, 12, 24), DelegationRefused, r"different group \(sales\)"),
        (ADA, BEN, date(2026, 11, 30), DelegationRefused, "2026-11-30 is in the past"),
        (ADA, BEN, date(2028, 1, 1), DelegationRefused, "more than a year ahead"),
    ],
)
def test_a_delegation_that_cannot_be_honoured_is_refused_naming_why(
    delegator: str, delegate: str, until: date, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        check_delegation(delegator, delegate, until, TODAY, approval())


def test_the_latest_delegation_wins_and_an_ended_one_is_gone() -> None:
    given = {"delegator": ADA, "delegate": BEN, "until": "2026-12-24"}
    again = {"delegator": ADA, "delegate": FAY, "until": "2026-12-10"}
    assert fold([(DELEGATED, given), (DELEGATED, again)]) == {
        ADA: Delegation(ADA, FAY, date(2026, 12, 10))
    }
    assert fold([(DELEGATED, given), (ENDED, {"delegator": ADA})]) == {}
    lasting = fold([(DELEGATED, given)])
    assert in_force(lasting, date(2026, 12, 24)) == lasting
    assert in_force(lasting, date(2026, 12, 25)) == {}  # it ends by itself


def test_a_delegate_signs_the_delegators_step_while_it_lasts_and_not_after() -> None:
    finance = rule("finance")  # Ada and Fay; Ben is not in finance
    delegations = fold([(DELEGATED, {"delegator": ADA, "delegate": BEN, "until": "2026-12-24"})])
    during = in_force(delegations, date(2026, 12, 24))
    assert eligible_signers(finance, 0, DRAFTER, (), during) == (ADA, FAY, BEN)
    assert check_may_sign(finance, 0, BEN, DRAFTER, (), during) == ADA  # signs for Ada
    assert check_may_sign(finance, 0, FAY, DRAFTER, (), during) is None  # a member as such
    after = in_force(delegations, date(2026, 12, 25))
    assert BEN not in eligible_signers(finance, 0, DRAFTER, (), after)
    with pytest.raises(NotAnApprover, match="not in group 'finance'"):
        check_may_sign(finance, 0, BEN, DRAFTER, (), after)


def test_a_delegate_stands_in_under_the_delegators_bars() -> None:
    finance = rule("finance")
    during = {ADA: Delegation(ADA, BEN, date(2026, 12, 24))}
    # Ada drafted it: under four eyes nobody signs for her either.
    assert BEN not in eligible_signers(finance, 0, ADA, (), during)
    with pytest.raises(NotAnApprover):
        check_may_sign(finance, 0, BEN, ADA, (), during)
    # Ben signed step 1 (leads) himself: he does not sign step 2 for Ada.
    two = rule("two steps")
    assert eligible_signers(two, 1, DRAFTER, (BEN,), during) == (ADA, FAY)
    with pytest.raises(AlreadySigned):
        check_may_sign(two, 1, BEN, DRAFTER, (BEN,), during)
    # Ada signed step 1: Ben does not sign step 2 for her (she would have signed twice).
    assert BEN not in eligible_signers(two, 1, DRAFTER, (ADA,), during)
    # Ben signed step 1 for Ada: Ada does not sign step 2 herself.
    far = {ADA: Delegation(ADA, BEN, date(2026, 12, 24))}
    assert eligible_signers(two, 1, DRAFTER, (BEN,), far, stood_in=(ADA,)) == (FAY,)
    with pytest.raises(AlreadySigned, match="signed for you"):
        check_may_sign(two, 1, ADA, DRAFTER, (BEN,), far, stood_in=(ADA,))
    # A delegate who drafted the invoice does not sign it for anyone under four eyes.
    with pytest.raises(FourEyesRequired):
        check_may_sign(finance, 0, ADA, ADA, (), {})
