"""The App Home tab, refreshed each time someone opens it or pages through a list."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.permissions import is_approver
from billing_core.usecases.queries import ListKind
from handlers import lists
from handlers.context import HandlerContext, team_of


def register(app: AsyncApp, ctx: HandlerContext) -> None:
    async def publish(client: AsyncWebClient, user: str, offsets: dict[ListKind, int]) -> None:
        now = ctx.clock()
        size = lists.HOME_PAGE_SIZE
        queries = ctx.billing.queries
        waiting = None
        if is_approver(user, ctx.billing.policy.approval):
            waiting = await queries.list_invoices(
                "drafts", user, now, size, offsets.get("drafts", 0)
            )
        mine = await queries.list_invoices("mine", user, now, size, offsets.get("mine", 0))
        items = [*(waiting.items if waiting else []), *mine.items]
        links = await ctx.links(s.id for s in items)
        view = lists.home_view(waiting, mine, ctx.billing.today(now), links)
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
        if page.kind == "drafts" or page.kind == "mine":
            await publish(client, user, {page.kind: page.offset})

    for kind in ("drafts", "mine"):
        app.action(f"{lists.HOME_PAGE_ACTION}_{kind}")(next_page)
