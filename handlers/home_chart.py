"""The App Home's chart: rendered at most once a business day per process, off the event loop,
uploaded once (a file of the bot's own, shared nowhere) and its file id reused by every Home
tab that shows figures until the day changes. A failed upload leaves the tab without the chart
(the figures are shown all the same) and is tried again on the next open."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from slack_sdk.web.async_client import AsyncWebClient

from billing_core.metrics.chart import render_chart
from billing_core.usecases import Billing

log = logging.getLogger(__name__)


class HomeChart:
    def __init__(self) -> None:
        self.day: date | None = None
        self.file_id: str | None = None
        self._lock = asyncio.Lock()

    def ready(self, today: date) -> str | None:
        """Today's chart file id, or None when it has not been made yet today."""
        return self.file_id if self.day == today else None

    async def make(self, billing: Billing, client: AsyncWebClient, today: date) -> str | None:
        """Render and upload today's chart unless that is done (or being done: callers wait
        for the one render); its file id, or None when Slack refused the upload."""
        async with self._lock:
            if self.day == today:
                return self.file_id
            first = today.replace(day=1)
            months = await billing.metrics.monthly_money(first)
            async with billing.store.unit_of_work(read_only=True) as uow:
                aging = await uow.metrics.aging(today)
            locale = billing.policy.invoice.figures_locale
            png = await asyncio.to_thread(render_chart, months, aging, locale)
            try:
                answer = await client.files_upload_v2(
                    content=png, filename=f"billing-{today.isoformat()}.png", title="Billing"
                )
            except Exception as exc:  # the Home tab shows its figures without the chart
                log.warning("the Home chart upload failed: %s", exc)
                return None
            files = answer.get("files") or [answer.get("file") or {}]
            self.day, self.file_id = today, str(files[0].get("id") or "") or None
            return self.file_id
