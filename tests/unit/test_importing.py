"""Parsing record files: JSON arrays and CSV; every bad row named by line and field."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from billing_core.errors import ImportFailed
from billing_core.importing import parse_records_file

Builder = Callable[..., dict[str, Any]]

CSV_HEADER = (
    "id,title,owner,client_name,client_email,client_address,currency,due_date,"
    "description,quantity,unit_price,tax_rate\n"
)


def test_json_array_parses_every_record(record_data: Builder) -> None:
    text = json.dumps([record_data(), record_data(id="P-124")], indent=2, ensure_ascii=False)
    records = parse_records_file("records.json", text)
    assert [r.id for r in records] == ["P-123", "P-124"]


def test_json_error_names_the_line_of_the_bad_record_and_the_field(record_data: Builder) -> None:
    good = json.dumps(record_data())
    bad = json.dumps(record_data(id="P-9", due_date="tomorrow"))
    text = f"[\n{good},\n{bad}\n]"
    with pytest.raises(ImportFailed) as caught:
        parse_records_file("records.json", text)
    assert caught.value.problems == [
        "records.json: line 3: record P-9: due_date: is not a date like 2026-12-01: 'tomorrow'"
    ]
    assert str(caught.value).startswith("nothing imported, 1 problem(s): ")


def test_json_float_amount_is_refused_by_field(record_data: Builder) -> None:
    text = '[{"id": "P-1", "amount": 99.5}]'
    with pytest.raises(ImportFailed, match=r"line 1: record P-1: amount: .*not a float"):
        parse_records_file("r.json", text)


def test_invalid_json_names_the_line(record_data: Builder) -> None:
    text = '[\n{"id": "P-1"},\n{"id": "P-2",}\n]'
    with pytest.raises(ImportFailed, match=r"r\.json: line 3: not valid JSON"):
        parse_records_file("r.json", text)


def test_json_that_is_not_an_array_is_refused() -> None:
    with pytest.raises(ImportFailed, match="expected a JSON array of records"):
        parse_records_file("r.json", '{"id": "P-1"}')


def test_a_number_too_long_to_read_is_a_clear_refusal() -> None:
    text = '[\n{"id": "P-1", "amount": ' + "9" * 5000 + "}]"
    with pytest.raises(ImportFailed, match=r"r\.json: line 2: not valid JSON"):
        parse_records_file("r.json", text)


def test_duplicate_ids_in_json_are_refused_naming_both_lines(record_data: Builder) -> None:
    text = "[\n" + ",\n".join(json.dumps(record_data()) for _ in range(2)) + "\n]"
    with pytest.raises(ImportFailed, match="line 3: record P-123: id: already used on line 2"):
        parse_records_file("r.json", text)


def test_csv_rows_sharing_an_id_form_one_record_with_lines_in_order() -> None:
    text = (
        CSV_HEADER
        + "P-1,Relaunch,U0OWNER,ACME,ap@acme.example,1 Road\\nTown,EUR,2026-12-01,"
        + "Design,10,120.00,19\n"
        + "P-1,,,,,,,,Hosting,1,30.00,7\n"
        + "P-2,Audit,U0OWNER,Beta,ap@beta.example,,USD,2026-12-15,Audit,1,500,0\n"
    )
    records = parse_records_file("records.csv", text)
    assert [r.id for r in records] == ["P-1", "P-2"]
    first = records[0]
    assert [li.description for li in first.line_items] == ["Design", "Hosting"]
    assert first.line_items[1].tax_rate == Decimal("7")
    assert first.client.address == "1 Road\nTown"
    assert records[1].currency == "USD"


def test_csv_error_names_the_line_item_row_and_field() -> None:
    text = (
        CSV_HEADER
        + "P-1,Relaunch,U0OWNER,ACME,ap@acme.example,,EUR,2026-12-01,Design,10,120.00,19\n"
        + "P-1,,,,,,,,Hosting,1,30.000001,7\n"
    )
    with pytest.raises(ImportFailed) as caught:
        parse_records_file("records.csv", text)
    [problem] = caught.value.problems
    assert problem.startswith("records.csv: line 3: record P-1: line_items[1].unit_price: ")


def test_csv_contradicting_rows_are_refused() -> None:
    text = (
        CSV_HEADER
        + "P-1,Relaunch,U0OWNER,ACME,ap@acme.example,,EUR,2026-12-01,Design,10,120.00,19\n"
        + "P-1,,,,,,USD,,Hosting,1,30.00,7\n"
    )
    with pytest.raises(ImportFailed, match="line 3: record P-1: currency: 'USD' contradicts"):
        parse_records_file("records.csv", text)


def test_csv_unknown_column_is_refused_on_line_1() -> None:
    with pytest.raises(ImportFailed, match="line 1: unknown column 'colour'"):
        parse_records_file("r.csv", "id,colour\nP-1,blue\n")


def test_csv_row_without_id_is_refused() -> None:
    with pytest.raises(ImportFailed, match="line 3: id: missing"):
        parse_records_file("r.csv", "id,title\nP-1,A\n,B\n")
