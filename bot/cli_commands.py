"""The CLI's commands that run on an event loop: all but `draft` on a current SQLite file
(bot/cli.py runs that one without, for a fast cold start). Errors propagate to bot.cli.main,
which turns them into exit codes."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from billing_core.errors import ConfigError, FileUnreadable
from billing_core.importing import iter_records_file
from billing_core.records import Record, record_to_json
from bot.bootstrap import Container, build
from bot.cli import parse_port
from bot.clock import utc_now
from bot.credit_view import credit_json
from bot.settings import Settings, load_settings


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed command on a new event loop; its exit code."""
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    if args.command == "sandbox":
        from bot.sandbox import run_sandbox

        env = dict(os.environ)
        host = args.host or env.get("HOST") or "127.0.0.1"
        try:
            port = args.port if args.port is not None else parse_port(env.get("PORT") or "3000")
        except argparse.ArgumentTypeError as exc:
            raise ConfigError(f"PORT: {exc}") from None
        await run_sandbox(host, port, env, Path.cwd())
        return 0
    settings = load_settings()
    if args.command == "serve":
        from bot.server import serve

        await serve(settings, socket_mode=args.socket)
        return 0
    if args.command == "db" and args.db_command == "backup":
        return await _backup(settings, args.file)
    if args.command == "db":
        engine = await _upgrade(settings)
        await engine.dispose()
        print("database is up to date")
        return 0
    if args.command == "audit":
        from bot.audit_cli import run_export, run_verify

        if args.audit_command == "verify":
            return await run_verify(settings)
        if args.last < args.first:
            raise ConfigError(f"--to {args.last} is before --from {args.first}")
        return await run_export(settings, args.first, args.last, args.format)
    if args.command == "remind":
        from bot.jobs import run_reminders_cli

        return await run_reminders_cli(settings, as_of=args.as_of, dry_run=args.dry_run)
    if args.command == "report":
        from bot.report_cli import run_report

        return await run_report(settings, month=args.month, fmt=args.format, chart=args.chart)
    if args.command == "export":
        from bot.report_cli import run_journal

        return await run_journal(settings, month=args.month)

    container = await build(settings)
    try:
        if args.command == "records" and args.records_command == "import":
            return await _import(container, args.file)
        if args.command == "records" and args.records_command == "show":
            overview = await container.billing.records.overview(args.id)
            out = record_to_json(overview.record)
            out["invoices"] = [
                {
                    "number": s.number,
                    "status": s.status.value,
                    "total": str(s.total.amount),
                    "balance": str(s.balance.amount),
                    "currency": s.invoice.currency,
                    "issue_date": s.invoice.issue_date.isoformat(),
                    "due_date": s.invoice.due_date.isoformat(),
                    **credit_json(s),
                }
                for s in overview.invoices
            ]
            print(json.dumps(out, indent=2, ensure_ascii=False))
            return 0
    finally:
        await container.close()
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


async def _upgrade(settings: Settings) -> AsyncEngine:
    from billing_core.store.engine import new_async_engine, upgrade_database

    engine = new_async_engine(settings.database_url)
    await upgrade_database(engine)
    return engine


async def _backup(settings: Settings, target: Path) -> int:
    """Exit 0 with the copy written, 2 when refused (the file exists, PostgreSQL)."""
    from billing_core.store.backup import BackupRefused, backup_sqlite

    try:
        source = await backup_sqlite(settings.database_url, target)
    except BackupRefused as exc:
        print(f"invoicebot: {exc}", file=sys.stderr)
        return 2
    print(f"backed up {source} to {target}")
    return 0


async def _import(container: Container, path: Path) -> int:
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except FileNotFoundError:
        raise FileUnreadable(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise FileUnreadable(f"{path}: not UTF-8 text") from None
    except OSError as exc:  # a directory, no permission, ...
        raise FileUnreadable(f"cannot read {path}: {exc.strerror}") from None
    records = iter_records_file(path.name, text)
    created, updated = await container.billing.records.import_records(records, utc_now())
    print(
        f"imported {created + updated} record(s) from {path.name}: {created} new, {updated} updated"
    )
    return 0


def read_record_through_store(settings: Settings, record_id: str) -> Record:
    """The record for `draft` when it cannot be read directly: through the store, which
    creates or migrates the schema first. Raises RecordNotFound when there is none."""
    return asyncio.run(_read_record(settings, record_id))


async def _read_record(settings: Settings, record_id: str) -> Record:
    container = await build(settings)
    try:
        return await container.billing.records.get(record_id)
    finally:
        await container.close()
