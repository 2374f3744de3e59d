"""Database URLs, as far as they can be read without SQLAlchemy (whose import alone is about
0.2 s of a cold CLI command): the default, and what a plain SQLite file URL names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///invoicebot.db"
DEFAULT_BUSY_TIMEOUT = 30.0  # seconds a SQLite writer waits for the lock

# `sqlite+aiosqlite:///FILE`, optionally `?timeout=SECONDS`: what settings.py and the README
# give. Anything else (PostgreSQL, :memory:, `file:` URIs, other query options) is left to
# SQLAlchemy's make_url.
_SQLITE_FILE = re.compile(
    r"sqlite\+aiosqlite:///(?P<database>[^?]+)(?:\?timeout=(?P<timeout>[0-9]+(?:\.[0-9]+)?))?"
)


@dataclass(frozen=True)
class SqliteFile:
    """A SQLite database file: its absolute path (a relative one is taken from the current
    folder, as SQLAlchemy's SQLite dialect does) and the busy timeout in seconds."""

    path: Path
    busy_timeout: float


def sqlite_file(url: str) -> SqliteFile | None:
    """The file a plain SQLite URL names, or None for any other URL. Where both answer, the
    database is the one SQLAlchemy's `make_url(url).database` names (tests/store check it)."""
    match = _SQLITE_FILE.fullmatch(url)
    if match is None:
        return None
    database = unquote(match["database"])
    if database == ":memory:" or database.startswith("file:"):
        return None
    timeout = float(match["timeout"]) if match["timeout"] else DEFAULT_BUSY_TIMEOUT
    return SqliteFile(Path(database).absolute(), timeout)
