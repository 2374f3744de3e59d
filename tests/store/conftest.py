"""Store tests run on SQLite always and on PostgreSQL when TEST_POSTGRES_URL is set.

Each PostgreSQL test gets its own database (CREATE DATABASE inv_test_<random>), dropped after.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from billing_core.policy import Policy
from billing_core.records import parse_record
from billing_core.service import Billing
from billing_core.state import InvoiceState
from billing_core.store.engine import new_async_engine, new_sessionmaker, upgrade_database
from billing_core.store.repository import Store

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")


async def _admin(url: Any) -> Any:
    import asyncpg

    return await asyncpg.connect(
        user=url.username,
        password=url.password,
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        database="postgres",
    )


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/billing.db"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL store tests need TEST_POSTGRES_URL (postgresql+asyncpg://...)")
    server = make_url(POSTGRES_URL)
    name = f"inv_test_{secrets.token_hex(6)}"
    admin = await _admin(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await _admin(server)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
async def billing(database_url: str, policy: Policy) -> AsyncIterator[Billing]:
    """A Billing on a fresh database of each backend (overrides the SQLite-only fixture)."""
    engine = new_async_engine(database_url)
    await upgrade_database(engine)
    service = Billing(Store(new_sessionmaker(engine)), policy)
    try:
        yield service
    finally:
        await engine.dispose()


NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def draft(
    billing: Billing, record_data: Callable[..., dict[str, Any]]
) -> Callable[..., Awaitable[InvoiceState]]:
    """`await draft("P-1", by="U0OWNER", **record_changes)`: store the record, draft it."""

    async def make(
        record_id: str = "P-123", by: str = "U0OWNER", now: datetime = NOW, **changes: Any
    ) -> InvoiceState:
        await billing.put_record(parse_record(record_data(id=record_id, **changes)), now)
        return (await billing.start_draft(record_id, by, now)).state

    return make
