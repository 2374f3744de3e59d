"""Escalation in the use cases: a step waiting longer than its rule's escalate_after_hours is
announced once, counted from when the step before it was signed; without an escalation
channel nothing is announced. (Two replicas at once: tests/e2e/test_pg_replicas.py.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from billing_core.errors import ConfigError
from billing_core.escalation import escalation_due, waiting_since
from billing_core.policy import ReminderPolicy, parse_policy
from billing_core.usecases import Billing
from tests.conftest import APPROVER, BOSS
from tests.usecases.conftest import NOW, Draft

FINANCE = "U0FINANCE"


def use_rule(billing: Billing, **approval: object) -> None:
    policy = parse_policy({"approval": {
        "approvers": [APPROVER, BOSS], "groups": {"finance": [FINANCE]},
        "rules": [{"name": "two", "steps": ["approvers", "finance"], "escalate_after_hours": 4}],
        **approval,
    }})  # fmt: skip
    billing.policy = replace(billing.policy, approval=policy.approval)


async def escalations(billing: Billing) -> list[dict[str, object]]:
    return [m.payload for m in await billing.outbox.pending("chat") if m.event == "escalation_due"]


async def test_the_second_step_waits_from_the_first_signature_and_is_escalated_once(
    billing: Billing, draft: Draft
) -> None:
    use_rule(billing, escalation_channel="C0ESCALATE")
    state = await draft("P-1")
    drafted = state.drafted_at
    assert await billing.chasing.queue_escalations(drafted + timedelta(hours=4)) == 0
    await billing.drafting.approve(state.id, APPROVER, drafted + timedelta(hours=3))
    # 5 h after the draft, but step 2 has waited 2 h only.
    assert await billing.chasing.queue_escalations(drafted + timedelta(hours=5)) == 0
    late = drafted + timedelta(hours=7, minutes=1)
    assert await billing.chasing.queue_escalations(late) == 1
    assert await billing.chasing.queue_escalations(late + timedelta(hours=9)) == 0  # once
    (payload,) = await escalations(billing)
    assert payload["step"] == 1 and payload["label"] == "step 2 of 2 (finance)"
    assert payload["eligible"] == [FINANCE]


async def test_without_an_escalation_channel_nothing_is_escalated(
    billing: Billing, draft: Draft
) -> None:
    use_rule(billing)
    state = await draft("P-1")
    assert await billing.chasing.queue_escalations(state.drafted_at + timedelta(days=2)) == 0
    # [reminders] escalation_channel is the default.
    reminders = ReminderPolicy(escalation_channel="C0REMIND")
    billing.policy = replace(billing.policy, reminders=reminders)
    assert billing.policy.escalation_channel == "C0REMIND"
    assert await billing.chasing.queue_escalations(state.drafted_at + timedelta(days=2)) == 1


def test_a_step_escalates_only_after_more_than_its_hours() -> None:
    rule = parse_policy({"approval": {"approvers": [APPROVER], "rules": [
        {"steps": ["approvers"], "escalate_after_hours": 4}]}}).approval.rules[0]  # fmt: skip
    assert waiting_since(NOW, [], 0) == NOW
    assert waiting_since(NOW, [NOW + timedelta(hours=1)], 1) == NOW + timedelta(hours=1)
    assert not escalation_due(rule, NOW, NOW + timedelta(hours=4))
    assert escalation_due(rule, NOW, NOW + timedelta(hours=4, seconds=1))
    assert not escalation_due(
        replace(rule, escalate_after_hours=None), NOW, NOW + timedelta(days=9)
    )


def test_an_escalation_channel_that_is_not_a_channel_id_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match=r"approval\.escalation_channel"):
        parse_policy({"approval": {"approvers": [APPROVER], "escalation_channel": "#finance"}})
