"""Approvals per second on SQLite and on PostgreSQL with 1 and 2 replicas.

Each replica is a separate process with its own engine (as two `serve` processes would be),
approving its share of the drafts with `--concurrency` approvals in flight. Afterwards the
numbers are checked: 1..N, no gap, no duplicate.

    .venv/bin/python bench/pg_throughput.py                 # 1000 approvals per setup
    .venv/bin/python bench/pg_throughput.py --n 200 --pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

PostgreSQL runs are skipped (and say so) when --pg-url (default TEST_POSTGRES_URL or the local
server) does not answer.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from billing_core.policy import ApprovalPolicy, Policy
from billing_core.records import parse_record
from billing_core.store.engine import new_async_engine, new_sessionmaker, upgrade_database
from billing_core.store.unit_of_work import Store
from billing_core.usecases import Billing

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
POLICY = Policy(approval=ApprovalPolicy(approvers=("U0APPROVER",), four_eyes_threshold=None))


def _record(n: int) -> dict[str, object]:
    return {
        "id": f"P-{n}",
        "owner": "U0OWNER",
        "client": {"name": "Müller & Søn GmbH", "email": "ap@example.com"},
        "currency": "EUR",
        "due_date": "2026-12-01",
        "line_items": [
            {"description": "Design", "quantity": "10", "unit_price": "120.00", "tax_rate": "19"}
        ],
    }


async def _prepare(url: str, n: int) -> list[int]:
    engine = new_async_engine(url)
    await upgrade_database(engine)
    billing = Billing(Store(new_sessionmaker(engine)), POLICY)
    await billing.records.import_records([parse_record(_record(i)) for i in range(n)], NOW)
    ids = []
    for i in range(n):
        ids.append((await billing.drafting.start_draft(f"P-{i}", "U0DRAFTER", NOW)).state.id)
    await engine.dispose()
    return ids


async def _approve_all(url: str, ids: list[int], concurrency: int) -> float:
    engine = (
        new_async_engine(url, pool_size=concurrency)
        if "postgresql" in url
        else new_async_engine(url)
    )
    billing = Billing(Store(new_sessionmaker(engine)), POLICY)
    gate = asyncio.Semaphore(concurrency)

    async def one(invoice_id: int) -> None:
        async with gate:
            await billing.drafting.approve(invoice_id, "U0APPROVER", NOW)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in ids))
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


def _replica(url: str, ids: list[int], concurrency: int, start: multiprocessing.Event, out) -> None:  # type: ignore[no-untyped-def]
    start.wait()
    out.put(asyncio.run(_approve_all(url, ids, concurrency)))


async def _check_numbers(url: str, ids: list[int]) -> str:
    engine = new_async_engine(url)
    billing = Billing(Store(new_sessionmaker(engine)), POLICY)
    numbers = sorted([(await billing.queries.invoice(i)).number or "" for i in ids])
    await engine.dispose()
    expected = sorted(f"INV-2026-{k:04d}" for k in range(1, len(ids) + 1))
    return "ok: 1..N, no gap, no duplicate" if numbers == expected else "WRONG NUMBERS"


def run(url: str, n: int, replicas: int, concurrency: int) -> tuple[float, str]:
    ids = asyncio.run(_prepare(url, n))
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    shares = [ids[r::replicas] for r in range(replicas)]
    processes = [
        context.Process(target=_replica, args=(url, share, concurrency, start, out))
        for share in shares
    ]
    for process in processes:
        process.start()
    time.sleep(1.5)  # let the processes import and connect before the clock starts
    began = time.perf_counter()
    start.set()
    for process in processes:
        process.join()
    wall = time.perf_counter() - began
    [out.get() for _ in processes]
    return n / wall, asyncio.run(_check_numbers(url, ids))


async def _pg_database(server: str) -> str | None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(server)
    try:
        admin = await asyncio.wait_for(
            asyncpg.connect(
                user=url.username, host=url.host, port=url.port or 5432, database="postgres"
            ),
            5,
        )
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        print(f"PostgreSQL at {server} does not answer ({exc}); skipping PostgreSQL runs")
        return None
    name = f"inv_bench_{secrets.token_hex(4)}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def _drop(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = await asyncpg.connect(
        user=parsed.username, host=parsed.host, port=parsed.port or 5432, database="postgres"
    )
    await admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="approvals per setup")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="approvals in flight per replica"
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    print(
        f"{args.n} approvals per setup, {args.concurrency} in flight per replica, "
        f"{os.cpu_count()} cores"
    )
    print(f"{'setup':<28} {'approvals/s':>12}  numbers")
    with tempfile.TemporaryDirectory() as tmp:
        rate, check = run(f"sqlite+aiosqlite:///{tmp}/bench.db", args.n, 1, args.concurrency)
        print(f"{'SQLite, 1 process':<28} {rate:>12.0f}  {check}")
    for replicas in (1, 2):
        url = asyncio.run(_pg_database(args.pg_url))
        if url is None:
            break
        try:
            rate, check = run(url, args.n, replicas, args.concurrency)
            print(f"{f'PostgreSQL, {replicas} replica(s)':<28} {rate:>12.0f}  {check}")
        finally:
            asyncio.run(_drop(url))


if __name__ == "__main__":
    main()
