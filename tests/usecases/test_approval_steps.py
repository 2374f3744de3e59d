"""Approval rules in the use cases: the record's kind routes a draft, each step before the
last is a `sign` row and a `step_signed` event, and only the last signature numbers it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from billing_core.errors import NotAnApprover
from billing_core.policy import parse_policy
from billing_core.usecases import Billing
from tests.conftest import APPROVER, BOSS
from tests.fakes import FakeStore
from tests.usecases.conftest import NOW, Draft

FINANCE = "U0FINANCE"


def use_rules(billing: Billing, *rules: dict[str, object]) -> None:
    approval = parse_policy({"approval": {
        "approvers": [APPROVER, BOSS], "four_eyes_threshold": "5000.00",
        "groups": {"finance": [FINANCE]}, "rules": list(rules),
    }}).approval  # fmt: skip
    billing.policy = replace(billing.policy, approval=approval)


async def test_a_rule_by_kind_routes_leads_to_finance_and_leaves_projects_to_approvers(
    billing: Billing, draft: Draft
) -> None:
    use_rules(billing, {"kinds": ["lead"], "steps": ["finance"]})
    lead, project = await draft("L-1", kind="lead"), await draft("P-1")
    with pytest.raises(NotAnApprover, match="not in group 'finance'"):
        await billing.drafting.approve(lead.id, APPROVER, NOW)
    assert (await billing.drafting.approve(lead.id, FINANCE, NOW)).number == "INV-2026-0001"
    assert (await billing.drafting.approve(project.id, APPROVER, NOW)).number == "INV-2026-0002"


async def test_steps_before_the_last_are_sign_rows_and_events_and_take_no_number(
    billing: Billing, draft: Draft, store: FakeStore
) -> None:
    use_rules(billing, {"steps": ["approvers", "finance"]})
    state = await draft("P-1")
    signed = await billing.drafting.approve(state.id, APPROVER, NOW)
    assert signed.status.value == "draft" and signed.number is None
    events = await billing.queries.events(state.id)
    assert [(e.action, e.actor, e.to_status) for e in events][-1] == ("sign", APPROVER, "draft")
    outbox = [m.event for m in await billing.outbox.pending("chat", state.id)]
    assert outbox[-1] == "step_signed"
    approved = await billing.drafting.approve(state.id, FINANCE, NOW)
    assert approved.number == "INV-2026-0001" and approved.decided_by == FINANCE
    progress = await billing.approvals.progress(state.id, NOW)
    assert progress.signed == (APPROVER,) and progress.step is None
