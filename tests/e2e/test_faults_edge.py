"""Faults found at the HTTP edge (issue 8, items 9-12): bad requests get 4xx and a clear
answer, never a 500; IDs have one canonical form; request bodies stay out of INFO logs;
a channel or text with the word "payload" still reaches the command handler."""

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from slackstandin import (
    SlackStandIn,
    block_action_body,
    plain_text_value,
    post_signed,
    sign,
    slash_command_body,
    static_select_value,
    view_submission_body,
)
from tests.e2e.harness import APPROVER, SECRET, Bot, record_json, start_bot, stop_bot

TOKEN = "edge-api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def edge_bot(slack: SlackStandIn, tmp_path: Path, database_url: str) -> AsyncIterator[Bot]:
    running = await start_bot(slack, tmp_path, api_token=TOKEN, database_url=database_url)
    await running.add_records(record_json())
    try:
        yield running
    finally:
        await stop_bot(running)


async def raw_post(bot: Bot, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(bot.url, data=body, headers=headers) as response,
    ):
        return response.status, await response.text()


def signed(body: bytes, content_type: str, **overrides: str) -> dict[str, str]:
    return {"Content-Type": content_type, **sign(body, SECRET), **overrides}


async def test_a_timestamp_that_is_no_number_is_401_not_500(edge_bot: Bot) -> None:
    body = slash_command_body(text="help").encode()
    headers = signed(body, "application/x-www-form-urlencoded")
    headers["X-Slack-Request-Timestamp"] = "notanumber"
    status, text = await raw_post(edge_bot, body, headers)
    assert status == 401 and "Traceback" not in text


async def test_a_signed_body_that_is_not_utf8_is_400(edge_bot: Bot) -> None:
    body = b"text=\xff\xfe&command=%2Finvoice"
    status, _ = await raw_post(edge_bot, body, signed(body, "application/x-www-form-urlencoded"))
    assert status == 400


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"a string"'])
async def test_signed_json_that_is_not_an_object_is_400(edge_bot: Bot, body: bytes) -> None:
    status, _ = await raw_post(edge_bot, body, signed(body, "application/json"))
    assert status == 400


async def test_a_signed_interaction_whose_payload_is_not_json_is_400(edge_bot: Bot) -> None:
    body = urlencode({"payload": "{broken"}).encode()
    status, _ = await raw_post(edge_bot, body, signed(body, "application/x-www-form-urlencoded"))
    assert status == 400


@pytest.mark.parametrize("value", ["²", "1" + "0" * 26, "-1", "", "1.5", "٣"])
async def test_a_button_value_that_is_no_invoice_id_gets_a_reply(edge_bot: Bot, value: str) -> None:
    buttons = await edge_bot.draft()
    response, name = await edge_bot.click("invoice_approve", buttons, APPROVER, value=value)
    assert response.status == 200
    (reply,) = await edge_bot.replies(name)
    assert "does not name an invoice" in reply
    assert (await edge_bot.billing.queries.find("P-123")).status.value == "draft"


@pytest.mark.parametrize("metadata", ["²", "1" + "0" * 26, "", "x"])
async def test_a_modal_whose_metadata_is_no_invoice_id_answers_with_a_form_error(
    edge_bot: Bot, metadata: str
) -> None:
    body = view_submission_body(
        callback_id="invoice_reject_modal",
        private_metadata=metadata,
        state_values={
            "category": {"value": static_select_value("other")},
            "reason": {"value": plain_text_value("wrong")},
        },
    )
    response = await post_signed(edge_bot.url, body, SECRET)
    assert response.status == 200
    assert response.json()["response_action"] == "errors"


async def test_a_reason_with_nul_is_refused_in_the_form_on_every_backend(edge_bot: Bot) -> None:
    await edge_bot.draft()
    state = await edge_bot.billing.queries.find("P-123")
    answer = await edge_bot.submit_reject(state.id, "other", "bad\x00reason")
    assert answer.status == 200
    assert "control character" in answer.json()["errors"]["reason"]
    assert (await edge_bot.billing.queries.find("P-123")).status.value == "draft"


@pytest.mark.parametrize(
    "path", ["/api/records/%00", "/api/records/P-123%00", "/api/invoices/X%00.pdf"]
)
async def test_nul_in_an_api_path_is_404_on_every_backend(edge_bot: Bot, path: str) -> None:
    base = edge_bot.url.removesuffix("/slack/events")
    async with aiohttp.ClientSession() as http, http.get(base + path, headers=AUTH) as response:
        assert response.status == 404
        assert "error" in await response.json()


async def test_a_record_id_with_a_trailing_space_is_not_another_name_for_the_record(
    edge_bot: Bot,
) -> None:
    base = edge_bot.url.removesuffix("/slack/events")
    async with aiohttp.ClientSession() as http:
        body = record_json("P-300")
        async with http.put(f"{base}/api/records/P-300", json=body, headers=AUTH) as response:
            assert response.status == 201
        changed = {**record_json("P-300"), "title": "Silently replaced?"}
        changed.pop("id")
        async with http.put(f"{base}/api/records/P-300%20", json=changed, headers=AUTH) as r:
            assert r.status == 422
            problems = (await r.json())["problems"]
            assert problems[0]["field"] == "id" and "P-300" in problems[0]["message"]
        async with http.get(f"{base}/api/records/P-300%20", headers=AUTH) as response:
            assert response.status == 404
        async with http.get(f"{base}/api/records/P-300", headers=AUTH) as response:
            assert (await response.json())["title"] == "Website relaunch"


async def test_a_request_with_a_bad_signature_is_not_logged_with_its_body(
    slack: SlackStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # `serve` logs at INFO from the start; Bolt's loggers take the root level when built.
    caplog.set_level(logging.INFO)
    bot = await start_bot(slack, tmp_path)
    try:
        body = slash_command_body(text="draft SECRET-CLIENT-TEXT").encode()
        headers = signed(body, "application/x-www-form-urlencoded")
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
        status, _ = await raw_post(bot, body, headers)
        assert status == 401
    finally:
        await stop_bot(bot)
    at_info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert not any("SECRET-CLIENT-TEXT" in m for m in at_info), at_info


@pytest.mark.parametrize(
    "overrides",
    [{"channel_name": "payload-team"}, {"text": "help payload"}, {"user_name": "payload"}],
    ids=["channel", "text", "user"],
)
async def test_the_word_payload_in_a_command_still_reaches_the_command(
    edge_bot: Bot, overrides: dict[str, str]
) -> None:
    fields = {"text": "help", **overrides}
    body = slash_command_body(**fields)
    response = await post_signed(edge_bot.url, body, SECRET)
    assert response.status == 200
    text = response.json().get("text", "") if response.text.startswith("{") else response.text
    assert "Usage" in text or "payload" in text


async def test_a_non_form_non_json_body_is_400(edge_bot: Bot) -> None:
    body = json.dumps({"type": "block_actions"}).encode()
    status, _ = await raw_post(edge_bot, body, signed(body, "text/plain"))
    assert status in (400, 415)


async def test_a_forged_click_without_actions_gets_no_500(edge_bot: Bot) -> None:
    body = block_action_body("invoice_approve", "1").replace("actions", "actionz")
    response = await post_signed(edge_bot.url, body, SECRET)
    assert response.status < 500
