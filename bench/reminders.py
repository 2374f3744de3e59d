"""Benchmark of the overdue-reminder run on SQLite. Prints figures; not a test.

    .venv/bin/python bench/reminders.py [--invoices 100000] [--owners 1000] [--quick]

Builds a fresh SQLite database with that many approved or sent, overdue invoices (bulk SQL
inserts through the store's tables; a third already pinged at stage 1, a tenth partly paid,
a few paid or void), then times:
  (a) selection: Billing.due_reminders (load open invoices, ledger, pure selection);
  (b) composing every owner's DMs: chasing_blocks.reminder_chunks + reminder_message, no Slack;
  (c) a full run_reminders with SlackReminderSender against the Slack stand-in, in process
      (claims, conversations.open + chat.postMessage per message, mark sent);
  (d) a second run the same day (everything already sent: selection only, no Slack calls);
  (e) selection on the next day, when only invoices reaching a new stage are due.
Run from the repository root (it imports slackstandin).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import insert

from billing_core.invoice import Invoice, InvoiceLine, Party, invoice_to_json
from billing_core.money import Money
from billing_core.policy import Policy, ReminderPolicy
from billing_core.reminders import by_recipient
from billing_core.status import Status
from billing_core.store.engine import (
    new_async_engine,
    new_sessionmaker,
    upgrade_database,
)
from billing_core.store.models import InvoiceRow, RecordRow, ReminderLedgerRow
from billing_core.store.unit_of_work import Store
from billing_core.usecases import Billing
from handlers import chasing_blocks
from handlers.reminders import SlackReminderSender
from scheduler.jobs import run_reminders
from slackstandin import SlackStandIn

TODAY = date(2026, 12, 15)
NOW = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
POLICY = Policy(reminders=ReminderPolicy(timezone="Europe/Berlin"))
T = TypeVar("T")


def owner_id(n: int) -> str:
    return f"U{n:08d}"


def snapshot(n: int, owner: str, record_id: str, due: date) -> dict[str, Any]:
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


async def build_database(url: str, invoices: int, owners: int) -> dict[str, int]:
    """Bulk-insert records (one per owner), invoices and some ledger rows."""
    engine = new_async_engine(url)
    await upgrade_database(engine)
    counts = {"open_overdue": 0, "closed": 0, "ledger": 0}
    async with engine.begin() as conn:
        await conn.execute(
            insert(RecordRow.__table__),
            [
                {"id": f"P-{o}", "kind": "project", "title": "Retainer", "owner": owner_id(o),
                 "data": {"id": f"P-{o}"}, "created_at": NOW, "updated_at": NOW}
                for o in range(owners)
            ],
        )  # fmt: skip
        batch: list[dict[str, Any]] = []
        ledger: list[dict[str, Any]] = []
        total = Decimal("1487.38")  # 1200 + 49.90 net, 19 % tax
        for n in range(1, invoices + 1):
            o = n % owners
            due = TODAY - timedelta(days=1 + n % 45)
            status = Status.SENT if n % 2 else Status.APPROVED
            paid = Decimal("500.00") if n % 10 == 0 else Decimal(0)
            if n % 50 == 0:
                status, paid = Status.PAID, total
            elif n % 77 == 0:
                status = Status.VOID
            if status in (Status.APPROVED, Status.SENT):
                counts["open_overdue"] += 1
            else:
                counts["closed"] += 1
            batch.append(
                {
                    "id": n, "record_id": f"P-{o}", "number": f"INV-2026-{n:06d}",
                    "status": status.value, "currency": "EUR", "total": total, "paid": paid,
                    "issue_date": due - timedelta(days=14), "due_date": due,
                    "owner": owner_id(o), "client_name": f"Client {n % 5000}",
                    "snapshot": snapshot(n, owner_id(o), f"P-{o}", due),
                    "drafted_by": "U0DRAFTER", "drafted_at": NOW - timedelta(days=60),
                    "decided_by": "U0APPROVER", "decided_at": NOW - timedelta(days=59),
                    "updated_at": NOW,
                }
            )  # fmt: skip
            if n % 3 == 0:
                ledger.append(
                    {"invoice_id": n, "stage": 1, "run_date": due + timedelta(days=1),
                     "claimed_at": NOW - timedelta(days=20), "sent_at": NOW - timedelta(days=20),
                     "recipient": owner_id(o)}
                )  # fmt: skip
            if len(batch) == 5000:
                await conn.execute(insert(InvoiceRow.__table__), batch)
                batch = []
        if batch:
            await conn.execute(insert(InvoiceRow.__table__), batch)
        if ledger:
            await conn.execute(insert(ReminderLedgerRow.__table__), ledger)
        counts["ledger"] = len(ledger)
    await engine.dispose()
    return counts


async def timed(what: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    start = time.perf_counter()
    result = await what()
    return time.perf_counter() - start, result


async def bench(invoices: int, owners: int, directory: Path) -> None:
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    build_s, counts = await timed(lambda: build_database(url, invoices, owners))
    engine = new_async_engine(url)
    store = Store(new_sessionmaker(engine))
    billing = Billing(store, POLICY)
    rows: list[tuple[str, float, str]] = []
    try:
        select_s, due = await timed(lambda: billing.chasing.due_reminders(TODAY, NOW))
        rows.append(("(a) select what is due", select_s, f"{len(due)} reminders"))

        async def compose() -> int:
            messages = 0
            for items in by_recipient(due).values():
                chunks = chasing_blocks.reminder_chunks(items)
                for part, chunk in enumerate(chunks, start=1):
                    chasing_blocks.reminder_message(chunk, {}, part, len(chunks))
                    messages += 1
            return messages

        compose_s, messages = await timed(compose)
        rows.append(("(b) compose the DMs (no Slack)", compose_s, f"{messages} messages"))

        async with SlackStandIn() as slack:
            client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, timeout=60)
            sender = SlackReminderSender(client, POLICY, store.conversations)
            run_s, summary = await timed(lambda: run_reminders(billing, sender, NOW, as_of=TODAY))
            posts = len(slack.calls_to("chat.postMessage"))
            rows.append(
                ("(c) full run, Slack stand-in", run_s,
                 f"{len(summary.sent)} sent, {posts} chat.postMessage, "
                 f"{len(slack.calls_to('conversations.open'))} conversations.open")
            )  # fmt: skip
            again_s, second = await timed(lambda: run_reminders(billing, sender, NOW, as_of=TODAY))
            rows.append(("(d) second run, same day", again_s, f"{len(second.sent)} sent"))
        tomorrow = TODAY + timedelta(days=1)
        next_s, next_due = await timed(
            lambda: billing.chasing.due_reminders(tomorrow, NOW + timedelta(days=1))
        )
        rows.append(("(e) select, the next day", next_s, f"{len(next_due)} reminders"))
        assert posts == messages and len(summary.sent) == len(due), "run and plan disagree"
    finally:
        await engine.dispose()

    print(
        f"\n{invoices} invoices ({counts['open_overdue']} open and overdue, {counts['closed']} "
        f"paid or void), {owners} owners, {counts['ledger']} stage-1 pings already in the ledger;"
        f" database built in {build_s:.1f} s\n"
    )
    print(f"{'step':34} {'seconds':>9}  notes")
    print(f"{'-' * 34} {'-' * 9}  {'-' * 40}")
    for name, seconds, notes in rows:
        print(f"{name:34} {seconds:9.3f}  {notes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--owners", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="10,000 invoices, 100 owners")
    parser.add_argument("--dir", type=Path, help="where to put bench.db (default: a temp dir)")
    args = parser.parse_args()
    if args.quick:
        args.invoices, args.owners = 10_000, 100
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        (args.dir / "bench.db").unlink(missing_ok=True)
        asyncio.run(bench(args.invoices, args.owners, args.dir))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bench(args.invoices, args.owners, Path(tmp)))


if __name__ == "__main__":
    main()
