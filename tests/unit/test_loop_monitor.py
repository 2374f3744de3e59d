"""The loop monitor notices a stall of the event loop and says how long it was."""

import asyncio
import logging
import time

import pytest

from bot.loop_monitor import LoopMonitor


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
