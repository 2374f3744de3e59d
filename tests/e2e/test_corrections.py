"""Corrections through Slack: voiding a sent invoice points to a credit note; hold, release
and unpay are confirmed to the person, noted in the invoice's thread, and change the store."""

from __future__ import annotations

from tests.e2e.harness import APPROVER, OWNER, Bot
from tests.e2e.test_credit_notes import sent_invoice


async def thread_texts(bot: Bot, thread_ts: str) -> list[str]:
    return [m.text for m in bot.slack.messages() if m.thread_ts == thread_ts]


async def test_voiding_a_sent_invoice_answers_with_how_to_credit_it(bot: Bot) -> None:
    number = await sent_invoice(bot)
    _, name = await bot.command(f"void {number} client cancelled", APPROVER)
    (reply,) = await bot.replies(name)
    assert "cannot be voided" in reply and f"credit {number} REASON" in reply
    assert (await bot.billing.queries.find(number)).status.value == "sent"


async def test_hold_release_and_unpay_in_slack(bot: Bot) -> None:
    number = await sent_invoice(bot)
    state = await bot.billing.queries.find(number)
    thread = bot.slack.uploaded_files[1].thread_ts

    _, name = await bot.command(f"hold {number} client disputes the hours", OWNER)
    (reply,) = await bot.replies(name)
    assert "on hold" in reply
    await bot.slack.wait_until(
        lambda: any("put on hold" in m.text for m in bot.slack.messages() if m.thread_ts == thread),
        10,
    )
    _, name = await bot.command(f"status {number}", OWNER)
    (status,) = await bot.replies(name)
    assert "On hold (not chased): client disputes the hours" in status

    _, name = await bot.command(f"release {number}", APPROVER)
    (reply,) = await bot.replies(name)
    assert "released" in reply
    assert (await bot.billing.queries.find(number)).held_reason is None

    _, name = await bot.command(f"paid {number}", OWNER)
    await bot.replies(name)
    _, name = await bot.command(f"unpay {number} the transfer bounced", APPROVER)
    (reply,) = await bot.replies(name)
    assert "last payment reversed" in reply and "*sent*" in reply and "€1,428.00" in reply
    await bot.slack.wait_until(
        lambda: any(
            "reversed by" in m.text and "the transfer bounced" in m.text
            for m in bot.slack.messages()
            if m.thread_ts == thread
        ),
        10,
    )
    actions = [e.action for e in await bot.billing.queries.events(state.id)]
    assert actions[-4:] == ["hold", "release", "settle", "reopen_sent"]
