"""Records: importing files, the REST upsert, reading a record with its invoices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from billing_core.errors import ImportFailed, RecordNotFound
from billing_core.records import Record
from billing_core.state import InvoiceState
from billing_core.usecases.engine import Engine


@dataclass(frozen=True)
class RecordOverview:
    record: Record
    invoices: list[InvoiceState]


# Records per upsert statement batch (and the most a streamed import holds at once).
IMPORT_BATCH = 500


class Records:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def import_records(self, records: Iterable[Record], now: datetime) -> tuple[int, int]:
        """Upsert all records in one transaction (all or nothing); returns (created, updated).

        `records` may be a generator (`importing.iter_records_file`): it is consumed 500 at a
        time, so memory stays bounded by a batch, and anything it raises (the file's
        problems) rolls the whole import back. Raises ImportFailed naming every ID that
        appears more than once."""
        created = total = 0
        seen: set[str] = set()
        duplicates: set[str] = set()
        source = iter(records)
        async with self.engine.store.unit_of_work() as uow:
            while batch := list(islice(source, IMPORT_BATCH)):
                for record in batch:
                    if record.id in seen:
                        duplicates.add(record.id)
                    seen.add(record.id)
                if duplicates:
                    continue  # keep reading, to name every duplicate; nothing is kept
                created += await uow.records.upsert_many(batch, now)
                total += len(batch)
            if duplicates:
                raise ImportFailed(
                    [f"record {i}: appears more than once" for i in sorted(duplicates)]
                )
        return created, total - created

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
