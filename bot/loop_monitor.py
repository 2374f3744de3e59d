"""Watching the event loop: a task that measures how late its own wake-ups are.

Everything the bot answers (Slack wants an ack within 3 s) runs on one event loop; a stall
there is a stall for everyone. The monitor sleeps `interval` at a time; when it wakes up more
than `threshold` late, something held the loop that long, and it logs a warning. `worst_ms`
is what the benchmarks print.

On a shared machine a late wake-up may only mean the process was waiting for a CPU, so the
monitor also keeps `worst_busy_ms`: the CPU time the loop's own thread spent between two
wake-ups (`time.thread_time`, which a process waiting for a core does not accumulate). That
is the figure that says this process held its loop, whatever else the machine was doing.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time

log = logging.getLogger("invoicebot.loop")


def freeze_startup_heap() -> None:
    """Move everything alive after start-up (modules, the ORM's mappings, fonts) out of the
    garbage collector's reach (`gc.freeze`, Python 3.7+): a full collection then walks only
    what requests created. Selecting 92,000 reminder pairs triggered full collections of
    50–70 ms each on the loop; after a freeze 15–32 ms (/tmp probe of ledger.due_stages at
    100,000 invoices, quoted in bench/reminders.py's notes)."""
    gc.collect()
    gc.freeze()


class LoopMonitor:
    def __init__(self, interval: float = 0.02, threshold: float = 0.1) -> None:
        self.interval = interval
        self.threshold = threshold
        self.worst_ms = 0.0
        self.worst_busy_ms = 0.0
        self.stalls = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="loop-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def reset(self) -> None:
        self.worst_ms, self.worst_busy_ms, self.stalls = 0.0, 0.0, 0

    async def _watch(self) -> None:
        while True:
            started, cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(self.interval)
            late = time.perf_counter() - started - self.interval
            self.worst_ms = max(self.worst_ms, late * 1000)
            self.worst_busy_ms = max(self.worst_busy_ms, (time.thread_time() - cpu) * 1000)
            if late > self.threshold:
                self.stalls += 1
                log.warning("the event loop was blocked for %.0f ms", late * 1000)
