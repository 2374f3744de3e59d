"""`invoicebot audit verify` and `invoicebot audit export`: what an auditor runs and receives.

Export columns (CSV header, JSON keys): id, at (UTC, ISO 8601), kind, invoice_id,
invoice_number, actor, payload (canonical JSON), prev_hash, hash.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date, datetime, time, timedelta

from billing_core.audit import canonical_json
from billing_core.store.audit_check import export, verify
from billing_core.store.repositories.audit import audit_key
from bot.bootstrap import build
from bot.settings import Settings

EXPORT_COLUMNS = (
    "id",
    "at",
    "kind",
    "invoice_id",
    "invoice_number",
    "actor",
    "payload",
    "prev_hash",
    "hash",
)


async def run_verify(settings: Settings) -> int:
    """Exit 0 and say so when the trail holds; 1 with the first broken thing named."""
    container = await build(settings)
    try:
        broken = await verify(container.store, audit_key())
    finally:
        await container.close()
    if broken:
        print(broken)
        return 1
    print("audit: the chain holds")
    return 0


async def run_export(settings: Settings, first: date, last: date, fmt: str) -> int:
    """Events from the start of `first` to the end of `last` (both included) in the business
    time zone, as CSV (default) or a JSON array, on stdout."""
    zone = settings.policy.reminders.zone
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0), zone)
    container = await build(settings)
    try:
        rows = await export(container.store, start, end)
    finally:
        await container.close()
    records = [
        {
            "id": r.event.id,
            "at": r.event.at.isoformat(),
            "kind": r.event.kind,
            "invoice_id": r.event.invoice_id,
            "invoice_number": r.number,
            "actor": r.event.actor,
            "payload": canonical_json(dict(r.event.payload)).decode(),
            "prev_hash": r.event.prev_hash,
            "hash": r.event.hash,
        }
        for r in rows
    ]
    if fmt == "json":
        for record in records:
            record["payload"] = json.loads(str(record["payload"]))
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
        return 0
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    writer.writerows(records)
    sys.stdout.write(buffer.getvalue())
    return 0
