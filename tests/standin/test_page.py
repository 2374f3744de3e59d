"""The chat page's endpoints, against the stand-in and a tiny Bolt app (which checks every
signature as a real app does): what a person does reaches the app as Slack would send it, and
what the app does comes back in the page's state."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from slackstandin import SlackStandIn
from slackstandin.page import ChatPage, Person

SECRET = "page-signing-secret"
ADA, BEN = "U0ADA", "U0BEN"
CHANNEL = "C0PAGE"
PDF = b"%PDF-1.7 a tiny file"
STATIC = Path(__file__).resolve().parents[2] / "slackstandin" / "page" / "static"


def modal(errors_seen: int = 0) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "why",
        "title": {"type": "plain_text", "text": "Why?"},
        "submit": {"type": "plain_text", "text": "Send it"},
        "blocks": [
            {
                "type": "input",
                "block_id": "category",
                "label": {"type": "plain_text", "text": "Kind"},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": [
                        {
                            "text": {"type": "plain_text", "text": "Wrong amount"},
                            "value": "wrong_amount",
                        },
                        {"text": {"type": "plain_text", "text": "Other"}, "value": "other"},
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
            },
        ],
    }


@dataclass
class FakeApp:
    """What the Bolt app received, by kind."""

    commands: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def bolt_app(slack: SlackStandIn, seen: FakeApp) -> AsyncApp:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    app = AsyncApp(token=slack.bot_token, signing_secret=SECRET, client=client)

    @app.command("/invoice")
    async def command(ack: Any, body: dict[str, Any], client: Any) -> None:
        seen.commands.append(body)
        await ack(text=f"Heard *{body['text']}* from <@{body['user_id']}> &lt;b&gt;x&lt;/b&gt;")
        posted = await client.chat_postMessage(
            channel=body["channel_id"],
            text="A summary",
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*P-1* summary"}}],
        )
        ts = posted["ts"]
        await client.files_upload_v2(
            channel=body["channel_id"],
            thread_ts=ts,
            content=PDF,
            filename="DRAFT-P-1.pdf",
            title="Draft",
        )
        await client.chat_postMessage(
            channel=body["channel_id"],
            thread_ts=ts,
            text="Decide",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "approve",
                            "value": "7",
                            "text": {"type": "plain_text", "text": "Approve"},
                        }
                    ],
                }
            ],
        )
        await client.chat_postMessage(channel=body["user_id"], text="A DM for you")
        await client.chat_postEphemeral(
            channel=body["channel_id"], user=body["user_id"], text="Drafted, <@U0ADA>."
        )

    @app.action("approve")
    async def approve(ack: Any, body: dict[str, Any], client: Any) -> None:
        seen.actions.append(body)
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=modal())

    @app.view("why")
    async def submitted(ack: Any, body: dict[str, Any]) -> None:
        seen.submissions.append(body)
        reason = body["view"]["state"]["values"]["reason"]["value"]["value"]
        if not reason:
            await ack(response_action="errors", errors={"reason": "Please say why."})
        else:
            await ack()

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: Any) -> None:
        seen.events.append(event)
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": f"Hello <@{event['user']}>"},
                    }
                ],
            },
        )

    return app


@dataclass
class Setup:
    slack: SlackStandIn
    page: ChatPage
    seen: FakeApp
    http: aiohttp.ClientSession

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with self.http.post(self.slack.url + path, json=body) as answer:
            return answer.status, await answer.json()

    async def state(self, user: str = ADA) -> dict[str, Any]:
        async with self.http.get(self.slack.url + "/page/state", params={"user": user}) as answer:
            assert answer.status == 200
            result: dict[str, Any] = await answer.json()
            return result

    async def thread(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The command's summary and its thread, once both replies are in."""
        for _ in range(2):
            await self.slack.wait_until(lambda: self._replies() >= 2, 10)
        channel = (await self.state())["channel"]
        parent = next(m for m in channel["messages"] if m["text"] == "A summary")
        return parent, channel["threads"][parent["ts"]]

    def _replies(self) -> int:
        return len(
            [m for m in self.slack.messages(CHANNEL, include_file_shares=True) if m.thread_ts]
        )


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    slack = SlackStandIn()
    page = ChatPage(
        slack,
        "http://127.0.0.1:9/none",
        SECRET,
        [Person(ADA, "Ada L."), Person(BEN, "Ben O.")],
        CHANNEL,
        "Try P-1.",
    )
    reminded: list[date] = []

    async def remind(day: date) -> str:
        reminded.append(day)
        return f"reminded as of {day}"

    page.on_remind = remind
    page.install()
    await slack.start()
    seen = FakeApp()
    app = bolt_app(slack, seen)
    web_app = web.Application()

    async def handle(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    page.app_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    async with aiohttp.ClientSession() as http:
        yield Setup(slack, page, seen, http)
    await runner.cleanup()
    await slack.stop()


async def test_a_command_reaches_the_app_signed_and_its_answer_shows_to_the_sender_only(
    setup: Setup,
) -> None:
    status, answer = await setup.post("/page/command", {"user": ADA, "text": "/invoice draft P-1"})
    assert status == 200 and answer["ok"], answer
    [body] = setup.seen.commands  # Bolt checked the signature, or there would be none
    assert (body["command"], body["text"], body["user_id"], body["channel_id"]) == (
        "/invoice",
        "draft P-1",
        ADA,
        CHANNEL,
    )
    await setup.slack.wait_until(lambda: bool(setup.slack.ephemerals), 10)  # posted after ack
    seen = await setup.state(ADA)
    private = [m["text"] for m in seen["channel"]["messages"] if m["ephemeral"]]
    # in the order they were said: the answer first, then what the app posted after it
    assert private == ["Heard *draft P-1* from <@U0ADA> &lt;b&gt;x&lt;/b&gt;", "Drafted, <@U0ADA>."]
    assert seen["toast"]["text"] == "Drafted, <@U0ADA>."
    ben = await setup.state(BEN)
    assert ben["toast"] is None and not any(m["ephemeral"] for m in ben["channel"]["messages"])


async def test_a_page_with_another_secret_is_refused_by_the_app(setup: Setup) -> None:
    setup.page.signing_secret = "not-the-apps-secret"
    status, answer = await setup.post("/page/command", {"user": ADA, "text": "draft P-1"})
    assert status == 200 and answer == {"ok": False, "status": 401, "answer": answer["answer"]}
    assert setup.seen.commands == []


async def test_messages_threads_dms_and_files_come_back_as_the_app_posted_them(
    setup: Setup,
) -> None:
    await setup.post("/page/command", {"user": ADA, "text": "draft P-1"})
    parent, replies = await setup.thread()
    assert parent["reply_count"] == 2 and parent["blocks"][0]["text"]["text"] == "*P-1* summary"
    [pdf] = replies[0]["files"]
    assert pdf["name"] == "DRAFT-P-1.pdf" and re.fullmatch(
        r"http://.+/files/F\w+/DRAFT-P-1.pdf", pdf["url"]
    )
    async with setup.http.get(pdf["url"]) as answer:
        assert answer.content_type == "application/pdf" and await answer.read() == PDF
    await setup.slack.wait_until(lambda: bool(setup.slack.messages(setup.slack.dm_channel(ADA))))
    assert [m["text"] for m in (await setup.state(ADA))["dm"]["messages"]] == ["A DM for you"]
    assert (await setup.state(BEN))["dm"]["messages"] == []
    async with setup.http.get(setup.slack.url + "/files/F0/other.pdf") as answer:
        assert answer.status == 404


async def test_a_click_sends_block_actions_and_the_modal_opens_for_the_clicker_only(
    setup: Setup,
) -> None:
    await setup.post("/page/command", {"user": ADA, "text": "draft P-1"})
    _, replies = await setup.thread()
    decide = replies[-1]
    status, answer = await setup.post(
        "/page/action",
        {"user": BEN, "channel": CHANNEL, "message_ts": decide["ts"], "action_id": "approve"},
    )
    assert status == 200 and answer["ok"], answer
    [click] = setup.seen.actions
    assert click["user"]["id"] == BEN and click["actions"][0]["value"] == "7"
    assert click["container"]["message_ts"] == decide["ts"]
    assert click["container"]["thread_ts"] == decide["thread_ts"]
    await setup.slack.wait_until(lambda: bool(setup.slack.views))
    shown = (await setup.state(BEN))["modal"]
    assert shown["title"]["text"] == "Why?" and shown["errors"] == {}
    assert (await setup.state(ADA))["modal"] is None


async def test_a_submission_shows_the_apps_field_errors_then_closes(setup: Setup) -> None:
    await setup.post("/page/command", {"user": ADA, "text": "draft P-1"})
    _, replies = await setup.thread()
    await setup.post(
        "/page/action",
        {"user": ADA, "channel": CHANNEL, "message_ts": replies[-1]["ts"], "action_id": "approve"},
    )
    await setup.slack.wait_until(lambda: bool(setup.slack.views))
    view_id = (await setup.state(ADA))["modal"]["id"]

    status, answer = await setup.post(
        "/page/view",
        {"user": ADA, "view_id": view_id, "values": {"category": "wrong_amount", "reason": ""}},
    )
    assert (status, answer["ok"], answer["errors"]) == (200, False, {"reason": "Please say why."})
    assert (await setup.state(ADA))["modal"]["errors"] == {"reason": "Please say why."}

    _, answer = await setup.post(
        "/page/view",
        {"user": ADA, "view_id": view_id, "values": {"category": "wrong_amount", "reason": "12h"}},
    )
    assert answer["ok"] and (await setup.state(ADA))["modal"] is None
    values = setup.seen.submissions[-1]["view"]["state"]["values"]
    assert values["category"]["value"]["selected_option"]["value"] == "wrong_amount"
    assert values["reason"]["value"] == {"type": "plain_text_input", "value": "12h"}


async def test_opening_home_sends_app_home_opened_and_shows_the_published_view(
    setup: Setup,
) -> None:
    status, answer = await setup.post("/page/home", {"user": BEN})
    assert status == 200 and answer["ok"]
    await setup.slack.wait_until(lambda: BEN in setup.slack.home_views)
    home = (await setup.state(BEN))["home"]
    assert home["blocks"][0]["text"]["text"] == "Hello <@U0BEN>"
    assert setup.seen.events[0]["user"] == BEN


async def test_reminders_run_as_of_the_date_given_and_bad_input_names_the_field(
    setup: Setup,
) -> None:
    status, answer = await setup.post("/page/remind", {"date": "2027-01-13"})
    assert (status, answer) == (200, {"ok": True, "summary": "reminded as of 2027-01-13"})
    status, answer = await setup.post("/page/remind", {"date": "13.01.2027"})
    assert status == 400 and answer["error"].startswith("date:")
    status, answer = await setup.post("/page/command", {"user": "U0NOBODY", "text": "help"})
    assert status == 400 and answer["error"].startswith("user:")


async def test_the_event_stream_says_when_something_changed(setup: Setup) -> None:
    async with setup.http.get(setup.slack.url + "/page/events") as stream:
        assert stream.content_type == "text/event-stream"
        first = await asyncio.wait_for(stream.content.readline(), 5)
        assert first.startswith(b"data: ")
        await stream.content.readline()  # the blank line ending the event
        await setup.post("/page/command", {"user": ADA, "text": "draft P-1"})
        second = await asyncio.wait_for(stream.content.readline(), 5)
        assert second.startswith(b"data: ") and int(second[6:]) > int(first[6:])


async def test_the_page_is_served_with_everything_it_needs_and_nothing_from_the_internet(
    setup: Setup,
) -> None:
    async with setup.http.get(setup.slack.url + "/") as answer:
        html = await answer.text()
    assert 'select name="user"' in html and 'id="composer-input"' in html
    for name in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        async with setup.http.get(f"{setup.slack.url}/static/{name}") as answer:
            assert answer.status == 200, name
    for path in STATIC.iterdir():
        text = path.read_text()
        assert not re.search(r"""(src|href)=["']https?:|url\(\s*["']?https?:|@import""", text)
        # text from the app or a person is never parsed as markup
        assert not re.search(r"\.(inner|outer)HTML|insertAdjacentHTML|document\.write", text)
    state = await setup.state()
    assert state["intro"] == "Try P-1." and [p["id"] for p in state["people"]] == [ADA, BEN]
    json.dumps(state)  # plain JSON all the way down
