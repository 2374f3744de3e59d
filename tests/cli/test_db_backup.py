"""`invoicebot db backup FILE`: a consistent copy of the running SQLite store, never over an
existing file; PostgreSQL is pointed to pg_dump."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from billing_core.policy import Policy
from billing_core.records import parse_record
from billing_core.store.engine import new_async_engine, new_sessionmaker, upgrade_database
from billing_core.store.unit_of_work import Store
from billing_core.usecases import Billing
from tests.cli.helpers import run
from tests.conftest import APPROVER

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


async def approve_records(url: str, policy: Policy, data: Any, *ids: str) -> list[str]:
    """Draft and approve each record on the store at `url`; the invoice numbers."""
    engine = new_async_engine(url)
    try:
        await upgrade_database(engine)
        billing = Billing(Store(new_sessionmaker(engine)), policy)
        numbers = []
        for record_id in ids:
            await billing.records.put(parse_record(data(id=record_id)), NOW)
            draft = (await billing.drafting.start_draft(record_id, "U0OWNER", NOW)).state
            numbers.append(str((await billing.drafting.approve(draft.id, APPROVER, NOW)).number))
        return numbers
    finally:
        await engine.dispose()


def test_backup_of_a_running_store_holds_the_invoices_and_numbering_continues(
    tmp_path: Path,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    policy: Policy,
    record_data: Callable[..., dict[str, Any]],
) -> None:
    # Another process keeps the store open, as the running bot does: the approvals stay in
    # the write-ahead log (no checkpoint at close), where a plain file copy would miss them.
    assert run(capsys, "db", "upgrade")[0] == 0
    writer = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    assert writer.execute("SELECT count(*) FROM invoices").fetchone() == (0,)
    assert asyncio.run(approve_records(db_url, policy, record_data, "P-1", "P-2")) == [
        "INV-2026-0001",
        "INV-2026-0002",
    ]
    # ... and it is writing meanwhile: its uncommitted change is not in the copy, and the
    # copy does not wait for it.
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE number_counters SET last_seq = 99")
    try:
        code, out, err = run(capsys, "db", "backup", "copy.db")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert (code, err) == (0, "") and "copy.db" in out

    copy = f"sqlite+aiosqlite:///{tmp_path}/copy.db"
    assert asyncio.run(approve_records(copy, policy, record_data, "P-3")) == ["INV-2026-0003"]
    rows = sqlite3.connect(tmp_path / "copy.db").execute(
        "SELECT number FROM invoices ORDER BY number"
    )
    assert [r[0] for r in rows] == ["INV-2026-0001", "INV-2026-0002", "INV-2026-0003"]


def test_backup_never_overwrites_an_existing_file(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    (tmp_path / "old.db").write_bytes(b"keep me")
    code, out, err = run(capsys, "db", "backup", "old.db")
    assert code == 2 and out == ""
    assert err == "invoicebot: old.db already exists; db backup never overwrites a file\n"
    assert (tmp_path / "old.db").read_bytes() == b"keep me"


def test_backup_onto_a_dangling_symlink_or_no_name_is_refused(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dangling link was followed by SQLite into a traceback; '' was taken as '.'."""
    assert run(capsys, "db", "upgrade")[0] == 0
    (tmp_path / "link.db").symlink_to(tmp_path / "elsewhere" / "target.db")
    code, _, err = run(capsys, "db", "backup", "link.db")
    assert code == 2 and "already exists" in err
    code, _, err = run(capsys, "db", "backup", "")
    assert code == 2 and "name the backup file" in err


def test_backup_on_postgresql_points_to_pg_dump(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bot@127.0.0.1:1/invoicebot")
    code, _, err = run(capsys, "db", "backup", "copy.db")
    assert code == 2 and "pg_dump" in err and err.count("\n") == 1
    assert not (tmp_path / "copy.db").exists()
