"""`serve --socket`: the same app in Socket Mode, against the stand-in's websocket.

`bot.server.serve(settings, socket_mode=True)` runs in-process as a task; the stand-in pushes
envelopes over the websocket exactly as Slack does and records the app's acks.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from billing_core.records import parse_record
from bot.bootstrap import build
from bot.server import serve
from bot.settings import Settings
from slackstandin import SlackStandIn, block_action_payload, slash_command_payload
from tests.e2e.harness import APPROVER, CHANNEL, DRAFTER, POLICY, record_json
from tests.e2e.test_draft_approve import pdf_text


@pytest.fixture
async def socket_bot(slack: SlackStandIn, tmp_path: Path) -> AsyncIterator[asyncio.Task[None]]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'socket.db'}",
        slack_bot_token=slack.bot_token,
        slack_app_token=slack.app_token,
        slack_api_url=slack.api_url,
        host="127.0.0.1",
        port=0,
        policy=POLICY,
    )
    container = await build(settings)
    try:
        await container.billing.records.import_records(
            [parse_record(record_json())], datetime.now(UTC)
        )
    finally:
        await container.close()

    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, socket_mode=True, stop=stop))
    try:
        connected = asyncio.create_task(slack.socket_wait_connected(1, timeout=20))
        await asyncio.wait([task, connected], return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            connected.cancel()
            task.result()  # serve() failed at start: show why
        await connected
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def buttons_message(slack: SlackStandIn) -> Any:
    return next((m for m in slack.messages() if "invoice_approve" in m.button_action_ids()), None)


async def test_socket_mode_draft_and_approve(
    slack: SlackStandIn, socket_bot: asyncio.Task[None]
) -> None:
    command = slash_command_payload(
        text="draft P-123",
        user_id=DRAFTER,
        channel_id=CHANNEL,
        team_id=slack.team_id,
        response_url=slack.response_url("draft"),
    )
    envelope_id = await slack.socket_send("slash_commands", command)
    ack = await slack.socket_ack(envelope_id, timeout=3)
    assert "Drafting an invoice for P-123" in str(ack.get("payload"))

    await slack.wait_until(
        lambda: bool(slack.uploaded_files) and buttons_message(slack) is not None, 30
    )
    draft = slack.uploaded_files[0]
    assert draft.channel_id == CHANNEL and "DRAFT" in pdf_text(draft.content or b"")
    buttons = buttons_message(slack)
    assert buttons.thread_ts == draft.thread_ts

    click = block_action_payload(
        "invoice_approve",
        message=buttons,
        user_id=APPROVER,
        team_id=slack.team_id,
        response_url=slack.response_url("approve"),
    )
    envelope_id = await slack.socket_send("interactive", click)
    await slack.socket_ack(envelope_id, timeout=3)
    await slack.wait_until(lambda: len(slack.uploaded_files) == 2, 30)
    final = slack.uploaded_files[1]
    assert final.thread_ts == draft.thread_ts
    text = pdf_text(final.content or b"")
    assert re.search(r"INV-\d{4}-0001", text) and "DRAFT" not in text
    await slack.wait_until(lambda: not slack.message(buttons.ts).button_action_ids(), 10)
    assert not socket_bot.done()
    assert slack.calls_to("apps.connections.open")


async def test_socket_mode_without_a_signing_secret_serves_no_unsigned_http_endpoint(
    tmp_path,
) -> None:
    """In Socket Mode the HTTP port still serves /healthz; it must not take unsigned events."""
    from aiohttp import ClientSession, web

    from bot.server import build_service
    from bot.settings import Settings
    from slackstandin import SlackStandIn, slash_command_body

    async with SlackStandIn() as slack:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'socket.db'}",
            slack_bot_token=slack.bot_token,
            slack_app_token=slack.app_token,
            slack_api_url=slack.api_url,
        )
        service = await build_service(settings, socket_mode=True, render_workers=1)
        runner = web.AppRunner(service.web_app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with ClientSession() as http:
                forged = await http.post(
                    f"http://127.0.0.1:{port}/slack/events",
                    data=slash_command_body(text="draft P-123", user_id="U0APPROVER"),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                assert forged.status in (404, 405)
                assert (await http.get(f"http://127.0.0.1:{port}/healthz")).status == 200
        finally:
            await runner.cleanup()
            await service.close()
