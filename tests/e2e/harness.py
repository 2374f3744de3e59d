"""Drive the real `serve` app over HTTP with signed requests, against the Slack stand-in."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from billing_core.errors import InvoiceNotFound
from billing_core.policy import ApprovalPolicy, CompanyPolicy, Policy, ReminderPolicy
from billing_core.records import parse_record
from billing_core.store.conversations import Conversation
from bot.demo import example_record
from bot.server import Service, build_service
from bot.settings import Settings
from handlers.slack_settings import SlackSettings
from slackstandin import (
    SignedResponse,
    SlackStandIn,
    block_action_body,
    plain_text_value,
    post_signed,
    slash_command_body,
    static_select_value,
    view_submission_body,
)

SECRET = "e2e-signing-secret"
APPROVER = "U0APPROVER"
BOSS = "U0BOSS"
OWNER = "U0OWNER"
DRAFTER = "U0DRAFTER"
STRANGER = "U0STRANGER"
CHANNEL = "C0SALES"

POLICY = Policy(
    company=CompanyPolicy(name="Northwind Studio GmbH", iban="DE89 3704 0044 0532 0130 00"),
    approval=ApprovalPolicy(approvers=(APPROVER, BOSS), four_eyes_threshold=None),
    reminders=ReminderPolicy(timezone="Europe/Berlin"),
)


def record_json(record_id: str = "P-123", **overrides: Any) -> dict[str, Any]:
    """The DESIGN.md record (owner OWNER) with another ID and top-level overrides."""
    return example_record(record_id, **{"owner": OWNER, **overrides})


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def real_time(self) -> datetime:
        """`now` plus the real time passed since the clock was made (a clock that runs)."""
        return self.now + timedelta(seconds=time.monotonic() - self._started)


@dataclass
class Bot:
    """The running app, its stand-in Slack and helpers that act as Slack would."""

    slack: SlackStandIn
    service: Service
    url: str
    clock: FakeClock  # the business clock ("today", due dates)
    runner: web.AppRunner
    worker_clock: FakeClock  # the outbox workers' clock (leases, backoff)
    _responses: int = field(default=0)
    # name -> (user, channel, how many ephemerals existed when the request was sent)
    _sent: dict[str, tuple[str, str, int]] = field(default_factory=dict)

    @property
    def billing(self):  # type: ignore[no-untyped-def]
        return self.service.container.billing

    async def add_records(self, *records: dict[str, Any]) -> None:
        await self.billing.records.import_records([parse_record(r) for r in records], self.clock())

    def _response_name(self) -> str:
        self._responses += 1
        return f"r{self._responses}"

    async def command(
        self, text: str, user: str = DRAFTER, *, team_id: str = "T0TEAM", channel: str = CHANNEL
    ) -> tuple[SignedResponse, str]:
        """Send `/invoice TEXT`; returns the HTTP answer and the response_url name."""
        name = self._response_name()
        self._sent[name] = (user, channel, len(self.slack.ephemerals))
        body = slash_command_body(
            text=text,
            user_id=user,
            channel_id=channel,
            team_id=team_id,
            response_url=self.slack.response_url(name),
        )
        return await post_signed(self.url, body, SECRET), name

    def command_body(self, text: str, user: str = DRAFTER) -> tuple[str, str]:
        """A signed-to-be `/invoice TEXT` body and its response_url name, to send (and resend,
        as Slack or a proxy may) with `send`."""
        name = self._response_name()
        self._sent[name] = (user, CHANNEL, len(self.slack.ephemerals))
        body = slash_command_body(
            text=text, user_id=user, channel_id=CHANNEL, team_id="T0TEAM",
            response_url=self.slack.response_url(name), trigger_id=f"trigger-{name}",
        )  # fmt: skip
        return body, name

    def click_body(self, action_id: str, message: Any, user: str = APPROVER) -> tuple[str, str]:
        """Like `command_body`, for a click on `message`."""
        name = self._response_name()
        channel = getattr(message, "channel", None) or CHANNEL
        self._sent[name] = (user, channel, len(self.slack.ephemerals))
        body = block_action_body(
            action_id, user_id=user, message=message, team_id="T0TEAM",
            response_url=self.slack.response_url(name), trigger_id=f"trigger-{name}",
        )  # fmt: skip
        return body, name

    async def send(self, body: str, *, retry: int | None = None) -> SignedResponse:
        """POST a prepared body, signed now; `retry` adds Slack's X-Slack-Retry-Num."""
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await post_signed(self.url, body, SECRET, headers=headers if retry else None)

    def reply_posts(self, name: str) -> list[dict[str, Any]]:
        """What only the sender of request `name` was shown, as sent: chat.postEphemeral to
        them in that channel after the request, or posts to the request's response_url."""
        user, channel, start = self._sent[name]
        ephemeral = [
            {"text": e.text or "", "blocks": e.blocks}
            for e in self.slack.ephemerals[start:]
            if e.user == user and e.channel == channel
        ]
        return ephemeral + [r.body for r in self.slack.responses if r.name == name]

    async def replies(self, name: str, count: int = 1, timeout: float = 10) -> list[str]:
        """What the sender of request `name` was shown (waits for `count` replies): the
        blocks' text where a reply has blocks (Slack shows those), else its text."""
        await self.slack.wait_until(lambda: len(self.reply_posts(name)) >= count, timeout)
        return [visible_text(post) for post in self.reply_posts(name)]

    async def click(
        self, action_id: str, message: Any, user: str = APPROVER, *, value: str | None = None,
        team_id: str = "T0TEAM",
    ) -> tuple[SignedResponse, str]:  # fmt: skip
        name = self._response_name()
        channel = getattr(message, "channel", None) or CHANNEL
        self._sent[name] = (user, channel, len(self.slack.ephemerals))
        body = block_action_body(
            action_id,
            value=value,
            user_id=user,
            message=message,
            team_id=team_id,
            response_url=self.slack.response_url(name),
            trigger_id=f"trigger-{name}",
        )
        return await post_signed(self.url, body, SECRET), name

    async def submit_reject(
        self, invoice_id: int, category: str, reason: str, user: str = APPROVER
    ) -> SignedResponse:
        body = view_submission_body(
            callback_id="invoice_reject_modal",
            private_metadata=str(invoice_id),
            state_values={
                "category": {"value": static_select_value(category)},
                "reason": {"value": plain_text_value(reason)},
            },
            user_id=user,
        )
        return await post_signed(self.url, body, SECRET)

    async def draft(self, record_id: str = "P-123", user: str = DRAFTER) -> Any:
        """Draft through Slack and wait until the buttons are in the thread; returns the
        button message."""
        before = len(self.slack.uploaded_files)
        response, _ = await self.command(f"draft {record_id}", user)
        assert response.status == 200, response.text
        await self.slack.wait_until(lambda: len(self.slack.uploaded_files) > before, 20)
        return await self.buttons_message(record_id)

    async def pending(self, invoice_id: int) -> list[str]:
        """Events of this invoice not yet delivered to Slack."""
        return [m.event for m in await self.billing.outbox.pending("slack", invoice_id)]

    async def deliver_all(self) -> None:
        """Carry out everything due now (documents, then Slack), without background workers."""
        while await self.service.documents.deliver_due():
            pass
        while await self.service.delivery.worker.deliver_due():
            pass

    async def open_thread(self, invoice_id: int, ts: str, channel: str = CHANNEL) -> None:
        """Give an invoice a (stand-in) Slack thread, as if its draft had been posted there."""
        conversation = Conversation("slack", invoice_id, "T0TEAM", channel, ts)
        await self.service.container.store.conversations.save(conversation, self.clock())

    async def settled(self, record_id: str, timeout: float = 10) -> None:
        """Wait until nothing of the record's latest invoice is left in the outbox."""
        state = await self.billing.queries.find(record_id)
        async with asyncio.timeout(timeout):
            while await self.pending(state.id):
                await asyncio.sleep(0.02)

    async def wait_for_invoice(self, record_id: str, timeout: float = 10) -> Any:
        """The record's open draft, once the command that makes it has committed."""
        async with asyncio.timeout(timeout):
            while True:
                try:
                    state = await self.billing.queries.find(record_id)
                    if state.status.value == "draft":
                        return state
                except InvoiceNotFound:
                    pass
                await asyncio.sleep(0.02)

    async def buttons_message(self, record_id: str) -> Any:
        """The thread message holding the record's open draft's Approve/Reject buttons."""
        state = await self.wait_for_invoice(record_id)
        block_id = f"decision:{state.id}"

        def find() -> Any:
            for message in self.slack.messages():
                if any(b.get("block_id") == block_id for b in message.blocks or []):
                    return message
            return None

        await self.slack.wait_until(lambda: find() is not None, 20)
        return find()


