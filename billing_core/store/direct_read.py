"""One record read straight from a SQLite file with the standard library's sqlite3, for a
one-off command that reads and renders it (`invoicebot draft`).

Through the store, that read imports SQLAlchemy, builds its ORM mappings, loads aiosqlite and
the use cases and starts an event loop: about 0.5 s of the 1.0 s of CPU a cold `draft` took,
where a reportlab script drawing the same invoice takes 0.12 s (bench/render.py). Here it is
the one SELECT the store's RecordRepository.get makes, decoded the same way (the JSON column
is JSON text on SQLite; `parse_record` as there).

It answers only when nothing but reading is needed, and otherwise raises NotDirectlyReadable
for the caller to go through the store instead: a URL that is not a plain SQLite file, a file
that does not exist yet or is not a database, a schema not at the migrations' head (the store
creates or migrates it first), or any SQLite error (the store's path reports it as every
command does). tests/store check that both reads give the same records.
"""

from __future__ import annotations

import json
import sqlite3

from billing_core.records import Record, parse_record
from billing_core.store.schema_version import head_revisions
from billing_core.store.urls import sqlite_file


class NotDirectlyReadable(Exception):
    """Only the store can answer: it may have to create or migrate the schema, or report an
    error the way every command does."""


def read_record(database_url: str, record_id: str) -> Record | None:
    """The record with `record_id`, None when there is none; raises NotDirectlyReadable
    (see the module's docstring). Opens the existing file, never creates one, writes nothing."""
    database = sqlite_file(database_url)
    if database is None:
        raise NotDirectlyReadable(f"not a plain SQLite file URL: {database_url!r}")
    try:
        # mode=rw: an existing file only (the store creates a new one, with its schema).
        connection = sqlite3.connect(
            database.path.as_uri() + "?mode=rw",
            uri=True,
            timeout=database.busy_timeout,
            isolation_level=None,  # statements as written, the transaction below included
        )
    except sqlite3.Error as exc:
        raise NotDirectlyReadable(str(exc)) from exc
    try:
        # One read transaction for both SELECTs, so the version read is the schema the record
        # is read from. Under WAL a reader takes no lock and never waits for a writer.
        connection.execute("BEGIN")
        applied = {v for (v,) in connection.execute("SELECT version_num FROM alembic_version")}
        if applied != head_revisions():
            raise NotDirectlyReadable(f"schema {sorted(applied)} is not the current one")
        row = connection.execute("SELECT data FROM records WHERE id = ?", (record_id,)).fetchone()
        connection.execute("COMMIT")
    except sqlite3.Error as exc:
        raise NotDirectlyReadable(str(exc)) from exc
    finally:
        connection.close()
    return parse_record(json.loads(row[0])) if row is not None else None
