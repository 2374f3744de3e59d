from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from slackstandin import SlackStandIn
from tests.e2e.harness import Bot, record_json, start_bot, stop_bot


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def bot(slack: SlackStandIn, tmp_path: Path) -> AsyncIterator[Bot]:
    running = await start_bot(slack, tmp_path)
    await running.add_records(record_json())
    try:
        yield running
    finally:
        await stop_bot(running)
