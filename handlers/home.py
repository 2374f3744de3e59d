"""The App Home tab as a dashboard, redrawn each time someone opens it, pages through a list,
or approves or snoozes from it (handlers/home_blocks.py draws it)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.errors import AlreadyHandled, BillingError
from billing_core.permissions import is_approver, may_see_figures
from billing_core.status import Status
from handlers import lists
from handlers.context import HandlerContext, command_key, parse_invoice_id, team_of
from handlers.home_blocks import HOME_APPROVE_ACTION, HOME_SNOOZE_ACTION, dashboard_view
from handlers.home_chart import HomeChart

log = logging.getLogger(__name__)
HomeKind = str  # "drafts", "overdue" or "mine": the Home's lists


def register(app: AsyncApp, ctx: HandlerContext) -> None:
    chart = HomeChart()

    async def publish(
        client: AsyncWebClient,
        user: str,
        offsets: dict[HomeKind, int],
        notice: str | None = None,
    ) -> None:
        now = ctx.clock()
        size = lists.HOME_PAGE_SIZE
        billing = ctx.billing
        queries = billing.queries
        headline, chart_file = None, None
        if may_see_figures(user, billing.policy):
            headline = await billing.metrics.headline_for(user, now)
            # The day's first tab with figures waits for the chart (~1 s, in a thread; the
            # event was acked already); every later one reuses its file.
            today = billing.today(now)
            chart_file = chart.ready(today) or await chart.make(billing, client, today)
        queue = None
        if is_approver(user, billing.policy.approval):
            queue = await queries.list_invoices("drafts", user, now, size, offsets.get("drafts", 0))
        overdue = await queries.overdue_of(user, now, size, offsets.get("overdue", 0))
        mine = await queries.list_invoices("mine", user, now, size, offsets.get("mine", 0))
        items = [*(queue.items if queue else []), *overdue.items, *mine.items]
        links = await ctx.links(s.id for s in items)
        view = dashboard_view(
            headline=headline,
            queue=queue,
            overdue=overdue,
            mine=mine,
            today=billing.today(now),
            links=links,
            notice=notice,
            chart_file=chart_file,
        )
        await client.views_publish(user_id=user, view=view)

    @app.event("app_home_opened")
    async def home_opened(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab") != "home" or ctx.foreign_team(body.get("team_id")):
            return
        user = event.get("user")
        if isinstance(user, str) and user:
            await publish(client, user, {})

    async def next_page(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user = (body.get("user") or {}).get("id")
        page = lists.parse_page_value(body)
        if ctx.foreign_team(team_of(body)) or not user or page is None:
            return
        if page.kind in ("drafts", "mine", "overdue"):
            await publish(client, user, {page.kind: page.offset})

    async def clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Approve or Snooze from the Home tab: do it, then redraw the tab with the outcome
        (a Home click has no channel to answer in)."""
        await ack()
        user = (body.get("user") or {}).get("id")
        action = (body.get("actions") or [{}])[0]
        invoice_id = parse_invoice_id(action.get("value"))
        if ctx.foreign_team(team_of(body)) or not user or invoice_id is None:
            return
        now = ctx.clock()
        key = command_key(body)
        try:
            if action.get("action_id") == HOME_APPROVE_ACTION:
                state = await ctx.billing.drafting.approve(invoice_id, user, now, request_key=key)
                notice = f"Approved {state.label}: the final PDF goes to its thread."
                if state.status is Status.DRAFT:  # one step of a multi-step rule
                    notice = f"Signed your step of {state.label}: the next step is in its thread."
                await ctx.delivery.deliver_for_invoice(state.id)
            else:
                state = await ctx.billing.settlement.snooze(invoice_id, user, now, request_key=key)
                until = state.snoozed_until.isoformat() if state.snoozed_until else "later"
                notice = f"Snoozed {state.label}: no reminders until after {until}."
        except AlreadyHandled:
            notice = None  # the same click delivered again: done the first time
        except BillingError as exc:
            notice = str(exc)
        await publish(client, user, {}, notice)

    for kind in ("drafts", "mine", "overdue"):
        app.action(f"{lists.HOME_PAGE_ACTION}_{kind}")(next_page)
    app.action(HOME_APPROVE_ACTION)(clicked)
    app.action(HOME_SNOOZE_ACTION)(clicked)
