"""`invoicebot remind`: the scheduler's reminder job, run once from a shell."""

from __future__ import annotations

from datetime import date

from bot.bootstrap import build
from bot.clock import utc_now
from bot.settings import Settings
from handlers.reminders import SlackReminderSender
from scheduler.jobs import run_reminders


async def run_reminders_cli(settings: Settings, *, as_of: date | None, dry_run: bool) -> int:
    """One reminder run; `--dry-run` prints who would be pinged and sends nothing."""
    if not dry_run:
        settings.require("SLACK_BOT_TOKEN")
    container = await build(settings)
    http = None
    try:
        sender = None
        if not dry_run:
            from bot.server import reminder_session, slack_client

            http = reminder_session()
            sender = SlackReminderSender(
                slack_client(settings, session=http),
                settings.policy,
                container.store.conversations,
            )
        summary = await run_reminders(
            container.billing, sender, utc_now(), as_of=as_of, dry_run=dry_run
        )
    finally:
        if http is not None:
            await http.close()
        await container.close()
    lines = summary.lines()
    if dry_run:
        print(f"reminders as of {summary.as_of} (dry run, nothing sent): {len(lines)} due")
        for line in lines:
            print(f"  would {line}")
        return 0
    print(
        f"reminders as of {summary.as_of}: {len(summary.sent)} invoice(s) in "
        f"{summary.messages} message(s); {len(summary.due) - len(summary.sent)} not sent"
    )
    if summary.failed:
        print(f"failed for {', '.join(summary.failed)}: they will be retried on the next run")
        return 1
    return 0
