"""Store tests run on SQLite always and on PostgreSQL when TEST_POSTGRES_URL is set.

Each PostgreSQL test gets its own database (CREATE DATABASE inv_test_<random>), dropped after.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from billing_core.policy import Policy
from billing_core.records import parse_record
from billing_core.state import InvoiceState
from billing_core.store.engine import new_async_engine, new_sessionmaker, upgrade_database
from billing_core.store.unit_of_work import Store
from billing_core.usecases import Billing
from tests.pg import fresh_postgres_database


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/billing.db"
        return
    async with fresh_postgres_database() as url:
        yield url


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
        await billing.records.put(parse_record(record_data(id=record_id, **changes)), now)
        return (await billing.drafting.start_draft(record_id, by, now)).state

    return make
