"""Example data shared by tests, benchmarks and the sandbox: the DESIGN.md record and a seller."""

from __future__ import annotations

import copy
from typing import Any

from billing_core.policy import CompanyPolicy

EXAMPLE_RECORD: dict[str, Any] = {
    "id": "P-123",
    "kind": "project",
    "title": "Website relaunch",
    "owner": "U0OWNER",
    "client": {
        "name": "Müller & Søn GmbH",
        "email": "ap@example.com",
        "address": "Hauptstraße 5\n80331 München\nGermany",
        "country": "DE",
        "tax_id": "DE123456789",
    },
    "scope_ref": "SOW-17 milestone 2",
    "currency": "EUR",
    "due_date": "2026-12-01",
    "completed_at": "2026-11-20",
    "line_items": [
        {"description": "Design hours", "quantity": "10", "unit_price": "120.00", "tax_rate": "19"}
    ],
}

SELLER = CompanyPolicy(
    name="Northwind Studio GmbH",
    address="Torstraße 1\n10119 Berlin\nGermany",
    country="DE",
    tax_id="DE999999999",
    email="billing@northwind.example",
    iban="DE89 3704 0044 0532 0130 00",
    bic="COBADEFFXXX",
)


def example_record(record_id: str = "P-123", **changes: Any) -> dict[str, Any]:
    """The DESIGN.md record with another ID and top-level `changes` (a fresh copy)."""
    data = copy.deepcopy(EXAMPLE_RECORD)
    data["id"] = record_id
    data.update(changes)
    return data
