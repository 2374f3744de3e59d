"""The App Home tab, refreshed each time someone opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.permissions import is_approver
from handlers import blocks
from handlers.context import HandlerContext


def register(app: AsyncApp, ctx: HandlerContext) -> None:
    @app.event("app_home_opened")
    async def publish_home(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab") != "home" or ctx.foreign_team(body.get("team_id")):
            return
        user = event["user"]
        now = ctx.clock()
        approver = is_approver(user, ctx.billing.policy.approval)
        waiting = await ctx.billing.list_invoices("drafts", user, now) if approver else []
        mine = await ctx.billing.list_invoices("mine", user, now)
        view = blocks.home_view(approver, waiting, mine, ctx.billing.today(now))
        await client.views_publish(user_id=user, view=view)
