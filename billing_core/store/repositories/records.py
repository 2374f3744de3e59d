"""Lead and project records, stored as their public JSON shape."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from billing_core.records import Record, parse_record, record_to_json
from billing_core.store.models import RecordRow
from billing_core.store.repositories.base import Repository


class RecordRepository(Repository):
    async def get(self, record_id: str, *, lock: bool = False) -> Record | None:
        """The record; `lock=True` holds its row until commit (one draft at a time)."""
        if lock:
            query = select(RecordRow).where(RecordRow.id == record_id).with_for_update()
            row = (await self.session.execute(query)).scalar_one_or_none()
        else:
            row = await self.session.get(RecordRow, record_id)
        return parse_record(row.data) if row else None

    async def upsert_many(self, records: Sequence[Record], now: datetime) -> int:
        """Insert or replace many records (IDs unique), 500 per statement; returns how many
        were new. Linear in the number of records: a file of 100,000 is 400 statements."""
        created = 0
        for start in range(0, len(records), 500):
            batch = records[start : start + 500]
            rows = [_values(r, now) for r in batch]
            inserted = await self.session.execute(
                self.insert(RecordRow)
                .values(
                    [
                        {**row, "id": r.id, "created_at": now}
                        for r, row in zip(batch, rows, strict=True)
                    ]
                )
                .on_conflict_do_nothing(index_elements=["id"])
                .returning(RecordRow.id)
            )
            new = {record_id for (record_id,) in inserted}
            created += len(new)
            existing = [
                {**row, "id": r.id} for r, row in zip(batch, rows, strict=True) if r.id not in new
            ]
            if existing:
                await self.session.execute(update(RecordRow), existing)
        return created

    async def count(self) -> int:
        return int((await self.session.execute(select(func.count(RecordRow.id)))).scalar_one())

    async def upsert(self, record: Record, now: datetime) -> bool:
        """Insert or replace the record; True when it was new."""
        values = _values(record, now)
        # Insert-if-absent first, atomically, so two concurrent upserts of a new ID cannot
        # both report "created".
        inserted = await self.session.execute(
            self.insert(RecordRow)
            .values(id=record.id, created_at=now, **values)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(RecordRow.id)
        )
        if inserted.first() is not None:
            return True
        await self.session.execute(
            update(RecordRow).where(RecordRow.id == record.id).values(**values)
        )
        return False


def _values(record: Record, now: datetime) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "title": record.title,
        "owner": record.owner,
        "data": record_to_json(record),
        "updated_at": now,
    }
