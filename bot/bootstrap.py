"""The composition root: builds the engine, store, billing service and PDF renderer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from billing_core.errors import ConfigError
from billing_core.service import Billing
from billing_core.store.engine import (
    database_is_current,
    is_sqlite,
    new_async_engine,
    new_sessionmaker,
    upgrade_database,
)
from billing_core.store.repository import Store
from bot.settings import Settings

if TYPE_CHECKING:
    from billing_core.pdf import PdfRenderer


def utc_now() -> datetime:
    """The one clock read of the application; everything below takes `now` as an argument."""
    return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    billing: Billing
    renderer: PdfRenderer | None = None

    async def close(self) -> None:
        if self.renderer is not None:
            # Joining worker processes blocks: keep it off the event loop.
            await asyncio.to_thread(self.renderer.close)
        await self.engine.dispose()


async def open_database(settings: Settings) -> AsyncEngine:
    """An engine with the schema current: SQLite upgrades itself; PostgreSQL must be upgraded
    with `invoicebot db upgrade` (so replicas never race a migration at start)."""
    engine = new_async_engine(settings.database_url)
    try:
        if is_sqlite(settings.database_url):
            await upgrade_database(engine)
        elif not await database_is_current(engine):
            raise ConfigError(
                "the database schema is not current: run `invoicebot db upgrade` first"
            )
    except Exception:
        await engine.dispose()
        raise
    return engine


async def build(settings: Settings, *, with_renderer: bool = False, workers: int = 2) -> Container:
    engine = await open_database(settings)
    billing = Billing(Store(new_sessionmaker(engine)), settings.policy)
    renderer = None
    if with_renderer:
        from billing_core.pdf import PdfRenderer

        renderer = PdfRenderer(max_workers=workers)
    return Container(settings, engine, billing, renderer)