async def start_bot(
    slack: SlackStandIn,
    tmp_path: Path,
    policy: Policy = POLICY,
    *,
    workers: bool = True,
    database_url: str | None = None,
    clock: FakeClock | None = None,
    api_token: str | None = None,
    slack_settings: SlackSettings | None = None,
    worker_clock: FakeClock | None = None,
) -> Bot:
    """The real app on a random port. Several may share one `database_url` (replicas)."""
    settings = Settings(
        database_url=database_url or f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        slack_bot_token=slack.bot_token,
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        policy=policy,
        api_token=api_token,
        slack=slack_settings or SlackSettings(),
    )
    clock = clock or FakeClock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    service = await build_service(settings, clock=clock, render_workers=1)
    runner = web.AppRunner(service.web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    # The workers' clock runs with real time unless a test moves it on (to pass a backoff
    # or a dead worker's lease without waiting for it).
    worker_clock = FakeClock(datetime.now(UTC)) if worker_clock is None else worker_clock
    for worker in (service.documents, service.delivery.worker):
        worker.clock = worker_clock.real_time
        if workers:
            service.tasks.append(asyncio.create_task(worker.run(service.stop_event)))
    url = f"http://127.0.0.1:{port}/slack/events"
    return Bot(slack, service, url, clock, runner, worker_clock)


async def stop_bot(bot: Bot) -> None:
    await bot.runner.cleanup()
    await bot.service.close()


def blocks_text(blocks: list[dict[str, Any]] | None) -> str:
    return json.dumps(blocks or [], ensure_ascii=False)


def visible_text(message: dict[str, Any]) -> str:
    """The text a person sees in a message: every text of its blocks, or its `text`."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(found) if found else str(message.get("text") or "")
