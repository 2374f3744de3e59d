"""What the first delivery of a request answered, so a repeat gets the same answer.

The key itself is claimed by the use case that makes the change (`engine.claim_request`),
in the change's own transaction; a repeat raises AlreadyHandled. The adapter then stores
what it told the person here, and replays it for the repeat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from billing_core.usecases.engine import Engine


class Requests:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def save_reply(self, key: str, reply: Mapping[str, Any]) -> None:
        async with self.engine.store.unit_of_work() as uow:
            await uow.requests.save_reply(key, reply)

    async def reply(self, key: str, wait_seconds: float = 5.0) -> dict[str, Any] | None:
        """The stored answer to request `key`, waiting up to `wait_seconds` for the first
        delivery to finish answering; None when there is none (yet)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while True:
            async with self.engine.store.unit_of_work(read_only=True) as uow:
                handled = await uow.requests.get(key)
            if handled is not None and handled.reply is not None:
                return handled.reply
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(0.05)
