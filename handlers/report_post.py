"""`/invoice report [YYYY-MM]`: the figures as Block Kit with the chart PNG beside them, where
only the right people see them: `billing_channel` when set, else a DM to the person asking."""

from __future__ import annotations

import asyncio

from slack_sdk.errors import SlackApiError

from billing_core.metrics.chart import render_chart
from billing_core.reports import month_bounds
from handlers.context import HandlerContext, PrivateReply
from handlers.report_blocks import report_message
from handlers.slack_errors import slack_error


async def post_report(
    ctx: HandlerContext, user: str, month: str | None, reply: PrivateReply
) -> None:
    """Post the month's report (NotAllowed for people who may not see figures: the caller
    replies with the refusal), then tell the person where it went."""
    billing = ctx.billing
    now = ctx.clock()
    first, end = month_bounds(month, billing.today(now))
    report = await billing.metrics.month_report_for(user, first, end, now)
    months = await billing.metrics.monthly_money(first)
    locale = billing.policy.invoice.figures_locale
    aging = {code: figures.aging for code, figures in report.currencies.items()}
    # matplotlib in a thread: the event loop keeps answering acks meanwhile.
    png = await asyncio.to_thread(render_chart, months, aging, locale)
    client = ctx.delivery.client
    text, message = report_message(report, locale)
    channel = ctx.delivery.settings.billing_channel
    try:
        if channel is None:
            opened = await client.conversations_open(users=user)
            channel = str(opened["channel"]["id"])
        await client.chat_postMessage(channel=channel, text=text, blocks=message)
        await client.files_upload_v2(
            channel=channel,
            content=png,
            filename=f"billing-{report.month}.png",
            title=f"Billing {report.month}: issued vs paid, overdue aging",
        )
    except SlackApiError as exc:
        where = "the billing channel" if ctx.delivery.settings.billing_channel else "a DM"
        await reply(
            f"I could not post the {report.month} report to {where} "
            f"({slack_error(exc) or 'Slack refused'}). If it is the billing channel, "
            "invite me there with `/invite @invoicebot`."
        )
        return
    if ctx.delivery.settings.billing_channel:
        await reply(f"The {report.month} billing report is in <#{channel}>.")
    else:
        await reply(f"I sent you the {report.month} billing report in a DM.")
