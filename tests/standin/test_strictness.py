"""The stand-in refuses what Slack refuses, and lets a bot read back what it posted."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slackstandin import SlackStandIn


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as stand_in:
        yield stand_in


def client_for(slack: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


async def refused(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        await call
    return dict(caught.value.response.data)


@pytest.mark.parametrize(
    ("blocks", "where"),
    [
        ([section("x" * 3001)], "/blocks/0"),
        ([section("ok")] * 51, "/blocks"),
        ([{"type": "sectoin", "text": {"type": "mrkdwn", "text": "typo"}}], "/blocks/0"),
        ([{**section("ok"), "colour": "red"}], "/blocks/0/colour"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0"),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "a",
                            "text": {"type": "plain_text", "text": "Go"},
                            "value": "v" * 2001,
                        }
                    ],
                }
            ],
            "/blocks/0",
        ),
        ([{**section("a"), "block_id": "same"}, {**section("b"), "block_id": "same"}], "/blocks/1"),
    ],
)
async def test_blocks_slack_would_refuse_answer_invalid_blocks(
    slack: SlackStandIn, blocks: list[dict[str, Any]], where: str
) -> None:
    answer = await refused(
        client_for(slack).chat_postMessage(channel="C1", text="t", blocks=blocks)
    )
    assert answer["error"] == "invalid_blocks"
    assert any(f"json-pointer:{where}" in e for e in answer["errors"]), answer
    assert slack.messages() == []


async def test_text_over_40000_characters_is_msg_too_long(slack: SlackStandIn) -> None:
    answer = await refused(client_for(slack).chat_postMessage(channel="C1", text="x" * 40_001))
    assert answer["error"] == "msg_too_long"


async def test_a_benchmark_stand_in_counts_blocks_but_does_not_parse_them() -> None:
    # bench/reminders.py: parsing each block costs the stand-in as much CPU as the run it
    # measures; counts and lengths stay checked, and so does everything by default.
    async with SlackStandIn(check_blocks=False) as slack:
        client = client_for(slack)
        await client.chat_postMessage(channel="C1", text="t", blocks=[{**section("a"), "x": 1}])
        assert len(slack.messages()) == 1
        too_many = await refused(
            client.chat_postMessage(channel="C1", text="t", blocks=[section("ok")] * 51)
        )
        assert too_many["error"] == "invalid_blocks"
        too_long = await refused(client.chat_postMessage(channel="C1", text="x" * 40_001))
        assert too_long["error"] == "msg_too_long"


async def test_views_are_checked_like_messages(slack: SlackStandIn) -> None:
    client = client_for(slack)
    title = {"type": "plain_text", "text": "A title longer than 24 chars"}
    modal = {"type": "modal", "title": title, "blocks": [section("x")]}
    answer = await refused(client.views_open(trigger_id="t", view=modal))
    assert answer["error"] == "invalid_blocks"
    home = {"type": "home", "blocks": [section("x")] * 101}
    answer = await refused(client.views_publish(user_id="U1", view=home))
    assert answer["error"] == "invalid_blocks"
    assert slack.views == {} and slack.home_views == {}


async def test_the_bot_posts_only_where_it_is_a_member(slack: SlackStandIn) -> None:
    slack.add_channel("C0PRIVATE", bot_member=False, members=["U1"])
    slack.add_channel("C0OLD", archived=True)
    client = client_for(slack)
    answer = await refused(client.chat_postMessage(channel="C0PRIVATE", text="hi"))
    assert answer["error"] == "not_in_channel"
    answer = await refused(client.chat_postMessage(channel="C0OLD", text="hi"))
    assert answer["error"] == "is_archived"
    answer = await refused(
        client.files_upload_v2(channel="C0PRIVATE", content=b"%PDF-1.7", filename="a.pdf")
    )
    assert answer["error"] == "not_in_channel"
    assert slack.messages() == [] and slack.uploaded_files == []
    # A channel nobody declared has the bot in it (auto_join), and so does every DM.
    await client.chat_postMessage(channel="C0ELSEWHERE", text="hi")
    await client.chat_postMessage(channel="U1", text="hi")


async def test_a_thread_reads_back_with_metadata_only_when_asked(slack: SlackStandIn) -> None:
    client = client_for(slack)
    parent = await client.chat_postMessage(channel="C1", text="summary")
    metadata = {"event_type": "invoicebot_post", "event_payload": {"outbox": 7}}
    await client.chat_postMessage(
        channel="C1", thread_ts=parent["ts"], text="reply", metadata=metadata
    )
    await client.files_upload_v2(
        channel="C1", thread_ts=parent["ts"], content=b"%PDF-1.7", filename="a.pdf"
    )
    plain = await client.conversations_replies(channel="C1", ts=parent["ts"])
    assert [m["text"] for m in plain["messages"]] == ["summary", "reply", ""]
    assert all("metadata" not in m for m in plain["messages"])
    assert plain["messages"][2]["files"][0]["name"] == "a.pdf"
    full = await client.conversations_replies(
        channel="C1", ts=parent["ts"], include_all_metadata=True
    )
    assert full["messages"][1]["metadata"] == metadata
    history = await client.conversations_history(channel="C1", include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["summary"]
    answer = await refused(client.conversations_replies(channel="C1", ts="1.000001"))
    assert answer["error"] == "thread_not_found"


async def test_files_info_tells_whether_an_upload_was_shared(slack: SlackStandIn) -> None:
    client = client_for(slack)
    url = await client.files_getUploadURLExternal(filename="a.pdf", length=8)
    file_id = url["file_id"]
    assert (await client.files_info(file=file_id))["file"]["shares"] == {}
    async with __import__("aiohttp").ClientSession() as session:
        await session.post(url["upload_url"], data=b"%PDF-1.7")
    await client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C1")
    shares = (await client.files_info(file=file_id))["file"]["shares"]
    assert list(shares["public"]) == ["C1"]
    answer = await refused(client.files_info(file="F404"))
    assert answer["error"] == "file_not_found"


async def test_a_late_answer_comes_after_the_call_was_carried_out(slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", late=5)
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, timeout=0.3)
    with pytest.raises(TimeoutError):
        await client.chat_postMessage(channel="C1", text="posted, but you will not hear it")
    assert [m.text for m in slack.messages("C1")] == ["posted, but you will not hear it"]
