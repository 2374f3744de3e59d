"""The `invoicebot` command line. Exit codes: 0 ok, 1 refused (reason on stderr), 2 usage.

A cold command is mostly imports, so this module imports little. `draft` reads its record
straight from a current SQLite file (billing_core/store/direct_read.py) and renders it in this
process: no event loop, SQLAlchemy, Alembic or Slack client, which were about 0.5 s of the
1.0 s of CPU a cold draft took (bench/render.py). Every other command, and `draft` on a
database the store must create or migrate first, runs on an event loop in bot/cli_commands.py.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import NoReturn

from billing_core.errors import BillingError, ConfigError, RecordNotFound
from billing_core.records import Record
from billing_core.reminders import business_date
from billing_core.reports import FIRST_YEAR, LAST_YEAR
from billing_core.store.urls import sqlite_file
from bot.clock import utc_now
from bot.files import OutputUnwritable, write_atomically
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
    sandbox.add_argument("--port", type=parse_port, help="the chat page's port (default 3000)")
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
        from sqlalchemy.engine import make_url

        return make_url(load_settings().database_url).render_as_string(hide_password=True)
    except Exception:
        return "(DATABASE_URL)"


def _database_errors() -> tuple[type[BaseException], ...]:
    """What a command that cannot use the database raises: OSError, and SQLAlchemy's errors
    when SQLAlchemy was loaded (a command that never imported it cannot have raised them, and
    `draft` should not import it to catch them)."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is None:
        return (OSError,)
    return (OSError, sqlalchemy_exc.SQLAlchemyError)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)  # a SQLAlchemy DBAPIError wraps the driver's error
    cause = orig if orig is not None else exc
    text = str(cause).strip().splitlines()
    return (text[0] if text else type(cause).__name__)[:300]


def parse_port(text: str) -> int:
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
    sqlite = sqlite_file(database_url)
    if sqlite is not None:  # the usual case, answered without importing SQLAlchemy
        return sqlite.path.resolve() == path.resolve()
    from sqlalchemy.engine import make_url

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


def console_script() -> NoReturn:
    """The `invoicebot` command (pyproject's [project.scripts]): main(), then exit."""
    code = main()
    # On the way out, Python's last garbage collection walks every object the imports made,
    # to free what exiting frees anyway: 40 ms of the 0.43 s of CPU a cold draft took (timed
    # with and without). Frozen objects are left out of it; atexit handlers and finalizers of
    # what is freed still run. Not in main(): tests call it in a process that goes on.
    gc.freeze()
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "draft":
            return _draft(load_settings(), args.id, args.out, einvoice=args.einvoice)
        from bot.cli_commands import run_command

        return run_command(args)
    except OutputUnwritable as exc:
        print(f"invoicebot: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        # A configuration error is a usage error (exit 2, as argparse's): the run never
        # started. One line per bad variable or key, no traceback.
        for problem in exc.problems:
            print(f"invoicebot: {problem}", file=sys.stderr)
        return 2
    except BillingError as exc:
        print(f"invoicebot: {exc}", file=sys.stderr)
        return 1
    except _database_errors() as exc:  # evaluated only when an exception gets this far
        print(
            f"invoicebot: cannot use the database {_safe_url()}: {_first_line(exc)}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130


def _draft(settings: Settings, record_id: str, out: Path, *, einvoice: bool) -> int:
    """Render the draft a record would get now, without storing an invoice. With `einvoice`,
    as a Factur-X preview (the record must then be ready for an e-invoice)."""
    from billing_core.invoice import draft_invoice
    from billing_core.pdf.render import (  # not the package: no process pool
        render_einvoice_preview,
        render_invoice_pdf,
    )

    if _is_the_database(out, settings.database_url):
        raise OutputUnwritable(f"{out} is the database: write the draft to another file")
    record = _read_record(settings, record_id)
    policy = settings.policy
    if einvoice:
        policy = replace(policy, invoice=replace(policy.invoice, einvoice="factur-x"))
    invoice = draft_invoice(record, policy, business_date(utc_now(), policy.reminders.zone))
    render = render_einvoice_preview if einvoice else render_invoice_pdf
    pdf = render(invoice)
    write_atomically(out, pdf)  # never half a PDF
    what = f"Factur-X preview (DRAFT-{record_id})" if einvoice else f"draft of {record_id}"
    print(f"wrote {out} ({len(pdf) // 1024} KB): {what}, total {invoice.total}")
    return 0


def _read_record(settings: Settings, record_id: str) -> Record:
    """The record (RecordNotFound when there is none): straight from the SQLite file when
    that is all it takes, else through the store."""
    from billing_core.store.direct_read import NotDirectlyReadable, read_record

    try:
        record = read_record(settings.database_url, record_id)
    except NotDirectlyReadable:
        from bot.cli_commands import read_record_through_store

        return read_record_through_store(settings, record_id)
    if record is None:
        raise RecordNotFound(record_id)
    return record
