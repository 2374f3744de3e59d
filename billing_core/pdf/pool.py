"""Rendering PDFs off the event loop, in worker processes that are replaced regularly.

borb is CPU-bound pure Python (tens of milliseconds per page), so rendering on the event loop
would stall the chat acknowledgements (3 seconds at most); threads would contend for the GIL.
borb also keeps per-process state that grows with every document (layout caches; render.py
clears the ones it knows of), so each worker is retired after `max_tasks_per_child` renders
and a fresh one takes its place: memory stays flat however long the bot runs.

Two CPython facts shape the code:
- Workers are started with "spawn" by default: forking a process that runs an asyncio loop
  (its threads, sockets, locks) is not safe.
- On Python 3.11 to 3.14, ProcessPoolExecutor with max_tasks_per_child can deadlock when jobs
  queue up behind busy workers and a worker retires (CPython gh-115634: it never spawns the
  replacement). So a PdfRenderer never has more jobs in the pool than workers: callers wait
  for a free slot instead, in the calling process. As a last line of defence a job that does
  not finish within `job_timeout` has its pool replaced and is retried once.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

from billing_core.errors import UnsupportedCharacters
from billing_core.invoice import Invoice
from billing_core.pdf.render import check_renderable

DEFAULT_MAX_TASKS_PER_CHILD = 200
DEFAULT_JOB_TIMEOUT = 120.0  # seconds; a 1000-line invoice renders in about one


def _init_worker() -> None:
    """Worker initializer: die with the server, then load borb and both fonts before the
    first job arrives."""
    _exit_when_orphaned(os.getppid())
    from billing_core.pdf import bundled_fonts

    bundled_fonts.preload()


def _exit_when_orphaned(parent: int, every: float = 0.5) -> None:
    """A worker must not outlive its server. A server killed with SIGKILL cannot tell its
    workers, and one busy rendering would not notice its pipe closing; every worker was seen
    left running after a kill -9. So each watches its parent: once it is gone (the worker is
    re-parented, getppid changes) it exits within `every` seconds."""

    def watch() -> None:
        while True:
            time.sleep(every)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="exit-when-orphaned", daemon=True).start()


def _render_job(invoice: Invoice) -> bytes | tuple[str, str, str | None]:
    """Runs in the worker. Refusals come back as data: UnsupportedCharacters does not survive
    pickling (its args are the message, not the constructor's arguments)."""
    from billing_core.pdf.render import render_invoice_pdf

    try:
        return render_invoice_pdf(invoice)
    except UnsupportedCharacters as exc:
        return ("unsupported", exc.characters, exc.field)


def _unwrap(result: bytes | tuple[str, str, str | None]) -> bytes:
    if isinstance(result, tuple):
        _, characters, field = result
        raise UnsupportedCharacters(characters, field)
    return result


class PdfRenderer:
    """A pool of PDF worker processes.

    `await renderer.render(invoice)` from asyncio code, `renderer.render_sync(invoice)` from
    anything else; both return the PDF bytes or raise UnsupportedCharacters (checked in the
    calling process first, so a refusal costs no round trip). At most `max_workers` jobs are in
    the pool at once; more callers wait their turn. A pool whose worker died (killed, out of
    memory) or that stopped answering is replaced and the job retried once. `close()` (or
    leaving a `with` / `async with` block) stops the workers.
    """

    def __init__(
        self,
        max_workers: int | None = None,
        max_tasks_per_child: int = DEFAULT_MAX_TASKS_PER_CHILD,
        mp_context: str = "spawn",
        job_timeout: float = DEFAULT_JOB_TIMEOUT,
    ) -> None:
        self._max_workers = max_workers or os.cpu_count() or 1
        self._max_tasks_per_child = max_tasks_per_child
        self._context = multiprocessing.get_context(mp_context)
        self._job_timeout = job_timeout
        self._slots = threading.BoundedSemaphore(self._max_workers)
        self._lock = threading.Lock()
        self._closed = False
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._max_workers,
            mp_context=self._context,
            initializer=_init_worker,
            max_tasks_per_child=self._max_tasks_per_child,
        )

    def _submit(
        self, executor: ProcessPoolExecutor, invoice: Invoice
    ) -> Future[bytes | tuple[str, str, str | None]]:
        """Submit while holding a slot; the slot is freed when the job is done or cancelled."""
        try:
            if self._closed:
                raise RuntimeError("PdfRenderer is closed")
            future = executor.submit(_render_job, invoice)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def _replace(self, stuck: ProcessPoolExecutor) -> None:
        """Swap a broken or stuck pool for a new one (once, however many callers notice)."""
        with self._lock:
            if self._executor is not stuck or self._closed:
                return
            self._executor = self._new_executor()
        stuck.shutdown(wait=False, cancel_futures=True)

    async def render(self, invoice: Invoice) -> bytes:
        """Render in a worker without blocking the event loop."""
        check_renderable(invoice)
        for attempt in (1, 2):
            await self._acquire_slot()
            executor = self._executor
            try:
                future = self._submit(executor, invoice)
                # Not loop.run_in_executor: it hides the concurrent future, whose completion
                # (not the awaiting task's) is what must free the slot.
                result = await asyncio.wait_for(asyncio.wrap_future(future), self._job_timeout)
                return _unwrap(result)
            except (BrokenProcessPool, TimeoutError):  # BrokenProcessPool is a RuntimeError: first
                if attempt == 2:
                    raise
                self._replace(executor)
            except RuntimeError:
                # Another caller replaced the pool between our read and submit: go again.
                if self._closed or executor is self._executor or attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def render_sync(self, invoice: Invoice) -> bytes:
        """Render in a worker and wait for the result (for CLI and job code)."""
        check_renderable(invoice)
        for attempt in (1, 2):
            self._slots.acquire()
            executor = self._executor
            try:
                future = self._submit(executor, invoice)
                return _unwrap(future.result(timeout=self._job_timeout))
            except (BrokenProcessPool, FutureTimeout):  # BrokenProcessPool is a RuntimeError: first
                if attempt == 2:
                    raise
                self._replace(executor)
            except RuntimeError:
                # Another caller replaced the pool between our read and submit: go again.
                if self._closed or executor is self._executor or attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _acquire_slot(self) -> None:
        # Polling keeps cancellation trivial: a cancelled waiter never holds a slot.
        delay = 0.001
        while not self._slots.acquire(blocking=False):
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.02)

    def worker_pids(self) -> list[int]:
        """Process IDs of the live workers (for monitoring and the memory benchmark)."""
        processes = getattr(self._executor, "_processes", None) or {}
        return [pid for pid, process in list(processes.items()) if process.is_alive()]

    def close(self, wait: bool = True) -> None:
        """Stop the workers; jobs not yet started are cancelled. Safe to call twice."""
        with self._lock:
            self._closed = True
            executor = self._executor
        executor.shutdown(wait=wait, cancel_futures=True)

    def __enter__(self) -> PdfRenderer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> PdfRenderer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Joining the workers blocks; do it off the loop.
        await asyncio.to_thread(self.close)
