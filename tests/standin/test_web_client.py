"""The Web API client every part of invoicebot uses (bot.server.slack_client): it formats
slack_sdk's debug lines only when someone reads them."""

import logging
from collections.abc import AsyncIterator

import pytest

from bot.server import slack_client
from bot.settings import Settings
from slackstandin import SlackStandIn


class CountingText(str):
    """Message text that counts how often it is formatted for a log line (repr); JSON
    encodes it as the plain string it is."""

    reprs = 0

    def __repr__(self) -> str:
        CountingText.reprs += 1
        return super().__repr__()


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as stand_in:
        yield stand_in


async def post(slack: SlackStandIn) -> None:
    client = slack_client(Settings(slack_bot_token=slack.bot_token, slack_api_url=slack.api_url))
    await client.chat_postMessage(channel="C0SALES", text=CountingText("Overdue: INV-1"))
    assert slack.calls_to("chat.postMessage")[-1].params["text"] == "Overdue: INV-1"


async def test_a_call_formats_no_debug_line_when_debug_logging_is_off(
    slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    # slack_sdk reads `logger.level`, which is 0 (NOTSET) on its own logger: it formatted
    # every request body for a line it then did not log (11 % of a reminder run's CPU).
    caplog.set_level(logging.INFO)
    CountingText.reprs = 0
    await post(slack)
    assert CountingText.reprs == 0
    assert not [r for r in caplog.records if r.name.startswith("slack_sdk")]


async def test_debug_logging_for_slack_sdk_still_shows_each_request(
    slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="slack_sdk")
    CountingText.reprs = 0
    await post(slack)
    sent = [r.getMessage() for r in caplog.records if r.name.startswith("slack_sdk")]
    assert any("Sending a request" in line and "Overdue: INV-1" in line for line in sent)
    assert CountingText.reprs >= 1
