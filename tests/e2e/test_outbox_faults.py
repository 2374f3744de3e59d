"""Slack outages and crashes delay messages; they lose none and duplicate none."""

import asyncio
from collections import Counter
from pathlib import Path

from slackstandin import SlackStandIn
from tests.e2e.harness import APPROVER, CHANNEL, DRAFTER, Bot, record_json, start_bot, stop_bot


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
    first = await start_bot(slack, tmp_path, workers=False)
    await first.add_records(record_json())
    buttons = await first.draft()
    state = await first.billing.find("P-123")
    while await first.billing.pending_deliveries(state.id):  # the draft's thread is complete
        await asyncio.sleep(0.05)
    # The approval commits (number, outbox message); a worker leases the post and dies
    # before Slack hears of it.
    approved = await first.billing.approve(state.id, APPROVER, first.clock(), team_id="T0TEAM")
    assert len(await first.billing.claim_deliveries(first.clock(), invoice_id=state.id)) == 1
    await stop_bot(first)
    assert len(slack.uploaded_files) == 1  # only the draft

    # A new process on the same database, once the dead worker's lease has run out.
    first.clock.advance(minutes=11)
    second = await start_bot(slack, tmp_path, clock=first.clock)
    try:
        await slack.wait_until(lambda: len(slack.uploaded_files) == 2, 60)
        final = slack.uploaded_files[1]
        assert final.filename == f"{approved.number}.pdf"
        assert final.thread_ts == buttons.thread_ts
        await slack.wait_until(lambda: not slack.message(buttons.ts).button_action_ids(), 30)

        async def delivered() -> None:
            while await second.billing.pending_deliveries(state.id):
                await asyncio.sleep(0.05)

        await asyncio.wait_for(delivered(), 10)
        assert await second.service.delivery.deliver_due() == 0  # nothing left to repeat
        assert len(slack.uploaded_files) == 2
    finally:
        await stop_bot(second)


async def test_a_worker_whose_lease_ran_out_does_not_mark_anothers_delivery(bot: Bot) -> None:
    """Fencing: the late worker's 'done' is refused; the message counts once."""
    await bot.billing.start_draft("P-123", DRAFTER, bot.clock(), team_id="T0TEAM")
    for task in bot.service.tasks:  # no background worker: this test drives the outbox
        task.cancel()
    from datetime import timedelta

    from billing_core.service import OutboxKind

    async with bot.billing.store.unit_of_work() as uow:
        await uow.outbox_add(OutboxKind.DIGEST, {"channel": "C0X"}, "test:fence", bot.clock())
    (slow,) = await bot.billing.claim_deliveries(bot.clock(), lease=timedelta(seconds=1))
    bot.clock.advance(seconds=5)  # the lease runs out; another worker claims it
    (fast,) = await bot.billing.claim_deliveries(bot.clock())
    assert fast.id == slow.id and fast.attempts == slow.attempts + 1
    assert await bot.billing.delivery_done(fast, bot.clock())
    assert not await bot.billing.delivery_done(slow, bot.clock())
    assert not await bot.billing.delivery_failed(slow, bot.clock(), "late")
    assert await bot.billing.claim_deliveries(bot.clock() + timedelta(hours=1)) == []


async def test_slack_timeouts_delay_the_post_and_it_arrives_once(bot: Bot) -> None:
    """A call that times out before Slack acted (here: the upload URL request) is retried
    from the outbox; nothing is lost and nothing doubled."""
    slack = bot.slack
    bot.service.delivery.client.timeout = 0.5
    slack.fail_next("files.getUploadURLExternal", delay=2, times=2)
    _, name = await bot.command("draft P-123")
    (reply,) = await bot.replies(name, timeout=20)
    assert "will be retried" in reply
    for _ in range(3):  # the backoff passes; the worker tries again
        bot.clock.advance(minutes=15)
        bot.service.delivery.wake()
        await asyncio.sleep(1)
    await bot.buttons_message("P-123")
    assert [f.filename for f in slack.uploaded_files] == [
        f"DRAFT-P-123-{(await bot.billing.find('P-123')).id}.pdf"
    ]
    summaries = [m for m in slack.messages(channel=CHANNEL) if m.thread_ts is None]
    assert len(summaries) == 1
