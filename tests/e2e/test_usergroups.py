"""An approval group given as a Slack user group ID, through the real app and the stand-in:
its members (read with usergroups.users.list at first use, then cached) sign, anyone else is
refused, and a group Slack will not list (missing_scope) refuses every click with the cause."""

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from billing_core.policy import parse_policy
from slackstandin import SlackStandIn
from tests.e2e.harness import (
    APPROVER,
    BOSS,
    POLICY,
    Bot,
    blocks_text,
    record_json,
    start_bot,
    stop_bot,
)

FINANCE = "S0FINANCE"
FIN_TOO = "U0FINTOO"
METHOD = "usergroups.users.list"


@pytest.fixture
async def bot(slack: SlackStandIn, tmp_path: Path, database_url: str) -> AsyncIterator[Bot]:
    """A lead (the approver) signs, then finance: the Slack user group S0FINANCE."""
    slack.add_usergroup(FINANCE, [BOSS, FIN_TOO])
    approval = parse_policy({"approval": {
        "approvers": [APPROVER],
        "groups": {"lead": [APPROVER], "finance": FINANCE},
        "rules": [{"name": "lead then finance", "steps": ["lead", "finance"]}],
    }}).approval  # fmt: skip
    policy = replace(POLICY, approval=approval)
    running = await start_bot(slack, tmp_path, policy, database_url=database_url)
    await running.add_records(record_json())
    try:
        yield running
    finally:
        await stop_bot(running)


async def sign_lead_step(bot: Bot) -> object:
    buttons = await bot.draft()
    _, name = await bot.click("invoice_approve", buttons, APPROVER)
    (signed,) = await bot.replies(name)
    assert "signed step 1 of 2 (lead)" in signed
    return buttons


async def test_a_member_of_the_user_group_signs_and_a_non_member_is_refused(bot: Bot) -> None:
    buttons = await sign_lead_step(bot)
    await bot.slack.wait_until(
        lambda: "2. finance — waiting for" in blocks_text(bot.slack.message(buttons.ts).blocks),
        10,
    )
    shown = blocks_text(bot.slack.message(buttons.ts).blocks)
    assert f"2. finance — waiting for <@{BOSS}>, <@{FIN_TOO}>" in shown

    _, name = await bot.click("invoice_approve", buttons, "U0OUTSIDER")
    (refused,) = await bot.replies(name)
    assert "not in group 'finance'" in refused and f"signed now by: {BOSS}, {FIN_TOO}" in refused
    assert (await bot.billing.queries.find("P-123")).number is None

    await bot.click("invoice_approve", buttons, FIN_TOO)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    approved = await bot.billing.queries.find("INV-2026-0001")
    assert approved.decided_by == FIN_TOO
    # Read once at first use (the thread's message), then from the cache (10 minutes).
    assert bot.slack.attempts(METHOD) == 1
    assert bot.slack.calls_to(METHOD)[0].params["usergroup"] == FINANCE


async def test_missing_scope_refuses_the_click_with_the_cause_and_signs_nothing(
    bot: Bot,
) -> None:
    bot.slack.fail_all(methods=[METHOD], error="missing_scope")
    buttons = await sign_lead_step(bot)
    await bot.slack.wait_until(
        lambda: "could not be read" in blocks_text(bot.slack.message(buttons.ts).blocks), 10
    )
    shown = blocks_text(bot.slack.message(buttons.ts).blocks)
    assert "2. finance — waiting for <!subteam^S0FINANCE> (members not read)" in shown
    assert (
        "Who may sign is not known yet. step 2 of 2 (finance): the Slack user group S0FINANCE "
        "could not be read: missing_scope; ask an admin to reinstall the app with the "
        "usergroups:read scope. Approve clicks on such a step are refused"
    ) in shown

    _, name = await bot.click("invoice_approve", buttons, BOSS)
    (refused,) = await bot.replies(name)
    assert (
        "step 2 of 2 (finance) cannot be signed now: the user group S0FINANCE (group "
        "'finance') could not be read: missing_scope; ask an admin to reinstall the app "
        "with the usergroups:read scope. Nothing was signed"
    ) in refused
    state = await bot.billing.queries.find("P-123")
    assert state.status.value == "draft" and state.number is None
    actions = [e.action for e in await bot.billing.queries.events(state.id)]
    assert actions == ["draft", "sign"]

    bot.slack.recover()  # the app reinstalled with the scope: the next click reads again
    await bot.click("invoice_approve", buttons, BOSS)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    assert (await bot.billing.queries.find("INV-2026-0001")).decided_by == BOSS


async def test_a_user_group_found_empty_is_said_in_the_thread_at_draft_time(bot: Bot) -> None:
    bot.slack.add_usergroup(FINANCE, [])  # everyone left finance in Slack
    buttons = await bot.draft()
    shown = blocks_text(buttons.blocks)
    assert (
        "No one can sign step 2 of 2 (finance) of this draft by <@U0DRAFTER>: its group "
        "'finance' is the Slack user group <!subteam^S0FINANCE>, which has no members. Reject "
        "it, or add people to the user group (seen within 10 minutes)."
    ) in shown


async def test_a_member_of_the_user_group_may_reject_and_a_non_member_may_not(bot: Bot) -> None:
    buttons = await bot.draft()
    _, name = await bot.click("invoice_reject", buttons, "U0OUTSIDER")
    (refused,) = await bot.replies(name)
    assert "Only approvers can reject invoices" in refused

    await bot.click("invoice_reject", buttons, FIN_TOO)
    await bot.slack.wait_for("views.open")
    assert [c.params["view"]["callback_id"] for c in bot.slack.calls_to("views.open")] == [
        "invoice_reject_modal"
    ]
    state = await bot.billing.queries.find("P-123")
    response = await bot.submit_reject(state.id, "wrong_amount", "10 hours, not 12", FIN_TOO)
    assert response.status == 200
    rejected = await bot.billing.queries.invoice(state.id)
    assert rejected.status.value == "rejected" and rejected.decided_by == FIN_TOO
