"""The loop monitor notices a stall of the event loop and says how long it was."""

import asyncio
import logging
import sys
import time
from pathlib import Path

import pytest

from bot.loop_monitor import LoopMonitor
from bot.loop_thread import SWITCH_INTERVAL_S


async def test_a_blocked_loop_is_measured_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    monitor = LoopMonitor(interval=0.01, threshold=0.1)
    monitor.start()
    await asyncio.sleep(0.05)  # let it take its first measurements
    assert monitor.worst_ms < 100
    time.sleep(0.25)  # noqa: ASYNC251 - the stall under test: a blocking call on the loop
    async with asyncio.timeout(5):
        while monitor.stalls == 0:
            await asyncio.sleep(0.01)
    await monitor.stop()
    assert monitor.worst_ms >= 200
    assert any(
        "blocked for" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
    )


async def test_the_service_hands_the_gil_to_its_loop_every_millisecond(tmp_path: Path) -> None:
    # With the jobs' loop and its SQLite worker busy, the serve loop lost the GIL handoff
    # for up to 110 ms at CPython's default 5 ms interval (bench/reminders.py).
    from bot.server import JobRunner
    from bot.settings import Settings

    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    runner = JobRunner(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'jobs.db'}"))
    try:
        await runner.start()
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_S)
        assert SWITCH_INTERVAL_S <= 0.001
    finally:
        await runner.stop()
        sys.setswitchinterval(before)
