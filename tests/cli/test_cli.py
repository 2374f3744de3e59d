"""The `invoicebot` command line: exit codes, one-line reasons, all-or-nothing imports."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from billing_core.policy import parse_policy
from tests.cli.helpers import run

INVOICEBOT = Path(sys.executable).with_name("invoicebot")
Builder = Callable[..., dict[str, Any]]


def write_json(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(records, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(INVOICEBOT), "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0
    for command in ("serve", "records", "draft", "remind", "report", "db"):
        assert command in result.stdout


def test_db_upgrade_exits_zero_and_is_idempotent(tmp_path: Path, db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url}
    for _ in range(2):
        result = subprocess.run(
            [str(INVOICEBOT), "db", "upgrade"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=60,
        )
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout.strip() == "database is up to date"
    assert (tmp_path / "x.db").is_file()


def test_records_import_prints_counts_and_exits_zero(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str, record_data: Builder
) -> None:
    path = write_json(tmp_path / "records.json", [record_data(id="P-1"), record_data(id="P-2")])
    assert run(capsys, "records", "import", str(path)) == (
        0,
        "imported 2 record(s) from records.json: 2 new, 0 updated\n",
        "",
    )
    write_json(path, [record_data(id="P-2", title="Phase 2"), record_data(id="P-3")])
    code, out, _ = run(capsys, "records", "import", str(path))
    assert (code, out) == (0, "imported 2 record(s) from records.json: 1 new, 1 updated\n")


def test_records_import_reads_csv(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str
) -> None:
    path = tmp_path / "records.csv"
    path.write_text(
        "id,owner,client_name,client_email,currency,description,quantity,unit_price,tax_rate\n"
        "P-1,U0OWNER,ACME,ap@acme.example,EUR,Design,10,120.00,19\n"
        "P-1,,,,,Hosting,1,30.00,7\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "records", "import", str(path))
    assert (code, out) == (0, "imported 1 record(s) from records.csv: 1 new, 0 updated\n")
    code, out, _ = run(capsys, "records", "show", "P-1")
    assert [li["description"] for li in json.loads(out)["line_items"]] == ["Design", "Hosting"]


def test_a_bad_file_imports_nothing_and_names_line_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str, record_data: Builder
) -> None:
    write_json(tmp_path / "old.json", [record_data(id="P-1")])
    assert run(capsys, "records", "import", "old.json")[0] == 0

    bad = write_json(
        tmp_path / "new.json",
        [
            record_data(id="P-1", title="Changed title"),
            record_data(id="P-2"),
            record_data(id="P-3", due_date="31.12.2026"),
        ],
    )
    code, out, err = run(capsys, "records", "import", str(bad))
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("invoicebot: nothing imported")
    starts = [n for n, text in enumerate(bad.read_text().splitlines(), 1) if text == "  {"]
    assert f"new.json: line {starts[2]}: record P-3: due_date: is not a date" in err

    code, out, _ = run(capsys, "records", "show", "P-1")
    assert code == 0 and json.loads(out)["title"] == "Website relaunch"
    assert run(capsys, "records", "show", "P-2")[0] == 1


def test_bad_json_error_names_the_exact_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str, record_data: Builder
) -> None:
    good = json.dumps(record_data(id="P-1"))
    bad = json.dumps(record_data(id="P-2", currency="EURO"))
    (tmp_path / "r.json").write_text(f"[\n{good},\n{bad}\n]\n", encoding="utf-8")
    code, _, err = run(capsys, "records", "import", "r.json")
    assert code == 1
    assert "r.json: line 3: record P-2: currency: " in err


def test_invalid_json_exits_one_naming_the_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str
) -> None:
    (tmp_path / "r.json").write_text('[\n{"id": "P-1"},\n{"id": "P-2"\n]', encoding="utf-8")
    code, _, err = run(capsys, "records", "import", "r.json")
    assert code == 1
    assert "r.json: line 4: not valid JSON" in err
    assert err.count("\n") == 1


def test_import_of_a_missing_file_exits_one(
    capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    assert run(capsys, "records", "import", "nope.json") == (
        1,
        "",
        "invoicebot: no such file: nope.json\n",
    )


def test_records_show_prints_the_record_as_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str, record_data: Builder
) -> None:
    write_json(tmp_path / "r.json", [record_data()])
    run(capsys, "records", "import", "r.json")
    code, out, err = run(capsys, "records", "show", "P-123")
    assert (code, err) == (0, "")
    shown = json.loads(out)
    assert shown["client"]["name"] == "Müller & Søn GmbH"
    assert shown["line_items"] == record_data()["line_items"]
    assert shown["invoices"] == []


def test_records_show_lists_the_records_invoices(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str, record_data: Builder
) -> None:
    write_json(tmp_path / "r.json", [record_data()])
    run(capsys, "records", "import", "r.json")

    async def approve() -> None:
        from bot.bootstrap import build
        from bot.settings import Settings

        policy = parse_policy({"approval": {"approvers": ["U0APPROVER"]}})
        container = await build(Settings(database_url=db_url, policy=policy))
        try:
            now = datetime(2026, 11, 25, 10, tzinfo=UTC)
            drafted = await container.billing.drafting.start_draft("P-123", "U0OWNER", now)
            await container.billing.drafting.approve(drafted.state.id, "U0APPROVER", now)
        finally:
            await container.close()

    asyncio.run(approve())
    _, out, _ = run(capsys, "records", "show", "P-123")
    [invoice] = json.loads(out)["invoices"]
    assert invoice["number"] == "INV-2026-0001"
    assert (invoice["status"], invoice["total"], invoice["currency"]) == (
        "approved",
        "1428.00",
        "EUR",
    )


def test_records_show_of_an_unknown_id_exits_one_with_a_reason(
    capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    assert run(capsys, "records", "show", "P-404") == (
        1,
        "",
        "invoicebot: no record with ID 'P-404'\n",
    )


def test_a_bad_policy_file_stops_the_cli_naming_the_key(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "bad.toml").write_text('[reminders]\ntimezone = "Mars/Base"\n', encoding="utf-8")
    monkeypatch.setenv("INVOICEBOT_CONFIG", "bad.toml")
    code, _, err = run(capsys, "records", "show", "P-1")
    assert code == 2  # configuration, as usage errors: the work never started
    assert err.startswith("invoicebot: bad.toml: reminders.timezone: ")


def test_an_unsupported_database_url_stops_the_cli(
    capsys: pytest.CaptureFixture[str], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql+aiomysql://u@127.0.0.1/db")
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 2
    assert err.startswith("invoicebot: DATABASE_URL: driver 'mysql+aiomysql' is not supported")


def test_an_unreachable_database_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/db")
    code, _, err = run(capsys, "records", "show", "P-1")
    assert code == 1
    assert err.startswith("invoicebot: cannot use the database postgresql+asyncpg://")
    assert len(err.strip().splitlines()) == 1


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    code, _, err = run(capsys, "frobnicate")
    assert code == 2
    assert "invalid choice" in err


def test_import_of_a_directory_exits_one_with_a_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str
) -> None:
    (tmp_path / "records").mkdir()
    code, out, err = run(capsys, "records", "import", "records")
    assert (code, out) == (1, "")
    assert err.startswith("invoicebot: cannot read records: ") and err.count("\n") == 1


def test_import_of_a_file_that_is_not_utf8_exits_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str
) -> None:
    (tmp_path / "r.csv").write_bytes("id,title\nP-1,Müller\n".encode("latin-1"))
    assert run(capsys, "records", "import", "r.csv") == (
        1,
        "",
        "invoicebot: r.csv: not UTF-8 text\n",
    )


def test_draft_writes_a_pdf_marked_draft_with_the_client_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str, record_data: Builder
) -> None:
    from pypdf import PdfReader

    write_json(tmp_path / "r.json", [record_data()])
    run(capsys, "records", "import", "r.json")
    code, out, err = run(capsys, "draft", "P-123", "--out", "x.pdf")
    assert (code, err) == (0, "")
    assert out.startswith("wrote x.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "x.pdf").pages)
    assert "Müller & Søn GmbH" in text
    assert "DRAFT" in text
    assert "INV-2026" not in text
    assert run(capsys, "records", "show", "P-123")[1].count('"number"') == 0


def test_draft_of_a_record_that_is_not_ready_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str, record_data: Builder
) -> None:
    write_json(tmp_path / "r.json", [record_data(owner=None)])
    run(capsys, "records", "import", "r.json")
    code, _, err = run(capsys, "draft", "P-123", "--out", "x.pdf")
    assert code == 1
    assert "owner: missing" in err
    assert not (tmp_path / "x.pdf").exists()


def test_draft_never_writes_over_the_database_or_a_file_that_is_not_a_pdf(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    db_url: str,
    record_data: Builder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`draft P-123 --out x.db` wrote a PDF over the live database (found by a newcomer)."""
    write_json(tmp_path / "r.json", [record_data()])
    run(capsys, "records", "import", "r.json")
    code, _, err = run(capsys, "draft", "P-123", "--out", "x.db")
    assert code == 2 and "name it FILE.pdf" in err
    # A database that happens to be named like a PDF is refused by what it is.
    (tmp_path / "x.db").rename(tmp_path / "store.pdf")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/store.pdf")
    code, _, err = run(capsys, "draft", "P-123", "--out", "store.pdf")
    assert code == 2 and "is the database" in err
    assert run(capsys, "records", "show", "P-123")[0] == 0  # the store still opens


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "0000-01", "2026-13"])
def test_a_month_out_of_range_is_refused_with_exit_two(
    capsys: pytest.CaptureFixture[str], db_url: str, month: str
) -> None:
    code, _, err = run(capsys, "report", "--month", month)
    assert code == 2 and "not a month like 2026-11" in err


