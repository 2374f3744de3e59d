"""The composition root: builds the engine, store, billing use cases and PDF renderer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from billing_core.store.engine import new_async_engine, new_sessionmaker, upgrade_database
from billing_core.store.unit_of_work import Store
from billing_core.usecases import Billing
from billing_core.usecases import documents as documents_case
from billing_core.usecases.engine import Subscribers
from bot.settings import Settings
from handlers.names import SLACK_CONSUMER

if TYPE_CHECKING:
    from billing_core.pdf import PdfRenderer

# Who hears of what happened: the document renderer of approvals, and the Slack thread of
# everything. A new adapter (e-mail, say) is one more name here and a worker of its own.
# The Slack name comes without the Slack client, which offline CLI commands never load.
SUBSCRIBERS: Subscribers = {
    documents_case.CONSUMER: documents_case.SUBSCRIPTION,
    SLACK_CONSUMER: None,
}


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    store: Store
    billing: Billing
    renderer: PdfRenderer | None = None

    async def close(self) -> None:
        if self.renderer is not None:
            # Joining worker processes blocks: keep it off the event loop.
            await asyncio.to_thread(self.renderer.close)
        await self.engine.dispose()


async def open_database(settings: Settings) -> AsyncEngine:
    """An engine with the schema current. Migrations run under a lock (SQLite's write lock,
    a PostgreSQL advisory lock), so replicas starting together apply them once."""
    engine = new_async_engine(settings.database_url)
    try:
        await upgrade_database(engine)
    except Exception:
        await engine.dispose()
        raise
    return engine


async def build(settings: Settings, *, with_renderer: bool = False, workers: int = 2) -> Container:
    engine = await open_database(settings)
    store = Store(new_sessionmaker(engine))
    renderer = None
    if with_renderer:
        from billing_core.pdf import PdfRenderer

        renderer = PdfRenderer(max_workers=workers)
    billing = Billing(store, settings.policy, subscribers=SUBSCRIBERS, renderer=renderer)
    return Container(settings, engine, store, billing, renderer)
