"""Drafts, approvals and payments per second with and without the audit chain.

"without" replaces the chain's append with a no-op for that run (the code before the audit
trail did exactly the rest); "with" is the product as shipped. The floor: the chain must not
halve any of the three rates. Each phase runs `--concurrency` use cases in flight against a
fresh database; the chain is verified at the end of every "with" run.

    TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/audit.py --n 300 --concurrency 8
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pg_throughput import NOW, POLICY, _record
from billing_core.records import parse_record
from billing_core.store.audit_check import verify
from billing_core.store.engine import new_async_engine, new_sessionmaker, upgrade_database
from billing_core.store.repositories.history import History
from billing_core.store.unit_of_work import Store
from billing_core.usecases import Billing
from tests.pg import POSTGRES_URL, fresh_postgres_database


async def _no_audit(self: History, row: Any, action: Any) -> None:
    return None


async def _in_flight(jobs: Iterable[Callable[[], Awaitable[object]]], concurrency: int) -> float:
    """Run the jobs with `concurrency` in flight; the seconds it took."""
    queue = list(jobs)
    started = time.perf_counter()

    async def worker() -> None:
        while queue:
            await queue.pop()()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def _run(url: str, n: int, concurrency: int, *, chained: bool) -> dict[str, float]:
    original = History._audit
    if not chained:
        History._audit = _no_audit  # type: ignore[method-assign]
    engine = new_async_engine(url)
    try:
        await upgrade_database(engine)
        store = Store(new_sessionmaker(engine))
        billing = Billing(store, POLICY)
        await billing.records.import_records([parse_record(_record(i)) for i in range(n)], NOW)
        ids: list[int] = []

        async def draft(i: int) -> None:
            ids.append((await billing.drafting.start_draft(f"P-{i}", "U0DRAFTER", NOW)).state.id)

        numbers: list[str] = []

        async def approve(invoice_id: int) -> None:
            numbers.append(
                str((await billing.drafting.approve(invoice_id, "U0APPROVER", NOW)).number)
            )

        rates = {
            "drafts": n / await _in_flight((lambda i=i: draft(i) for i in range(n)), concurrency)
        }
        rates["approvals"] = n / await _in_flight(
            (lambda i=i: approve(i) for i in ids), concurrency
        )
        pay = (lambda x=x: billing.settlement.record_payment(x, "U0OWNER", NOW) for x in numbers)
        rates["payments"] = n / await _in_flight(pay, concurrency)
        if chained:
            broken = await verify(store, None)
            assert broken is None, broken
        return rates
    finally:
        History._audit = original  # type: ignore[method-assign]
        await engine.dispose()


@asynccontextmanager
async def _sqlite() -> Any:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite+aiosqlite:///{folder}/bench.db"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    backends: list[tuple[str, Callable[[], AbstractAsyncContextManager[str]]]] = [
        ("sqlite", _sqlite)
    ]
    if POSTGRES_URL:
        backends.append(("postgresql", fresh_postgres_database))
    else:
        print("postgresql: skipped (set TEST_POSTGRES_URL)")
    for name, database in backends:
        results = {}
        for chained in (False, True):
            async with database() as url:
                results[chained] = await _run(url, args.n, args.concurrency, chained=chained)
        for what in ("drafts", "approvals", "payments"):
            before, after = results[False][what], results[True][what]
            verdict = "ok" if after >= before / 2 else "BELOW FLOOR (halved)"
            print(
                f"{name:10} {what:9} without chain {before:7.1f}/s  with chain {after:7.1f}/s"
                f"  ({after / before:5.0%})  floor 50%: {verdict}"
            )


if __name__ == "__main__":
    asyncio.run(main())
