"""Slack outages and crashes delay messages; they lose none and duplicate none."""

import asyncio
from collections import Counter
from pathlib import Path

from tests.e2e.harness import APPROVER, CHANNEL, DRAFTER, Bot, record_json, start_bot, stop_bot
from tests.slackstandin.server import SlackStandIn


async def test_every_message_arrives_exactly_once_after_an_outage(bot: Bot) -> None:
    slack = bot.slack
    await bot.add_records(*(record_json(f"P-{n}") for n in range(3)))
    buttons = await bot.draft("P-0")

    # Slack goes down: 500s for posts and uploads, 429s for updates.
    slack.fail_all(status=500, methods=["chat.postMessage", "files.getUploadURLExternal"])
    slack.fail_all(status=429, retry_after=0, methods=["chat.update"])
    for n in (1, 2):
        await bot.billing.start_draft(
            f"P-{n}", DRAFTER, bot.clock(), team_id="T0TEAM", channel_id=CHANNEL
        )
    await bot.click("invoice_approve", buttons, APPROVER)
    await slack.wait_until(lambda: slack.attempts("files.getUploadURLExternal") >= 3, 30)
    overview = await bot.billing.record_overview("P-0")
    assert overview.invoices[0].number == "INV-2026-0001"  # the state change is not undone
    pending = await bot.billing.pending_deliveries(overview.invoices[0].id)
    assert pending == ["publish_approval"]

    # Slack recovers; time passes beyond the backoff: everything arrives, once.
    slack.recover()
    bot.clock.advance(hours=1)
    bot.service.delivery.wake()
    await slack.wait_until(lambda: len(slack.uploaded_files) == 4, 60)
    await slack.wait_until(lambda: not slack.message(buttons.ts).button_action_ids(), 30)
    uploads = Counter(f.filename for f in slack.uploaded_files)
    assert all(count == 1 for count in uploads.values()), uploads
    assert "INV-2026-0001.pdf" in uploads
    summaries = [m for m in slack.messages(channel=CHANNEL) if m.thread_ts is None]
    assert len(summaries) == 3

    async def all_delivered() -> None:
        for n in (0, 1, 2):
            state = await bot.billing.find(f"P-{n}")
            while await bot.billing.pending_deliveries(state.id):
                await asyncio.sleep(0.05)

    await asyncio.wait_for(all_delivered(), 30)
    assert len(slack.uploaded_files) == 4


async def test_a_crash_between_approval_and_post_is_delivered_after_restart(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    first = await start_bot(slack, tmp_path)
    await first.add_records(record_json())
    buttons = await first.draft()
    # The upload hangs; the process dies while it is in flight.
    slack.fail_next("files.getUploadURLExternal", delay=30)
    await first.click("invoice_approve", buttons, APPROVER)

    async def numbered() -> None:
        while (await first.billing.find("P-123")).number is None:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(numbered(), 10)
    await asyncio.sleep(2)  # the final PDF renders; its upload is now hanging in flight
    for task in first.service.tasks:
        task.cancel()
    await first.runner.cleanup()
    await first.service.container.engine.dispose()
    assert len(slack.uploaded_files) == 1  # only the draft

    # A new process on the same database, after the dead worker's lease ran out.
    first.clock.advance(minutes=5)
    second = await start_bot(slack, tmp_path, clock=first.clock)
    try:
        await slack.wait_until(lambda: len(slack.uploaded_files) == 2, 60)
        assert slack.uploaded_files[1].filename == "INV-2026-0001.pdf"
        assert slack.uploaded_files[1].thread_ts == buttons.thread_ts
        await slack.wait_until(lambda: not slack.message(buttons.ts).button_action_ids(), 30)
        await asyncio.sleep(0.5)
        assert len(slack.uploaded_files) == 2
    finally:
        await stop_bot(second)
        first.service.container.renderer.close()
