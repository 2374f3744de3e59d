"""What every listener needs, handed over by the composition root (`bot.server`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.errors import AlreadyHandled
from billing_core.store.conversations import Conversations
from billing_core.usecases import Billing
from handlers.blocks import thread_link
from handlers.slack_errors import slack_error

if TYPE_CHECKING:
    from handlers.slack_delivery import SlackDelivery

ADAPTER = "slack"


@dataclass
class HandlerContext:
    billing: Billing
    delivery: SlackDelivery
    conversations: Conversations
    clock: Callable[[], datetime]
    team_id: str | None = None  # this workspace, from auth.test; other teams are refused
    background: set[asyncio.Task[None]] = field(default_factory=set)  # work after an ack

    def run_after_ack(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as a task the server waits for when it shuts down."""
        task = asyncio.create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def clicked_invoice(self, body: dict[str, Any], reply: PrivateReply) -> int | None:
        """The invoice a click names, from this workspace; None (and the clicker told why)
        for another workspace's payload or a button that names no invoice."""
        if self.foreign_team(team_of(body)):
            await reply(FOREIGN_TEAM)
            return None
        invoice_id = action_invoice_id(body)
        if invoice_id is None:
            await reply("That button does not name an invoice; nothing was changed.")
        return invoice_id

    async def links(self, invoice_ids: Iterable[int]) -> dict[int, str]:
        """Permalinks of these invoices' threads, where they have one."""
        found = await self.conversations.many(ADAPTER, list(invoice_ids))
        links = {i: thread_link(c.channel, c.thread) for i, c in found.items()}
        return {i: link for i, link in links.items() if link}

    async def finish_background(self) -> None:
        """On shutdown: let work already acked finish (bounded), so nobody is left unanswered."""
        if self.background:
            await asyncio.wait(set(self.background), timeout=SHUTDOWN_GRACE_SECONDS)

    def foreign_team(self, team_id: str | None) -> bool:
        """True for a payload claiming another workspace than the one we are installed in."""
        return bool(self.team_id and team_id and team_id != self.team_id)


log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 20
FOREIGN_TEAM = "This invoicebot is installed in another workspace; nothing was changed."


# Invoice ids are INTEGER columns: PostgreSQL's int4 (SQLite would take up to 2**63 - 1).
MAX_INVOICE_ID = 2**31 - 1


def parse_invoice_id(text: Any) -> int | None:
    """An invoice id from a button value or a modal's private_metadata, or None.

    Only ASCII digits: `str.isdigit` also accepts "²" and "٣", which `int` then refuses or
    reads; and within the column's range, so a forged 10**26 never reaches the database."""
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_INVOICE_ID else None


def action_invoice_id(body: dict[str, Any]) -> int | None:
    """The invoice a button names (its value), or None for a malformed payload."""
    try:
        value = body["actions"][0]["value"]
    except (KeyError, IndexError, TypeError):
        return None
    return parse_invoice_id(value)


def team_of(body: dict[str, Any]) -> str | None:
    """The workspace an interaction payload claims to come from."""
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    return team if isinstance(team, str) else None


@dataclass
class PrivateReply:
    """Answers only the person who typed or clicked.

    chat.postEphemeral where the bot may post (in the thread when the click was in one); the
    request's response_url where it may not (a DM between two people, a channel it is not in).
    """

    client: AsyncWebClient
    respond: AsyncRespond | None
    channel: str | None
    user: str
    thread_ts: str | None = None
    sent: list[dict[str, Any]] = field(default_factory=list)  # what it said, for replays

    @classmethod
    def to_command(
        cls, client: AsyncWebClient, respond: AsyncRespond | None, body: dict[str, Any]
    ) -> PrivateReply:
        return cls(client, respond, body.get("channel_id"), body.get("user_id", ""))

    @classmethod
    def to_click(
        cls, client: AsyncWebClient, respond: AsyncRespond | None, body: dict[str, Any]
    ) -> PrivateReply:
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        thread_ts = (body.get("message") or {}).get("thread_ts") or container.get("thread_ts")
        return cls(client, respond, channel, (body.get("user") or {}).get("id", ""), thread_ts)

    async def __call__(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        self.sent.append({"text": text, "blocks": blocks})
        if self.channel and self.user:
            try:
                await self.client.chat_postEphemeral(
                    channel=self.channel,
                    user=self.user,
                    text=text,
                    blocks=blocks,
                    thread_ts=self.thread_ts,
                )
                return
            except (SlackApiError, OSError) as exc:
                log.info("chat.postEphemeral failed (%s); using the response_url", exc)
        if self.respond is not None:
            await self.respond(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )


async def open_modal(
    client: AsyncWebClient, body: dict[str, Any], view: dict[str, Any], reply: PrivateReply
) -> None:
    """views.open for the click in `body`; when Slack refuses (the trigger_id expires 3 s
    after the click: `expired_trigger_id`) or cannot be reached, the clicker is told what to
    do instead of hearing nothing."""
    try:
        await client.views_open(trigger_id=body.get("trigger_id", ""), view=view)
    except (SlackApiError, OSError, TimeoutError) as exc:
        error = slack_error(exc) or type(exc).__name__
        log.warning("views.open failed for %s: %s", (body.get("user") or {}).get("id"), error)
        await reply(
            f"Slack did not open the form ({error}). Nothing was changed: click the button "
            "again (Slack gives a form only 3 seconds to open)."
        )


async def once(
    ctx: HandlerContext,
    key: str | None,
    reply: PrivateReply,
    work: Callable[[], Awaitable[None]],
) -> None:
    """Run `work` (whose use case claims `key`) and keep what `reply` said under `key`; for a
    repeated request (AlreadyHandled) say again what the first one said, and nothing else.

    Keys: a slash command's or a click's `trigger_id`, a modal's view id and hash (Slack gives
    a redelivery, a retry or a double submit the same ones)."""
    try:
        await work()
    except AlreadyHandled:
        saved = await ctx.billing.requests.reply(key) if key else None
        for message in (saved or {}).get("replies", []):
            await reply(str(message.get("text", "")), message.get("blocks"))
        return
    if key is not None:
        await ctx.billing.requests.save_reply(key, {"replies": reply.sent})


def command_key(body: dict[str, Any]) -> str | None:
    """The idempotency key of a slash command or a click: Slack's trigger_id."""
    trigger = body.get("trigger_id")
    return f"slack:trigger:{trigger}" if isinstance(trigger, str) and trigger else None


def view_key(view: dict[str, Any]) -> str | None:
    """The idempotency key of a modal submission: the view's id and hash."""
    view_id, view_hash = view.get("id"), view.get("hash")
    if isinstance(view_id, str) and isinstance(view_hash, str) and view_id:
        return f"slack:view:{view_id}:{view_hash}"[:200]
    return None


async def ack_only(ack: AsyncAck) -> None:
    """For clicks whose work runs in a lazy listener after the ack."""
    await ack()
