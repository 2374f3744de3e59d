"""Random bytes and values through every entry point of the real app, on both backends:
no answer is a 5xx and nothing is logged as an error with a traceback (issue 8, item 9).

Hypothesis draws the inputs (its generators favour the edges: empty, huge, NUL, surrogates,
odd digits); they are sent in one running app afterwards, because each request needs the
event loop the app runs on.
"""

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import blocks, chasing_blocks
from slackstandin import (
    SlackStandIn,
    app_home_opened_event,
    block_action_body,
    event_callback_body,
    plain_text_value,
    post_signed,
    slash_command_body,
    static_select_value,
    view_submission_body,
)
from tests.e2e.harness import SECRET, Bot, record_json, start_bot, stop_bot

TOKEN = "fuzz-api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES = 60

text = st.text(max_size=300)
ids = st.one_of(text, st.integers(-(10**30), 10**30).map(str), st.sampled_from(["1", "2", "²"]))
ACTIONS = [
    blocks.APPROVE_ACTION,
    blocks.REJECT_ACTION,
    blocks.RETRY_ACTION,
    chasing_blocks.MARK_PAID_ACTION,
    chasing_blocks.SNOOZE_ACTION,
]
MODALS = [blocks.REJECT_MODAL, chasing_blocks.MARK_PAID_MODAL]


def draw(strategy: Any) -> list[Any]:
    """`EXAMPLES` values of `strategy`, chosen by hypothesis."""
    found: list[Any] = []

    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found


@pytest.fixture
async def fuzz_bot(slack: SlackStandIn, tmp_path: Path, database_url: str) -> AsyncIterator[Bot]:
    running = await start_bot(slack, tmp_path, api_token=TOKEN, database_url=database_url)
    await running.add_records(record_json(), record_json("P-2"))
    try:
        yield running
    finally:
        await stop_bot(running)


async def test_no_input_gets_a_5xx_or_a_traceback(
    fuzz_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    bot = fuzz_bot
    buttons = await bot.draft()
    statuses: list[tuple[int, str]] = []

    async def slack(body: str | bytes, **kwargs: Any) -> None:
        response = await post_signed(bot.url, body, SECRET, **kwargs)
        statuses.append((response.status, repr(body)[:200]))

    for command in draw(st.tuples(text, text, text)):
        words, channel_name, user_name = command
        await slack(slash_command_body(text=words, channel_name=channel_name, user_name=user_name))
    for action, value in draw(st.tuples(st.sampled_from(ACTIONS), ids)):
        await slack(block_action_body(action, value=value, message=buttons))
    for callback, metadata, reason, amount in draw(
        st.tuples(st.sampled_from(MODALS), ids, text, text)
    ):
        state = {
            "category": {"value": static_select_value("other")},
            "reason": {"value": plain_text_value(reason)},
            "amount": {"value": plain_text_value(amount)},
        }
        await slack(view_submission_body(callback, metadata, state))
    for user, tab in draw(st.tuples(text, text)):
        await slack(event_callback_body(app_home_opened_event(user or "U0X", tab=tab)))
    for raw, content_type in draw(
        st.tuples(
            st.binary(max_size=300),
            st.sampled_from(["application/json", "application/x-www-form-urlencoded", "x/y"]),
        )
    ):
        await slack(raw, content_type=content_type)

    base = bot.url.removesuffix("/slack/events")
    async with aiohttp.ClientSession() as http:
        for record_id, body in draw(st.tuples(ids, st.dictionaries(text, text, max_size=4))):
            path = f"/api/records/{quote(record_id, safe='')}"
            async with http.put(base + path, json=body, headers=AUTH) as response:
                statuses.append((response.status, path))
            async with http.get(base + path, headers=AUTH) as response:
                statuses.append((response.status, path))
        for number in draw(ids):
            path = f"/api/invoices/{quote(number, safe='')}.pdf"
            async with http.get(base + path, headers=AUTH) as response:
                statuses.append((response.status, path))
        for raw in draw(st.binary(max_size=300)):
            headers = {**AUTH, "Content-Type": "application/json"}
            async with http.put(base + "/api/records/P-9", data=raw, headers=headers) as response:
                statuses.append((response.status, json.dumps(raw.decode("latin-1"))[:200]))

    await bot.service.context.finish_background()
    server_errors = [s for s in statuses if s[0] >= 500]
    assert server_errors == []
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= 40]
    assert tracebacks == []