def test_a_problem_after_many_good_records_still_imports_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str, record_data: Builder
) -> None:
    # Records are written 500 at a time while the file is read; a bad record near the end
    # must roll back the batches already written, and every problem is still named.
    write_json(tmp_path / "old.json", [record_data(id="P-1")])
    assert run(capsys, "records", "import", "old.json")[0] == 0
    rows = [record_data(id=f"P-{n}", title="Changed title") for n in range(1, 1201)]
    rows[1099] = record_data(id="P-1100", currency="EURO")
    rows.append(record_data(id="P-7"))
    bad = write_json(tmp_path / "big.json", rows)

    code, _, err = run(capsys, "records", "import", str(bad))

    assert code == 1
    assert "record P-1100: currency: " in err and "record P-7: id: already used on line" in err
    code, out, _ = run(capsys, "records", "show", "P-1")
    assert code == 0 and json.loads(out)["title"] == "Website relaunch"
    assert run(capsys, "records", "show", "P-600")[0] == 1


BAD_POLICY = """\
[invoice]
language = "xx"
currency = "EURO"

[approval]
approvers = ["U0APPROVER", "bob"]

[[approval.rules]]
currency = "EUR"
min = "lots"
steps = ["approvers"]
"""


@pytest.mark.parametrize("command", [["report"], ["records", "show", "P-1"], ["remind"]])
def test_a_bad_policy_file_exits_two_naming_every_bad_key_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str, command: list[str]
) -> None:
    (tmp_path / "invoicebot.toml").write_text(BAD_POLICY, encoding="utf-8")
    code, out, err = run(capsys, *command)
    assert code == 2  # a configuration error is a usage error, as argparse's (was 1)
    assert out == "" and "Traceback" not in err
    assert err.splitlines() == [
        "invoicebot: invoicebot.toml: invoice.currency: not a three-letter ISO 4217 currency "
        "code: 'EURO'",
        "invoicebot: invoicebot.toml: invoice.language: 'xx' is not supported (use one of: en, "
        "de, fr, es, it, nl, pl; any case, like DE or de-DE; another region's number and date "
        "formats are set with [invoice] locale, like de_CH)",
        "invoicebot: invoicebot.toml: approval.approvers[1]: 'bob' is not a member or channel "
        "ID (like U0123ABCD)",
        "invoicebot: invoicebot.toml: approval.rules[0].min: is not a plain decimal number: 'lots'",
    ]


def test_bad_environment_variables_exit_two_each_named(
    capsys: pytest.CaptureFixture[str], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORT", "eighty")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token")
    code, _, err = run(capsys, "report")
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 2 and "Traceback" not in err
    assert lines[0].startswith("invoicebot: PORT: 'eighty'")
    assert lines[1].startswith("invoicebot: SLACK_BOT_TOKEN: a bot token starts with xoxb-")
