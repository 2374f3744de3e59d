from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from slackstandin import SlackStandIn
from tests.e2e.harness import Bot, record_json, start_bot, stop_bot
from tests.pg import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database of each backend (PostgreSQL skipped when no server is configured)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"
        return
    async with fresh_postgres_database() as url:
        yield url


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
