"""The one place that makes database engines and sessions, and runs migrations.

SQLite (the embedded default) is set up for safe concurrent writers: WAL, a busy timeout,
foreign keys on, and every writing transaction opened with BEGIN IMMEDIATE so two approvals
never deadlock upgrading a read lock (read-only units of work use a plain BEGIN and never
wait for a writer). PostgreSQL needs nothing special here: the store takes
row locks where it must.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from billing_core.errors import BillingError
from billing_core.store.schema_version import MIGRATIONS_DIR, head_revisions, known_revisions
from billing_core.store.urls import DEFAULT_BUSY_TIMEOUT

READ_ONLY = "invoicebot_read_only"  # execution option: a unit of work that only reads


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def new_async_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE."""
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(url, **kwargs)

    # How long a writer waits for another process's lock before giving up with StoreBusy
    # (seconds; `?timeout=5` in DATABASE_URL overrides the default).
    parsed = make_url(url)
    busy_timeout = float(parsed.query.get("timeout", DEFAULT_BUSY_TIMEOUT))  # type: ignore[arg-type]
    url = parsed.difference_update_query(["timeout"]).render_as_string(hide_password=False)
    engine = create_async_engine(url, connect_args={"timeout": busy_timeout}, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Readers (WAL) need no lock; writers take it at once, so two never deadlock.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def new_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade_sync(connection: Connection) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        # Two replicas starting at once must not both run the migrations.
        connection.execute(text("SELECT pg_advisory_xact_lock(727274)"))
    command.upgrade(_alembic_config(connection), "head")
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:  # checks were off during the migration: check them all now
            raise RuntimeError(f"a migration broke foreign keys: {broken[:5]}")


class SchemaUnknown(BillingError):
    """The database is at a schema revision no migration of this code knows (written by a
    newer invoicebot): nothing can be read or migrated safely."""


async def schema_is_current(engine: AsyncEngine) -> bool:
    """Whether the database is at the head of the migration chain (False if it has no
    schema yet). Reads only: no lock, and Alembic is not imported. Raises SchemaUnknown at a
    revision none of our migrations has."""
    try:
        async with engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})
            result = await conn.execute(text("SELECT version_num FROM alembic_version"))
            applied = set(result.scalars())
    except DBAPIError:  # no alembic_version table: a new database
        return False
    if applied == head_revisions():
        return True
    unknown = applied - known_revisions()
    if unknown:
        # No migration leads from a revision we do not know; Alembic's own CommandError ("Can't
        # locate revision identified by '9999'") came out of every command as a traceback.
        raise SchemaUnknown(
            f"cannot use the database: its schema version {', '.join(sorted(unknown))} is "
            f"not one this invoicebot knows (newest known: {', '.join(sorted(head_revisions()))}"
            "): a newer invoicebot wrote it; run that version, or a backup made by this one"
        )
    return False


async def upgrade_database(engine: AsyncEngine) -> None:
    """Apply every Alembic migration not yet applied (idempotent, safe to run concurrently).

    A database already at the head is only looked at (one SELECT), so commands that open the
    database on every run (the CLI) neither import Alembic nor take the migration lock.
    """
    if await schema_is_current(engine):
        return
    async with engine.connect() as conn:
        raw = None
        if conn.dialect.name == "sqlite":
            # SQLite alters a table by copying it and dropping the old one, which foreign keys
            # pointing at it forbid; the switch only works outside a transaction, so it is
            # flipped on the driver's connection before the migration's BEGIN, and every key
            # is checked before the migration commits (`_upgrade_sync`).
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None  # a live connection's driver object
            await raw.execute("PRAGMA foreign_keys=OFF")
        try:
            async with conn.begin():
                await conn.run_sync(_upgrade_sync)
        finally:
            if raw is not None:
                await raw.execute("PRAGMA foreign_keys=ON")
