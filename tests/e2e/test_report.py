"""`/invoice report [YYYY-MM]` in Slack: the figures as Block Kit and a real chart PNG, where
only approvers and the finance group see them."""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from billing_core.policy import ReportsPolicy
from handlers.slack_settings import SlackSettings
from slackstandin import SlackStandIn
from tests.e2e.harness import (
    APPROVER,
    OWNER,
    POLICY,
    STRANGER,
    Bot,
    blocks_text,
    record_json,
    start_bot,
    stop_bot,
)
from tests.e2e.test_reject_and_commands import approve

FINANCE = "U0FINANCE"


@pytest.fixture
async def bot(slack: SlackStandIn, tmp_path: Path) -> AsyncIterator[Bot]:
    policy = dataclasses.replace(POLICY, reports=ReportsPolicy(viewers=(FINANCE,)))
    running = await start_bot(slack, tmp_path, policy)
    await running.add_records(record_json(), record_json("P-2"))
    try:
        yield running
    finally:
        await stop_bot(running)


async def november(bot: Bot) -> None:
    """P-123 approved (EUR 1,428.00) and 428.00 paid; P-2 rejected (wrong client)."""
    number = await approve(bot)
    await bot.command(f"paid {number} 428.00", OWNER)
    await bot.draft("P-2")
    await bot.submit_reject(
        (await bot.billing.queries.find("P-2")).id, "wrong_client", "VAT ID missing"
    )


def png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", content[16:24])
    return width, height


async def test_an_approver_gets_the_figures_and_the_chart_in_a_dm(bot: Bot) -> None:
    await november(bot)
    _, name = await bot.command("report 2026-11", APPROVER)
    (reply,) = await bot.replies(name, timeout=30)
    assert reply == "I sent you the 2026-11 billing report in a DM."
    dm = bot.slack.dm_channel(APPROVER)
    (message,) = bot.slack.messages(dm)
    text = blocks_text(message.blocks)
    assert "Billing report 2026-11" in text
    assert "Issued: EUR 1,428.00 (1 invoice)" in text
    assert "Paid: EUR 428.00 (1 payment)" in text
    assert "Outstanding: EUR 1,000.00 (1 invoice)" in text
    assert "1 of 2 decided drafts rejected (50.0 %)" in text
    assert "Wrong client details: 1" in text
    (chart,) = [f for f in bot.slack.uploaded_files if f.channel_id == dm]
    assert chart.filename == "billing-2026-11.png" and chart.content is not None
    assert png_size(chart.content) == (1200, 360)  # one currency: one row
    assert len(chart.content) > 10_000  # bars and labels, not an empty canvas


async def test_with_a_billing_channel_the_report_goes_there(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    slack.add_channel("C0BILLING")
    running = await start_bot(
        slack, tmp_path, slack_settings=SlackSettings(billing_channel="C0BILLING")
    )
    try:
        _, name = await running.command("report", APPROVER)
        (reply,) = await running.replies(name, timeout=30)
        assert reply == "The 2026-11 billing report is in <#C0BILLING>."
        (message,) = slack.messages("C0BILLING")
        assert "no invoices issued, paid or open" in blocks_text(message.blocks)
        assert [f.channel_id for f in slack.uploaded_files] == ["C0BILLING"]
    finally:
        await stop_bot(running)


async def test_the_finance_group_may_see_figures_others_are_refused(bot: Bot) -> None:
    _, name = await bot.command("report", STRANGER)
    (reply,) = await bot.replies(name)
    assert "Billing figures are for approvers and the finance group" in reply
    assert bot.slack.messages(bot.slack.dm_channel(STRANGER)) == []
    assert bot.slack.uploaded_files == []

    _, name = await bot.command("report", FINANCE)
    (reply,) = await bot.replies(name, timeout=30)
    assert reply == "I sent you the 2026-11 billing report in a DM."
    assert len(bot.slack.uploaded_files) == 1


async def test_on_the_first_business_day_last_month_s_report_goes_to_the_billing_channel(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    from tests.e2e.test_reminders import REMINDER_POLICY, SLACK_SETTINGS, at

    slack.add_channel("C0BILLING")
    running = await start_bot(
        slack, tmp_path, REMINDER_POLICY, workers=False, slack_settings=SLACK_SETTINGS
    )
    try:
        daily = running.service.scheduler.get_job("reminders").func
        running.clock.now = at(date(2026, 11, 30))  # a Monday, not the month's first
        await daily()
        await running.deliver_all()
        assert slack.messages("C0BILLING") == []
        for hour in (10, 11):  # Tuesday 1 December, the job and a catch-up run
            running.clock.now = at(date(2026, 12, 1), hour)
            await daily()
            await running.deliver_all()
        (report,) = slack.messages("C0BILLING")
        assert "Billing report 2026-11" in blocks_text(report.blocks)
        (chart,) = slack.uploaded_files
        assert chart.channel_id == "C0BILLING" and chart.filename == "billing-2026-11.png"
        assert chart.content is not None and png_size(chart.content)[0] == 1200
        running.clock.now = at(date(2026, 12, 2))
        await daily()
        await running.deliver_all()
        assert len(slack.messages("C0BILLING")) == 1
    finally:
        await stop_bot(running)


async def test_a_month_that_does_not_exist_is_named_not_answered_with_the_whole_help(
    bot: Bot,
) -> None:
    response, _ = await bot.command("report 2026-13", APPROVER)
    assert response.text.startswith("month: '2026-13' is not a month like 2026-11")
    assert "from 1900-01 to 9998-12" in response.text
    assert "*Usage*" not in response.text  # the generic help hid what was wrong

    response, _ = await bot.command("repot 2026-11", APPROVER)
    assert "I don't know `repot`" in response.text and "*Usage*" in response.text
