"""What a one-off command loads: `invoicebot draft` on a current SQLite database renders the
PDF without Alembic (nothing to migrate), the Slack client (nothing to post), or SQLAlchemy and
an event loop (one record to read: billing_core/store/direct_read.py), which were most of a
cold draft's time (bench/render.py)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import run

NOT_NEEDED = (
    *("alembic", "slack_sdk", "slack_bolt", "aiohttp", "apscheduler", "multiprocessing"),
    *("sqlalchemy", "aiosqlite", "asyncio"),
)

PROBE = f"""
import sys
from bot.cli import main
code = main(sys.argv[1:])
print(sorted({{m.split(".")[0] for m in sys.modules}} & set({NOT_NEEDED!r})))
sys.exit(code)
"""


def test_draft_on_a_current_database_imports_no_migration_slack_or_orm_code(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    db_url: str,
    record_data: Callable[..., dict[str, Any]],
) -> None:
    (tmp_path / "r.json").write_text(json.dumps([record_data()]), encoding="utf-8")
    assert run(capsys, "records", "import", "r.json")[0] == 0  # creates the schema
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "draft", "P-123", "--out", "x.pdf"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
    assert (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF-")


def test_draft_on_a_new_database_creates_the_schema_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str
) -> None:
    # No schema yet: the command still migrates (and then finds no record).
    code, _, err = run(capsys, "draft", "P-404", "--out", "x.pdf")
    assert code == 1 and "P-404" in err
    assert run(capsys, "db", "upgrade")[1] == "database is up to date\n"


def test_the_console_script_exits_with_mains_code(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    db_url: str,
    record_data: Callable[..., dict[str, Any]],
) -> None:
    # console_script() freezes the garbage collector before exiting; the PDF is still whole
    # and the exit code still main's.
    (tmp_path / "r.json").write_text(json.dumps([record_data()]), encoding="utf-8")
    assert run(capsys, "records", "import", "r.json")[0] == 0
    script = "import sys; from bot.cli import console_script; sys.argv[1:] = {}; console_script()"
    for argv, code in (
        (["draft", "P-123", "--out", "x.pdf"], 0),
        (["draft", "P-404", "--out", "y.pdf"], 1),
    ):
        result = subprocess.run(
            [sys.executable, "-c", script.format(argv)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
        )
        assert result.returncode == code, result.stderr
    assert (tmp_path / "x.pdf").read_bytes().rstrip().endswith(b"%%EOF")
    assert "no record with ID 'P-404'" in result.stderr
    assert not (tmp_path / "y.pdf").exists()


def test_draft_on_a_file_that_is_not_a_database_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str
) -> None:
    # The direct read hands over to the store, which reports it as every command does.
    (tmp_path / "x.db").write_bytes(b"not a database\n" * 100)
    code, out, err = run(capsys, "draft", "P-123", "--out", "x.pdf")
    assert (code, out) == (1, "")
    assert err.startswith("invoicebot: cannot use the database sqlite+aiosqlite:///")
    assert "file is not a database" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize(
    "command", [["draft", "P-123", "--out", "x.pdf"], ["records", "show", "P-123"]]
)
def test_a_database_from_a_newer_invoicebot_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    db_url: str,
    record_data: Callable[..., dict[str, Any]],
    command: list[str],
) -> None:
    # A schema revision this code has no migration for (a newer invoicebot wrote the file, or
    # a backup of one was restored): Alembic's CommandError came out as a 60-line traceback.
    (tmp_path / "r.json").write_text(json.dumps([record_data()]), encoding="utf-8")
    assert run(capsys, "records", "import", "r.json")[0] == 0
    with sqlite3.connect(tmp_path / "x.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    code, out, err = run(capsys, *command)
    assert (code, out) == (1, "")
    assert err.startswith("invoicebot: cannot use the database: its schema version 9999 ")
    assert "a newer invoicebot wrote it" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.pdf").exists()
