"""Records: importing files, the REST upsert, reading a record with its invoices."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from billing_core.errors import ImportFailed, RecordNotFound
from billing_core.records import Record
from billing_core.state import InvoiceState
from billing_core.usecases.engine import Engine


@dataclass(frozen=True)
class RecordOverview:
    record: Record
    invoices: list[InvoiceState]


class Records:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def import_records(self, records: Sequence[Record], now: datetime) -> tuple[int, int]:
        """Upsert all records in one transaction (all or nothing); returns (created, updated).
        Raises ImportFailed naming every ID that appears more than once."""
        duplicates = sorted(i for i, n in Counter(r.id for r in records).items() if n > 1)
        if duplicates:
            raise ImportFailed([f"record {i}: appears more than once" for i in duplicates])
        async with self.engine.store.unit_of_work() as uow:
            created = await uow.records.upsert_many(records, now)
        return created, len(records) - created

    async def put(self, record: Record, now: datetime) -> bool:
        """Insert or replace one record; True when it was new."""
        async with self.engine.store.unit_of_work() as uow:
            return await uow.records.upsert(record, now)

    async def count(self) -> int:
        """How many records the store has."""
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            return await uow.records.count()

    async def get(self, record_id: str) -> Record:
        """The record, or RecordNotFound."""
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            record = await uow.records.get(record_id)
        if record is None:
            raise RecordNotFound(record_id)
        return record

    async def overview(self, record_id: str) -> RecordOverview:
        """The record and its invoices, oldest first, or RecordNotFound."""
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            record = await uow.records.get(record_id)
            if record is None:
                raise RecordNotFound(record_id)
            return RecordOverview(record, await uow.invoices.for_record(record_id))
