"""`invoicebot remind` and `invoicebot report`: the scheduler's jobs, run once from a shell."""

from __future__ import annotations

from datetime import date

from billing_core.errors import BillingError
from billing_core.service import REJECTION_CATEGORIES, PeriodSummary
from bot.bootstrap import build, utc_now
from bot.settings import Settings
from handlers.reminders import SlackReminderSender
from scheduler.jobs import run_reminders


async def run_reminders_cli(settings: Settings, *, as_of: date | None, dry_run: bool) -> int:
    """One reminder run; `--dry-run` prints who would be pinged and sends nothing."""
    if not dry_run:
        settings.require("SLACK_BOT_TOKEN")
    container = await build(settings)
    try:
        sender = None
        if not dry_run:
            from bot.server import slack_client

            sender = SlackReminderSender(slack_client(settings), settings.policy)
        summary = await run_reminders(
            container.billing, sender, utc_now(), as_of=as_of, dry_run=dry_run
        )
    finally:
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


def parse_month(text: str | None, today: date) -> tuple[date, date]:
    """[first day, first day of next month) of YYYY-MM (default: this month)."""
    if text is None:
        first = today.replace(day=1)
    else:
        try:
            year, month = (int(part) for part in text.split("-"))
            first = date(year, month, 1)
        except ValueError:
            raise BillingError(f"--month: {text!r} is not a month like 2026-11") from None
    end = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, end


def format_summary(summary: PeriodSummary) -> list[str]:
    def money_lines(title: str, per_currency: dict[str, tuple[int, object]]) -> list[str]:
        if not per_currency:
            return [f"{title}: none"]
        return [f"{title}:"] + [
            f"  {currency} {amount}  ({count} invoice(s))"
            for currency, (count, amount) in sorted(per_currency.items())
        ]

    lines = [f"Billing report {summary.first} to {summary.end} (exclusive)"]
    lines += money_lines("Issued", summary.issued)
    lines += money_lines("Paid", summary.paid)
    lines += money_lines("Overdue now", summary.overdue)
    lines += money_lines("Drafts waiting now", summary.drafts_waiting)
    lines.append(f"Rejected drafts: {len(summary.rejections)}")
    for record_id, category, reason in summary.rejections:
        lines.append(f"  {record_id}: {REJECTION_CATEGORIES.get(category, category)} — {reason}")
    return lines


async def run_report_cli(settings: Settings, *, month: str | None) -> int:
    container = await build(settings)
    try:
        now = utc_now()
        first, end = parse_month(month, container.billing.today(now))
        summary = await container.billing.period_summary(first, end, now)
    finally:
        await container.close()
    print("\n".join(format_summary(summary)))
    return 0
