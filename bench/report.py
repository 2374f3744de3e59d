"""Benchmark of the billing report on SQLite. Prints figures beside the goal; not a test.

    .venv/bin/python bench/report.py [--invoices 100000] [--chart FILE.png]

Builds a fresh SQLite database with that many invoices over 14 months (EUR and USD, one record
each with a completed_at; 70 % paid in full, 10 % partly, 1 in 40 void, 1 in 12 drafts
rejected first; 2,000 completed records never invoiced), then times, each with the longest
event-loop stall seen meanwhile (a 10 ms ticker):
  (a) Metrics.month_report for November 2026 (SQL sums + the month's rows + pure metrics);
  (b) Metrics.monthly_money for the 12 months of the chart (24 grouped sums);
  (c) render_chart in a thread (matplotlib, Agg);
  (d) the App Home's reads for an approver: headline figures, the queue, overdue, own list.
Goal (issue 12): under 1 s each at 100,000 invoices; no stall over 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from billing_core.invoice import Invoice, InvoiceLine, Party
from billing_core.invoice_json import invoice_to_json
from billing_core.metrics.chart import render_chart
from billing_core.money import Money
from billing_core.policy import ApprovalPolicy, Policy, ReminderPolicy
from billing_core.status import Action, Status
from billing_core.store.engine import new_async_engine, new_sessionmaker, upgrade_database
from billing_core.store.models import InvoiceEventRow, InvoiceRow, RecordRow
from billing_core.store.unit_of_work import Store
from billing_core.usecases import Billing

NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
START = date(2025, 11, 1)
DAYS = (date(2026, 12, 31) - START).days
POLICY = Policy(
    reminders=ReminderPolicy(timezone="Europe/Berlin"),
    approval=ApprovalPolicy(approvers=("U0APPROVER",)),
)
TOTAL = Decimal("1487.38")  # 1200 + 49.90 net, 19 % tax
T = TypeVar("T")


def template(currency: str) -> dict[str, Any]:
    invoice = Invoice(
        record_id="P-0", title="Website relaunch", scope_ref="SOW-1", owner="U00000001",
        seller=Party("Northwind Studio GmbH", "Torstraße 1\n10119 Berlin", "DE"),
        buyer=Party("Client Müller & Søn GmbH", "Hauptstraße 5", email="ap@x.example"),
        currency=currency,
        lines=(
            InvoiceLine("Design", Decimal(10), Money(Decimal("120.00"), currency), Decimal(19)),
            InvoiceLine("Hosting", Decimal(1), Money(Decimal("49.90"), currency), Decimal(19)),
        ),
        issue_date=START, due_date=START, number="INV-0",
    )  # fmt: skip
    return invoice_to_json(invoice)


def record_json(rid: str, owner: str, completed: date, client: str) -> dict[str, Any]:
    return {
        "id": rid, "kind": "project", "title": "Website relaunch", "owner": owner,
        "client": {"name": client, "email": "ap@x.example"}, "currency": "EUR",
        "completed_at": completed.isoformat(), "amount": "1249.90",
    }  # fmt: skip


async def build_database(url: str, invoices: int) -> None:
    engine = new_async_engine(url)
    await upgrade_database(engine)
    templates = {c: template(c) for c in ("EUR", "USD")}
    async with engine.begin() as conn:
        records: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        ident = 0

        async def flush(force: bool = False) -> None:
            if not force and max(len(records), len(rows), len(events)) < 5000:
                return
            # In this order: events point at invoices, invoices at records.
            for table, batch in (
                (RecordRow, records),
                (InvoiceRow, rows),
                (InvoiceEventRow, events),
            ):
                if batch:
                    await conn.execute(insert(table.__table__), batch)
                    batch.clear()

        def event(invoice: int, action: Action, on: date, amount: Decimal | None = None) -> None:
            at = datetime.combine(on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
            events.append({"invoice_id": invoice, "at": at, "actor": "U0APPROVER",
                           "action": action.value, "from_status": None, "to_status": "approved",
                           "amount": amount, "note": None, "effective_on": on})  # fmt: skip

        for n in range(1, invoices + 2001):
            rid, owner, client = f"P-{n}", f"U{n % 500:08d}", f"Client {n % 3000}"
            if n <= invoices:
                issued = START + timedelta(days=n * DAYS // invoices)
            else:  # the never-invoiced records: completed over the last 90 days
                issued = NOW.date() - timedelta(days=n % 90)
            completed = issued - timedelta(days=n % 9)
            records.append({"id": rid, "kind": "project", "title": "Website relaunch",
                            "owner": owner, "data": record_json(rid, owner, completed, client),
                            "created_at": NOW, "updated_at": NOW})  # fmt: skip
            if n > invoices or issued > NOW.date():
                continue  # completed, never invoiced
            currency = "USD" if n % 4 == 0 else "EUR"
            if n % 12 == 0:  # a rejected draft first
                ident += 1
                rows.append(_row(ident, rid, None, Status.REJECTED, currency, issued, owner,
                                 client, templates[currency], completed))  # fmt: skip
                event(ident, Action.REJECT, issued)
            ident += 1
            status, paid = Status.SENT, Decimal(0)
            paid_on = issued + timedelta(days=10 + n % 50)
            if n % 40 == 0:
                status = Status.VOID
            elif n % 10 < 7 and paid_on <= NOW.date():
                status, paid = Status.PAID, TOTAL
            elif n % 10 == 7:
                paid = Decimal("500.00")
            rows.append(_row(ident, rid, f"INV-{n:07d}", status, currency, issued, owner,
                             client, templates[currency], completed, paid))  # fmt: skip
            event(ident, Action.APPROVE, issued)
            if n % 2:
                event(ident, Action.MARK_SENT, issued + timedelta(days=1))
            if status is Status.PAID:
                event(ident, Action.SETTLE, paid_on, TOTAL)
            elif paid:
                event(ident, Action.PART_PAY, min(paid_on, NOW.date()), paid)
            await flush()
        await flush(force=True)
    await engine.dispose()


def _row(ident: int, rid: str, number: str | None, status: Status, currency: str, issued: date,
         owner: str, client: str, snap: dict[str, Any], completed: date,
         paid: Decimal = Decimal(0)) -> dict[str, Any]:  # fmt: skip
    snapshot = copy.copy(snap)
    snapshot.update(record_id=rid, number=number, issue_date=issued.isoformat(),
                    due_date=(issued + timedelta(days=14)).isoformat(),
                    service_date=completed.isoformat())  # fmt: skip
    at = datetime.combine(issued, datetime.min.time(), tzinfo=UTC)
    return {"id": ident, "record_id": rid, "number": number, "status": status.value,
            "currency": currency, "total": TOTAL, "paid": paid, "issue_date": issued,
            "due_date": issued + timedelta(days=14), "owner": owner, "client_name": client,
            "snapshot": snapshot, "drafted_by": "U0DRAFTER", "drafted_at": at,
            "decided_by": "U0APPROVER", "decided_at": at, "updated_at": at,
            "rejection_category": "wrong_amount" if status is Status.REJECTED else None,
            }  # fmt: skip


async def measured(what: Callable[[], Awaitable[T]]) -> tuple[float, float, T]:
    """(seconds, longest event-loop stall in seconds, result)."""
    stall = 0.0
    running = True

    async def ticker() -> None:
        nonlocal stall
        while running:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            stall = max(stall, time.perf_counter() - before - 0.01)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = time.perf_counter()
    result = await what()
    elapsed = time.perf_counter() - start
    running = False
    await task
    return elapsed, stall, result


async def bench(invoices: int, directory: Path, chart: Path | None) -> None:
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    started = time.perf_counter()
    await build_database(url, invoices)
    print(f"built {invoices:,} invoices in {time.perf_counter() - started:.1f} s")
    engine = new_async_engine(url)
    billing = Billing(Store(new_sessionmaker(engine)), POLICY)
    first, end = date(2026, 11, 1), date(2026, 12, 1)
    try:
        await billing.metrics.month_report(first, end, NOW)  # warm the caches once
        secs, stall, report = await measured(lambda: billing.metrics.month_report(first, end, NOW))
        eur = report.currencies["EUR"]
        print(f"report: month_report {secs * 1000:.0f} ms, longest stall {stall * 1000:.0f} ms "
              f"(goal < 1000 ms, stall < 100 ms); EUR issued {eur.issued.count}, "
              f"uninvoiced {report.uninvoiced_count}")  # fmt: skip
        secs, stall, months = await measured(lambda: billing.metrics.monthly_money(first))
        print(f"report: monthly_money (12 months) {secs * 1000:.0f} ms, "
              f"longest stall {stall * 1000:.0f} ms")  # fmt: skip
        aging = {code: f.aging for code, f in report.currencies.items()}
        secs, stall, png = await measured(
            lambda: asyncio.to_thread(render_chart, months, aging, "de_DE")
        )
        print(f"report: render_chart {secs * 1000:.0f} ms in a thread, longest stall "
              f"{stall * 1000:.0f} ms; {len(png) // 1024} KiB PNG")  # fmt: skip
        if chart is not None:
            await asyncio.to_thread(chart.write_bytes, png)

        async def app_home() -> int:
            # What handlers/home.py reads for an approver who owns invoices.
            head = await billing.metrics.headline_for("U0APPROVER", NOW)
            queue = await billing.queries.list_invoices("drafts", "U0APPROVER", NOW, 10)
            overdue = await billing.queries.overdue_of("U00000001", NOW, 10)
            mine = await billing.queries.list_invoices("mine", "U00000001", NOW, 10)
            return len(head.currencies) + queue.total + overdue.total + mine.total

        await app_home()
        secs, stall, _ = await measured(app_home)
        print(f"app_home: headline figures and three lists {secs * 1000:.0f} ms, longest stall "
              f"{stall * 1000:.0f} ms (goal < 1000 ms, stall < 100 ms)")  # fmt: skip
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--chart", type=Path, help="keep the chart PNG here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(bench(args.invoices, Path(directory), args.chart))


if __name__ == "__main__":
    main()
