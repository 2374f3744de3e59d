"""A fresh PostgreSQL database per test, on the server named by TEST_POSTGRES_URL."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.engine import make_url

from tests.requirements import unavailable

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
SKIP_REASON = (
    "PostgreSQL tests need TEST_POSTGRES_URL (postgresql+asyncpg://...); scripts/test sets it"
)


async def _admin(url: Any) -> Any:
    import asyncpg

    return await asyncpg.connect(
        user=url.username,
        password=url.password,
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        database="postgres",
    )


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """CREATE DATABASE inv_test_<random>; yield its SQLAlchemy URL; DROP it afterwards.
    Skips the test when no server is configured."""
    if not POSTGRES_URL:
        unavailable(SKIP_REASON)
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
