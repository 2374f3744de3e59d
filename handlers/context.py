"""What every listener needs, handed over by the composition root (`bot.server`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from billing_core.service import Billing
from handlers.delivery import SlackDelivery


@dataclass
class HandlerContext:
    billing: Billing
    delivery: SlackDelivery
    clock: Callable[[], datetime]
    team_id: str | None = None  # this workspace, from auth.test; other teams are refused
    background: set[asyncio.Task[None]] = field(default_factory=set)  # work after an ack

    def run_after_ack(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as a task the server waits for when it shuts down."""
        task = asyncio.create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def finish_background(self) -> None:
        """On shutdown: let work already acked finish (bounded), so nobody is left unanswered."""
        if self.background:
            await asyncio.wait(set(self.background), timeout=SHUTDOWN_GRACE_SECONDS)

    def foreign_team(self, team_id: str | None) -> bool:
        """True for a payload claiming another workspace than the one we are installed in."""
        return bool(self.team_id and team_id and team_id != self.team_id)


SHUTDOWN_GRACE_SECONDS = 20
FOREIGN_TEAM = "This invoicebot is installed in another workspace; nothing was changed."


def action_invoice_id(body: dict[str, Any]) -> int | None:
    """The invoice a button names (its value), or None for a malformed payload."""
    try:
        value = str(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError):
        return None
    return int(value) if value.isdigit() else None


def team_of(body: dict[str, Any]) -> str | None:
    """The workspace an interaction payload claims to come from."""
    return (body.get("team") or {}).get("id") or body.get("user", {}).get("team_id")


async def tell(respond: AsyncRespond, text: str) -> None:
    """An ephemeral answer to whoever clicked, leaving the clicked message alone."""
    await respond(text=text, response_type="ephemeral", replace_original=False)


async def ack_only(ack: AsyncAck) -> None:
    """For clicks whose work runs in a lazy listener after the ack."""
    await ack()
