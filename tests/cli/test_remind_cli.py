"""`invoicebot remind [--as-of DATE] [--dry-run]` through the real command line parser."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from billing_core.policy import parse_policy
from billing_core.records import parse_record
from bot.bootstrap import build
from bot.demo import EXAMPLE_RECORD
from bot.settings import Settings
from tests.cli.helpers import run

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def remind_db(db_url: str, tmp_path: Path) -> str:
    """The CLI's database, with an approver and the Berlin business time zone."""
    (tmp_path / "invoicebot.toml").write_text(
        '[approval]\napprovers = ["U0APPROVER"]\n[reminders]\ntimezone = "Europe/Berlin"\n'
    )
    return db_url


def approve_example(url: str) -> None:
    """P-123 (due 2026-12-01, owner U0OWNER) approved as INV-2026-0001."""

    async def go() -> None:
        policy = parse_policy({"approval": {"approvers": ["U0APPROVER"]}})
        container = await build(Settings(database_url=url, policy=policy))
        try:
            billing = container.billing
            await billing.records.import_records([parse_record(EXAMPLE_RECORD)], NOW)
            draft = (await billing.drafting.start_draft("P-123", "U0DRAFTER", NOW)).state
            await billing.drafting.approve(draft.id, "U0APPROVER", NOW)
        finally:
            await container.close()

    asyncio.run(go())


def test_dry_run_as_of_a_date_lists_who_would_be_pinged(
    remind_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    approve_example(remind_db)
    code, out, _ = run(capsys, "remind", "--as-of", "2026-12-08", "--dry-run")
    assert code == 0
    assert "reminders as of 2026-12-08 (dry run, nothing sent): 1 due" in out
    assert "would DM U0OWNER: INV-2026-0001 (Müller & Søn GmbH) stage 2, 7 days overdue" in out
    code, out, _ = run(capsys, "remind", "--as-of", "2026-12-01", "--dry-run")
    assert code == 0 and ": 0 due" in out  # due today is not overdue yet


def test_remind_without_a_token_says_which_variable_is_missing(
    remind_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "remind", "--as-of", "2026-12-08")
    assert code == 2 and "SLACK_BOT_TOKEN" in err  # configuration: exit 2, as usage


def test_a_bad_as_of_date_is_refused_by_the_parser(
    remind_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "remind", "--as-of", "next tuesday")
    assert code == 2 and "not a date like 2026-12-01" in err
