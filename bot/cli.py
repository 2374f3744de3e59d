"""The `invoicebot` command line. Exit codes: 0 ok, 1 refused (reason on stderr), 2 usage."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from billing_core.errors import BillingError, ConfigError, FileUnreadable
from billing_core.importing import iter_records_file
from billing_core.records import record_to_json
from billing_core.reports import FIRST_YEAR, LAST_YEAR
from bot.bootstrap import Container, build, utc_now
from bot.credit_view import credit_json
from bot.report_cli import OutputUnwritable, write_atomically
from bot.settings import Settings, load_settings

_MONTH_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invoicebot",
        description="Draft, approve and chase invoices from Slack.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="run the Slack app, records API and scheduler")
    serve.add_argument("--socket", action="store_true", help="use Socket Mode (SLACK_APP_TOKEN)")

    sandbox = commands.add_parser(
        "sandbox", help="try it without Slack: the bot and a local chat page in your browser"
    )
    sandbox.add_argument("--port", type=_port, help="the chat page's port (default 3000)")
    sandbox.add_argument("--host", help="the chat page's address (default 127.0.0.1)")

    records = commands.add_parser("records", help="import or show lead/project records")
    records_commands = records.add_subparsers(
        dest="records_command", metavar="ACTION", required=True
    )
    records_import = records_commands.add_parser(
        "import", help="import a JSON array or CSV file (all or nothing)"
    )
    records_import.add_argument("file", type=Path)
    records_show = records_commands.add_parser("show", help="show a record and its invoices")
    records_show.add_argument("id")

    draft = commands.add_parser("draft", help="render a record's draft invoice PDF (offline)")
    draft.add_argument("id")
    draft.add_argument("--out", type=_pdf, required=True, metavar="FILE.pdf")
    draft.add_argument(
        "--einvoice",
        action="store_true",
        help="a Factur-X preview: EN 16931 XML inside, numbered DRAFT-<id>, marked DRAFT",
    )

    remind = commands.add_parser("remind", help="run the overdue reminders once")
    remind.add_argument("--as-of", type=_date, metavar="DATE", help="evaluate as of this date")
    remind.add_argument("--dry-run", action="store_true", help="print, send nothing")

    report = commands.add_parser(
        "report", help="the month's billing metrics (text, JSON or CSV) and a PNG chart"
    )
    report.add_argument("--month", type=_month, metavar="YYYY-MM", help="default: this month")
    report.add_argument(
        "--format", choices=("text", "json", "csv"), default="text", help="default: text"
    )
    report.add_argument(
        "--chart", type=_png, metavar="FILE.png", help="also draw issued/paid and aging"
    )

    export = commands.add_parser("export", help="export for the accountant")
    export_commands = export.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    journal = export_commands.add_parser(
        "journal", help="CSV: one row per invoice issued in the month, net and VAT per rate"
    )
    journal.add_argument("--month", type=_month, metavar="YYYY-MM", required=True)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations")
    backup = db_commands.add_parser(
        "backup", help="copy the SQLite store to a new FILE while it runs (VACUUM INTO)"
    )
    backup.add_argument("file", type=Path, metavar="FILE")

    audit = commands.add_parser("audit", help="check or export the tamper-evident audit trail")
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    audit_commands.add_parser("verify", help="exit 0 when the chain holds, 1 naming what broke")
    audit_export = audit_commands.add_parser(
        "export", help="the events of a period (both dates included, business time zone)"
    )
    audit_export.add_argument("--from", dest="first", type=_date, metavar="DATE", required=True)
    audit_export.add_argument("--to", dest="last", type=_date, metavar="DATE", required=True)
    audit_export.add_argument("--format", choices=("csv", "json"), default="csv")
    return parser


def _safe_url() -> str:
    """DATABASE_URL as used, with any password hidden."""
    try:
        return make_url(load_settings().database_url).render_as_string(hide_password=True)
    except Exception:
        return "(DATABASE_URL)"


def _first_line(exc: BaseException) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(cause).strip().splitlines()
    return (text[0] if text else type(cause).__name__)[:300]


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return int(text)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-12-01: {text!r}") from None


def _month(text: str) -> str:
    if not _MONTH_RE.fullmatch(text) or not FIRST_YEAR <= int(text[:4]) <= LAST_YEAR:
        raise argparse.ArgumentTypeError(
            f"not a month like 2026-11 (from {FIRST_YEAR}-01 to {LAST_YEAR}-12): {text!r}"
        )
    return text


def _png(text: str) -> Path:
    """A PNG file we can write: its folder exists and is writable, and it is no folder."""
    return _writable(text, ".png", "the chart is a PNG: name it FILE.png")


def _pdf(text: str) -> Path:
    """A PDF file we can write (the same checks as a chart's): `draft --out victim.db`
    overwrote a database with a PDF."""
    return _writable(text, ".pdf", "the draft is a PDF: name it FILE.pdf")


def _is_the_database(path: Path, database_url: str) -> bool:
    database = make_url(database_url).database
    return bool(database) and Path(database or "").resolve() == path.resolve()


def _writable(text: str, suffix: str, wrong_suffix: str) -> Path:
    path = Path(text)
    folder = path.parent
    if path.suffix.lower() != suffix:
        raise argparse.ArgumentTypeError(f"{wrong_suffix}, not {text!r}")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: no folder {str(folder)!r}")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: permission denied")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except OutputUnwritable as exc:
        print(f"invoicebot: {exc}", file=sys.stderr)
        return 2
    except BillingError as exc:
        print(f"invoicebot: {exc}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, OSError) as exc:
        print(
            f"invoicebot: cannot use the database {_safe_url()}: {_first_line(exc)}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130


async def _run(args: argparse.Namespace) -> int:
    if args.command == "sandbox":
        from bot.sandbox import run_sandbox

        env = dict(os.environ)
        host = args.host or env.get("HOST") or "127.0.0.1"
        try:
            port = args.port if args.port is not None else _port(env.get("PORT") or "3000")
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
        if args.command == "draft":
            return await _draft(container, args.id, args.out, einvoice=args.einvoice)
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


async def _draft(container: Container, record_id: str, out: Path, *, einvoice: bool) -> int:
    """Render the draft a record would get now, without storing an invoice. With `einvoice`,
    as a Factur-X preview (the record must then be ready for an e-invoice)."""
    from billing_core.invoice import draft_invoice
    from billing_core.pdf.render import (  # not the package: no process pool
        render_einvoice_preview,
        render_invoice_pdf,
    )

    if _is_the_database(out, container.settings.database_url):
        raise OutputUnwritable(f"{out} is the database: write the draft to another file")
    record = await container.billing.records.get(record_id)
    policy = container.settings.policy
    if einvoice:
        policy = replace(policy, invoice=replace(policy.invoice, einvoice="factur-x"))
    invoice = draft_invoice(record, policy, container.billing.today(utc_now()))
    render = render_einvoice_preview if einvoice else render_invoice_pdf
    pdf = await asyncio.to_thread(render, invoice)
    await asyncio.to_thread(write_atomically, out, pdf)  # never half a PDF
    what = f"Factur-X preview (DRAFT-{record_id})" if einvoice else f"draft of {record_id}"
    print(f"wrote {out} ({len(pdf) // 1024} KB): {what}, total {invoice.total}")
    return 0
