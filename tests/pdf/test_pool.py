"""PdfRenderer: renders in worker processes, off the event loop, recycling its workers."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from billing_core.errors import UnsupportedCharacters
from billing_core.pdf import PdfRenderer


@pytest.fixture(scope="module")
def renderer() -> Iterator[PdfRenderer]:
    with PdfRenderer(max_workers=2, max_tasks_per_child=50) as pool:
        yield pool


async def test_render_returns_the_pdf_without_blocking_the_loop(
    renderer, make_invoice, pdf_text
) -> None:
    invoice = make_invoice(locale="de_DE", number="INV-2026-0042")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        pdfs = await asyncio.gather(*(renderer.render(invoice) for _ in range(4)))
    finally:
        task.cancel()
    assert all(pdf.startswith(b"%PDF-") for pdf in pdfs)
    assert len(set(pdfs)) == 1
    assert "Müller & Søn GmbH" in pdf_text(pdfs[0])
    assert ticks > 0  # the loop kept running while workers rendered


def test_render_sync(renderer, make_invoice, pdf_text) -> None:
    pdf = renderer.render_sync(make_invoice())
    assert "DRAFT" in pdf_text(pdf)


async def test_unsupported_characters_reach_the_caller_as_that_exception(
    renderer, make_invoice, with_party
) -> None:
    invoice = with_party(make_invoice(), "buyer", name="株式会社 Müller")
    with pytest.raises(UnsupportedCharacters) as caught:
        await renderer.render(invoice)
    assert caught.value.characters == "株式会社"
    assert caught.value.field == "client.name"
    with pytest.raises(UnsupportedCharacters):
        renderer.render_sync(invoice)


def test_workers_are_replaced_after_max_tasks_per_child(make_invoice) -> None:
    invoice = make_invoice()
    seen: set[int] = set()
    with PdfRenderer(max_workers=1, max_tasks_per_child=2) as pool:
        for _ in range(6):
            pool.render_sync(invoice)
            seen.update(pool.worker_pids())
        # A retired worker's successor may still be starting when the last job returns.
        deadline = time.monotonic() + 10
        while len(seen) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
            seen.update(pool.worker_pids())
    assert len(seen) >= 3


async def test_a_burst_larger_than_the_pool_does_not_deadlock_on_worker_recycling(
    make_invoice,
) -> None:
    # CPython gh-115634: jobs queued behind a worker that retires are never picked up.
    invoice = make_invoice()
    async with PdfRenderer(max_workers=1, max_tasks_per_child=2, job_timeout=60) as pool:
        pdfs = await asyncio.wait_for(
            asyncio.gather(*(pool.render(invoice) for _ in range(7))), timeout=90
        )
        with ThreadPoolExecutor(4) as threads:
            more = list(threads.map(lambda _: pool.render_sync(invoice), range(5)))
    assert len(set(pdfs + more)) == 1


def test_closed_renderer_refuses_work(make_invoice) -> None:
    pool = PdfRenderer(max_workers=1)
    pool.close()
    pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        pool.render_sync(make_invoice())


def test_a_killed_worker_is_replaced_and_the_job_retried(make_invoice) -> None:
    invoice = make_invoice()
    with PdfRenderer(max_workers=1) as pool:
        pool.render_sync(invoice)
        for pid in pool.worker_pids():
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        assert pool.render_sync(invoice).startswith(b"%PDF-")
