"""The App Home tab, refreshed each time someone opens it or pages through a list."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.permissions import is_approver
from handlers import blocks
from handlers.context import HandlerContext


def register(app: AsyncApp, ctx: HandlerContext) -> None:
    async def publish(client: AsyncWebClient, user: str, offsets: dict[str, int]) -> None:
        now = ctx.clock()
        size = blocks.HOME_PAGE_SIZE
        waiting = None
        if is_approver(user, ctx.billing.policy.approval):
            waiting = await ctx.billing.list_invoices(
                "drafts", user, now, size, offsets.get("drafts", 0)
            )
        mine = await ctx.billing.list_invoices("mine", user, now, size, offsets.get("mine", 0))
        view = blocks.home_view(waiting, mine, ctx.billing.today(now))
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
        page = blocks.parse_page_value(body)
        if ctx.foreign_team((body.get("team") or {}).get("id")) or not user or page is None:
            return
        kind, offset = page
        await publish(client, user, {kind: offset})

    for kind in ("drafts", "mine"):
        app.action(f"{blocks.HOME_PAGE_ACTION}_{kind}")(next_page)
