"""`invoicebot audit verify` exits 0 on an intact trail and 1 naming the first broken event;
`invoicebot audit export` gives an auditor the events of the days asked for (both included)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from billing_core.policy import Policy
from tests.cli.helpers import run
from tests.cli.test_db_backup import approve_records

COLUMNS = "id,at,kind,invoice_id,invoice_number,actor,payload,prev_hash,hash"


def test_verify_passes_then_names_the_deleted_event(
    tmp_path: Path,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    policy: Policy,
    record_data: Callable[..., dict[str, Any]],
) -> None:
    asyncio.run(approve_records(db_url, policy, record_data, "P-1", "P-2"))
    assert run(capsys, "audit", "verify") == (0, "audit: the chain holds\n", "")
    with sqlite3.connect(tmp_path / "x.db") as db:
        db.execute("DELETE FROM audit_events WHERE id = 3")
    assert run(capsys, "audit", "verify") == (1, "audit: event 3 deleted\n", "")


def test_export_lists_the_days_events_as_csv_and_json(
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    policy: Policy,
    record_data: Callable[..., dict[str, Any]],
) -> None:
    numbers = asyncio.run(approve_records(db_url, policy, record_data, "P-1", "P-2"))
    code, out, _ = run(capsys, "audit", "export", "--from", "2026-11-25", "--to", "2026-11-25")
    assert code == 0
    assert out.splitlines()[0] == COLUMNS
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["kind"], r["invoice_number"]) for r in rows] == [
        ("drafted", numbers[0]),
        ("approved", numbers[0]),
        ("drafted", numbers[1]),
        ("approved", numbers[1]),
    ]
    assert json.loads(rows[1]["payload"])["number"] == numbers[0]
    code, out, _ = run(
        capsys, "audit", "export", "--from", "2026-11-26", "--to", "2026-11-30", "--format", "json"
    )
    assert (code, json.loads(out)) == (0, [])
    code, _, err = run(capsys, "audit", "export", "--from", "2026-11-26", "--to", "2026-11-25")
    assert code == 2 and "--to 2026-11-25 is before --from 2026-11-26" in err  # usage
