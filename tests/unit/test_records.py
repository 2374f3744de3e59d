"""Records: malformed data names every bad field; readiness names every missing one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from billing_core.errors import RecordInvalid, RecordNotReady
from billing_core.invoice import draft_invoice, readiness_problems
from billing_core.policy import Policy
from billing_core.records import parse_record, record_to_json

Builder = Callable[..., dict[str, Any]]


def fields_of(error: RecordInvalid | RecordNotReady) -> set[str]:
    return {p.field for p in error.problems}


def test_design_example_parses(record_data: Builder) -> None:
    record = parse_record(record_data())
    assert record.id == "P-123"
    assert record.client.name == "Müller & Søn GmbH"
    assert record.due_date == date(2026, 12, 1)
    assert record.line_items[0].unit_price == Decimal("120.00")


def test_record_survives_a_json_round_trip(record_data: Builder) -> None:
    record = parse_record(record_data())
    assert parse_record(record_to_json(record)) == record


def test_every_malformed_field_is_named_at_once(record_data: Builder) -> None:
    data = record_data(
        due_date="2026-13-45",
        currency="EURO",
        colour="blue",
        title="Relaunch\x07",
        line_items=[{"description": "Design", "quantity": "10", "unit_price": 120.5}],
    )
    data["client"]["fax"] = "123"
    with pytest.raises(RecordInvalid) as caught:
        parse_record(data)
    assert fields_of(caught.value) == {
        "due_date",
        "currency",
        "colour",
        "title",
        "line_items[0].unit_price",
        "client.fax",
    }
    message = str(caught.value)
    assert message.startswith("record P-123 is invalid: ")
    assert "line_items[0].unit_price: must be a decimal string" in message
    assert "not a float" in message
    assert "colour: unknown field" in message
    assert "title: contains control character U+0007" in message
    assert "due_date: is not a date" in message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": "P 123"}, "id"),
        ({"id": ""}, "id"),
        ({"kind": "deal"}, "kind"),
        ({"owner": "bob"}, "owner"),
        ({"client": {"name": "A", "email": "not-an-email"}}, "client.email"),
        ({"client": {"name": "A", "email": "a@b.co", "country": "Germany"}}, "client.country"),
        ({"client": {"name": "A\u202eB", "email": "a@b.co"}}, "client.name"),
        ({"client": "ACME"}, "client"),
        ({"completed_at": 20261120}, "completed_at"),
        ({"payment_terms_days": "14"}, "payment_terms_days"),
        ({"payment_terms_days": 400}, "payment_terms_days"),
        ({"amount": "100"}, "amount"),
        ({"line_items": "lots"}, "line_items"),
        ({"line_items": [{"description": "x", "unit_price": "1", "tax_rate": "101"}]}, None),
        ({"line_items": [{"description": "x", "unit_price": "1", "quantity": "0"}]}, None),
        ({"line_items": [{"description": "x"}]}, "line_items[0].unit_price"),
        ({"line_items": [{"unit_price": "1"}]}, "line_items[0].description"),
        ({"line_items": [{"description": "x", "unit_price": "1e3"}]}, None),
        ({"line_items": [{"description": "x", "unit_price": "1,000.00"}]}, None),
        ({"line_items": [{"description": "x", "unit_price": "NaN"}]}, None),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_malformed_field_is_refused_by_name(
    record_data: Builder, changes: dict[str, Any], field: str | None
) -> None:
    with pytest.raises(RecordInvalid) as caught:
        parse_record(record_data(**changes))
    if field is None:  # the line field: tax_rate, quantity or unit_price
        assert len(caught.value.problems) == 1
        assert caught.value.problems[0].field.startswith("line_items[0].")
    else:
        assert field in fields_of(caught.value)


def test_multi_line_address_is_allowed_but_not_a_multi_line_name(record_data: Builder) -> None:
    record = parse_record(record_data())
    assert record.client.address == "Hauptstraße 5\n80331 München\nGermany"
    data = record_data()
    data["client"]["name"] = "Müller\nSøn"
    with pytest.raises(RecordInvalid, match=r"client\.name: contains control character U\+000A"):
        parse_record(data)


def test_a_non_object_is_refused() -> None:
    with pytest.raises(RecordInvalid, match="record: must be a JSON object"):
        parse_record(["P-1"])


def test_record_missing_client_contact_lines_and_owner_lists_each_field(
    record_data: Builder, policy: Policy
) -> None:
    record = parse_record(record_data(client={"country": "DE"}, line_items=None, owner=None))
    with pytest.raises(RecordNotReady) as caught:
        draft_invoice(record, policy, date(2026, 11, 25))
    assert fields_of(caught.value) == {"client.name", "client.email", "line_items", "owner"}
    message = str(caught.value)
    assert message.startswith("record P-123 is not ready to invoice: ")
    for name in ("client.name", "client.email", "line_items", "owner"):
        assert name in message


def test_address_alone_is_enough_contact(record_data: Builder, policy: Policy) -> None:
    record = parse_record(record_data(client={"name": "ACME", "address": "1 Road\nTown"}))
    assert readiness_problems(record, policy, date(2026, 11, 25)) == []


def test_record_with_only_a_due_date_missing_is_ready_with_policy_terms(
    record_data: Builder, policy: Policy
) -> None:
    record = parse_record(record_data(due_date=None))
    invoice = draft_invoice(record, policy, date(2026, 11, 25))
    assert invoice.due_date == date(2026, 12, 9)  # default 14 days
