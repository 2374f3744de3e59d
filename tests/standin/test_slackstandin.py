"""The Slack stand-in works with the real slack_sdk and slack_bolt clients."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from slackstandin import (
    SlackStandIn,
    app_home_opened_event,
    block_action_body,
    event_callback_body,
    plain_text_value,
    post_signed,
    sign,
    slash_command_body,
    slash_command_payload,
    static_select_value,
    view_submission_body,
)

SECRET = "standin-signing-secret"


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as stand_in:
        yield stand_in


def web_client(slack: SlackStandIn, **kwargs: Any) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, **kwargs)


@contextlib.asynccontextmanager
async def serve_bolt(app: AsyncApp) -> AsyncIterator[str]:
    """Serve `app` at POST /slack/events on a random port; yield the URL."""

    async def handle(request: web.Request) -> web.Response:
        bolt_resp = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_resp)

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    finally:
        await runner.cleanup()


# -- Web API -----------------------------------------------------------------------------------


async def test_api_url_and_auth(slack: SlackStandIn) -> None:
    assert slack.api_url == f"http://127.0.0.1:{slack.port}/api/"
    auth = await web_client(slack).auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0TEAM", "U0BOT", "B0BOT")

    with pytest.raises(SlackApiError) as wrong:
        await AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as missing:
        await AsyncWebClient(base_url=slack.api_url).chat_postMessage(channel="C1", text="x")
    assert missing.value.response["error"] == "not_authed"
    assert [c.ok for c in slack.calls] == [True, False, False]


async def test_post_update_ephemeral_and_threads(slack: SlackStandIn) -> None:
    client = web_client(slack)
    blocks = [
        {
            "type": "actions",
            "block_id": "decide",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve",
                    "value": "INV-1",
                    "text": {"type": "plain_text", "text": "Approve"},
                },
            ],
        }
    ]
    parent = await client.chat_postMessage(channel="C0SALES", text="summary")
    reply = await client.chat_postMessage(
        channel="C0SALES", thread_ts=parent["ts"], text="decide", blocks=blocks
    )
    assert float(reply["ts"]) > float(parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert [m.text for m in slack.messages("C0SALES")] == ["summary", "decide"]
    [threaded] = slack.messages(thread_ts=parent["ts"])
    assert threaded.button_action_ids() == ["approve"]

    await client.chat_update(channel="C0SALES", ts=reply["ts"], text="Approved", blocks=[])
    assert threaded.text == "Approved" and threaded.button_action_ids() == []
    assert threaded.updates == 1
    with pytest.raises(SlackApiError, match="message_not_found"):
        await client.chat_update(channel="C0SALES", ts="1.2", text="nope")

    eph = await client.chat_postEphemeral(channel="C0SALES", user="U0X", text="only you")
    assert slack.ephemerals[0].ts == eph["message_ts"]

    dm = await client.conversations_open(users="U0OWNER")
    assert dm["channel"]["id"] == slack.dm_channel("U0OWNER")
    assert dm["channel"]["id"].startswith("D")
    assert (await client.conversations_open(users=["U0OWNER"]))["channel"][
        "id"
    ] == slack.dm_channel("U0OWNER")
    info = await client.users_info(user="U0OWNER")  # a GET with query params
    assert info["user"]["id"] == "U0OWNER"


async def test_views_and_form_encoded_calls(slack: SlackStandIn) -> None:
    client = web_client(slack)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "Why?"}}
    view = {
        "type": "modal",
        "callback_id": "reject",
        "title": {"type": "plain_text", "text": "R"},
        "blocks": [section],
    }
    opened = await client.views_open(trigger_id="123.456.abc", view=view)
    view_id = opened["view"]["id"]
    assert slack.views[view_id]["callback_id"] == "reject"
    await client.views_update(view_id=view_id, view={**view, "private_metadata": "INV-1"})
    assert slack.views[view_id]["private_metadata"] == "INV-1"
    await client.views_publish(user_id="U0OWNER", view={"type": "home", "blocks": [section]})
    assert slack.home_views["U0OWNER"]["type"] == "home"

    # form-encoded with a JSON-string field, token in the body (as older clients do)
    async with aiohttp.ClientSession() as session:
        form = {"token": slack.bot_token, "channel": "C9", "blocks": '[{"type": "divider"}]'}
        async with session.post(slack.api_url + "chat.postMessage", data=form) as resp:
            assert (await resp.json())["ok"] is True
    assert slack.messages("C9")[0].blocks == [{"type": "divider"}]


async def test_files_upload_v2_lands_in_thread(slack: SlackStandIn) -> None:
    client = web_client(slack)
    parent = await client.chat_postMessage(channel="C0SALES", text="summary")
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    result = await client.files_upload_v2(
        channel="C0SALES",
        thread_ts=parent["ts"],
        content=pdf,
        filename="draft-P-123.pdf",
        title="Draft P-123",
        initial_comment="Draft attached",
    )
    [uploaded] = slack.uploaded_files
    assert result["file"]["id"] == uploaded.file_id
    assert uploaded.content == pdf and uploaded.length == len(pdf)
    assert (uploaded.filename, uploaded.title) == ("draft-P-123.pdf", "Draft P-123")
    assert (uploaded.channel_id, uploaded.thread_ts) == ("C0SALES", parent["ts"])
    assert uploaded.initial_comment == "Draft attached"
    assert uploaded.mimetype == "application/pdf"
    assert [c.method for c in slack.calls[1:]] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


async def test_multipart_upload_and_unknown_file(slack: SlackStandIn) -> None:
    got = await web_client(slack).files_getUploadURLExternal(filename="a.txt", length=3)
    form = aiohttp.FormData()
    form.add_field("filename", b"abc", filename="a.txt")
    async with aiohttp.ClientSession() as session:
        async with session.post(got["upload_url"], data=form) as resp:
            assert resp.status == 200
        async with session.post(slack.url + "/upload/F404", data=b"x") as resp:
            assert resp.status == 404
    assert slack.files[got["file_id"]].content == b"abc"
    assert slack.uploaded_files == []  # not completed yet


# -- failure injection -------------------------------------------------------------------------


async def test_rate_limited_call_is_retried_after_retry_after(slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=0)
    with pytest.raises(SlackApiError) as err:
        await web_client(slack).chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "0"
    assert err.value.response["error"] == "ratelimited"

    slack.fail_next("chat.postMessage", status=429, retry_after=0)
    client = web_client(slack, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])
    await client.chat_postMessage(channel="C1", text="hello")
    assert slack.attempts("chat.postMessage") == 3
    assert [c.failed for c in slack.calls_to("chat.postMessage", include_failed=True)] == [
        True,
        True,
        False,
    ]
    assert [m.text for m in slack.messages("C1")] == ["hello"]


async def test_server_errors_and_outage_are_retried(slack: SlackStandIn) -> None:
    fast = FixedValueRetryIntervalCalculator(0.01)
    client = web_client(
        slack,
        retry_handlers=[AsyncServerErrorRetryHandler(max_retry_count=2, interval_calculator=fast)],
    )
    slack.fail_next("chat.postMessage", status=500)
    await client.chat_postMessage(channel="C1", text="after 500")
    assert slack.attempts("chat.postMessage") == 2

    slack.fail_all(status=503)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="during outage")
    assert err.value.response.status_code == 503
    assert slack.attempts("chat.postMessage") == 5  # 1 + 2 retries
    slack.recover()
    await client.chat_postMessage(channel="C1", text="recovered")
    assert [m.text for m in slack.messages("C1")] == ["after 500", "recovered"]


async def test_slack_level_error_and_delay(slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as err:
        await web_client(slack).chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 200
    assert err.value.response["error"] == "channel_not_found"

    slack.fail_next("chat.postMessage", delay=0.5)
    with pytest.raises(asyncio.TimeoutError):
        await web_client(slack, timeout=0.1).chat_postMessage(channel="C1", text="slow")  # type: ignore[arg-type]
    # the slow call still completes server-side, as a timed-out Slack call may
    [call] = await slack.wait_for("chat.postMessage")
    assert call.params["text"] == "slow" and not call.failed


async def test_wait_for_is_event_driven(slack: SlackStandIn) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await web_client(slack).chat_postMessage(channel="C1", text="late")

    task = asyncio.create_task(later())
    started = time.monotonic()
    [call] = await slack.wait_for(lambda c: c.params.get("text") == "late", timeout=2)
    assert call.method == "chat.postMessage" and time.monotonic() - started < 1
    await task
    with pytest.raises(TimeoutError):
        await slack.wait_for("views.open", timeout=0.05)
    slack.reset()
    assert slack.calls == [] and slack.messages() == []


# -- Bolt over HTTP ----------------------------------------------------------------------------


def bolt_app(slack: SlackStandIn) -> AsyncApp:
    app = AsyncApp(signing_secret=SECRET, client=web_client(slack))

    @app.command("/invoice")
    async def invoice(ack, body, client, respond) -> None:  # type: ignore[no-untyped-def]
        await ack(f"working on {body['text']}")
        posted = await client.chat_postMessage(channel=body["channel_id"], text=body["text"])
        await respond(f"posted {posted['ts']}")

    @app.action("approve")
    async def approve(ack, body, client) -> None:  # type: ignore[no-untyped-def]
        await ack()
        action = body["actions"][0]
        await client.chat_update(
            channel=body["channel"]["id"],
            ts=body["message"]["ts"],
            text=f"Approved {action['value']} by <@{body['user']['id']}>",
            blocks=[],
        )

    @app.view("reject")
    async def reject(ack, view, client) -> None:  # type: ignore[no-untyped-def]
        values = view["state"]["values"]
        reason = values["reason"]["text"]["value"]
        category = values["category"]["pick"]["selected_option"]["value"]
        await ack()
        await client.chat_postMessage(
            channel="C0SALES", text=f"{view['private_metadata']}: {category} {reason}"
        )

    return app


async def test_bolt_http_accepts_signed_slash_command(slack: SlackStandIn) -> None:
    async with serve_bolt(bolt_app(slack)) as url:
        body = slash_command_body(text="draft P-123", response_url=slack.response_url("cmd"))
        status, text = await post_signed(url, body, SECRET)
        assert (status, text) == (200, "working on draft P-123")
        await slack.wait_for("response_url")
    assert [c.method for c in slack.calls] == ["auth.test", "chat.postMessage", "response_url"]
    [posted] = slack.messages("C0SALES")
    assert posted.text == "draft P-123"
    assert slack.responses[0].name == "cmd"
    assert slack.responses[0].body["text"] == f"posted {posted.ts}"


async def test_bolt_http_rejects_bad_signature_and_stale_timestamp(slack: SlackStandIn) -> None:
    body = slash_command_body()
    async with serve_bolt(bolt_app(slack)) as url, aiohttp.ClientSession() as session:
        status, _ = await post_signed(url, body, "wrong-secret")
        assert status == 401
        stale = int(time.time()) - 5 * 60 - 10
        status, _ = await post_signed(session, body, SECRET, url=url, timestamp=stale)
        assert status == 401
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, SECRET)}
        async with session.post(url, data=body + "&x=1", headers=headers) as resp:
            assert resp.status == 401  # tampered body
    assert slack.calls == []


async def test_bolt_http_block_action_and_view_submission(slack: SlackStandIn) -> None:
    client = web_client(slack)
    blocks = [
        {
            "type": "actions",
            "block_id": "decide",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve",
                    "value": "INV-7",
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Approve"},
                }
            ],
        }
    ]
    posted = await client.chat_postMessage(channel="C0SALES", text="decide", blocks=blocks)
    message = slack.message(posted["ts"])
    assert message is not None
    async with serve_bolt(bolt_app(slack)) as url:
        body = block_action_body("approve", user_id="U0APPROVER", message=message)
        status, _ = await post_signed(url, body, SECRET)
        assert status == 200
        await slack.wait_for("chat.update")
        assert message.text == "Approved INV-7 by <@U0APPROVER>"

        state = {
            "reason": {"text": plain_text_value("wrong rate")},
            "category": {"pick": static_select_value("pricing")},
        }
        body = view_submission_body("reject", "INV-7", state)
        status, text = await post_signed(url, body, SECRET)
        assert (status, text) == (200, "")
        await slack.wait_for(lambda c: c.params.get("text") == "INV-7: pricing wrong rate")


async def test_bolt_http_event_callback(slack: SlackStandIn) -> None:
    app = AsyncApp(signing_secret=SECRET, client=web_client(slack))

    @app.event("app_home_opened")
    async def home(event, client) -> None:  # type: ignore[no-untyped-def]
        await client.views_publish(
            user_id=event["user"], view={"type": "home", "blocks": [{"type": "divider"}]}
        )

    async with serve_bolt(app) as url:
        status, _ = await post_signed(url, event_callback_body(app_home_opened_event("U1")), SECRET)
        assert status == 200
        await slack.wait_for("views.publish")
    assert slack.home_views["U1"]["type"] == "home"


# -- Socket Mode -------------------------------------------------------------------------------


async def test_socket_mode_with_sdk_client(slack: SlackStandIn) -> None:
    client = SocketModeClient(app_token=slack.app_token or "", web_client=web_client(slack))

    async def listener(c: SocketModeClient, req: SocketModeRequest) -> None:
        await c.send_socket_mode_response(
            SocketModeResponse(envelope_id=req.envelope_id, payload={"text": req.payload["text"]})
        )

    client.socket_mode_request_listeners.append(listener)  # type: ignore[arg-type]
    try:
        await client.connect()
        envelope_id = await slack.socket_send("slash_commands", slash_command_payload(text="help"))
        ack = await slack.socket_ack(envelope_id, timeout=5)
        assert ack == {"envelope_id": envelope_id, "payload": {"text": "help"}}
        assert slack.socket.envelopes[0]["accepts_response_payload"] is True
    finally:
        await client.close()
    assert slack.calls_to("apps.connections.open")[0].token == slack.app_token


async def test_socket_mode_with_bolt_handler(slack: SlackStandIn) -> None:
    app = AsyncApp(client=web_client(slack))
    seen: list[str] = []

    @app.command("/invoice")
    async def invoice(ack, command) -> None:  # type: ignore[no-untyped-def]
        seen.append(command["text"])
        await ack(f"ok {command['text']}")

    handler = AsyncSocketModeHandler(app, app_token=slack.app_token)
    try:
        await handler.connect_async()
        envelope_id = await slack.socket_send(
            "slash_commands", slash_command_payload(text="list drafts")
        )
        ack = await slack.socket_ack(envelope_id)
        assert ack["payload"] == {"text": "ok list drafts"}
        assert seen == ["list drafts"]

        # Slack's "disconnect" message: the client fetches a new URL and reconnects
        await slack.socket_disconnect()
        await slack.wait_until(lambda: slack.socket.connect_count == 2)
        await slack.socket_wait_connected()
        envelope_id = await slack.socket_send("slash_commands", slash_command_payload(text="x"))
        assert (await slack.socket_ack(envelope_id))["payload"] == {"text": "ok x"}
        assert len(slack.calls_to("apps.connections.open")) == 2
    finally:
        await handler.close_async()


async def test_apps_connections_open_needs_app_token(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await web_client(slack).apps_connections_open(app_token=slack.bot_token or "")
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await web_client(slack).apps_connections_open(app_token="xapp-1-wrong")
