"""`invoicebot draft` reads its record straight from the SQLite file (direct_read.py): what it
reads is what the store reads, and whenever the store is needed (no file yet, an old schema,
not SQLite, not a database) it says so instead of answering."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from billing_core.records import parse_record
from billing_core.store.direct_read import NotDirectlyReadable, read_record
from billing_core.store.engine import new_async_engine, new_sessionmaker, upgrade_database
from billing_core.store.unit_of_work import Store
from billing_core.store.urls import DEFAULT_BUSY_TIMEOUT, sqlite_file

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


async def stored(url: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Store `records` through the store; what its repository reads back, by ID."""
    engine = new_async_engine(url)
    try:
        await upgrade_database(engine)
        store = Store(new_sessionmaker(engine))
        async with store.unit_of_work() as uow:
            await uow.records.upsert_many([parse_record(r) for r in records], NOW)
        async with store.unit_of_work(read_only=True) as uow:
            return {r["id"]: await uow.records.get(r["id"]) for r in records}
    finally:
        await engine.dispose()


async def test_reads_what_the_store_reads(
    tmp_path: Path, record_data: Callable[..., dict[str, Any]]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/billing.db"
    records = [
        record_data(),
        # A lead with fields missing, and text and amounts that must survive exactly.
        record_data(id="L-1", kind="lead", due_date=None, completed_at=None, scope_ref=None),
        record_data(
            id="P-9",
            title="Relaunch «Ωmega» — 𝟏 Straße",
            line_items=[
                {"description": "Ж € ½", "quantity": "0.125", "unit_price": "1234567.89",
                 "tax_rate": "7"},
                {"description": "Rabatt", "quantity": "1", "unit_price": "-0.01",
                 "tax_rate": "0"},
            ],
        ),
    ]  # fmt: skip
    through_store = await stored(url, records)
    for record_id, record in through_store.items():
        assert record is not None
        assert read_record(url, record_id) == record
    assert read_record(url, "P-404") is None


def test_a_database_that_does_not_exist_is_left_to_the_store_and_not_created(
    tmp_path: Path,
) -> None:
    with pytest.raises(NotDirectlyReadable):
        read_record(f"sqlite+aiosqlite:///{tmp_path}/new.db", "P-123")
    assert list(tmp_path.iterdir()) == []


async def test_a_schema_not_at_the_head_is_left_to_the_store_to_migrate(
    tmp_path: Path, record_data: Callable[..., dict[str, Any]]
) -> None:
    path = tmp_path / "billing.db"
    url = f"sqlite+aiosqlite:///{path}"
    await stored(url, [record_data()])
    assert read_record(url, "P-123") is not None
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    connection.close()
    with pytest.raises(NotDirectlyReadable):
        read_record(url, "P-123")


@pytest.mark.parametrize("content", [b"", b"this is not a database, it is a text file\n" * 200])
def test_a_file_without_our_schema_is_left_to_the_store(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "x.db").write_bytes(content)
    with pytest.raises(NotDirectlyReadable):
        read_record(f"sqlite+aiosqlite:///{tmp_path}/x.db", "P-123")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///x.db?mode=ro",
    ],
)
def test_urls_other_than_a_plain_sqlite_file_are_left_to_the_store(url: str) -> None:
    assert sqlite_file(url) is None
    with pytest.raises(NotDirectlyReadable):
        read_record(url, "P-123")


@pytest.mark.parametrize(
    ("url", "timeout"),
    [
        ("sqlite+aiosqlite:///invoicebot.db", DEFAULT_BUSY_TIMEOUT),
        ("sqlite+aiosqlite:////var/lib/invoicebot/x.db", DEFAULT_BUSY_TIMEOUT),
        ("sqlite+aiosqlite:///data/x.db?timeout=5", 5.0),
        ("sqlite+aiosqlite:///my%20invoices.db?timeout=0.5", 0.5),
    ],
)
def test_a_plain_sqlite_url_names_the_file_sqlalchemy_opens(url: str, timeout: float) -> None:
    found = sqlite_file(url)
    assert found is not None
    assert found.path == Path(str(make_url(url).database)).absolute()
    assert found.busy_timeout == timeout
