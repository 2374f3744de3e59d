"""Benchmark of invoice PDF rendering beside reportlab. Prints figures; never fails a build.

    .venv/bin/pip install -e '.[bench]'       # reportlab, the peer (never a runtime dependency)
    .venv/bin/python bench/render.py [--quick] [--runs N]

Measures, for a 10-line and a 300-line invoice with accented text, each beside the same
invoice drawn by reportlab with the same bundled TTFs (bench/reportlab_invoice.py), in the
same run:
- render time p50/p90 in this process (fonts loaded beforehand, as a pool worker has them);
- PDF size;
- font load per process: both weights, in a fresh process each time (fontTools' or
  reportlab's import not counted), median of --runs;
- cold `invoicebot draft ID --out F.pdf` as a whole process against a SQLite store holding
  the record, beside `python bench/reportlab_invoice.py` as a whole process, interleaved,
  median of --runs; our packages' bytecode is written first, as installing does (see
  `write_bytecode`);
- resident memory over many renders (in-process with and without borb's layout caches, and
  in the PdfRenderer pool with recycled workers).
Goals (issue 11): 10-line size ratio <= 1.5; 300 lines p50 < 150 ms; cold draft < 0.8 s and
<= 4x the reportlab script. Last, one line per figure:
    render: lines=N time_ms=... reportlab_ms=... size_kb=... reportlab_kb=... size_ratio=...
    font_load: time_ms=... reportlab_ms=... ratio=...
    cold_draft: time_s=... reportlab_script_s=... ratio=...
The e-invoice path (Factur-X PDF/A-3 with EN 16931 XML, `einvoice = "factur-x"`) is printed
beside it as `einvoice: lines=N time_ms=... size_kb=...`; goal for 10 lines: < 200 ms, < 250 KB.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import reportlab_invoice

from billing_core.invoice import Invoice, draft_invoice
from billing_core.pdf import PdfRenderer, borb_compat, render_invoice_pdf
from billing_core.pdf.render import _render  # render_invoice_pdf minus the cache clearing
from billing_core.policy import InvoicePolicy, Policy
from billing_core.records import parse_record
from bot.demo import SELLER

ROOT = Path(__file__).resolve().parents[1]


def record_json(lines: int) -> dict[str, Any]:
    """A German agency's record with accented descriptions, some long enough to wrap (the
    lines of reportlab_invoice.line_items)."""
    items = [
        {"description": text, "quantity": str(quantity), "unit_price": str(price),
         "tax_rate": str(rate)}
        for text, quantity, price, rate in reportlab_invoice.line_items(lines)
    ]  # fmt: skip
    return {
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


def invoice(lines: int) -> Invoice:
    """The final invoice of `record_json(lines)`."""
    record = parse_record(record_json(lines))
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


def process_time(argv: list[str], **kwargs: Any) -> tuple[float, float]:
    """(wall seconds, CPU seconds user + system) of one run of a whole process. The CPU time
    moves less than the wall time when other work shares the machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, **kwargs)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


FONT_LOAD_PROBE = """
import time
import fontTools.ttLib  # the import is not the font load (reportlab's is not counted either)
import billing_core.pdf.bundled_fonts as fonts
start = time.perf_counter()
fonts.preload()
print((time.perf_counter() - start) * 1000)
"""


def font_load(runs: int) -> tuple[float, float]:
    """Median ms to load both weights in a fresh process: ours, reportlab's."""
    ours, theirs = [], []
    peer = [sys.executable, str(ROOT / "bench" / "reportlab_invoice.py"), "--font-load"]
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", FONT_LOAD_PROBE], check=True, capture_output=True, cwd=ROOT
        )
        ours.append(float(out.stdout))
        out = subprocess.run([*peer, "--out", os.devnull], check=True, capture_output=True)
        theirs.append(float(out.stdout))
    return statistics.median(ours), statistics.median(theirs)


def write_bytecode() -> None:
    """Compile our packages to __pycache__, as pip does when it installs a wheel, and as any
    run does unless PYTHONDONTWRITEBYTECODE is set (as on the machine these figures come
    from). Otherwise every cold process of this editable install compiles a hundred modules
    again (30-60 ms of CPU of a draft), while reportlab, installed from a wheel, has its
    bytecode: the comparison would not be like for like."""
    import compileall

    for package in ("billing_core", "bot", "handlers"):
        compileall.compile_dir(ROOT / package, quiet=1)


