"""The store's SQL aging agrees with the pure rule (billing_core.metrics.money_flow.aging) on
random histories, on SQLite and PostgreSQL: balances on any day, void never outstanding,
payments, credit notes and reversed payments counted on their own dates, the paid and credited
columns plus what moved them later."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert

from billing_core.metrics.facts import IssuedInvoice, Settlement
from billing_core.metrics.money_flow import aging
from billing_core.status import Action, Status
from billing_core.store.engine import new_async_engine, new_sessionmaker, upgrade_database
from billing_core.store.models import InvoiceEventRow, InvoiceRow, RecordRow
from billing_core.store.unit_of_work import Store

START = date(2026, 1, 1)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def history(seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any], list[Any]]:
    """Invoice rows and payment events for the store, and the same as pure facts."""
    rng = random.Random(seed)
    rows, events, facts, settlements = [], [], [], []
    for n in range(1, 61):
        currency = rng.choice(["EUR", "USD", "JPY"])
        places = 0 if currency == "JPY" else 2
        total = Decimal(rng.randint(100, 500_000)).scaleb(-places)
        issued = START + timedelta(days=rng.randint(0, 300))
        due = issued + timedelta(days=rng.choice([0, 7, 14, 30, 60]))
        paid, status = Decimal(0), rng.choice([Status.APPROVED, Status.SENT])
        for _ in range(rng.randint(0, 3)):
            left = total - paid
            if left <= 0:
                break
            amount = left if rng.random() < 0.4 else (left / 2).quantize(Decimal(1).scaleb(-places))
            if amount <= 0:
                continue
            on = issued + timedelta(days=rng.randint(0, 120))
            paid += amount
            clears = paid == total
            action = Action.SETTLE if clears else Action.PART_PAY
            events.append({"invoice_id": n, "at": NOW, "actor": "U0X", "amount": amount,
                           "action": action.value, "from_status": "sent", "to_status": "sent",
                           "effective_on": on})  # fmt: skip
            settlements.append(Settlement(n, currency, amount, on, clears=clears))
            if clears:
                status = Status.PAID
        if paid > 0 and rng.random() < 0.25:  # /invoice unpay: the last payment taken back
            last = events[-1]
            on = last["effective_on"] + timedelta(days=rng.randint(0, 40))
            paid -= last["amount"]
            events.append({**last, "action": Action.UNPAY.value, "effective_on": on})
            settlements.append(Settlement(n, currency, last["amount"], on, kind="reversal"))
        credited = Decimal(0)
        for _ in range(rng.randint(0, 2) if rng.random() < 0.4 else 0):  # credit notes
            amount = (total * Decimal(rng.choice(["0.1", "0.5", "1"]))).quantize(
                Decimal(1).scaleb(-places)
            )
            if amount <= 0 or credited + amount > total:
                continue
            on = issued + timedelta(days=rng.randint(0, 150))
            credited += amount
            events.append({"invoice_id": n, "at": NOW, "actor": "U0X", "amount": amount,
                           "action": Action.CREDIT.value, "from_status": "sent",
                           "to_status": "sent", "effective_on": on})  # fmt: skip
            settlements.append(Settlement(n, currency, amount, on, kind="credit"))
        if paid + credited >= total:
            status = Status.PAID if paid > 0 else Status.CREDITED
        elif status is Status.PAID:
            status = Status.SENT  # reopened by the reversal
        void = (
            status in (Status.APPROVED, Status.SENT)
            and paid == credited == 0
            and rng.random() < 0.15
        )
        if void:
            status = Status.VOID
        rows.append({"id": n, "record_id": "P-1", "number": f"INV-{n}", "status": status.value,
                     "currency": currency, "total": total, "paid": paid, "credited": credited,
                     "issue_date": issued, "due_date": due, "owner": "U0X",
                     "client_name": f"C{n % 5}", "snapshot": {}, "drafted_by": "U0X",
                     "drafted_at": NOW, "updated_at": NOW})  # fmt: skip
        facts.append(IssuedInvoice(n, currency, total, issued, due, void=void))
    return rows, events, facts, settlements


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_sql_aging_agrees_with_the_pure_rule(database_url: str, seed: int) -> None:
    rows, events, facts, settlements = history(seed)
    engine = new_async_engine(database_url)
    try:
        await upgrade_database(engine)
        async with engine.begin() as conn:
            await conn.execute(
                insert(RecordRow.__table__),
                [{"id": "P-1", "kind": "project", "title": "t", "owner": "U0X", "data": {},
                  "created_at": NOW, "updated_at": NOW}],
            )  # fmt: skip
            await conn.execute(insert(InvoiceRow.__table__), rows)
            if events:
                await conn.execute(insert(InvoiceEventRow.__table__), events)
        store = Store(new_sessionmaker(engine))
        for as_of in [START + timedelta(days=d) for d in range(0, 480, 23)]:
            async with store.unit_of_work(read_only=True) as uow:
                from_sql = await uow.metrics.aging(as_of)
            assert from_sql == aging(facts, settlements, as_of), as_of
    finally:
        await engine.dispose()
