"""What every repository shares: the session, and dialect-aware INSERT ... ON CONFLICT."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        bind = self.session.bind
        return bind.dialect.name if bind is not None else ""

    def insert(self, model: Any) -> Any:
        """INSERT with `.on_conflict_do_nothing/update` on either backend."""
        return (pg_insert if self.dialect == "postgresql" else sqlite_insert)(model)


def rowcount(result: Any) -> int:
    """Rows an UPDATE or DELETE touched (SQLAlchemy types it on CursorResult only)."""
    return int(result.rowcount)
