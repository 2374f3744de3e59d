"""What the benches share: a large store built in a child process, the Slack stand-in in a
child process, peak RSS, and the one-line summaries the issues ask for.

The store is built, and Slack stood in for, in other processes so that the figures of the
process doing the work (its peak RSS, its event loop's worst stall) are its own.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from billing_core.invoice import Invoice, InvoiceLine, Party
from billing_core.invoice_json import invoice_to_json
from billing_core.money import Money
from billing_core.status import Status

TODAY = date(2026, 12, 15)
NOW = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
T = TypeVar("T")


def owner_id(n: int) -> str:
    return f"U{n:08d}"


def summary_line(prefix: str, **figures: float | int) -> str:
    """`prefix: key=value ...`, integers as they are, other numbers with 3 decimals."""
    parts = [f"{k}={v}" if isinstance(v, int) else f"{k}={v:.3f}" for k, v in figures.items()]
    return f"{prefix}: {' '.join(parts)}"


def peak_rss_mib() -> float:
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def timed(what: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    start = time.perf_counter()
    result = await what()
    return time.perf_counter() - start, result


# -- the store ------------------------------------------------------------------------------


def _snapshot(n: int, owner: str, record_id: str, due: date) -> dict[str, Any]:
    invoice = Invoice(
        record_id=record_id,
        title="Website relaunch",
        scope_ref=f"SOW-{n % 97}",
        owner=owner,
        seller=Party("Northwind Studio GmbH", "Torstraße 1\n10119 Berlin", "DE"),
        buyer=Party(f"Client {n % 5000} Müller & Søn GmbH", "Hauptstraße 5", email="ap@x.example"),
        currency="EUR",
        lines=(
            InvoiceLine("Design hours", Decimal(10), Money(Decimal("120.00"), "EUR"), Decimal(19)),
            InvoiceLine("Hosting", Decimal(1), Money(Decimal("49.90"), "EUR"), Decimal(19)),
        ),
        issue_date=due - timedelta(days=14),
        due_date=due,
        number=f"INV-2026-{n:06d}",
    )
    return invoice_to_json(invoice)


async def _build(url: str, invoices: int, owners: int) -> dict[str, int]:
    """Records (one per owner), invoices, ledger rows and a few drafts, by bulk insert.

    Invoice n is due 1 + n % 45 days before TODAY; odd ones are sent, even ones approved;
    every 10th is partly paid, every 50th paid, every 77th void; every 3rd was already
    pinged at stage 1; every 97th is a draft (for the approvers' list)."""
    from sqlalchemy import insert, text

    from billing_core.store.engine import new_async_engine, upgrade_database
    from billing_core.store.models import (
        InvoiceEventRow,
        InvoiceRow,
        RecordRow,
        ReminderLedgerRow,
    )

    engine = new_async_engine(url)
    await upgrade_database(engine)
    counts = {"open_overdue": 0, "closed": 0, "drafts": 0, "ledger": 0}
    async with engine.begin() as conn:
        await conn.execute(
            insert(RecordRow.__table__),
            [
                {"id": f"P-{o}", "kind": "project", "title": "Retainer", "owner": owner_id(o),
                 "data": {"id": f"P-{o}"}, "created_at": NOW, "updated_at": NOW}
                for o in range(owners)
            ],
        )  # fmt: skip
        # A record has one live draft at most (a partial unique index): drafts get their own.
        extra = [
            {"id": f"P-D{n}", "kind": "project", "title": "Extra work",
             "owner": owner_id(n % owners), "data": {"id": f"P-D{n}"},
             "created_at": NOW, "updated_at": NOW}
            for n in range(97, invoices + 1, 97)
        ]  # fmt: skip
        if extra:
            await conn.execute(insert(RecordRow.__table__), extra)
        batch: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        ledger: list[dict[str, Any]] = []
        total = Decimal("1487.38")  # 1200 + 49.90 net, 19 % tax
        for n in range(1, invoices + 1):
            o = n % owners
            due = TODAY - timedelta(days=1 + n % 45)
            status = Status.SENT if n % 2 else Status.APPROVED
            paid = Decimal("500.00") if n % 10 == 0 else Decimal(0)
            number: str | None = f"INV-2026-{n:06d}"
            if n % 50 == 0:
                status, paid = Status.PAID, total
            elif n % 77 == 0:
                status = Status.VOID
            elif n % 97 == 0:
                status, number = Status.DRAFT, None
            key = {Status.APPROVED: "open_overdue", Status.SENT: "open_overdue"}
            counts[key.get(status, "drafts" if status == Status.DRAFT else "closed")] += 1
            batch.append(
                {
                    "id": n, "record_id": f"P-D{n}" if number is None else f"P-{o}",
                    "number": number,
                    "status": status.value, "currency": "EUR", "total": total, "paid": paid,
                    "issue_date": due - timedelta(days=14), "due_date": due,
                    # the buyer's name, as InvoiceRepository.add writes it (reminders show it)
                    "owner": owner_id(o), "client_name": f"Client {n % 5000} Müller & Søn GmbH",
                    "snapshot": _snapshot(n, owner_id(o), f"P-{o}", due),
                    "drafted_by": "U0DRAFTER", "drafted_at": NOW - timedelta(days=60),
                    "decided_by": None if number is None else "U0APPROVER",
                    "decided_at": None if number is None else NOW - timedelta(days=59),
                    "updated_at": NOW,
                }
            )  # fmt: skip
            if number is not None:  # the history the reports read
                issued = due - timedelta(days=14)
                events.append(
                    {"invoice_id": n, "at": NOW - timedelta(days=59), "actor": "U0APPROVER",
                     "action": "approve", "from_status": "draft", "to_status": "approved",
                     "amount": None, "note": None, "effective_on": issued}
                )  # fmt: skip
                if paid:
                    events.append(
                        {"invoice_id": n, "at": NOW - timedelta(days=2), "actor": owner_id(o),
                         "action": "settle" if status == Status.PAID else "part_pay",
                         "from_status": "sent", "to_status": status.value, "amount": paid,
                         "note": None, "effective_on": TODAY - timedelta(days=n % 40)}
                    )  # fmt: skip
            if n % 3 == 0 and number is not None:
                ledger.append(
                    {"invoice_id": n, "stage": 1, "run_date": due + timedelta(days=1),
                     "claimed_at": NOW - timedelta(days=20), "sent_at": NOW - timedelta(days=20),
                     "recipient": owner_id(o)}
                )  # fmt: skip
            if len(batch) == 5000:
                await conn.execute(insert(InvoiceRow.__table__), batch)
                await conn.execute(insert(InvoiceEventRow.__table__), events)
                batch, events = [], []
        if batch:
            await conn.execute(insert(InvoiceRow.__table__), batch)
        if events:
            await conn.execute(insert(InvoiceEventRow.__table__), events)
        if ledger:
            await conn.execute(insert(ReminderLedgerRow.__table__), ledger)
        counts["ledger"] = len(ledger)
    if engine.dialect.name == "postgresql":
        # As autovacuum would soon after a bulk load: without statistics PostgreSQL planned
        # both the selection and the floor as 95,730 index probes (nested loop anti join).
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    await engine.dispose()
    return counts


def _build_child(url: str, invoices: int, owners: int, conn: Connection) -> None:
    conn.send(asyncio.run(_build(url, invoices, owners)))


def build_store(url: str, invoices: int, owners: int) -> tuple[float, dict[str, int]]:
    """Build the store in a child process; returns (seconds, counts by kind)."""
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_build_child, args=(url, invoices, owners, child))
    process.start()
    child.close()  # so recv() raises EOFError, not hangs, if the child dies
    try:
        counts: dict[str, int] = parent.recv()
    except EOFError:
        process.join()
        raise SystemExit(f"building the store failed (exit code {process.exitcode})") from None
    process.join()
    return time.perf_counter() - start, counts


