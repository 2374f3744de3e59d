"""Readiness pings: on Mondays each owner whose records are completed but not invoiced gets
one DM listing them with what stops each, once per owner and ISO week, across runs and
replicas (through the outbox, like the other DMs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from slackstandin import SlackStandIn
from tests.e2e.harness import CHANNEL, OWNER, blocks_text, record_json, start_bot, stop_bot
from tests.e2e.test_reminders import REMINDER_POLICY

OTHER = "U0OTHER"
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # 11:00 in Berlin, after the 09:00 run


async def test_one_readiness_dm_per_owner_and_week_across_runs_and_replicas(
    slack: SlackStandIn, tmp_path: Path, database_url: str
) -> None:
    first = await start_bot(
        slack, tmp_path, REMINDER_POLICY, workers=False, database_url=database_url
    )
    second = await start_bot(
        slack, tmp_path, REMINDER_POLICY, workers=False, database_url=database_url
    )
    try:
        for bot in (first, second):
            bot.clock.now = MONDAY
        await first.add_records(
            record_json("P-A", completed_at="2026-11-20"),  # ready: nobody drafted it
            record_json("P-B", completed_at="2026-11-18", client={"name": "Gamma SA"}),
            record_json("P-C", owner=OTHER, completed_at="2026-11-27"),  # a draft waits
            record_json("P-D", completed_at=None),  # not completed: nothing to say
        )
        origin = {"workspace": "T0TEAM", "channel": CHANNEL}
        await first.billing.drafting.start_draft("P-C", OTHER, MONDAY, origin=origin)

        # A run, a repeated run (the start-up catch-up, then the cron run), the other replica's.
        for bot, later in ((first, 0), (first, 5), (second, 60)):
            bot.clock.now = MONDAY + timedelta(minutes=later)
            await bot.service.scheduler.get_job("readiness").func()
        await first.deliver_all()
        await second.deliver_all()

        (owner_dm,) = slack.messages(slack.dm_channel(OWNER))
        text = blocks_text(owner_dm.blocks)
        assert "2 of your records are waiting" in text and "2026-W49" in text
        assert "P-B Website relaunch — completed 2026-11-18: missing client.email" in text
        assert "P-A Website relaunch — completed 2026-11-20: ready" in text
        assert text.index("P-B") < text.index("P-A")  # oldest first
        assert "P-D" not in text and "P-123" not in text  # the fixture record is not here
        (other_dm,) = slack.messages(slack.dm_channel(OTHER))
        assert "P-C" in blocks_text(other_dm.blocks)
        assert "a draft waits for a decision" in blocks_text(other_dm.blocks)

        # A week later P-A and P-B are still waiting: one more DM, the same week never twice.
        for bot in (first, second):
            bot.clock.now = MONDAY + timedelta(days=7)
            await bot.service.scheduler.get_job("readiness").func()
            await bot.deliver_all()
        assert len(slack.messages(slack.dm_channel(OWNER))) == 2
    finally:
        await stop_bot(first)
        await stop_bot(second)
