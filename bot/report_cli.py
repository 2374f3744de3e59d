"""`invoicebot report` and `invoicebot export journal`: the billing metrics for a month as text,
JSON or CSV (with an optional PNG chart), and the accountant's journal as CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from billing_core.metrics.chart import render_chart
from billing_core.metrics.journal import journal_csv_rows
from billing_core.metrics.render import CSV_HEADER, report_csv_rows, report_json, report_text
from billing_core.reports import month_bounds
from bot.bootstrap import build
from bot.clock import utc_now
from bot.files import write_atomically
from bot.settings import Settings

FORMATS = ("text", "json", "csv")


def _csv(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


async def run_report(settings: Settings, *, month: str | None, fmt: str, chart: Path | None) -> int:
    container = await build(settings)
    try:
        now = utc_now()
        metrics = container.billing.metrics
        first, end = month_bounds(month, container.billing.today(now))
        report = await metrics.month_report(first, end, now)
        months = await metrics.monthly_money(first) if chart is not None else []
    finally:
        await container.close()
    if chart is not None:
        locale = settings.policy.invoice.figures_locale
        aging = {code: figures.aging for code, figures in report.currencies.items()}
        png = await asyncio.to_thread(render_chart, months, aging, locale)
        await asyncio.to_thread(write_atomically, chart, png)
    if fmt == "json":
        sys.stdout.write(json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        sys.stdout.write(_csv([CSV_HEADER, *report_csv_rows(report)]))
    else:
        sys.stdout.write("\n".join(report_text(report)) + "\n")
    if chart is not None:
        print(f"wrote {chart}", file=sys.stderr)
    return 0


async def run_journal(settings: Settings, *, month: str) -> int:
    container = await build(settings)
    try:
        first, end = month_bounds(month, container.billing.today(utc_now()))
        entries = await container.billing.metrics.journal(first, end)
    finally:
        await container.close()
    sys.stdout.write(_csv(journal_csv_rows(entries)))
    return 0
