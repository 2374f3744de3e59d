"""The Alembic migrations create exactly the tables the models describe, on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, bindparam, text

from billing_core.store.engine import new_async_engine, schema_is_current, upgrade_database
from billing_core.store.models import Base
from billing_core.store.schema_version import MIGRATIONS_DIR, head_revisions

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


async def test_upgrading_from_0002_keeps_threads_and_rewrites_history_to_actions(
    database_url: str,
) -> None:
    """A database of the previous release: its Slack threads move to conversations intact,
    its outbox rows become domain events, its history speaks Action values, a draft the bot
    withdrew stops counting as a rejection, and an approved invoice missing its final PDF
    gets one queued."""
    from alembic import command
    from alembic.config import Config

    engine = new_async_engine(database_url)

    def upgrade_to(connection, revision: str) -> None:  # type: ignore[no-untyped-def]
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    def run(sql: str, **params: object) -> object:
        statement = text(sql)
        if "p" in params:  # a JSON value: bound as JSON, as PostgreSQL's json column wants
            statement = statement.bindparams(bindparam("p", type_=JSON))
        return statement.bindparams(**params) if params else statement

    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to, "0002")
            await conn.execute(
                run(
                    "INSERT INTO records (id, kind, title, owner, data, created_at, updated_at)"
                    " VALUES ('P-1', 'project', '', 'U0OWNER', '{}', :t, :t)",
                    t=LATE,
                )
            )
            invoices = [
                # id, number, status, team, channel, thread, buttons
                (1, "INV-1", "paid", "T0", "C0SALES", "1700000000.000100", "1700000000.000300"),
                (2, None, "rejected", "T0", "C0SALES", None, None),  # withdrawn by the bot
                (3, None, "rejected", "T0", "C0SALES", "1700000000.000500", "1700000000.000600"),
                (4, "INV-2", "approved", None, None, None, None),  # approved, never posted
            ]
            for n, number, status, team, channel, thread, buttons in invoices:
                await conn.execute(
                    run(
                        "INSERT INTO invoices (id, record_id, number, status, currency, total,"
                        " paid, issue_date, due_date, owner, client_name, snapshot, drafted_by,"
                        " drafted_at, updated_at, team_id, channel_id, thread_ts, buttons_ts,"
                        " rejection_category) VALUES (:id, 'P-1', :number, :status, 'EUR', 1, 0,"
                        " '2026-11-30', '2026-12-14', 'U0OWNER', 'C', '{}', 'U0OWNER', :t, :t,"
                        " :team, :channel, :thread, :buttons, :category)",
                        id=n, number=number, status=status, t=LATE, team=team, channel=channel,
                        thread=thread, buttons=buttons,
                        category="other" if status == "rejected" else None,
                    )
                )  # fmt: skip
            events = [
                (1, "draft", None, "draft"), (1, "approve", "draft", "approved"),
                (1, "send", "approved", "sent"), (1, "payment", "sent", "sent"),
                (1, "payment", "sent", "paid"), (2, "withdraw", "draft", "rejected"),
                (3, "reject", "draft", "rejected"),
            ]  # fmt: skip
            for invoice_id, action, before, after in events:
                await conn.execute(
                    run(
                        "INSERT INTO invoice_events (invoice_id, at, actor, action, from_status,"
                        " to_status, effective_on) VALUES (:i, :t, 'U0', :a, :f, :to, :d)",
                        i=invoice_id, t=LATE, a=action, f=before, to=after, d=LATE.date(),
                    )
                )  # fmt: skip
            await conn.execute(
                run(
                    "INSERT INTO documents (invoice_id, record_id, kind, filename, content,"
                    " sha256, size, created_at, posted_file_id) VALUES"
                    " (1, 'P-1', 'final', 'INV-1.pdf', :c, 'x', 3, :t, 'F0FINAL')",
                    c=b"pdf",
                    t=LATE,
                )
            )
            for n, (kind, payload) in enumerate(
                [("publish_approval", {"invoice_id": 1}),
                 ("invoice_event", {"invoice_id": 1, "action": "paid"}),
                 ("digest", {"channel": "C0BILLING"})], start=1,
            ):  # fmt: skip
                await conn.execute(
                    run(
                        "INSERT INTO outbox (kind, invoice_id, payload, dedupe_key, created_at,"
                        " attempts, next_attempt_at) VALUES (:k, :i, :p, :key, :t, 0, :t)",
                        k=kind, i=None if kind == "digest" else 1, p=payload, key=f"k{n}", t=LATE,
                    )
                )  # fmt: skip
        await upgrade_database(engine)
        async with engine.connect() as conn:
            conversations = (
                await conn.execute(
                    text(
                        "SELECT invoice_id, adapter, workspace, channel, thread, actions_message"
                        " FROM conversations ORDER BY invoice_id"
                    )
                )
            ).all()
            posted = (
                await conn.execute(text("SELECT posted FROM conversations WHERE invoice_id = 1"))
            ).scalar()
            actions = (
                await conn.execute(text("SELECT action, to_status FROM invoice_events ORDER BY id"))
            ).all()
            statuses = dict(
                (await conn.execute(text("SELECT id, status FROM invoices"))).all()  # type: ignore[arg-type]
            )
            outbox = (
                await conn.execute(
                    text("SELECT consumer, event, invoice_id FROM outbox ORDER BY id")
                )
            ).all()
        assert [tuple(c) for c in conversations] == [
            (1, "slack", "T0", "C0SALES", "1700000000.000100", "1700000000.000300"),
            (2, "slack", "T0", "C0SALES", None, None),
            (3, "slack", "T0", "C0SALES", "1700000000.000500", "1700000000.000600"),
        ]
        assert (posted if isinstance(posted, dict) else json.loads(posted)) == {
            "final_pdf": "F0FINAL"
        }
        assert [tuple(a) for a in actions] == [
            ("draft", "draft"), ("approve", "approved"), ("mark_sent", "sent"),
            ("part_pay", "sent"), ("settle", "paid"), ("withdraw", "withdrawn"),
            ("reject", "rejected"),
        ]  # fmt: skip
        assert statuses == {1: "paid", 2: "withdrawn", 3: "rejected", 4: "approved"}
        assert [tuple(o) for o in outbox] == [
            ("slack", "invoice_approved", 1),
            ("slack", "payment_recorded", 1),
            ("slack", "digest_due", None),
            ("documents", "invoice_approved", 4),  # its final PDF was never rendered
        ]
    finally:
        await engine.dispose()


def test_head_revisions_read_from_the_files_are_alembics_heads() -> None:
    # The CLI decides from these whether to import Alembic at all.
    from alembic.script import ScriptDirectory

    assert head_revisions() == set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


async def test_schema_is_current_only_at_the_head_and_old_databases_are_upgraded(
    database_url: str,
) -> None:
    from alembic import command
    from alembic.config import Config

    def upgrade_to(connection, revision: str) -> None:  # type: ignore[no-untyped-def]
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    engine = new_async_engine(database_url)
    try:
        assert not await schema_is_current(engine)  # no schema at all
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to, "0001")
        assert not await schema_is_current(engine)
        await upgrade_database(engine)
        assert await schema_is_current(engine)
        async with engine.connect() as conn:
            applied = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert {row[0] for row in applied} == head_revisions()
    finally:
        await engine.dispose()


async def test_upgrading_from_0003_gives_every_invoice_no_credit_and_keeps_one_open_draft(
    database_url: str,
) -> None:
    """A database of the previous release: its invoices have nothing credited (balances
    unchanged), are no credit notes, and a record still has at most one invoice draft, while
    a credit note draft may sit beside it."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.exc import IntegrityError

    engine = new_async_engine(database_url)

    def upgrade_to(connection, revision: str) -> None:  # type: ignore[no-untyped-def]
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    insert_invoice = (
        "INSERT INTO invoices (record_id, number, status, currency, total, paid, issue_date,"
        " due_date, owner, client_name, snapshot, drafted_by, drafted_at, updated_at{extra})"
        " VALUES ('P-1', :number, :status, 'EUR', 14280000, :paid, '2026-11-30', '2026-12-14',"
        " 'U0OWNER', 'C', '{{}}', 'U0OWNER', :t, :t{values})"
    )
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to, "0003")
            await conn.execute(
                text(
                    "INSERT INTO records (id, kind, title, owner, data, created_at, updated_at) "
                    "VALUES ('P-1', 'project', '', 'U0OWNER', '{}', :t, :t)"
                ),
                {"t": LATE},
            )
            for number, status, paid in [("INV-1", "paid", 14280000), ("INV-2", "sent", 10000),
                                         (None, "draft", 0)]:  # fmt: skip
                await conn.execute(
                    text(insert_invoice.format(extra="", values="")),
                    {"number": number, "status": status, "paid": paid, "t": LATE},
                )
        await upgrade_database(engine)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT number, credits_id, credited, paid FROM invoices ORDER BY id")
                )
            ).all()
        assert [(r[0], r[1], int(r[2])) for r in rows] == [
            ("INV-1", None, 0), ("INV-2", None, 0), (None, None, 0),
        ]  # fmt: skip
        async with engine.begin() as conn:  # a credit note draft beside the invoice draft
            await conn.execute(
                text(
                    insert_invoice.format(
                        extra=", credits_id, credited, refunded", values=", 2, 0, 0"
                    )
                ),
                {"number": None, "status": "draft", "paid": 0, "t": LATE},
            )
        with pytest.raises(IntegrityError):  # but never a second invoice draft
            async with engine.begin() as conn:
                await conn.execute(
                    text(insert_invoice.format(extra=", credited, refunded", values=", 0, 0")),
                    {"number": None, "status": "draft", "paid": 0, "t": LATE},
                )
    finally:
        await engine.dispose()
