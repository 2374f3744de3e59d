"""`invoicebot report` and `invoicebot export journal`: what finance gets, and clear refusals.

The database holds the hand-worked November of tests/store/test_store_metrics.py."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from billing_core.policy import Policy
from billing_core.store.engine import new_async_engine, new_sessionmaker, upgrade_database
from billing_core.store.unit_of_work import Store
from billing_core.usecases import Billing
from tests.cli.helpers import run
from tests.store.test_store_metrics import build_november

TOP_KEYS = [
    "period", "as_of", "currencies", "cycle_time_days", "corrections",
    "payment_turnaround_days", "uninvoiced",
]  # fmt: skip


@pytest.fixture
def november(db_url: str, policy: Policy, record_data: Callable[..., dict[str, Any]]) -> str:
    async def seed() -> None:
        engine = new_async_engine(db_url)
        await upgrade_database(engine)
        await build_november(Billing(Store(new_sessionmaker(engine)), policy), record_data)
        await engine.dispose()

    asyncio.run(seed())
    return db_url


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def documented_keys(value: Any, parent: str = "") -> set[str]:
    """Every key of the report's JSON, but not data used as keys (currency codes, rejection
    categories, aging bucket labels)."""
    keys: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if parent not in ("currencies", "by_category", "aging"):
                keys.add(key)
            keys |= documented_keys(inner, key)
    elif isinstance(value, list):
        for inner in value:
            keys |= documented_keys(inner, parent)
    return keys


def test_json_report_has_every_documented_key_and_amounts_as_strings(
    capsys: pytest.CaptureFixture[str], november: str
) -> None:
    code, out, err = run(capsys, "report", "--month", "2026-11", "--format", "json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data) == TOP_KEYS
    assert data["currencies"]["EUR"]["issued"] == {"count": 3, "amount": "4284.00"}
    assert data["currencies"]["EUR"]["paid"] == {"count": 3, "amount": "2856.00"}
    assert list(data["currencies"]["USD"]["aging"]) == ["1-30", "31-60", "61-90", "91+"]
    assert data["corrections"]["rejected_more_than_once"] == ["P-1"]
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for key in sorted(documented_keys(data)):
        assert f"`{key}`" in readme, f"README does not document {key}"


def test_csv_report_is_period_currency_metric_value(
    capsys: pytest.CaptureFixture[str], november: str
) -> None:
    code, out, _ = run(capsys, "report", "--month", "2026-11", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0
    assert rows[0] == ["period", "currency", "metric", "value"]
    assert ["2026-11", "EUR", "issued_amount", "4284.00"] in rows
    assert ["2026-11", "USD", "overdue_1-30_amount", "1428.00"] in rows
    assert ["2026-11", "", "correction_rate", "0.3333"] in rows
    assert all(len(row) == 4 for row in rows)


def test_text_report_with_a_chart(
    capsys: pytest.CaptureFixture[str], november: str, tmp_path: Path
) -> None:
    chart = tmp_path / "november.png"
    code, out, err = run(capsys, "report", "--month", "2026-11", "--chart", str(chart))
    assert code == 0
    assert "Issued       EUR 4,284.00 (3 invoices)" in out
    assert "Rejected more than once: P-1" in out
    assert f"wrote {chart}" in err
    assert png_size(chart) == (1200, 720)  # two currencies: two rows of 360 px


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["report", "--month", "2026-13"],
            "not a month like 2026-11 (from 1900-01 to 9998-12): '2026-13'",
        ),
        (["report", "--month", "Nov"], "not a month like 2026-11"),
        (["report", "--format", "xml"], "invalid choice: 'xml'"),
        (["report", "--chart", "missing/x.png"], "no folder 'missing'"),
        (["report", "--chart", "chart.jpg"], "the chart is a PNG"),
        (["export", "journal"], "--month"),
        (["export", "journal", "--month", "2026-1"], "not a month like 2026-11"),
    ],
)
def test_bad_input_exits_2_with_the_reason(
    capsys: pytest.CaptureFixture[str], db_url: str, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert out == ""


def test_a_folder_as_chart_file_exits_2_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "c.png").mkdir()
    code, _, err = run(capsys, "report", "--chart", str(tmp_path / "c.png"))
    assert code == 2 and "is a folder" in err
    assert list((tmp_path / "c.png").iterdir()) == []


def test_journal_has_one_row_per_invoice_with_net_and_vat_per_rate(
    capsys: pytest.CaptureFixture[str], november: str
) -> None:
    code, out, _ = run(capsys, "export", "journal", "--month", "2026-11")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0
    assert rows[0][5:] == ["net_19", "vat_19", "net", "vat", "total", "credits"]
    assert [(r[3], r[4], r[9]) for r in rows[1:]] == [
        ("EUR", "paid", "1428.00"),
        ("EUR", "paid", "1428.00"),
        ("USD", "approved", "1428.00"),
        ("EUR", "void", "1428.00"),
    ]
    code, out, _ = run(capsys, "export", "journal", "--month", "2026-10")
    header = "number,issue_date,client,currency,status,net,vat,total,credits"
    assert (code, out.strip()) == (0, header)


def test_a_chart_that_fails_to_land_leaves_nothing_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import files

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(files.OutputUnwritable, match="No space left on device"):
        files.write_atomically(tmp_path / "chart.png", b"\x89PNG...")
    assert list(tmp_path.iterdir()) == []
