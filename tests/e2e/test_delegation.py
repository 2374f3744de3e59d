"""Delegation through Slack: `/invoice delegate @user until DATE` lets a delegate sign the
delegator's steps to the end of that day (business time zone) and not after; bad input is
refused with the reason; `/invoice delegate off` ends it early."""

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
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

BEN = "U0BEN"  # a lead like the boss, not in finance
SALES = "U0SALES"  # an approver of another group


@pytest.fixture
async def bot(slack: SlackStandIn, tmp_path: Path, database_url: str) -> AsyncIterator[Bot]:
    """Finance (the boss alone) signs every invoice; Ben shares the leads group with her."""
    approval = parse_policy({"approval": {
        "approvers": [APPROVER],
        "groups": {"finance": [BOSS], "leads": [BOSS, BEN], "sales": [SALES]},
        "rules": [{"name": "finance signs", "steps": ["finance"]}],
    }}).approval  # fmt: skip
    bot = await start_bot(slack, tmp_path, replace(POLICY, approval=approval),
                          database_url=database_url)  # fmt: skip
    await bot.add_records(record_json("P-123"), record_json("P-124"))
    try:
        yield bot
    finally:
        await stop_bot(bot)


async def say(bot: Bot, text: str, user: str) -> str:
    """What the sender is told: the ack's text (malformed input is answered there), else the
    reply that follows."""
    response, name = await bot.command(text, user)
    if response.text.strip():
        return response.text
    (reply,) = await bot.replies(name)
    return reply


async def test_a_delegate_signs_to_the_end_of_the_last_day_and_is_refused_after(bot: Bot) -> None:
    reply = await say(bot, f"delegate <@{BEN}|ben> until 2026-11-26", BOSS)
    assert f"<@{BEN}> signs your approval steps until the end of 2026-11-26" in reply

    bot.clock.now = datetime(2026, 11, 26, 22, 59, tzinfo=UTC)  # 23:59 in Berlin, the last day
    during = await bot.draft("P-123")
    shown = blocks_text(during.blocks)
    assert f"<@{BEN}> signs for <@{BOSS}> until 2026-11-26" in shown
    await bot.click("invoice_approve", during, BEN)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    approved = await bot.billing.queries.find("P-123")
    assert approved.number == "INV-2026-0001" and approved.decided_by == BEN

    bot.clock.now = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)  # midnight in Berlin: it ended
    after = await bot.draft("P-124")
    assert "signs for" not in blocks_text(after.blocks)
    _, name = await bot.click("invoice_approve", after, BEN)
    (refused,) = await bot.replies(name)
    assert "not in group 'finance'" in refused and f"signed now by: {BOSS}" in refused
    state = await bot.billing.queries.find("P-124")
    assert state.status.value == "draft" and state.number is None


async def test_delegate_off_ends_it_at_once(bot: Bot) -> None:
    await say(bot, f"delegate <@{BEN}|ben> until 2026-12-24", BOSS)
    assert "ended" in await say(bot, "delegate off", BOSS)
    buttons = await bot.draft("P-123")
    _, name = await bot.click("invoice_approve", buttons, BEN)
    (refused,) = await bot.replies(name)
    assert "not in group 'finance'" in refused
    assert "no delegation running" in await say(bot, "delegate off", BOSS)


@pytest.mark.parametrize(
    ("text", "user", "says"),
    [
        (f"delegate <@{BEN}|ben> until 2026-12-24", "U0NOBODY", "Only approvers can delegate"),
        (f"delegate <@{BOSS}|boss> until 2026-12-24", BOSS, "cannot delegate to yourself"),
        ("delegate <@U0NOBODY|x> until 2026-12-24", BOSS, "U0NOBODY is not an approver"),
        (f"delegate <@{SALES}|s> until 2026-12-24", BOSS, "is in a different group (sales)"),
        (f"delegate <@{BEN}|ben> until 2026-11-24", BOSS, "2026-11-24 is in the past"),
        (f"delegate <@{BEN}|ben> until 2026-02-30", BOSS, "is not a date like 2026-12-24"),
        ("delegate @ben until 2026-12-24", BOSS, "is not a mention"),
    ],
)
async def test_bad_delegations_are_refused_with_the_reason_and_nothing_kept(
    bot: Bot, text: str, user: str, says: str
) -> None:
    assert says in await say(bot, text, user)
    assert await bot.billing.delegating.in_force(bot.clock()) == {}
