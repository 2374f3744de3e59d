"""Benchmark of invoice PDF rendering. Prints figures; not a test, never fails a build.

    .venv/bin/python bench/render.py [--quick]

Measures, for a 10-line and a 300-line invoice with accented text:
- render time p50/p90 in this process (fonts loaded beforehand, as a pool worker has them),
  and invoices per second on one core (1 / p50);
- PDF size;
- resident memory over many renders: in-process with borb's layout caches left alone (borb as
  shipped), in-process as render_invoice_pdf runs (caches cleared after each document), and in
  the PdfRenderer pool with recycled workers (RSS of the worker processes, sampled).
Goals: 10-line p50 < 150 ms, 300-line p50 < 1.5 s, 10-line PDF < 120 KB, memory flat.
The e-invoice path (Factur-X PDF/A-3 with EN 16931 XML, `einvoice = "factur-x"`) is printed
beside it as `einvoice: lines=N time_ms=... size_kb=...`; goal for 10 lines: < 200 ms, < 250 KB.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from billing_core.invoice import Invoice, draft_invoice
from billing_core.pdf import PdfRenderer, borb_compat, render_invoice_pdf
from billing_core.pdf.render import _render  # render_invoice_pdf minus the cache clearing
from billing_core.policy import InvoicePolicy, Policy
from billing_core.records import parse_record
from bot.demo import SELLER


def invoice(lines: int) -> Invoice:
    """A German agency invoice with accented descriptions, some long enough to wrap."""
    items = []
    for n in range(1, lines + 1):
        text = f"Leistung {n}: Überarbeitung der Größenangaben für Straße & Café"
        if n % 4 == 0:
            text += " – inklusive Abstimmung mit Müller & Søn, Korrekturschleife und Übergabe"
        rate = "7" if n % 10 == 0 else "19"
        items.append(
            {"description": text, "quantity": str(n % 5 + 1), "unit_price": "112.50",
             "tax_rate": rate}
        )  # fmt: skip
    record = parse_record(
        {
            "id": "P-123",
            "title": "Website relaunch",
            "owner": "U0OWNER",
            "client": {
                "name": "Müller & Søn GmbH",
                "address": "Hauptstraße 5\n80331 München",
                "country": "DE",
            },
            "scope_ref": "SOW-17 milestone 2",
            "currency": "EUR",
            "line_items": items,
        }
    )
    policy = Policy(company=SELLER, invoice=InvoicePolicy(locale="de_DE"))
    draft = draft_invoice(record, policy, date(2026, 11, 20))
    return draft.finalised("INV-2026-0042", date(2026, 11, 20))


def rss_kib(pid: int | str = "self") -> int:
    """Resident set size of a process in KiB (Linux /proc), 0 where unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(render: Callable[[], bytes], runs: int) -> tuple[list[float], bytes]:
    pdf = b""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        pdf = render()
        times.append(time.perf_counter() - start)
    return times, pdf


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def memory_in_process(render: Callable[[], bytes], count: int, label: str) -> None:
    gc.collect()
    samples = []
    step = max(count // 10, 1)
    for n in range(1, count + 1):
        render()
        if n % step == 0:
            gc.collect()
            samples.append(rss_kib())
    growth = samples[-1] - samples[0]
    print(
        f"  {label:<44} RSS {samples[0] / 1024:6.1f} -> {samples[-1] / 1024:6.1f} MiB "
        f"(peak {max(samples) / 1024:.1f}, growth {growth / 1024:+.1f} MiB, "
        f"layout cache entries {borb_compat.layout_cache_entries()})"
    )


def memory_in_pool(target: Invoice, count: int, per_child: int) -> None:
    samples: list[int] = []
    pids: set[int] = set()
    step = max(count // 20, 1)
    with PdfRenderer(max_workers=1, max_tasks_per_child=per_child) as pool:
        for n in range(1, count + 1):
            pool.render_sync(target)
            if n % step == 0:
                workers = pool.worker_pids()
                pids.update(workers)
                samples.append(sum(rss_kib(pid) for pid in workers))
    samples = [s for s in samples if s]
    print(
        f"  pool, 1 worker, max_tasks_per_child={per_child:<3}       worker RSS min "
        f"{min(samples) / 1024:5.1f} / max {max(samples) / 1024:5.1f} MiB over {count} renders, "
        f"{len(pids)} worker processes"
    )


def throughput_pool(target: Invoice, count: int) -> None:
    workers = os.cpu_count() or 1
    with PdfRenderer(max_workers=workers) as pool:
        for _ in range(workers * 2):
            pool.render_sync(target)  # warm every worker
        from concurrent.futures import ThreadPoolExecutor

        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as threads:
            list(threads.map(lambda _: pool.render_sync(target), range(count)))
        elapsed = time.perf_counter() - start
    print(
        f"  pool, {workers} workers: {count / elapsed:.1f} invoices/s (10 lines, {count} renders)"
    )


def einvoice_figures(small: Invoice, large: Invoice, runs_small: int, runs_large: int) -> None:
    """The Factur-X path beside the plain one: same invoices, `einvoice = "factur-x"`."""
    print("\ne-invoice (Factur-X EN 16931: PDF/A + CII XML + XMP), one process, one core")
    for target, runs, goal_ms in ((small, runs_small, 200), (large, runs_large, None)):
        einvoice = dataclasses.replace(target, einvoice="factur-x")
        plain_times, plain = timed(lambda t=target: render_invoice_pdf(t), runs)
        times, pdf = timed(lambda e=einvoice: render_invoice_pdf(e), runs)
        p50 = statistics.median(times) * 1000
        verdict = ""
        if goal_ms is not None:
            ok = p50 < goal_ms and len(pdf) < 250 * 1024
            verdict = f"  (goal < {goal_ms} ms and < 250 KB: {'ok' if ok else 'OVER GOAL'})"
        print(
            f"  plain:    lines={len(target.lines)} "
            f"time_ms={statistics.median(plain_times) * 1000:.1f} size_kb={len(plain) / 1024:.1f}"
        )
        print(
            f"  einvoice: lines={len(target.lines)} time_ms={p50:.1f} "
            f"size_kb={len(pdf) / 1024:.1f}{verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (about 20 s)")
    args = parser.parse_args()
    runs_small, runs_large, memory_renders = (20, 3, 100) if args.quick else (200, 15, 500)

    small, large = invoice(10), invoice(300)
    start = time.perf_counter()
    borb_compat.preload()
    print(f"font load (once per process): {(time.perf_counter() - start) * 1000:.0f} ms")
    for _ in range(3):
        render_invoice_pdf(small)

    print("\nrender time, one process, one core")
    for label, target, runs, goal in (
        ("10 lines", small, runs_small, 0.150),
        ("300 lines", large, runs_large, 1.5),
    ):
        times, pdf = timed(lambda t=target: render_invoice_pdf(t), runs)
        p50 = statistics.median(times)
        pages = len(re.findall(rb"/Type /Page\b(?!s)", pdf))
        verdict = "ok" if p50 < goal else "OVER GOAL"
        print(
            f"  {label:<10} p50 {p50 * 1000:7.1f} ms  p90 {pct(times, 0.9) * 1000:7.1f} ms  "
            f"{1 / p50:6.1f} invoices/s  {len(pdf) / 1024:6.1f} KiB  pages {pages}  "
            f"(goal p50 < {goal * 1000:.0f} ms: {verdict}; n={runs})"
        )
        if label == "10 lines":
            size_verdict = "ok" if len(pdf) < 120_000 else "OVER GOAL"
            print(f"  {'':<10} size {len(pdf)} bytes (goal < 120000: {size_verdict})")

    einvoice_figures(small, large, runs_small, runs_large)

    print(f"\nmemory over {memory_renders} renders of the 10-line invoice")
    memory_in_process(
        lambda: render_invoice_pdf(small), memory_renders, "in process, render_invoice_pdf"
    )
    memory_in_process(
        lambda: _render(small), memory_renders, "in process, borb caches kept (as shipped)"
    )
    borb_compat.clear_layout_caches()
    per_child = 25 if args.quick else 100
    memory_in_pool(small, memory_renders, per_child)

    if not args.quick:
        print("\nthroughput")
        throughput_pool(small, 200)


if __name__ == "__main__":
    main()
