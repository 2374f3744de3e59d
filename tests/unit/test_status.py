"""The status table, checked pair by pair against DESIGN.md's "Invoice rules"."""

from __future__ import annotations

import itertools

import pytest

from billing_core.errors import AlreadyDecided, IllegalTransition
from billing_core.status import TRANSITIONS, Action, Status, next_status

S, A = Status, Action

# Written out from DESIGN.md, independently of billing_core.status.
LEGAL: dict[tuple[Status, Action], Status] = {
    (S.DRAFT, A.APPROVE): S.APPROVED,
    (S.DRAFT, A.REJECT): S.REJECTED,
    (S.DRAFT, A.WITHDRAW): S.WITHDRAWN,  # the bot could not deliver it: not a rejection
    (S.APPROVED, A.MARK_SENT): S.SENT,
    (S.APPROVED, A.PART_PAY): S.APPROVED,
    (S.APPROVED, A.SETTLE): S.PAID,
    (S.APPROVED, A.VOID): S.VOID,
    (S.SENT, A.PART_PAY): S.SENT,
    (S.SENT, A.SETTLE): S.PAID,
    # A sent invoice is corrected by a credit note, never voided (issue 13).
    (S.APPROVED, A.SNOOZE): S.APPROVED,  # reminders wait; nothing else changes
    (S.SENT, A.SNOOZE): S.SENT,
    # Credit notes (issue 13): a credit note draft is issued; the invoice it corrects keeps
    # its status, or closes as credited (nothing paid) or paid (something paid); a paid
    # invoice may still be credited (a refund owed).
    (S.DRAFT, A.ISSUE): S.ISSUED,
    (S.APPROVED, A.CREDIT): S.APPROVED,
    (S.APPROVED, A.CREDIT_CLOSE): S.CREDITED,
    (S.APPROVED, A.CREDIT_SETTLE): S.PAID,
    (S.SENT, A.CREDIT): S.SENT,
    (S.SENT, A.CREDIT_CLOSE): S.CREDITED,
    (S.SENT, A.CREDIT_SETTLE): S.PAID,
    (S.PAID, A.CREDIT): S.PAID,
    # Corrections (issue 13): hold/release stop and resume chasing; unpay reverses the last
    # payment (a paid invoice owing again reopens); a refund owed is paid out.
    (S.APPROVED, A.HOLD): S.APPROVED,
    (S.APPROVED, A.RELEASE): S.APPROVED,
    (S.SENT, A.HOLD): S.SENT,
    (S.SENT, A.RELEASE): S.SENT,
    (S.APPROVED, A.UNPAY): S.APPROVED,
    (S.SENT, A.UNPAY): S.SENT,
    (S.PAID, A.UNPAY): S.PAID,
    (S.PAID, A.REOPEN_SENT): S.SENT,
    (S.PAID, A.REOPEN_APPROVED): S.APPROVED,
    (S.PAID, A.REFUND): S.PAID,
}
ALL_PAIRS = list(itertools.product(Status, Action))


def test_the_table_names_every_status() -> None:
    assert set(TRANSITIONS) == set(Status)


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=lambda v: v.value)
def test_every_status_action_pair_is_legal_exactly_when_the_design_says(
    status: Status, action: Action
) -> None:
    if (status, action) in LEGAL:
        assert next_status(status, action) is LEGAL[(status, action)]
        assert TRANSITIONS[status][action] is LEGAL[(status, action)]
    else:
        assert action not in TRANSITIONS[status]
        with pytest.raises(IllegalTransition):
            next_status(status, action)


@pytest.mark.parametrize("status", [s for s in Status if s is not S.DRAFT], ids=str)
@pytest.mark.parametrize("action", [A.APPROVE, A.REJECT], ids=str)
def test_deciding_a_non_draft_says_it_was_already_decided(status: Status, action: Action) -> None:
    with pytest.raises(AlreadyDecided, match=f"already {status.value}"):
        next_status(status, action)


def test_rejected_withdrawn_void_credited_and_issued_are_final() -> None:
    for status in (S.REJECTED, S.WITHDRAWN, S.VOID, S.CREDITED, S.ISSUED):
        assert TRANSITIONS[status] == {}


def test_paid_takes_only_credit_notes_and_corrections_of_its_money() -> None:
    assert set(TRANSITIONS[S.PAID]) == {A.CREDIT, A.UNPAY, A.REOPEN_SENT, A.REOPEN_APPROVED,
                                        A.REFUND}  # fmt: skip


def test_illegal_move_explains_what_is_possible() -> None:
    with pytest.raises(IllegalTransition, match="a draft invoice cannot be voided") as caught:
        next_status(S.DRAFT, A.VOID)
    assert "approved" in str(caught.value) and "rejected" in str(caught.value)
    with pytest.raises(IllegalTransition, match="a paid invoice cannot be paid"):
        next_status(S.PAID, A.SETTLE)


def test_already_decided_names_the_number_and_keeps_the_approver_for_the_adapter() -> None:
    error = AlreadyDecided("approved", "INV-2026-0001", "U0BOSS")
    assert str(error) == "This invoice was already approved as INV-2026-0001."  # no chat markup
    assert error.by == "U0BOSS"


def test_draft_is_the_action_that_creates_an_invoice_not_a_move() -> None:
    for status in Status:
        assert A.DRAFT not in TRANSITIONS[status]
