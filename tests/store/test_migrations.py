"""The Alembic migrations create exactly the tables the models describe, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from billing_core.store.engine import new_async_engine, upgrade_database
from billing_core.store.models import Base

LATE = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)


async def test_migrations_match_the_models(database_url: str) -> None:
    engine = new_async_engine(database_url)
    try:
        await upgrade_database(engine)
        await upgrade_database(engine)  # a second run changes nothing
        async with engine.connect() as conn:
            differences = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    # Amounts are NUMERIC in the migrations and stored as integers on SQLite by the model's
    # type: both are intended, so type differences are not compared here.
    kinds = [d[0][0] if isinstance(d, list) else d[0] for d in differences]
    assert [k for k in kinds if k != "modify_type"] == [], differences


async def test_upgrading_from_0001_backfills_event_dates(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from billing_core.store.engine import MIGRATIONS_DIR

    engine = new_async_engine(database_url)

    def upgrade_to(connection, revision: str) -> None:  # type: ignore[no-untyped-def]
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to, "0001")
            await conn.execute(
                text(
                    "INSERT INTO records (id, kind, title, owner, data, created_at, updated_at) "
                    "VALUES ('P-1', 'project', '', 'U0OWNER', '{}', :t, :t)"
                ),
                {"t": LATE},
            )
            await conn.execute(
                text(
                    "INSERT INTO invoices (record_id, status, currency, total, paid, issue_date,"
                    " due_date, owner, client_name, snapshot, drafted_by, drafted_at, updated_at)"
                    " VALUES ('P-1', 'draft', 'EUR', 1, 0, '2026-11-30', '2026-12-14', 'U0OWNER',"
                    " 'C', '{}', 'U0OWNER', :t, :t)"
                ),
                {"t": LATE},
            )
            await conn.execute(
                text(
                    "INSERT INTO invoice_events (invoice_id, at, actor, action, to_status)"
                    " VALUES (1, :t, 'U0OWNER', 'draft', 'draft')"
                ),
                {"t": LATE},
            )
        await upgrade_database(engine)
        async with engine.connect() as conn:
            effective = (
                await conn.execute(text("SELECT effective_on FROM invoice_events"))
            ).scalar()
        assert str(effective) == "2026-11-30"
    finally:
        await engine.dispose()
