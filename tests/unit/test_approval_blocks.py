"""The draft thread's steps line reads as a sentence, for one step and for several."""

from billing_core.approval_rules import ApprovalGroup, ApprovalRule
from billing_core.usecases.approvals import ApprovalProgress
from handlers.approval_blocks import steps_text


def progress(*groups: str) -> ApprovalProgress:
    rule = ApprovalRule("all EUR", tuple(ApprovalGroup(g, ("U0ADA", "U0BEN")) for g in groups))
    return ApprovalProgress(rule, (), 0, ("U0ADA", "U0BEN"), None)


def test_one_step_is_one_step_and_several_are_in_order() -> None:
    assert steps_text(progress("lead")).startswith("*Approval rule:* all EUR — 1 step\n")
    two = steps_text(progress("lead", "finance"))
    assert two.startswith("*Approval rule:* all EUR — 2 steps, in order\n")