def cold_draft(runs: int) -> tuple[float, float, float, float]:
    """Median seconds of a whole `invoicebot draft` process and of the reportlab script,
    runs interleaved so that both see the same machine: wall ours, wall peer, CPU ours, CPU
    peer."""
    invoicebot = str(Path(sys.executable).with_name("invoicebot"))
    write_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INVOICEBOT_"))},
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
        }
        records = Path(tmp) / "records.json"
        records.write_text(json.dumps([record_json(10)]), encoding="utf-8")
        subprocess.run([invoicebot, "records", "import", str(records)], check=True, env=env,
                       capture_output=True, cwd=tmp)  # fmt: skip
        ours: list[tuple[float, float]] = []
        theirs: list[tuple[float, float]] = []
        peer = [sys.executable, str(ROOT / "bench" / "reportlab_invoice.py"), "--lines", "10"]
        draft = [invoicebot, "draft", "P-123", "--out", f"{tmp}/ours.pdf"]
        for _ in range(runs):
            ours.append(process_time(draft, env=env, cwd=tmp))
            theirs.append(process_time([*peer, "--out", f"{tmp}/peer.pdf"], cwd=tmp))
    return (
        statistics.median(w for w, _ in ours),
        statistics.median(w for w, _ in theirs),
        statistics.median(c for _, c in ours),
        statistics.median(c for _, c in theirs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (about 30 s)")
    parser.add_argument("--runs", type=int, help="runs of each whole-process figure")
    args = parser.parse_args()
    runs_small, runs_large, memory_renders = (20, 5, 100) if args.quick else (200, 15, 500)
    process_runs = args.runs or (5 if args.quick else 15)

    small, large = invoice(10), invoice(300)
    borb_compat.preload()
    reportlab_invoice.load_fonts()
    for _ in range(3):
        render_invoice_pdf(small)
        reportlab_invoice.render(10)

    figures: list[str] = []
    print("render time, one process, one core (ours | reportlab, same invoice, same TTFs)")
    for target, lines, runs in ((small, 10, runs_small), (large, 300, runs_large)):
        times, pdf = timed(lambda t=target: render_invoice_pdf(t), runs)
        peer_times, peer_pdf = timed(lambda n=lines: reportlab_invoice.render(n), runs)
        p50, peer_p50 = statistics.median(times), statistics.median(peer_times)
        pages = len(re.findall(rb"/Type /Page\b(?!s)", pdf))
        print(
            f"  {lines:>3} lines  p50 {p50 * 1000:7.1f} ms  p90 {pct(times, 0.9) * 1000:7.1f} ms  "
            f"{len(pdf) / 1024:6.1f} KiB  pages {pages}  |  reportlab p50 "
            f"{peer_p50 * 1000:6.1f} ms  {len(peer_pdf) / 1024:6.1f} KiB  (n={runs})"
        )
        figures.append(
            f"render: lines={lines} time_ms={p50 * 1000:.3f} reportlab_ms={peer_p50 * 1000:.3f} "
            f"size_kb={len(pdf) / 1000:.3f} reportlab_kb={len(peer_pdf) / 1000:.3f} "
            f"size_ratio={len(pdf) / len(peer_pdf):.3f}"
        )

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

    ours_ms, peer_ms = font_load(process_runs)
    print(
        f"\nfont load, fresh process, both weights: {ours_ms:.1f} ms | reportlab {peer_ms:.1f} ms"
    )
    figures.append(
        f"font_load: time_ms={ours_ms:.3f} reportlab_ms={peer_ms:.3f} ratio={ours_ms / peer_ms:.3f}"
    )
    ours_s, peer_s, ours_cpu, peer_cpu = cold_draft(process_runs)
    print(f"cold draft, whole process: {ours_s:.3f} s | reportlab script {peer_s:.3f} s; CPU "
          f"{ours_cpu:.3f} s | {peer_cpu:.3f} s (ratio {ours_cpu / peer_cpu:.2f}; median of "
          f"{process_runs}, interleaved)")  # fmt: skip
    figures.append(
        f"cold_draft: time_s={ours_s:.3f} reportlab_script_s={peer_s:.3f} "
        f"ratio={ours_s / peer_s:.3f}"
    )
    print()
    for line in figures:
        print(line)


if __name__ == "__main__":
    main()
