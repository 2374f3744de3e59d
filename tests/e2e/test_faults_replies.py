"""Faults where a person got no answer or a cut one (issue 8, items 8, 13, 14, 15): a busy
store is named as such, a form Slack would not open is explained, and lists and the App
Home say how many there are and show the rest on request, never cut mid-row."""

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from handlers import blocks
from slackstandin import SlackStandIn, app_home_opened_event, event_callback_body, post_signed
from tests.e2e.harness import (
    APPROVER,
    DRAFTER,
    SECRET,
    Bot,
    record_json,
    start_bot,
    stop_bot,
    visible_text,
)


@pytest.fixture
async def busy_bot(slack: SlackStandIn, tmp_path: Path) -> AsyncIterator[tuple[Bot, Path]]:
    path = tmp_path / "busy.db"
    # Writers give up after 2 s instead of the default 30 s.
    running = await start_bot(
        slack, tmp_path, database_url=f"sqlite+aiosqlite:///{path}?timeout=0.3"
    )
    await running.add_records(record_json(), record_json("P-2"))
    try:
        yield running, path
    finally:
        await stop_bot(running)


def _lock(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    return other


async def lock(path: Path) -> sqlite3.Connection:
    """Another process's writer holding the database (what a long backup or import does).
    Taken in a thread: the app's own short transactions must be able to finish first."""
    return await asyncio.to_thread(_lock, path)


async def test_an_approver_is_told_the_store_is_busy_and_can_retry(
    busy_bot: tuple[Bot, Path],
) -> None:
    bot, path = busy_bot
    buttons = await bot.draft()
    await bot.settled("P-123")
    other = await lock(path)
    try:
        _, name = await bot.click("invoice_approve", buttons, APPROVER)
        (reply,) = await bot.replies(name)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "store is busy" in reply and "try again" in reply
    assert (await bot.billing.queries.find("P-123")).status.value == "draft"
    _, name = await bot.click("invoice_approve", buttons, APPROVER)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    assert (await bot.billing.queries.find("P-123")).number == "INV-2026-0001"


async def test_a_drafter_is_told_the_store_is_busy_not_that_something_went_wrong(
    busy_bot: tuple[Bot, Path], caplog: pytest.LogCaptureFixture
) -> None:
    bot, path = busy_bot
    other = await lock(path)
    try:
        _, name = await bot.command("draft P-2", DRAFTER)
        (reply,) = await bot.replies(name)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "store is busy" in reply and "Something went wrong" not in reply
    assert not [r for r in caplog.records if r.exc_info]  # a busy store is no crash
    assert (await bot.billing.records.overview("P-2")).invoices == []


async def test_when_slack_will_not_open_the_reject_form_the_clicker_hears_why(bot: Bot) -> None:
    buttons = await bot.draft()
    bot.slack.fail_next("views.open", error="expired_trigger_id")
    _, name = await bot.click("invoice_reject", buttons, APPROVER)
    (reply,) = await bot.replies(name)
    assert "did not open the form (expired_trigger_id)" in reply and "again" in reply
    _, name = await bot.click("invoice_reject", buttons, APPROVER)
    await bot.slack.wait_for("views.open")


async def drafts(bot: Bot, count: int) -> None:
    await bot.add_records(*(record_json(f"P-{n:03d}") for n in range(count)))
    for n in range(count):
        await bot.billing.drafting.start_draft(f"P-{n:03d}", DRAFTER, bot.clock())


def rows_of(message: dict[str, Any]) -> list[str]:
    return re.findall(r"draft of P-\d{3}", visible_text(message))


def more_button(message: dict[str, Any]) -> dict[str, Any] | None:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element.get("text", {}).get("text") == (
                "Show more"
            ):
                return dict(element)
    return None


async def test_a_list_of_56_drafts_says_56_and_pages_through_all_of_them(bot: Bot) -> None:
    await drafts(bot, 56)
    _, name = await bot.command("list drafts", APPROVER)
    await bot.replies(name)
    seen: list[str] = []
    page = bot.reply_posts(name)[0]
    assert "(56) — showing 1–20" in visible_text(page)
    while True:
        seen += rows_of(page)
        button = more_button(page)
        if button is None:
            break
        message = {"blocks": page["blocks"], "ts": "1.0"}
        _, name = await bot.click(button["action_id"], message, APPROVER, value=button["value"])
        await bot.replies(name)
        page = bot.reply_posts(name)[0]
    assert sorted(seen) == sorted(f"draft of P-{n:03d}" for n in range(56))
    assert "showing 41–56" in visible_text(page)


async def test_the_app_home_of_an_approver_with_25_drafts_cuts_nothing(bot: Bot) -> None:
    await drafts(bot, 25)

    async def published() -> dict[str, Any]:
        calls = bot.slack.calls_to("views.publish")
        return dict(calls[-1].params["view"])

    before = len(bot.slack.calls_to("views.publish"))
    await post_signed(bot.url, event_callback_body(app_home_opened_event(APPROVER)), SECRET)
    await bot.slack.wait_until(lambda: len(bot.slack.calls_to("views.publish")) > before, 10)
    home = await published()
    text = visible_text(home)
    assert "Drafts waiting for a decision* (25) — showing 1–10" in text
    assert len(rows_of(home)) == 10
    rows = [line for line in text.splitlines() if line.startswith("•")]
    assert len(rows) == 10  # every row whole, from bullet to due date
    assert all(re.fullmatch(r"• .+ — .+ — .+ — draft, due \d{4}-\d{2}-\d{2}", r) for r in rows)
    assert all(
        len((b.get("text") or {}).get("text", "")) <= blocks.MAX_TEXT for b in home["blocks"]
    )
    button = more_button(home)
    assert button is not None and button["value"] == "drafts:10"
    before = len(bot.slack.calls_to("views.publish"))
    await bot.click(button["action_id"], {"blocks": home["blocks"], "ts": "1.0"}, APPROVER)
    await bot.slack.wait_until(lambda: len(bot.slack.calls_to("views.publish")) > before, 10)
    assert "showing 11–20" in visible_text(await published())
