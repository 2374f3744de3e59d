"""An event loop on a thread of its own, for work too long for the loop that acks Slack.

The daily reminder run at 100,000 invoices is about 23 s of CPU in small steps; on the serve
loop the worst of those steps held every Slack ack up to 209–242 ms (bench/reminders.py, SQLite;
the goal is 100 ms). On a loop of its own the serve loop never waits for a step, only for the
GIL (see `switch_threads_often`).

What a coroutine there uses must be made there: SQLAlchemy's async engines and aiohttp
sessions belong to the loop that created them (make and close them through `run`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# CPython asks the thread holding the GIL to hand it over once a waiting thread has waited
# this long (default 5 ms), and does not choose which waiting thread gets it. With two busy
# threads (a run's loop and its SQLite driver's worker) the loop that acks Slack lost that
# handoff several times in a row: woken up to 93-110 ms late while its own CPU was 1 ms
# (bench/reminders.py at 100,000 invoices; a probe with two pure-Python busy threads: 62 ms
# at 5 ms, 24 ms at 1 ms). At 1 ms the worst was 41-47 ms and the run took as long.
SWITCH_INTERVAL_S = 0.001


def switch_threads_often() -> None:
    """Set the interpreter's switch interval to SWITCH_INTERVAL_S for the whole process
    (`sys.setswitchinterval`): for a process whose event loop must answer while other
    threads of it are busy."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)


class LoopThread:
    """`start()`, then `await run(coro)` from another loop, then `await stop()`."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on this thread's loop; return (or raise) what it does, here.

        Cancelling the caller cancels `coro` there and returns once it has unwound (a unit of
        work rolled back), so whoever cancelled may close what it used. (A plain
        `run_coroutine_threadsafe` future reports "cancelled" at once, while the run is still
        unwinding.) A second cancel stops waiting for that."""
        outcome: concurrent.futures.Future[T] = concurrent.futures.Future()
        started: list[asyncio.Task[T]] = []

        def start() -> None:  # on this thread
            task = self._loop.create_task(coro)
            task.add_done_callback(lambda _: _copy_outcome(task, outcome))
            started.append(task)

        self._loop.call_soon_threadsafe(start)
        done = asyncio.wrap_future(outcome)
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            # call_soon_threadsafe keeps order: `start` has run when this does.
            self._loop.call_soon_threadsafe(lambda: started[0].cancel())
            await asyncio.wait([done])
            raise

    async def stop(self, cleanup: Coroutine[Any, Any, None] | None = None) -> None:
        """Cancel what still runs there and wait for it, run `cleanup` there (to close what
        was made there), then end the thread."""
        if self._thread.is_alive():
            await self.run(_cancel_the_rest())
            if cleanup is not None:
                await self.run(cleanup)
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.to_thread(self._thread.join)
        elif cleanup is not None:
            cleanup.close()  # never started: nothing to clean up
        self._loop.close()


async def _cancel_the_rest() -> None:
    others = asyncio.all_tasks() - {asyncio.current_task()}
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


def _copy_outcome(task: asyncio.Task[T], outcome: concurrent.futures.Future[T]) -> None:
    if task.cancelled():
        outcome.cancel()
    elif (error := task.exception()) is not None:
        outcome.set_exception(error)
    else:
        outcome.set_result(task.result())
