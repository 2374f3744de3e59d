"""`invoicebot db backup FILE`: a consistent copy of the embedded SQLite store while it runs.

SQLite's `VACUUM INTO` (3.27+) copies the database as one read transaction sees it: in WAL
mode writers go on meanwhile, and the copy holds every committed invoice and number counter
of that moment (so numbering continues from it after a restore). PostgreSQL has its own tool
for this (`pg_dump`); the store does not imitate it.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from billing_core.errors import BillingError
from billing_core.store.engine import is_sqlite
from billing_core.store.urls import DEFAULT_BUSY_TIMEOUT


class BackupRefused(BillingError):
    """Nothing was written: the target exists, the store is not a SQLite file, or the folder
    is missing."""


def sqlite_path(url: str) -> Path:
    """The database file of a SQLite URL; BackupRefused for PostgreSQL or an in-memory one."""
    if not is_sqlite(url):
        raise BackupRefused(
            "db backup copies the embedded SQLite store; for PostgreSQL use pg_dump "
            "(e.g. `pg_dump --format=custom --file=invoicebot.dump DBNAME`), which takes a "
            "consistent snapshot while the bot runs"
        )
    database = make_url(url).database
    if database in (None, "", ":memory:"):
        raise BackupRefused("the database is in memory: there is no file to back up")
    return Path(database)


async def backup_sqlite(url: str, target: Path) -> Path:
    """Copy the SQLite store of `url` to `target` (a new file); returns the source path.

    Raises BackupRefused when `target` exists (never overwritten), its folder is missing, or
    the source is not a SQLite file; sqlite3.Error when SQLite fails.
    """
    source = sqlite_path(url)
    await asyncio.to_thread(_vacuum_into, source, target)
    return source


def _vacuum_into(source: Path, target: Path) -> None:
    if not target.name:
        raise BackupRefused("name the backup file: invoicebot db backup FILE")
    if os.path.lexists(target):  # a dangling symlink too: SQLite would follow it
        raise BackupRefused(f"{target} already exists; db backup never overwrites a file")
    if not target.parent.is_dir():
        raise BackupRefused(f"cannot write {target}: no folder {target.parent}")
    if not source.is_file():
        raise BackupRefused(f"no database file at {source} (DATABASE_URL)")
    # mode=ro: the backup never writes to the live store. VACUUM INTO itself refuses a target
    # that appeared meanwhile (it must not exist or be empty), so a race cannot clobber one.
    connection = sqlite3.connect(
        f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=DEFAULT_BUSY_TIMEOUT,
        isolation_level=None,
    )  # fmt: skip
    try:
        connection.execute("VACUUM INTO ?", (str(target),))
    finally:
        connection.close()
