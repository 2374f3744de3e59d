"""Multi-step approval rules through Slack: each Approve signs the current step, the number
comes only with the last signature, and the thread shows the steps and who signed."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from billing_core.policy import parse_policy
from slackstandin import SlackStandIn
from tests.e2e.harness import (
    APPROVER,
    BOSS,
    DRAFTER,
    POLICY,
    Bot,
    blocks_text,
    record_json,
    start_bot,
    stop_bot,
)

FINANCE_TOO = "U0FINANCE"


def matrix(**groups: Any) -> Any:
    """Lead signs first, then finance, for EUR invoices of 1,000 or more (the example record
    is 1,428.00 EUR); below that, a lead alone."""
    return parse_policy({"approval": {
        "approvers": [APPROVER, BOSS],
        "groups": {"lead": [APPROVER], "finance": [BOSS, FINANCE_TOO], **groups},
        "rules": [
            {"name": "large EUR", "currency": "EUR", "min": "1000", "steps": ["lead", "finance"]},
            {"name": "small EUR", "currency": "EUR", "max": "1000", "steps": ["lead"]},
        ],
    }}).approval  # fmt: skip


async def start(
    slack: SlackStandIn, tmp_path: Path, database_url: str | None = None, **groups: Any
) -> Bot:
    policy = replace(POLICY, approval=matrix(**groups))
    bot = await start_bot(slack, tmp_path, policy, database_url=database_url)
    await bot.add_records(record_json())
    return bot


@pytest.fixture
async def two_step(slack: SlackStandIn, tmp_path: Path, database_url: str) -> AsyncIterator[Bot]:
    """The bot on SQLite and on PostgreSQL (the step rows and row locks of both)."""
    bot = await start(slack, tmp_path, database_url)
    try:
        yield bot
    finally:
        await stop_bot(bot)


async def history(bot: Bot) -> list[tuple[str, str]]:
    state = await bot.billing.queries.find("P-123")
    return [(e.action, e.actor) for e in await bot.billing.queries.events(state.id)]


async def test_a_two_step_invoice_needs_both_groups_and_is_numbered_only_at_the_last(
    two_step: Bot,
) -> None:
    bot = two_step
    buttons = await bot.draft()
    shown = blocks_text(buttons.blocks)
    assert "large EUR" in shown and f"1. lead — waiting for <@{APPROVER}>" in shown

    _, name = await bot.click("invoice_approve", buttons, APPROVER)
    (reply,) = await bot.replies(name)
    assert f"<@{APPROVER}> signed step 1 of 2 (lead)" in reply
    assert f"<@{BOSS}>, <@{FINANCE_TOO}>" in reply
    state = await bot.billing.queries.find("P-123")
    assert state.status.value == "draft" and state.number is None
    assert ("sign", APPROVER) in await history(bot)
    await bot.slack.wait_until(
        lambda: "signed by" in blocks_text(bot.slack.message(buttons.ts).blocks), 10
    )
    updated = blocks_text(bot.slack.message(buttons.ts).blocks)
    assert f"1. lead — :white_check_mark: signed by <@{APPROVER}>" in updated
    assert "2. finance — waiting for" in updated
    assert bot.slack.message(buttons.ts).button_action_ids() == [
        "invoice_approve",
        "invoice_reject",
    ]
    assert len(bot.slack.uploaded_files) == 1  # the draft PDF only

    await bot.click("invoice_approve", buttons, BOSS)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    state = await bot.billing.queries.find("INV-2026-0001")
    assert state.status.value == "approved" and state.decided_by == BOSS
    await bot.slack.wait_until(lambda: not bot.slack.message(buttons.ts).button_action_ids(), 10)
    decided = bot.slack.message(buttons.ts)
    assert f"Approved by <@{BOSS}>" in decided.text
    assert f"step 1 <@{APPROVER}>" in blocks_text(decided.blocks)


async def test_the_second_groups_click_before_the_first_is_refused_with_the_reason(
    two_step: Bot,
) -> None:
    bot = two_step
    buttons = await bot.draft()
    _, name = await bot.click("invoice_approve", buttons, BOSS)
    (reply,) = await bot.replies(name)
    assert "waits for step 1 of 2 (lead)" in reply and "not in group 'lead'" in reply
    assert f"signed now by: {APPROVER}" in reply
    assert ("sign", BOSS) not in await history(bot)
    assert (await bot.billing.queries.find("P-123")).status.value == "draft"


async def test_one_person_in_both_groups_cannot_sign_twice(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    bot = await start(slack, tmp_path, finance=[APPROVER, BOSS])
    try:
        buttons = await bot.draft()
        _, first = await bot.click("invoice_approve", buttons, APPROVER)
        (signed,) = await bot.replies(first)  # before the next click, so replies stay apart
        assert "signed step 1 of 2" in signed
        _, name = await bot.click("invoice_approve", buttons, APPROVER)
        (reply,) = await bot.replies(name)
        assert "You already signed step 1" in reply
        assert (await bot.billing.queries.find("P-123")).number is None
    finally:
        await stop_bot(bot)


async def test_a_double_click_at_the_last_step_gives_one_number(two_step: Bot) -> None:
    bot = two_step
    buttons = await bot.draft()
    _, name = await bot.click("invoice_approve", buttons, APPROVER)
    await bot.replies(name)
    clicks = await asyncio.gather(
        *(bot.click("invoice_approve", buttons, user) for user in (BOSS, BOSS, FINANCE_TOO))
    )
    assert all(r.status == 200 for r, _ in clicks)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    await bot.slack.wait_until(
        lambda: sum("already approved" in (e.text or "") for e in bot.slack.ephemerals) == 2, 10
    )
    overview = await bot.billing.records.overview("P-123")
    assert [s.number for s in overview.invoices] == ["INV-2026-0001"]
    actions = [a for a, _ in await history(bot)]
    assert actions.count("approve") == 1 and actions.count("sign") == 1


async def test_the_thread_says_at_draft_time_when_no_one_can_sign_a_step(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    bot = await start(slack, tmp_path, lead=[DRAFTER])
    try:
        buttons = await bot.draft(user=DRAFTER)
        shown = blocks_text(buttons.blocks)
        assert "No one can sign step 1 of 2 (lead)" in shown
        assert "the drafter may not sign (four eyes)" in shown
    finally:
        await stop_bot(bot)
