"""Where an adapter talks about each invoice (table `conversations`, see its model).

No use case reads this: it is the chat adapter's memory of its thread (channel, thread, the
message with the buttons, the files it shared), kept apart from the invoice so the engine
knows no delivery channel. Each call is a short transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from billing_core.store.models import ConversationRow

if TYPE_CHECKING:
    from billing_core.store.unit_of_work import Store


@dataclass(frozen=True)
class Conversation:
    adapter: str
    invoice_id: int
    workspace: str | None = None
    channel: str | None = None
    thread: str | None = None
    actions_message: str | None = None
    posted: dict[str, str] = field(default_factory=dict)  # what was shared: {"final_pdf": id}

    @property
    def started(self) -> bool:
        """True once the thread exists (its first message was posted)."""
        return bool(self.channel and self.thread)

    def with_posted(self, what: str, external_id: str) -> Conversation:
        return replace(self, posted={**self.posted, what: external_id})


class Conversations:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def get(self, adapter: str, invoice_id: int) -> Conversation | None:
        async with self._store.unit_of_work(read_only=True) as uow:
            row = await self._row(uow.session, adapter, invoice_id)
            return _conversation(row) if row else None

    async def many(self, adapter: str, invoice_ids: list[int]) -> dict[int, Conversation]:
        """The conversations of these invoices that exist, by invoice id."""
        if not invoice_ids:
            return {}
        query = select(ConversationRow).where(
            ConversationRow.adapter == adapter, ConversationRow.invoice_id.in_(invoice_ids)
        )
        async with self._store.unit_of_work(read_only=True) as uow:
            rows = (await uow.session.execute(query)).scalars()
            return {row.invoice_id: _conversation(row) for row in rows}

    async def save(self, conversation: Conversation, now: datetime) -> None:
        """Insert or update (one conversation per adapter and invoice)."""
        values: dict[str, Any] = {
            "workspace": conversation.workspace,
            "channel": conversation.channel,
            "thread": conversation.thread,
            "actions_message": conversation.actions_message,
            "posted": dict(conversation.posted),
            "updated_at": now,
        }
        async with self._store.unit_of_work() as uow:
            session = uow.session
            inserted = await session.execute(
                uow.invoices.insert(ConversationRow)
                .values(adapter=conversation.adapter, invoice_id=conversation.invoice_id, **values)
                .on_conflict_do_nothing(index_elements=["adapter", "invoice_id"])
            )
            if inserted.rowcount != 1:  # type: ignore[attr-defined]
                await session.execute(
                    update(ConversationRow)
                    .where(
                        ConversationRow.adapter == conversation.adapter,
                        ConversationRow.invoice_id == conversation.invoice_id,
                    )
                    .values(**values)
                )

    @staticmethod
    async def _row(session: Any, adapter: str, invoice_id: int) -> ConversationRow | None:
        query = select(ConversationRow).where(
            ConversationRow.adapter == adapter, ConversationRow.invoice_id == invoice_id
        )
        row: ConversationRow | None = (await session.execute(query)).scalar_one_or_none()
        return row


def _conversation(row: ConversationRow) -> Conversation:
    return Conversation(
        row.adapter, row.invoice_id, row.workspace, row.channel, row.thread,
        row.actions_message, dict(row.posted or {}),
    )  # fmt: skip