# -- Slack ----------------------------------------------------------------------------------


def _serve_standin(conn: Connection, check_blocks: bool) -> None:
    from slackstandin import SlackStandIn

    async def serve() -> None:
        async with SlackStandIn(check_blocks=check_blocks) as slack:
            conn.send((slack.api_url, slack.bot_token))
            await asyncio.to_thread(conn.recv)
            methods = {c.method for c in slack.calls}
            conn.send({m: len(slack.calls_to(m)) for m in methods})

    asyncio.run(serve())


class StandIn:
    """The Slack stand-in in a child process: `api_url`, `bot_token`, and `calls()`, how
    many times each method was called (read once, when done)."""

    def __init__(self, conn: Connection, api_url: str, bot_token: str) -> None:
        self._conn, self.api_url, self.bot_token = conn, api_url, bot_token

    def calls(self) -> dict[str, int]:
        self._conn.send("done")
        counts: dict[str, int] = self._conn.recv()
        return counts


@contextmanager
def standin_process(*, check_blocks: bool = True) -> Iterator[StandIn]:
    """The stand-in in a child process. `check_blocks=False`: it counts message blocks but
    does not parse them (see slackstandin.SlackStandIn)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve_standin, args=(child, check_blocks), daemon=True)
    process.start()
    api_url, token = parent.recv()
    try:
        yield StandIn(parent, api_url, token)
    finally:
        process.kill()
        process.join()
